"""Collectives on Tensors, in place as in PyTorch: ``all_reduce``, ``broadcast``, ``all_gather``,
``send``, ``recv``, ``barrier``.

Each checks its tensors at the boundary, hands the backend a C-contiguous array of the kind it
moves (a CPU copy of a CUDA tensor for MPI), writes the result back into the tensor and bumps its
version, so a backward that saved the old values refuses to run.
"""
import numbers

import numpy

from tinygrad_lite.backend import device_of_array, on_device, to_device_array
from tinygrad_lite.distributed.backend import Work
from tinygrad_lite.distributed.process_group import default_backend
from tinygrad_lite.distributed.reduce_op import ReduceOp
from tinygrad_lite.ops.inplace import mark_written
from tinygrad_lite.tensor import Tensor


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Replace ``tensor`` on every rank by ``op`` over all ranks' ``tensor`` (same shape everywhere).

    With ``async_op=True`` returns a Work; the tensor holds the result after ``work.wait()``.
    """
    backend = _backend(group)
    _check_tensor(tensor, "all_reduce", backend)
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a dist.ReduceOp, got {op!r}")
    buffer = _staged(tensor, backend)
    reduction = ReduceOp.SUM if op is ReduceOp.AVG else op
    transfer = backend.all_reduce(buffer, reduction)

    def finish():
        if op is ReduceOp.AVG:
            _divide_in_place(buffer, backend.world_size)
        _write_back(tensor, buffer)

    work = Work(transfer.wait, finish)
    return work if async_op else work.wait() and None


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    backend = _backend(group)
    _check_tensor(tensor, "broadcast", backend)
    _check_rank(src, backend, "broadcast", "src")
    buffer = _staged(tensor, backend)
    backend.broadcast(buffer, src)
    _write_back(tensor, buffer)
    return Work() if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``; the list holds world-size tensors shaped
    and typed like ``tensor``."""
    backend = _backend(group)
    _check_tensor(tensor, "all_gather", backend)
    if len(tensor_list) != backend.world_size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors but the world "
                         f"size is {backend.world_size}")
    for position, output in enumerate(tensor_list):
        _check_tensor(output, "all_gather", backend)
        if tuple(output.shape) != tuple(tensor.shape) or output.dtype != tensor.dtype:
            raise RuntimeError(f"all_gather: tensor_list[{position}] is {output.dtype} "
                               f"{list(output.shape)} but the input is {tensor.dtype} "
                               f"{list(tensor.shape)}")
    buffer = _staged(tensor, backend)
    with on_device(tensor.device):
        gathered = _array_module(buffer).empty((backend.world_size,) + buffer.shape, buffer.dtype)
    backend.all_gather(gathered, buffer)
    for output, row in zip(tensor_list, gathered):
        _write_back(output, row)
    return Work() if async_op else None


def send(tensor, dst, group=None, tag=0):
    """Send ``tensor`` to rank ``dst``, which must ``recv`` a tensor of the same shape and dtype."""
    backend = _backend(group)
    _check_tensor(tensor, "send", backend)
    _check_rank(dst, backend, "send", "dst")
    if dst == backend.rank:
        raise ValueError(f"send: dst ({dst}) is this process's own rank")
    backend.send(_staged(tensor, backend), dst, tag)


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's rank."""
    backend = _backend(group)
    _check_tensor(tensor, "recv", backend)
    if src is not None:
        _check_rank(src, backend, "recv", "src")
    buffer = _staged(tensor, backend)
    sender = backend.recv(buffer, src, tag)
    _write_back(tensor, buffer)
    return sender


def barrier(group=None, async_op=False):
    """Wait until every rank of the group has reached this call."""
    _backend(group).barrier()
    return Work() if async_op else None


def _backend(group):
    if group is not None:
        raise NotImplementedError("only the default process group is supported: pass group=None")
    return default_backend()


def _check_tensor(tensor, name, backend):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    if backend.device_type == "cuda" and tensor.device.type != "cuda":
        raise RuntimeError(f"{name}: the nccl backend moves CUDA tensors, got a tensor on "
                           f"{tensor.device}; move it with .to('cuda')")


def _check_rank(rank, backend, name, argument):
    if (not isinstance(rank, numbers.Integral) or isinstance(rank, bool)
            or not 0 <= rank < backend.world_size):
        raise ValueError(f"{name}: {argument}={rank!r} is not a rank of this group (world size "
                         f"{backend.world_size})")


def _staged(tensor, backend):
    """The array the backend works on: the tensor's own memory when contiguous, else a copy."""
    array = tensor.data
    if backend.device_type == "cpu" and not isinstance(array, numpy.ndarray):
        return array.get()  # a CUDA tensor over MPI goes through host memory
    if not array.flags.c_contiguous:
        with on_device(tensor.device):
            return _array_module(array).ascontiguousarray(array)
    return array


def _write_back(tensor, buffer):
    """Put the result into the tensor's memory (if it is not already there) and bump its version."""
    array = tensor.data
    if buffer is not array:
        if isinstance(buffer, numpy.ndarray) and not isinstance(array, numpy.ndarray):
            buffer = to_device_array(buffer, tensor.device)  # back from the MPI host copy
        with on_device(tensor.device):
            array[...] = buffer
    mark_written(tensor)


def _divide_in_place(array, count):
    xp = _array_module(array)
    if array.dtype.kind == "f":
        array /= count
    else:  # integers: PyTorch's AVG truncates toward zero
        xp.copyto(array, xp.trunc(array / count), casting="unsafe")


def _array_module(array):
    return device_of_array(array).xp
