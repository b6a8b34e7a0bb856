"""Turning op arguments into Tensors of a common dtype, by PyTorch's promotion rules.

Python scalars stay Python scalars (so they never widen a float32 tensor, and CuPy never has to
upload them); NumPy scalars are turned into Python scalars first for the same reason.
"""
import math

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.tensor import Tensor


def python_scalar(value):
    """``value`` as a Python number if it is a Python/NumPy scalar, else None."""
    if isinstance(value, numpy.generic):  # numpy.float64 subclasses float but would upcast
        return value.item() if value.dtype.kind in "biuf" else None
    if isinstance(value, (int, float, bool)):
        return value
    return None


def as_tensor_like(value, reference, dtype=None):
    """``value`` as a Tensor on ``reference``'s device (Tensors pass through unchanged)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value, dtype=dtype, device=reference.device)


def cast(tensor, dtype):
    """``tensor`` converted to ``dtype`` (differentiable; no-op when already that dtype)."""
    if tensor.data.dtype == dtype:
        return tensor
    return tensor.to(dtype)


def promote_pair(a, b):
    """Two Tensors cast to their PyTorch result dtype."""
    dtype_a, dtype_b = a.data.dtype, b.data.dtype
    if dtype_a == dtype_b:
        return a, b
    dtype = dtypes.result_type((dtype_a, a.data.ndim), (dtype_b, b.data.ndim))
    return cast(a, dtype), cast(b, dtype)


def with_scalar(tensor, scalar):
    """``tensor`` cast so that ``tensor OP scalar`` has PyTorch's result dtype."""
    dtype = dtypes.result_type((tensor.data.dtype, tensor.data.ndim), scalar)
    return cast(tensor, dtype)


def fit_scalar(dtype, scalar):
    """An int ``scalar`` wrapped into integer ``dtype``'s range, as PyTorch wraps (uint8 - 2).

    NumPy would raise OverflowError for such a Python int instead of computing modulo 2**bits
    (and compare it mathematically, where PyTorch compares the wrapped value).
    """
    if dtype.kind in "iu" and type(scalar) is int:
        info = numpy.iinfo(dtype)
        if not info.min <= scalar <= info.max:
            return int(numpy.array(scalar, dtype=numpy.int64).astype(dtype))
    return scalar


def checked_scalar(value, dtype):
    """A Python-number argument (``alpha``, a clamp bound) converted to ``dtype`` as PyTorch does.

    RuntimeError where it does not fit (``int8`` and 300, ``float16`` and 1e6); like PyTorch, an
    unsigned dtype also takes negative ints down to ``-max``, wrapping them (uint8: -1 is 255).
    """
    if dtype.kind in "iu" and not isinstance(value, bool):
        info = numpy.iinfo(dtype)
        lowest = -int(info.max) if dtype.kind == "u" else int(info.min)
        if not lowest <= value <= info.max:
            raise RuntimeError(f"value {value} cannot be converted to type {dtype} without overflow")
        return fit_scalar(dtype, int(value))
    if dtype.kind == "f" and math.isfinite(value) and abs(value) > float(numpy.finfo(dtype).max):
        raise RuntimeError(f"value {value} cannot be converted to type {dtype} without overflow")
    return value


def stored_scalar(dtype, value, through_tensor=False):
    """A Python number as it is stored into a ``dtype`` tensor by fill_, setitem and masked_fill,
    with PyTorch's overflow rule: RuntimeError for a value the dtype can't hold (an int below
    -max into an unsigned type wraps no further; a finite float beyond float16's range), an int
    wrapped into an unsigned type from down to -max (uint8 takes -3 as 253). ``through_tensor``:
    setitem's path, where a float first becomes a float32 tensor and then saturates."""
    if dtype.kind == "b" or isinstance(value, bool):
        return value
    if dtype.kind == "f":
        # x[i] = v makes v a tensor first, whose cast to float16 saturates to inf instead.
        if not through_tensor and math.isfinite(value) and abs(value) > numpy.finfo(dtype).max:
            raise RuntimeError(f"value {value} cannot be converted to {dtype} without overflow")
        return value
    info = numpy.iinfo(dtype)
    lowest = -info.max if info.min == 0 and isinstance(value, int) else info.min
    if not (math.isfinite(value) and lowest <= value < info.max + 1):
        raise RuntimeError(f"value {value} cannot be converted to {dtype} without overflow")
    return fit_scalar(dtype, int(value))


def as_float(tensor):
    """``tensor`` as the default float dtype when it is an integer/bool tensor."""
    if tensor.data.dtype.kind == "f":
        return tensor
    return tensor.to(dtypes.get_default_dtype())
