"""Module-level functions of the emulated ``cupy`` namespace (an explicit allow-list).

Every name here exists in CuPy 13. Each runs NumPy's function on the unwrapped arrays and wraps
array results (NumPy scalars become 0-d device arrays). Host ``numpy.ndarray`` arguments are
refused with ``TypeError`` except by the converters (``array``, ``asarray``, ``asanyarray``).
"""
import numpy

from cupy._core.core import _check_dtype, ndarray, unsupported, unwrap, wrap_array, wrap_result

ARRAY_FUNCTIONS = (
    # creation
    "empty", "empty_like", "eye", "full", "full_like", "identity", "ones", "ones_like", "zeros",
    "zeros_like", "arange", "linspace", "logspace", "meshgrid", "diag", "diagflat", "tri", "tril", "triu",
    "vander",
    # manipulation
    "copyto", "reshape", "ravel", "moveaxis", "rollaxis", "swapaxes", "transpose", "atleast_1d",
    "atleast_2d", "atleast_3d", "broadcast_arrays", "broadcast_to", "expand_dims", "squeeze",
    "column_stack", "concatenate", "dstack", "hstack", "stack", "vstack", "asfortranarray",
    "array_split", "split", "hsplit", "vsplit", "dsplit", "repeat", "tile", "unique", "flip", "fliplr",
    "flipud", "roll", "rot90", "append", "pad", "resize", "trim_zeros",
    # indexing
    "choose", "compress", "diagonal", "extract", "select", "place", "put",
    "putmask", "fill_diagonal", "nonzero", "flatnonzero", "argwhere", "where", "indices",
    "ix_", "ravel_multi_index", "unravel_index", "tril_indices", "triu_indices", "diag_indices",
    "tril_indices_from", "triu_indices_from", "diag_indices_from",
    # sorting / searching / counting
    "sort", "argsort", "lexsort", "partition", "argpartition", "searchsorted", "count_nonzero",
    "argmax", "argmin", "nanargmax", "nanargmin",
    # math / statistics / logic
    "sum", "prod", "cumsum", "cumprod", "nansum", "nanprod", "nancumsum", "nancumprod", "diff",
    "gradient", "cross", "amax", "amin", "max", "min", "nanmax", "nanmin", "ptp", "mean", "var", "std",
    "nanmean", "nanvar", "nanstd", "median", "nanmedian", "average", "percentile", "quantile",
    "histogram", "bincount", "digitize", "clip", "around", "round", "fix", "dot", "vdot", "inner",
    "outer", "tensordot", "einsum", "kron", "trace", "all", "any", "isclose", "allclose", "array_equal",
    "isin", "in1d", "convolve", "correlate", "interp", "sinc", "i0", "cov", "corrcoef", "nan_to_num",
    "real", "imag", "angle", "iscomplex", "isreal", "iscomplexobj", "isrealobj", "real_if_close",
    "packbits", "unpackbits",
)


def _proxy(name):
    target = getattr(numpy, name)

    def function(*args, **kwargs):
        result = target(*unwrap(args), **unwrap(kwargs))
        return wrap_result(result)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``cupy.{name}`` (emulated with ``numpy.{name}``)."
    return function


def _host_to_device(obj, dtype, copy, order, ndmin):
    host = numpy.array(unwrap(obj, strict=False), dtype=dtype, order=order, ndmin=ndmin, copy=True)
    _check_dtype(host.dtype)  # a host object is always transferred (copied), whatever ``copy`` says
    return wrap_array(host)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """Device array from a device array, a host array, a scalar or (nested) sequences."""
    if isinstance(obj, ndarray):
        if copy or copy is None and dtype is not None and numpy.dtype(dtype) != obj.dtype:
            return wrap_array(numpy.array(obj._a, dtype=dtype, order=order, ndmin=ndmin, copy=True))
        return wrap_array(numpy.array(obj._a, dtype=dtype, order=order, ndmin=ndmin, copy=None))
    return _host_to_device(obj, dtype, copy, order, ndmin)


def asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    """Like ``array(a, dtype, copy=None)``: no copy for a matching device array."""
    return array(a, dtype, copy=copy, order=order or "K")


asanyarray = asarray


def ascontiguousarray(a, dtype=None):
    """C-contiguous device array; CuPy's signature takes device arrays only."""
    if not isinstance(a, ndarray):
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy._core.core._ndarray_base, "
                        f"got {type(a).__name__})")
    return wrap_array(numpy.ascontiguousarray(a._a, dtype=dtype))


def copy(a, order="K"):
    """``a.copy(order)`` as CuPy writes it."""
    return a.copy(order=order)


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """Host copy of a device array; host inputs go through ``numpy.asarray``."""
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    """``cupy`` when any argument is a device array, else ``numpy``."""
    import cupy  # noqa: PLC0415

    return cupy if any(isinstance(arg, ndarray) for arg in args) else numpy


def _dtype_of(value):
    return value.dtype if isinstance(value, ndarray) else value


def result_type(*arrays_and_dtypes):
    """NumPy's promotion of the arguments' dtypes."""
    if any(isinstance(a, numpy.ndarray) for a in arrays_and_dtypes):
        raise unsupported(next(a for a in arrays_and_dtypes if isinstance(a, numpy.ndarray)))
    return numpy.result_type(*[_dtype_of(a) for a in arrays_and_dtypes])


def can_cast(from_, to, casting="safe"):
    """NumPy's ``can_cast`` on the dtype of a device array."""
    return numpy.can_cast(_dtype_of(from_), to, casting=casting)


def ndim(a):
    """Number of axes."""
    return a.ndim if isinstance(a, ndarray) else numpy.ndim(a)


def shape(a):
    """Shape tuple."""
    return a.shape if isinstance(a, ndarray) else numpy.shape(a)


def size(a, axis=None):
    """Number of elements (along ``axis``)."""
    if isinstance(a, ndarray):
        return a.size if axis is None else a.shape[axis]
    return numpy.size(a, axis)


def take(a, indices, axis=None, out=None):
    """``a.take``: out-of-range indices wrap around (CuPy's kernel), never raise."""
    if not isinstance(a, ndarray):
        raise unsupported(a)
    indices = indices._a if isinstance(indices, ndarray) else numpy.asarray(unwrap(indices, strict=False))
    return wrap_result(numpy.take(a._a, indices, axis=axis, mode="wrap"))


def take_along_axis(a, indices, axis):
    """CuPy's version: fancy indexing of ``a`` (so indices wrap, and host indices are converted)."""
    from cupy import arange  # noqa: PLC0415

    if indices.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    if axis is None:
        a, axis = a.ravel(), 0
    axis = axis % a.ndim
    if a.ndim != indices.ndim:
        raise ValueError("`indices` and `a` must have the same number of dimensions")
    fancy = [indices if i == axis else arange(n).reshape((1,) * i + (-1,) + (1,) * (a.ndim - i - 1))
             for i, n in enumerate(a.shape)]
    return a[tuple(fancy)]


def isscalar(element):
    """NumPy's ``isscalar`` (a device array is never a scalar)."""
    return numpy.isscalar(element)


FUNCTIONS = {name: _proxy(name) for name in ARRAY_FUNCTIONS if hasattr(numpy, name)}
FUNCTIONS.update(array=array, asarray=asarray, asanyarray=asanyarray, ascontiguousarray=ascontiguousarray,
                 copy=copy, asnumpy=asnumpy, get_array_module=get_array_module, result_type=result_type,
                 can_cast=can_cast, take=take, take_along_axis=take_along_axis, ndim=ndim, shape=shape, size=size, isscalar=isscalar)
