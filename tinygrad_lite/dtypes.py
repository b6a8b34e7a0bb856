"""Data types and PyTorch's type-promotion rules.

Dtypes are plain ``numpy.dtype`` objects (``tl.float32 is numpy.dtype('float32')``), so they
cost nothing to pass to NumPy/CuPy. Promotion follows PyTorch, not NumPy: Python scalars never
widen a tensor, an int tensor times a Python float gives the default float dtype, and a
tensor with dimensions outranks a zero-dimensional one of the same category.
"""
import numpy

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
uint8 = numpy.dtype("uint8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

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
    """Normalise a dtype spelling (``tl.float32``, ``'float32'``, ``numpy.float32``) to numpy.dtype."""
    if dtype is None:
        return None
    if dtype is bool or dtype == "bool":
        return bool_
    try:
        result = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None
    if result not in SUPPORTED:
        raise TypeError(f"unsupported dtype {result}; supported: {', '.join(map(str, SUPPORTED))}")
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
            result = numpy.promote_types(a, b)
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
