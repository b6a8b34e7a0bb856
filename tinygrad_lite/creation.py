"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``eye``, ``arange``, ``rand``..."""
import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.backend import device as Device
from tinygrad_lite.backend import get_default_device, on_device, to_device_array
from tinygrad_lite.dims import shape_arguments
from tinygrad_lite import random as _random
from tinygrad_lite.tensor import Tensor


def _finish(array, device, requires_grad):
    tensor = Tensor._make(array, device, False, None)
    if requires_grad:
        tensor.requires_grad = True
    return tensor


def _target(device):
    return Device(device) if device is not None else get_default_device()


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor copied from ``data`` (lists, scalars, NumPy arrays, tensors)."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but returns ``data`` itself when it already matches dtype and device."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)) and (
        device is None or data.device == Device(device)
    ):
        return data
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A CPU tensor sharing memory with a NumPy array (its dtype kept)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    dtypes.as_dtype(array.dtype)
    return Tensor.from_array(array)


def _filled(sizes, value, dtype, device, requires_grad):
    shape = shape_arguments(sizes)
    if any(size < 0 for size in shape):
        raise RuntimeError(f"negative dimension in size {list(shape)}")
    target = _target(device)
    with on_device(target):
        return _finish(target.xp.full(shape, value, dtype=dtype), target, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size (float32 by default)."""
    return _filled(size, 0, _float_dtype(dtype), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of the given size (float32 by default)."""
    return _filled(size, 1, _float_dtype(dtype), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of the given size (here: zero-filled, for reproducibility)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value``; the dtype follows the value (int -> int64) unless given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.scalar_dtype(fill_value)
    return _filled((size,) if isinstance(size, int) else (tuple(size),), fill_value, dtype, device,
                   requires_grad)


def _like(input, dtype, device):
    return (dtypes.as_dtype(dtype) if dtype is not None else input.dtype,
            device if device is not None else input.device)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    """Zeros with ``input``'s shape, dtype and device."""
    dtype, device = _like(input, dtype, device)
    return _filled((input.shape,), 0, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    """Ones with ``input``'s shape, dtype and device."""
    dtype, device = _like(input, dtype, device)
    return _filled((input.shape,), 1, dtype, device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    """Zero-filled tensor with ``input``'s shape, dtype and device."""
    return zeros_like(input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere, with ``input``'s shape, dtype and device."""
    dtype, device = _like(input, dtype, device)
    return _filled((input.shape,), fill_value, dtype, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """An ``n x m`` identity matrix."""
    target = _target(device)
    with on_device(target):
        array = target.xp.eye(n, n if m is None else m, dtype=_float_dtype(dtype))
    return _finish(array, target, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """``[start, end)`` in steps; int64 when all of start/end/step are ints, else float32."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        integral = all(isinstance(v, (int, numpy.integer)) for v in values)
        dtype = dtypes.int64 if integral else dtypes.get_default_dtype()
    dtype = dtypes.as_dtype(dtype)
    target = _target(device)
    # Computed in float64 then cast, so float32 endpoints match PyTorch's element count.
    array = numpy.arange(*values, dtype=numpy.float64 if dtype.kind == "f" else None).astype(dtype)
    return _finish(to_device_array(array, target), target, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    target = _target(device)
    array = numpy.linspace(float(start), float(end), int(steps)).astype(_float_dtype(dtype))
    return _finish(to_device_array(array, target), target, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples on [0, 1)."""
    target = _target(device)
    dtype = _float_dtype(dtype)
    source = generator or _random.generator(target)
    with on_device(target):
        array = source.random(shape_arguments(size), dtype=dtype if dtype != dtypes.float16 else "float32")
        if dtype == dtypes.float16:
            # Rounding a float32 sample to half can give exactly 1.0: snap to the 2**-11 grid below it.
            array = target.xp.floor(array * 2048.0) / 2048.0
        return _finish(array.astype(dtype, copy=False), target, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples."""
    target = _target(device)
    dtype = _float_dtype(dtype)
    source = generator or _random.generator(target)
    with on_device(target):
        array = source.standard_normal(shape_arguments(size),
                                       dtype=dtype if dtype != dtypes.float16 else "float32")
        return _finish(array.astype(dtype, copy=False), target, requires_grad)


def randint(low=0, high=None, size=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform on ``[low, high)`` (int64 by default); ``randint(high, size)`` also works."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: pass size, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    target = _target(device)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    with on_device(target):
        array = _random.generator(target).integers(low, high, size=shape_arguments((size,)),
                                                   dtype=dtypes.int64)
        return _finish(array.astype(dtype, copy=False), target, requires_grad)


def randperm(n, dtype=None, device=None):
    """A random permutation of ``0..n-1`` (int64)."""
    target = _target(device)
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    with on_device(target):
        generator = _random.generator(target)
        if target.xp is numpy:
            array = generator.permutation(int(n))
        else:  # CuPy's Generator has no permutation: sort uniform keys (ties have probability ~0)
            array = target.xp.argsort(generator.random(int(n)))
        array = array.astype(dtype)
    return _finish(array, target, False)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    """Uniform samples with ``input``'s shape (and dtype/device unless given)."""
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    """Standard normal samples with ``input``'s shape (and dtype/device unless given)."""
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)
