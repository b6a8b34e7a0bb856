"""The ``mpi`` backend: collectives on NumPy arrays through mpi4py (``pip install -e ".[distributed]"``).

Rank and world size are MPI's (``mpirun -n 2 python script.py``); a script started without
``mpirun`` is a world of one.
"""
import numpy

from tinygrad_lite.distributed.backend import Backend, Work
from tinygrad_lite.distributed.reduce_op import ReduceOp

INSTALL_HINT = 'install it with: pip install -e ".[distributed]" (mpi4py and the mpich runtime)'


def import_mpi():
    """mpi4py's ``MPI`` module, or an ImportError that says how to install it."""
    try:
        from mpi4py import MPI  # noqa: PLC0415 - only when an MPI process group is created
    except ImportError as error:
        raise ImportError(f"the mpi backend needs mpi4py, which is not importable ({error}); "
                          f"{INSTALL_HINT}") from None
    return MPI


class MPIBackend(Backend):
    """Collectives over a private duplicate of ``MPI.COMM_WORLD`` (user MPI traffic can't mix in)."""

    name = "mpi"
    device_type = "cpu"

    def __init__(self):
        self.MPI = import_mpi()
        self.comm = self.MPI.COMM_WORLD.Dup()
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        self._ops = {ReduceOp.SUM: self.MPI.SUM, ReduceOp.PRODUCT: self.MPI.PROD,
                     ReduceOp.MIN: self.MPI.MIN, ReduceOp.MAX: self.MPI.MAX}

    def all_reduce(self, array, op):
        """Non-blocking in-place ``MPI_Iallreduce``; the Work waits for it."""
        if array.dtype == numpy.float16:  # MPI has no half type: reduce in float32, write back
            wide = array.astype(numpy.float32)
            request = self.comm.Iallreduce(self.MPI.IN_PLACE, wide, op=self._ops[op])
            return Work(request.Wait, lambda: numpy.copyto(array, wide, casting="same_kind"))
        request = self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self._ops[op])
        return Work(request.Wait)

    def broadcast(self, array, src):
        """``MPI_Bcast`` from rank ``src``."""
        self.comm.Bcast(_typed(array), root=src)

    def all_gather(self, gathered, array):
        """``MPI_Allgather`` into ``gathered`` (one row per rank)."""
        self.comm.Allgather(_typed(array), _typed(gathered))

    def send(self, array, dst, tag):
        """Blocking ``MPI_Send`` to ``dst``."""
        self.comm.Send(_typed(array), dest=dst, tag=tag)

    def recv(self, array, src, tag):
        """Blocking ``MPI_Recv`` from ``src`` (any source when None); returns the sender."""
        status = self.MPI.Status()
        source = self.MPI.ANY_SOURCE if src is None else src
        self.comm.Recv(_typed(array), source=source, tag=tag, status=status)
        return status.Get_source()

    def barrier(self):
        """``MPI_Barrier``."""
        self.comm.Barrier()

    def close(self):
        """Free the duplicated communicator."""
        self.comm.Free()


def _typed(array):
    """A buffer MPI can type: half floats travel as raw 16-bit words (moving bits is exact)."""
    return array.view(numpy.uint16) if array.dtype == numpy.float16 else array
