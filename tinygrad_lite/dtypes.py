"""Data types and PyTorch's type-promotion rules.

A dtype is a ``tl.dtype``: it prints as PyTorch's do (``tl.float32``), compares equal to the
NumPy dtype it stands for (and to ``numpy.float32`` or ``'float32'``), hashes like it, and
carries it in ``.dtype``, which NumPy and CuPy read, so a ``tl.dtype`` goes wherever they take
a dtype. There is one object per type, so ``x.dtype is tl.float32`` holds. Promotion follows
PyTorch, not NumPy: Python scalars never widen a tensor, an int tensor times a Python float
gives the default float dtype, and a tensor with dimensions outranks a zero-dimensional one of
the same category.
"""
import numpy


class dtype:
    """A tensor element type (``tl.float32``, ``tl.int64``, ...): PyTorch's ``torch.dtype``."""

    __slots__ = ("dtype", "kind", "itemsize", "name")

    def __init__(self, numpy_dtype):
        #: the NumPy dtype this stands for (NumPy/CuPy accept any object with this attribute)
        self.dtype = numpy_dtype
        self.kind = numpy_dtype.kind
        self.itemsize = numpy_dtype.itemsize
        self.name = numpy_dtype.name

    @property
    def is_floating_point(self):
        """True for float16, float32 and float64, as ``torch.dtype.is_floating_point``."""
        return self.kind == "f"

    @property
    def is_complex(self):
        """Always False: tinygrad_lite has no complex dtypes."""
        return False

    @property
    def is_signed(self):
        """True for the floating and signed integer types, as ``torch.dtype.is_signed``."""
        return self.kind in "fi"

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, dtype):
            return False
        try:
            return self.dtype == numpy.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return "tl.bool" if self.kind == "b" else f"tl.{self.name}"

    __str__ = __repr__

    def __reduce__(self):
        return (as_public_dtype, (self.name,))

    def __getattr__(self, attribute):
        # Everything else a NumPy dtype offers (char, type, str, byteorder, ...) reads through.
        return getattr(object.__getattribute__(self, "dtype"), attribute)


_PUBLIC = {}


def as_public_dtype(value):
    """The ``tl.dtype`` for a NumPy dtype or any dtype spelling NumPy understands."""
    found = _PUBLIC.get(value)
    if found is None:
        numpy_dtype = numpy.dtype(value)
        found = _PUBLIC.get(numpy_dtype)
        if found is None:
            found = _PUBLIC[numpy_dtype] = dtype(numpy_dtype)
    return found


float16 = as_public_dtype("float16")
float32 = as_public_dtype("float32")
float64 = as_public_dtype("float64")
int8 = as_public_dtype("int8")
uint8 = as_public_dtype("uint8")
int16 = as_public_dtype("int16")
int32 = as_public_dtype("int32")
int64 = as_public_dtype("int64")
bool_ = as_public_dtype("bool")

_state = {"default_float": float32}
SUPPORTED = (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)
_CATEGORY_BOOL, _CATEGORY_INT, _CATEGORY_FLOAT = 0, 1, 2


def get_default_dtype():
    """The floating dtype used for Python floats and new float tensors (float32 by default)."""
    return _state["default_float"]


def set_default_dtype(dtype):
    """Set the default floating dtype (float32 or float64, as PyTorch allows)."""
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"default dtype must be a floating type, got {dtype}")
    _state["default_float"] = dtype


def as_dtype(dtype):
    """Normalise a dtype spelling (``tl.float32``, ``'float32'``, ``numpy.float32``) to a ``tl.dtype``."""
    if dtype is None:
        return None
    if dtype is bool or dtype == "bool":
        return bool_
    try:
        result = as_public_dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None
    if result not in SUPPORTED:
        raise TypeError(f"unsupported dtype {result.name}; supported: "
                        f"{', '.join(map(str, SUPPORTED))}")
    return result


def category(dtype):
    """0 for bool, 1 for integers, 2 for floating types."""
    kind = dtype.kind
    return _CATEGORY_FLOAT if kind == "f" else _CATEGORY_BOOL if kind == "b" else _CATEGORY_INT


def is_floating(dtype):
    """True for float16/32/64: the dtypes that can carry gradients."""
    return dtype.kind == "f"


_promote_cache = {}


def promote_types(a, b):
    """PyTorch's ``promote_types``: same category -> the wider one; else the higher category."""
    key = (a, b)
    result = _promote_cache.get(key)
    if result is None:
        cat_a, cat_b = category(a), category(b)
        if cat_a == cat_b:
            result = as_public_dtype(numpy.promote_types(a, b))
        else:
            result = a if cat_a > cat_b else b
        _promote_cache[key] = result
    return result


def scalar_dtype(value):
    """The dtype PyTorch gives a Python scalar taking part in an op."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, (numpy.integer, numpy.floating, numpy.bool_)):
        value = value.item()
        return scalar_dtype(value)
    if isinstance(value, int):
        return int64
    return _state["default_float"]


def _combine(higher, lower):
    """PyTorch's combine_categories: how a lower-priority group may still widen the category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if category(higher) == _CATEGORY_FLOAT:
        return higher
    if higher == bool_ or category(lower) == _CATEGORY_FLOAT:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """Result dtype of an elementwise op over tensors and Python scalars, by PyTorch's rules.

    Each operand is ``(dtype, ndim)`` for a tensor or a Python scalar.
    """
    dim_result = zero_result = scalar_result = None
    for operand in operands:
        if isinstance(operand, tuple):
            dtype, ndim = operand
            if ndim > 0:
                dim_result = dtype if dim_result is None else promote_types(dim_result, dtype)
            else:
                zero_result = dtype if zero_result is None else promote_types(zero_result, dtype)
        else:
            dtype = scalar_dtype(operand)
            scalar_result = dtype if scalar_result is None else promote_types(scalar_result, dtype)
    return _combine(dim_result, _combine(zero_result, scalar_result))
