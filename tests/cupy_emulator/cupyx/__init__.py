"""Emulated ``cupyx``: ``scatter_add`` / ``scatter_max`` / ``scatter_min`` with CuPy's dtype limits."""
import numpy

from cupy._core.core import is_basic_index, ndarray, operand, prepare_index, unsupported, unwrap

_ADD_DTYPES = (numpy.int32, numpy.float16, numpy.float32, numpy.float64, numpy.uint32, numpy.uint64)
_MINMAX_DTYPES = (numpy.int32, numpy.float32, numpy.float64, numpy.uint32, numpy.uint64)


def _is_mask(key):
    parts = key if isinstance(key, tuple) else (key,)
    arrays = [p for p in parts if isinstance(p, numpy.ndarray)]
    return len(arrays) == 1 and arrays[0].dtype == numpy.bool_


def _scatter(a, slices, value, ufunc, allowed, name):
    if not isinstance(a, ndarray):
        raise unsupported(a)
    basic = is_basic_index(slices)
    key = prepare_index(slices, a.shape)
    if basic:  # CuPy runs the plain ufunc in place: host arrays refused
        view = a._a[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
        ufunc(view, operand(value), out=view)
        return
    if not _is_mask(key) and not issubclass(a.dtype.type, allowed):
        raise TypeError(f"{name} only supports int32, float16, float32, float64, uint32, uint64 as data type")
    values = value._a if isinstance(value, ndarray) else numpy.asarray(unwrap(value, strict=False))
    ufunc.at(a._a, key, values.astype(a.dtype, copy=False))


def scatter_add(a, slices, value):
    """``a[slices] += value`` accumulating repeated indices (unbuffered)."""
    _scatter(a, slices, value, numpy.add, _ADD_DTYPES, "scatter_add")


def scatter_max(a, slices, value):
    """Elementwise maximum into ``a[slices]``."""
    _scatter(a, slices, value, numpy.maximum, _MINMAX_DTYPES, "scatter_max")


def scatter_min(a, slices, value):
    """Elementwise minimum into ``a[slices]``."""
    _scatter(a, slices, value, numpy.minimum, _MINMAX_DTYPES, "scatter_min")
