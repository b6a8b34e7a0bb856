"""Changing dtype or device (differentiable), and copies: ``to``, ``clone``, ``type_as``..."""
import builtins

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.backend import device as Device
from tinygrad_lite.backend import to_device_array


class Cast(Function):
    def forward(self, x, dtype):
        # Values out of the target's range become inf (or the C cast's result) silently, as in
        # PyTorch: NumPy's overflow warning would fire on every overflowed float16 step under amp.
        with numpy.errstate(over="ignore", invalid="ignore"):
            return x.astype(dtype)

    def backward(self, grad_output):
        return grad_output  # the engine casts it back to the input's dtype


class ToDevice(Function):
    def forward(self, x, target):
        self.source = self.device
        self.device = target
        return to_device_array(x, target)

    def backward(self, grad_output):
        return grad_output.to(self.source)


class Clone(Function):
    def forward(self, x):
        return x.copy(order="K")  # PyTorch's preserve_format: a permuted tensor stays permuted

    def backward(self, grad_output):
        return grad_output


def to(input, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``; differentiable."""
    from tinygrad_lite.tensor import Tensor

    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, Device)):
            device = arg
        else:
            dtype = arg
    result = input
    if device is not None:
        target = Device(device)
        if target is not input.device:
            result = ToDevice.apply(result, target=target)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if dtype != result.dtype:
            result = Cast.apply(result, dtype=dtype)
    if copy and result is input:
        result = clone(input)
    return result


def clone(input):
    """A copy with its own memory (differentiable)."""
    return Clone.apply(input)


def type_as(input, other):
    """Cast to ``other``'s dtype."""
    return to(input, dtype=other.dtype)


def cpu(input):
    """The tensor on the CPU (NumPy)."""
    return to(input, device="cpu")


def cuda(input, device=None):
    """The tensor on a CUDA device (CuPy); ``device`` is an index or 'cuda:N'."""
    if device is None:
        device = "cuda"
    elif isinstance(device, builtins.int):
        device = f"cuda:{device}"
    return to(input, device=device)


def float(input):
    """Cast to float32."""
    return to(input, dtype=dtypes.float32)


def double(input):
    """Cast to float64."""
    return to(input, dtype=dtypes.float64)


def half(input):
    """Cast to float16."""
    return to(input, dtype=dtypes.float16)


def long(input):
    """Cast to int64."""
    return to(input, dtype=dtypes.int64)


def int(input):
    """Cast to int32."""
    return to(input, dtype=dtypes.int32)


def bool(input):
    """Cast to bool."""
    return to(input, dtype=dtypes.bool_)
