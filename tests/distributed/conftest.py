"""A world of one process without MPI: the collectives' and DDP's semantics, tested in-process."""
import pytest

from tinygrad_lite.distributed import Backend, Work
from tinygrad_lite.distributed import process_group


class SingleProcessBackend(Backend):
    """Rank 0 of 1: every collective leaves the array as it is (as MPI does at world size 1)."""

    name = "single"
    device_type = "cpu"

    def __init__(self):
        self.calls = []

    def all_reduce(self, array, op):
        self.calls.append(("all_reduce", array.size, op.name))
        return Work()

    def broadcast(self, array, src):
        self.calls.append(("broadcast", array.size, src))

    def all_gather(self, gathered, array):
        gathered[0] = array

    def barrier(self):
        self.calls.append(("barrier",))


@pytest.fixture
def single_process_group():
    """The default group is a SingleProcessBackend for the test (its ``calls`` are recorded)."""
    backend = SingleProcessBackend()
    process_group.set_backend(backend)
    yield backend
    process_group.destroy_process_group()
