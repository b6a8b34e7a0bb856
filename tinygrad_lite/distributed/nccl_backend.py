"""The ``nccl`` backend: collectives on CuPy arrays through ``cupy.cuda.nccl``, one process per GPU.

Ranks come from MPI (``mpirun -n <GPUs> python script.py``): rank 0 draws NCCL's unique id and
MPI broadcasts it, then every process opens its communicator on GPU ``local rank % GPU count``.
Calls are queued on the current CUDA stream, so later CuPy work on it sees their results; a
``Work`` waits by synchronising that stream.
"""
from tinygrad_lite.distributed.backend import Backend, Work
from tinygrad_lite.distributed.mpi_backend import import_mpi
from tinygrad_lite.distributed.reduce_op import ReduceOp

# numpy dtype name -> the cupy.cuda.nccl constant's name
_NCCL_DTYPES = {"int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32",
                "int64": "NCCL_INT64", "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
                "float64": "NCCL_FLOAT64", "bool": "NCCL_UINT8"}
_NCCL_OPS = {ReduceOp.SUM: "NCCL_SUM", ReduceOp.PRODUCT: "NCCL_PROD", ReduceOp.MIN: "NCCL_MIN",
             ReduceOp.MAX: "NCCL_MAX"}


def create_nccl_backend():
    """Open the NCCL communicator of this MPI process on its GPU."""
    try:
        import cupy  # noqa: PLC0415 - only when an NCCL process group is created
        from cupy.cuda import nccl  # noqa: PLC0415
    except ImportError as error:
        raise ImportError(f"the nccl backend needs CuPy with NCCL ({error}); install "
                          'pip install -e ".[cuda12,distributed]" on a machine with NVIDIA GPUs') from None
    if not getattr(nccl, "available", True):
        raise RuntimeError("the nccl backend: this CuPy was built without NCCL")
    MPI = import_mpi()
    world = MPI.COMM_WORLD
    local_rank = world.Split_type(MPI.COMM_TYPE_SHARED).Get_rank()
    gpu = local_rank % cupy.cuda.runtime.getDeviceCount()
    cupy.cuda.Device(gpu).use()
    unique_id = world.bcast(nccl.get_unique_id() if world.Get_rank() == 0 else None, root=0)
    communicator = nccl.NcclCommunicator(world.Get_size(), unique_id, world.Get_rank())
    return NCCLBackend(communicator, world.Get_rank(), world.Get_size(), gpu, nccl,
                       lambda: cupy.cuda.get_current_stream())


class NCCLBackend(Backend):
    """Collectives over an open ``NcclCommunicator`` on GPU ``gpu``.

    ``nccl`` is the ``cupy.cuda.nccl`` module and ``current_stream()`` returns the CuPy stream to
    queue on (both passed in so the call plumbing can be tested without a GPU).
    """

    name = "nccl"
    device_type = "cuda"

    def __init__(self, communicator, rank, world_size, gpu, nccl, current_stream):
        self.communicator, self.rank, self.world_size = communicator, rank, world_size
        self.gpu, self.nccl, self.current_stream = gpu, nccl, current_stream

    def _dtype(self, array):
        name = _NCCL_DTYPES.get(str(array.dtype))
        if name is None:
            raise TypeError(f"the nccl backend cannot move {array.dtype} tensors; supported: "
                            f"{', '.join(sorted(_NCCL_DTYPES))}")
        return getattr(self.nccl, name)

    def _queued(self):
        """A Work whose wait() blocks until everything queued so far on the stream has run."""
        stream = self.current_stream()
        return Work(stream.synchronize)

    def all_reduce(self, array, op):
        """In-place ``ncclAllReduce``."""
        pointer = array.data.ptr
        self.communicator.allReduce(pointer, pointer, array.size, self._dtype(array),
                                    getattr(self.nccl, _NCCL_OPS[op]), self.current_stream().ptr)
        return self._queued()

    def broadcast(self, array, src):
        """In-place ``ncclBroadcast`` from rank ``src``."""
        pointer = array.data.ptr
        self.communicator.broadcast(pointer, pointer, array.size, self._dtype(array), src,
                                    self.current_stream().ptr)

    def all_gather(self, gathered, array):
        """``ncclAllGather``: rank r's ``array`` lands in row r of ``gathered``."""
        self.communicator.allGather(array.data.ptr, gathered.data.ptr, array.size,
                                    self._dtype(array), self.current_stream().ptr)

    def send(self, array, dst, tag):
        """``ncclSend`` to ``dst``, completed before returning (NCCL has no tags)."""
        self.communicator.send(array.data.ptr, array.size, self._dtype(array), dst,
                               self.current_stream().ptr)
        self.current_stream().synchronize()

    def recv(self, array, src, tag):
        """``ncclRecv`` from ``src``, completed before returning; returns ``src``."""
        if src is None:
            raise ValueError("the nccl backend cannot receive from any source: pass src=")
        self.communicator.recv(array.data.ptr, array.size, self._dtype(array), src,
                               self.current_stream().ptr)
        self.current_stream().synchronize()
        return src

    def barrier(self):
        """NCCL has no barrier: a one-element all-reduce every rank must join, then a sync."""
        import cupy  # noqa: PLC0415 - a real barrier needs a real GPU buffer

        with cupy.cuda.Device(self.gpu):
            token = cupy.zeros(1, cupy.float32)
            self.all_reduce(token, ReduceOp.SUM).wait()

    def close(self):
        """Destroy the communicator."""
        self.communicator.destroy()
