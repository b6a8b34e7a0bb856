"""``tinygrad_lite.distributed`` (``import tinygrad_lite.distributed as dist``): process groups and
collectives on an existing engine, MPI (mpi4py) or NCCL (CuPy), with PyTorch's names.

    # mpirun -n 2 python script.py
    dist.init_process_group("mpi")
    x = tl.tensor([float(dist.get_rank())])
    dist.all_reduce(x)            # x == 1.0 on both ranks
    dist.destroy_process_group()

mpi4py and CuPy's NCCL are imported only when a process group of that kind is created.
"""
from tinygrad_lite.distributed.backend import Backend, Work
from tinygrad_lite.distributed.collectives import (all_gather, all_reduce, barrier, broadcast, recv,
                                                   send)
from tinygrad_lite.distributed.process_group import (destroy_process_group, get_backend, get_rank,
                                                     get_world_size, init_process_group,
                                                     is_initialized)
from tinygrad_lite.distributed.reduce_op import ReduceOp


def is_available():
    """True: the package itself needs nothing beyond NumPy (backends check their own imports)."""
    return True


def is_mpi_available():
    """Whether mpi4py can be imported (``pip install -e ".[distributed]"``)."""
    import importlib.util  # noqa: PLC0415

    return importlib.util.find_spec("mpi4py") is not None


__all__ = ["Backend", "ReduceOp", "Work", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized", "is_mpi_available", "recv",
           "send"]
