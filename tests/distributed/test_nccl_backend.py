"""The nccl backend: its calls into cupy.cuda.nccl checked against a fake communicator here, and
for real on a GPU machine (world size 1, skipped without CUDA + mpi4py)."""
import types

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.distributed as dist
from helpers import requires_cuda
from tests.distributed.mpi_launch import skip_reason
from tinygrad_lite.distributed.nccl_backend import NCCLBackend

FAKE_NCCL = types.SimpleNamespace(
    NCCL_INT8=0, NCCL_UINT8=1, NCCL_INT32=2, NCCL_INT64=4, NCCL_FLOAT16=6, NCCL_FLOAT32=7,
    NCCL_FLOAT64=8, NCCL_SUM=0, NCCL_PROD=1, NCCL_MAX=2, NCCL_MIN=3)


class FakeGpuArray:
    """What the backend reads of a CuPy array: ``data.ptr``, ``size``, ``dtype``."""

    def __init__(self, pointer, size, dtype):
        self.data, self.size, self.dtype = types.SimpleNamespace(ptr=pointer), size, numpy.dtype(dtype)


class FakeStream:
    ptr = 77

    def __init__(self):
        self.synchronized = 0

    def synchronize(self):
        self.synchronized += 1


class FakeCommunicator:
    """Records every call as (method, arguments)."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, method):
        return lambda *arguments: self.calls.append((method, arguments))


@pytest.fixture
def nccl_backend():
    stream = FakeStream()
    backend = NCCLBackend(FakeCommunicator(), rank=1, world_size=2, gpu=0, nccl=FAKE_NCCL,
                          current_stream=lambda: stream)
    backend.stream = stream
    return backend


@pytest.mark.parametrize("op, code", [(dist.ReduceOp.SUM, 0), (dist.ReduceOp.PRODUCT, 1),
                                      (dist.ReduceOp.MAX, 2), (dist.ReduceOp.MIN, 3)])
@pytest.mark.parametrize("dtype, type_code", [("float32", 7), ("float64", 8), ("float16", 6),
                                              ("int64", 4)])
def test_all_reduce_is_in_place_on_the_current_stream(nccl_backend, op, code, dtype, type_code):
    work = nccl_backend.all_reduce(FakeGpuArray(1000, 12, dtype), op)
    assert nccl_backend.communicator.calls == [("allReduce", (1000, 1000, 12, type_code, code, 77))]
    assert nccl_backend.stream.synchronized == 0  # queued, not waited for
    work.wait()
    assert nccl_backend.stream.synchronized == 1


def test_broadcast_gather_and_point_to_point_calls(nccl_backend):
    nccl_backend.broadcast(FakeGpuArray(10, 3, "float32"), src=0)
    nccl_backend.all_gather(FakeGpuArray(20, 6, "float32"), FakeGpuArray(30, 3, "float32"))
    nccl_backend.send(FakeGpuArray(40, 5, "int32"), dst=0, tag=0)
    assert nccl_backend.recv(FakeGpuArray(50, 5, "uint8"), src=0, tag=0) == 0
    assert nccl_backend.communicator.calls == [
        ("broadcast", (10, 10, 3, 7, 0, 77)), ("allGather", (30, 20, 3, 7, 77)),
        ("send", (40, 5, 2, 0, 77)), ("recv", (50, 5, 1, 0, 77))]
    assert nccl_backend.stream.synchronized == 2  # send and recv complete before returning


def test_unsupported_dtype_and_any_source_are_refused(nccl_backend):
    with pytest.raises(TypeError, match="cannot move complex64 tensors; supported: bool, float16"):
        nccl_backend.all_reduce(FakeGpuArray(1, 1, "complex64"), dist.ReduceOp.SUM)
    with pytest.raises(ValueError, match="any source: pass src="):
        nccl_backend.recv(FakeGpuArray(1, 1, "float32"), None, 0)


def test_collectives_refuse_cpu_tensors_on_nccl(nccl_backend):
    from tinygrad_lite.distributed import process_group

    process_group.set_backend(nccl_backend)
    try:
        with pytest.raises(RuntimeError, match="nccl backend moves CUDA tensors, got a tensor on cpu"):
            dist.all_reduce(tl.ones(2))
    finally:
        process_group._state["backend"] = None


@requires_cuda
@pytest.mark.skipif(skip_reason() is not None, reason=f"nccl needs MPI for ranks: {skip_reason()}")
def test_nccl_on_a_real_gpu_world_of_one():
    from tinygrad_lite import nn
    import tinygrad_lite.nn.functional as F

    dist.init_process_group("nccl")
    try:
        x = tl.tensor([1.0, 2.0], device="cuda")
        dist.all_reduce(x, op=dist.ReduceOp.AVG)
        dist.barrier()
        assert x.tolist() == [1.0, 2.0]
        model = nn.Linear(3, 2).to("cuda")
        plain = nn.Linear(3, 2).to("cuda")
        plain.load_state_dict(model.state_dict())
        ddp = nn.parallel.DistributedDataParallel(model)
        inputs, targets = tl.ones(4, 3, device="cuda"), tl.tensor([0, 1, 0, 1], device="cuda")
        F.cross_entropy(ddp(inputs), targets).backward()
        F.cross_entropy(plain(inputs), targets).backward()
        for mine, reference in zip(model.parameters(), plain.parameters()):
            assert numpy.allclose(mine.grad.numpy(force=True), reference.grad.numpy(force=True))
    finally:
        dist.destroy_process_group()
