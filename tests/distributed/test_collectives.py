"""Collectives at world size 1 and their boundary checks (two ranks: test_multiprocess.py)."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.distributed as dist
from tests.distributed.mpi_launch import requires_mpi


@pytest.mark.parametrize("op", list(dist.ReduceOp))
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64, tl.int64])
def test_all_reduce_of_one_rank_keeps_values_and_bumps_the_version(single_process_group, op, dtype):
    x = tl.tensor([3, 5, 7], dtype=dtype)
    version = x._version
    assert dist.all_reduce(x, op=op) is None
    assert x.tolist() == [3, 5, 7] and x.dtype == dtype
    assert x._version == version + 1  # a backward that saved x would refuse to run
    reduced = "SUM" if op is dist.ReduceOp.AVG else op.name
    assert single_process_group.calls == [("all_reduce", 3, reduced)]


def test_async_all_reduce_returns_work_that_completes_on_wait(single_process_group):
    x = tl.ones(4)
    work = dist.all_reduce(x, async_op=True)
    assert not work.is_completed()
    assert work.wait() is True and work.is_completed()


def test_non_contiguous_tensors_are_staged_and_written_back(single_process_group):
    x = tl.arange(6.0).reshape(2, 3).t()
    dist.broadcast(x, src=0)
    assert x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    gathered = [tl.zeros(3, 2)]
    dist.all_gather(gathered, x)
    assert gathered[0].tolist() == x.tolist()


def test_group_state_and_names(single_process_group):
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.get_backend() == "single"
    dist.barrier()
    assert single_process_group.calls == [("barrier",)]
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.all_reduce(tl.ones(2), op="sum"), TypeError, "dist.ReduceOp"),
    (lambda: dist.all_reduce([1.0]), TypeError, "expected a Tensor, got list"),
    (lambda: dist.broadcast(tl.ones(2), src=1), ValueError, r"src=1 is not a rank .*world size 1"),
    (lambda: dist.send(tl.ones(2), dst=0), ValueError, "own rank"),
    (lambda: dist.recv(tl.ones(2), src=-1), ValueError, "src=-1"),
    (lambda: dist.all_gather([tl.ones(2), tl.ones(2)], tl.ones(2)), ValueError, "2 tensors but the world size is 1"),
    (lambda: dist.all_gather([tl.ones(3)], tl.ones(2)), RuntimeError, r"\[3\] but the input is tl.float32 \[2\]"),
    (lambda: dist.all_reduce(tl.ones(2), group=object()), NotImplementedError, "default process group"),
])
def test_bad_arguments_get_clear_errors(single_process_group, call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call", [dist.get_rank, dist.get_world_size, dist.barrier,
                                  dist.destroy_process_group, lambda: dist.all_reduce(tl.ones(1))])
def test_everything_needs_an_initialised_group(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        call()


def test_unknown_backend_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown backend 'gloo': expected one of mpi, nccl"):
        dist.init_process_group("gloo")
    assert not dist.is_initialized()


@requires_mpi
def test_mpi_backend_in_this_process_is_a_world_of_one():
    dist.init_process_group("mpi")
    try:
        assert (dist.get_backend(), dist.get_rank(), dist.get_world_size()) == ("mpi", 0, 1)
        x = tl.tensor([1.5, -2.0], dtype=tl.float16)
        dist.all_reduce(x, op=dist.ReduceOp.AVG)  # MPI has no half type: reduced in float32
        assert x.dtype == tl.float16 and x.tolist() == [1.5, -2.0]
        gathered = [tl.zeros(2, dtype=tl.float16)]
        dist.all_gather(gathered, x)
        assert numpy.array_equal(gathered[0].numpy(), x.numpy())
    finally:
        dist.destroy_process_group()
