"""Collectives, DDP and DistributedSampler on two real MPI ranks (``mpirun -n 2`` in a subprocess)."""
import json

import pytest

from tests.distributed.mpi_launch import requires_mpi, run_mpi


@pytest.fixture(scope="module")
def ranks():
    """What each of the two ranks of tests/distributed/mpi_checks.py measured."""
    output = run_mpi(["tests/distributed/mpi_checks.py"])
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


@requires_mpi
@pytest.mark.parametrize("rank", [0, 1])
def test_collectives_combine_both_ranks_in_place(ranks, rank):
    results = ranks[rank]["collectives"]
    assert ranks[rank]["world"] == 2
    assert results["SUM"] == [3.0, 6.0] and results["AVG"] == [1.5, 3.0]
    assert results["PRODUCT"] == [2.0, 8.0]
    assert results["MIN"] == [1.0, 2.0] and results["MAX"] == [2.0, 4.0]
    assert results["async"] == [1.0, 1.0, 1.0]
    assert results["broadcast"] == [[0.0, 6.0], [2.0, 8.0], [4.0, 10.0]]  # rank 1's, transposed
    assert results["all_gather"] == [[0, 0], [1, 10]]


@requires_mpi
def test_recv_from_any_source_names_the_sender(ranks):
    assert ranks[1]["collectives"]["sender"] == 0
    assert ranks[1]["collectives"]["received"] == [7.0, 8.0]


@requires_mpi
@pytest.mark.parametrize("rank", [0, 1])
def test_ddp_gradients_equal_one_process_on_the_global_batch(ranks, rank):
    ddp = ranks[rank]["ddp"]
    assert ddp["weights_equal_rank0"]  # rank 1 started from other weights
    assert ddp["buckets"] == 3  # 600-byte buckets over 5*16+16 + 16*16+16 + 16*3+3 floats
    assert ddp["grad_difference"] < 1e-6


@requires_mpi
@pytest.mark.parametrize("rank", [0, 1])
def test_no_sync_accumulates_locally_then_averages_the_sums(ranks, rank):
    ddp = ranks[rank]["ddp"]
    assert ddp["no_sync_local_differs"]
    assert ddp["accumulated_difference"] < 1e-6


@requires_mpi
def test_ddp_refuses_models_that_differ_across_ranks(ranks):
    for rank in range(2):
        assert "the ranks' models differ" in ranks[rank]["mismatch"]
        assert "[2, 8] .. [2, 12]" in ranks[rank]["mismatch"]


@requires_mpi
def test_sampler_takes_rank_and_world_size_from_the_group(ranks):
    assert ranks[0]["sampler"] == [0, 2, 4, 6]
    assert ranks[1]["sampler"] == [1, 3, 5, 0]  # padded by wrapping around
