"""Emulated ``cupy.ufunc`` objects: NumPy's ufuncs behind CuPy's operand rules.

Operands must be device arrays or scalars (Python or NumPy scalars); host ``numpy.ndarray``
operands (0-d included), lists and other objects raise ``TypeError: Unsupported type ...`` as
CuPy's kernel argument check does. ``out=`` must be a device array.
"""
import numpy

from cupy._core.core import ndarray, operand, unsupported, wrap_result

# Ufunc methods CuPy implements, and for which ufuncs (others raise NotImplementedError).
_REDUCIBLE = {"add", "multiply", "maximum", "minimum", "logical_and", "logical_or", "logical_xor",
              "bitwise_and", "bitwise_or", "bitwise_xor", "fmax", "fmin"}
_AT = {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"}
_REDUCEAT = {"add"}


def _out(kwargs):
    out = kwargs.get("out")
    if out is None:
        return kwargs, None
    if isinstance(out, tuple):
        out = out[0] if len(out) == 1 else out
    if not isinstance(out, ndarray):
        raise TypeError(f"Output arguments must be cupy.ndarray, got {type(out)}")
    return {**kwargs, "out": out._a}, out


def _finish(result, out):
    if out is not None:
        return out
    return wrap_result(result)


def _array_operand(value):
    if not isinstance(value, ndarray):
        raise unsupported(value)
    return value._a


class ufunc:
    """A CuPy universal function (emulated by the NumPy ufunc of the same name)."""

    def __init__(self, name, numpy_ufunc=None):
        self._np = numpy_ufunc if numpy_ufunc is not None else getattr(numpy, name)
        self.name = self.__name__ = name
        self.nin, self.nout, self.nargs = self._np.nin, self._np.nout, self._np.nargs

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, **kwargs):
        """Apply elementwise; operands must be device arrays or scalars."""
        inputs = [operand(a) for a in args[:self.nin]]
        outputs = [_array_operand(a) for a in args[self.nin:]]
        kwargs, out = _out(kwargs)
        if outputs:
            kwargs["out"] = tuple(outputs) if len(outputs) > 1 else outputs[0]
            out = args[self.nin] if len(outputs) == 1 else None
        return _finish(self._np(*inputs, **kwargs), out)

    def _require(self, method, allowed):
        if self.name not in allowed:
            raise NotImplementedError(f"cupy.{self.name}.{method} is not supported (emulator allow-list)")

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        """Reduce along ``axis`` (only the reducible ufuncs)."""
        self._require("reduce", _REDUCIBLE)
        kwargs, out = _out({"out": out})
        return _finish(self._np.reduce(_array_operand(array), axis=axis, dtype=dtype, keepdims=keepdims,
                                       **kwargs), out)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        """Running reduction along ``axis``."""
        self._require("accumulate", _REDUCIBLE)
        kwargs, out = _out({"out": out})
        return _finish(self._np.accumulate(_array_operand(array), axis=axis, dtype=dtype, **kwargs), out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        """Reduce over slices (only ``add``)."""
        self._require("reduceat", _REDUCEAT)
        kwargs, out = _out({"out": out})
        result = self._np.reduceat(_array_operand(array), _array_operand(indices), axis=axis, dtype=dtype,
                                   **kwargs)
        return _finish(result, out)

    def outer(self, a, b, **kwargs):
        """All pairs of elements."""
        return wrap_result(self._np.outer(_array_operand(a), _array_operand(b), **kwargs))

    def at(self, a, indices, b=None):
        """Unbuffered in-place operation at ``indices`` (add/subtract/max/min/bitwise)."""
        self._require("at", _AT)
        from cupy._core.core import prepare_index  # noqa: PLC0415

        target = _array_operand(a)
        value = () if b is None else (operand(b),)
        self._np.at(target, prepare_index(indices), *value)


UFUNC_NAMES = (
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "negative", "positive",
    "power", "float_power", "remainder", "mod", "fmod", "absolute", "fabs", "rint", "sign", "heaviside",
    "conj", "conjugate", "exp", "exp2", "log", "log2", "log10", "expm1", "log1p", "sqrt", "square",
    "cbrt", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinh",
    "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "degrees", "radians",
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "bitwise_not", "left_shift", "right_shift",
    "greater", "greater_equal", "less", "less_equal", "not_equal", "equal", "logical_and", "logical_or",
    "logical_xor", "logical_not", "maximum", "minimum", "fmax", "fmin", "isfinite", "isinf", "isnan",
    "signbit", "copysign", "nextafter", "modf", "ldexp", "frexp", "floor", "ceil", "trunc", "logaddexp",
    "logaddexp2", "gcd", "lcm", "divmod", "spacing",
)

for _name in UFUNC_NAMES:
    globals()[_name] = ufunc(_name)
abs = absolute  # noqa: A001,F821 - CuPy's alias


class _MatMul(ufunc):
    """``cupy.matmul``: a generalized ufunc; scalar operands are refused."""

    def __init__(self):
        super().__init__("matmul")

    def __call__(self, a, b, out=None, **kwargs):
        kwargs, out = _out({**kwargs, "out": out})
        return _finish(numpy.matmul(_array_operand(a), _array_operand(b), **kwargs), out)


matmul = _MatMul()
