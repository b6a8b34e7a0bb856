"""Arithmetic: ``+ - * / ** // neg`` between tensors (broadcasting) and with Python scalars."""
import math

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.amp.autocast_mode import FLOAT32, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.operands import (as_float, as_tensor_like, cast, checked_scalar, fit_scalar,
                                        promote_pair, python_scalar, with_scalar)
from tinygrad_lite.ops.unary import widened
from tinygrad_lite.tensor import Tensor


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad_output):
        return grad_output, grad_output


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad_output):
        return grad_output, (-grad_output if self.needs_input_grad[1] else None)


class Mul(Function):
    saves_inputs = True

    @staticmethod
    def array_kernel(a, b):
        return a * b

    def forward(self, a, b):
        return a * b

    def backward(self, grad_output):
        a, b = self.saved_inputs
        needs_a, needs_b = self.needs_input_grad
        # Mul itself: the inputs already share a dtype, so no dispatch is needed.
        return (self.derivative(Mul, grad_output, b) if needs_a else None,
                self.derivative(Mul, grad_output, a) if needs_b else None)


class Div(Function):
    saves_inputs = True

    def forward(self, a, b):
        return a / b

    def backward(self, grad_output):
        a, b = self.saved_inputs
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_output / b if needs_a else None
        # (a / b) / b, not a / (b * b): as PyTorch, so b * b cannot overflow on its own
        grad_b = -grad_output * (a / b / b) if needs_b else None
        return grad_a, grad_b


class Pow(Function):
    saves_inputs = True
    saves_output = True

    def forward(self, a, b):
        if a.dtype.kind in "iu":
            return _integer_power(self.xp, a, b)
        return a ** b

    def backward(self, grad_output):
        from tinygrad_lite.ops.compare import where

        a, b = self.saved_inputs
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_b = None
        if needs_a:
            # PyTorch defines d(a**b)/da as 0 where b == 0, so 0**0 gives 0 rather than 0 * inf.
            grad_a = where(b == 0, 0.0, grad_output * b * a ** (b - 1))
        if needs_b:
            # d(a**b)/db = a**b * log(a), which PyTorch sets to 0 where a == 0 and b >= 0 (and
            # where a == 0, b < 0 it is +-inf * log(0)). PyTorch multiplies the gradient in,
            # so an infinite gradient still gives NaN at those zeros. The masks may broadcast a
            # against b, so where() (not masked_fill on a) combines them.
            xp = self.xp
            at_zero = self.constant(_zero_base_slope(xp, b.data, self.saved_output))
            safe_a = where(a == 0, 1.0, a)
            grad_b = grad_output * where(a == 0, at_zero, self.output() * safe_a.log())
        return grad_a, grad_b


def _zero_base_slope(xp, exponent, power=None):
    """d(0 ** b)/db as PyTorch defines it: 0 where b >= 0, else ``power * log(0)``: -inf, or +inf
    where ``power`` (the forward's ``(-0.0) ** b``) is -inf (NaN for a NaN exponent, whose power is
    NaN)."""
    at_negative = -math.inf if power is None else -xp.copysign(math.inf, power)
    slope = xp.where(exponent >= 0, 0.0, at_negative)
    return xp.where(xp.isnan(exponent), math.nan, slope).astype(exponent.dtype, copy=False)


def _integer_power(xp, base, exponent):
    """``base ** exponent`` for integers, as PyTorch computes it: a negative exponent gives 0,
    except for the bases 1 (1) and -1 (+1 or -1), where NumPy would raise."""
    power = xp.power(base, xp.maximum(exponent, 0))
    negative = exponent < 0
    if not bool(negative.any()):
        return power
    odd = exponent % 2 != 0
    unit = xp.where(base == 1, 1, xp.where(base == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, unit, power).astype(power.dtype, copy=False)


class AddScalar(Function):
    def forward(self, a, scalar):
        return a + scalar

    def backward(self, grad_output):
        return grad_output


class MulScalar(Function):
    """``a * scalar``; float16 is computed in float32 (PyTorch keeps the number in float32 there,
    so ``x * 1e-30`` of an inf is inf, not inf * 0)."""

    def forward(self, a, scalar):
        self.scalar = scalar
        return (widened(self.xp, a) * scalar).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        return grad_output * self.scalar


class DivScalar(Function):
    def forward(self, a, scalar):
        self.scalar = scalar
        return (widened(self.xp, a) / scalar).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        return grad_output / self.scalar


class RSubScalar(Function):
    """``scalar - a``."""

    def forward(self, a, scalar):
        return scalar - a

    def backward(self, grad_output):
        return -grad_output


class RDivScalar(Function):
    """``scalar / a``, computed as PyTorch does: ``a.reciprocal() * scalar``, so ``0 / 1e-40``
    is NaN (its reciprocal overflows) and ``1e-30 / 1e-40`` inf, as there."""

    saves_inputs = True

    def forward(self, a, scalar):
        self.scalar = scalar
        xp = self.xp
        reciprocal = xp.reciprocal(a)
        return (widened(xp, reciprocal) * scalar).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        (a,) = self.saved_inputs
        # PyTorch computes scalar / a as a.reciprocal() * scalar: its gradient is
        # -(grad * scalar) * (1/a)**2, which keeps its overflows (float16) where they happen.
        reciprocal = 1.0 / a
        return grad_output * -self.scalar * (reciprocal * reciprocal)


class PowScalar(Function):
    """``a ** exponent`` for a Python-number exponent."""

    saves_inputs = True

    def forward(self, a, exponent):
        self.exponent = exponent
        xp = self.xp
        if a.dtype.kind == "b":  # bool ** bool: x ** True is x, x ** False is all True
            return a.copy() if exponent else xp.ones_like(a)
        if exponent == 2:
            return a * a
        if a.dtype.kind == "f" and a.dtype != xp.float16 and exponent in (0.5, -0.5):
            # PyTorch computes these as sqrt and rsqrt: (-inf) ** 0.5 is NaN, not inf (its
            # float16 kernel calls pow, which gives inf)
            root = xp.sqrt(a)
            return root if exponent > 0 else 1 / root
        return xp.power(a, exponent)  # not ``a ** exponent``: NumPy takes ** 0.5 as a sqrt

    def backward(self, grad_output):
        (a,) = self.saved_inputs
        exponent = self.exponent
        # a fresh zero, as PyTorch: grad * 0 would turn inf into NaN (a False exponent goes
        # through the formula there, as here: 0 * x ** -1)
        if exponent == 0 and type(exponent) is not bool:
            return self.constant(self.xp.zeros(grad_output.shape, grad_output.dtype))
        if exponent == 2:
            return grad_output * a * 2.0
        return grad_output * exponent * a ** (exponent - 1)


class RPowScalar(Function):
    """``base ** a`` for a Python-number base."""

    saves_output = True

    def forward(self, a, base):
        xp = self.xp
        self.log_base = math.log(base) if base > 0 else (-math.inf if base == 0 else math.nan)
        if base == 0:
            self.zero_base_slope = _zero_base_slope(xp, a)
        if a.dtype.kind in "iu":
            return _integer_power(xp, xp.asarray(base, dtype=a.dtype), a)
        return base ** a

    def backward(self, grad_output):
        if self.log_base == -math.inf:
            return grad_output * self.constant(self.zero_base_slope)
        return grad_output * self.output() * self.log_base


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad_output):
        return -grad_output


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """Integer division by zero. PyTorch raises ``RuntimeError("ZeroDivisionError")``; this is
    both, so either ``except`` catches it."""


def _check_divisor(xp, a, b):
    """Refuse integer division by zero (floats give inf/nan instead), as PyTorch does."""
    if a.dtype.kind == "b":
        raise NotImplementedError("rounding division is not implemented for bool tensors")
    if a.dtype.kind in "iu" and a.size and b.size and bool((b == 0).any()):
        raise IntegerDivisionByZero(f"integer division by zero (dividend shape {list(a.shape)}, "
                                    f"divisor shape {list(b.shape)}, dtype {a.dtype})")


class FloorDivide(Function):
    differentiable = False

    def forward(self, a, b):
        _check_divisor(self.xp, a, b)
        return self.xp.floor_divide(a, b)


def _binary(a, b, tensor_op, scalar_op, reflected_scalar_op, result_float=False):
    """Dispatch ``a OP b`` to the tensor-tensor or tensor-scalar op after dtype promotion."""
    if type(a) is Tensor:  # fast paths: same-dtype tensors, float tensor with a Python float
        kind = a.data.dtype.kind
        if type(b) is Tensor:
            if a.data.dtype is b.data.dtype and (kind == "f" or not result_float):
                return tensor_op.apply(a, b)
        elif type(b) is float and kind == "f" and scalar_op is not None:
            return scalar_op.apply(a, scalar=b)
    if isinstance(a, Tensor):
        scalar = python_scalar(b)
        if scalar is not None:
            a = as_float(with_scalar(a, scalar)) if result_float else with_scalar(a, scalar)
            return scalar_op.apply(a, scalar=fit_scalar(a.data.dtype, scalar))
        b = as_tensor_like(b, a)
    else:
        scalar = python_scalar(a)
        if scalar is not None:
            b = as_float(with_scalar(b, scalar)) if result_float else with_scalar(b, scalar)
            return reflected_scalar_op.apply(b, scalar=fit_scalar(b.data.dtype, scalar))
        a = as_tensor_like(a, b)
    if result_float and dtypes.result_type(_operand_info(a), _operand_info(b)).kind != "f":
        # integers divide as floats converted from their own dtypes: uint8 / int8(-3) is
        # negative, which casting both to the common integer dtype (uint8) first would lose
        return tensor_op.apply(as_float(a), as_float(b))
    return tensor_op.apply(*promote_pair(a, b))


class _Reflected:
    """Adapter turning a commutative scalar op into its reflected form (``2 + x``)."""

    def __init__(self, op):
        self.op = op

    def apply(self, tensor, scalar):
        return self.op.apply(tensor, scalar=scalar)


_REFLECTED_ADD = _Reflected(AddScalar)
_REFLECTED_MUL = _Reflected(MulScalar)


def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    if not (type(alpha) is int and alpha == 1):
        other = _scaled(input, other, alpha)
    return _binary(input, other, Add, AddScalar, _REFLECTED_ADD)


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting (refused for bool operands, as in PyTorch)."""
    _check_no_bool_subtraction(input, other)
    if not (type(alpha) is int and alpha == 1):
        other = _scaled(input, other, alpha)
    if isinstance(input, Tensor) and python_scalar(other) is not None:
        return add(input, -other)
    return _binary(input, other, Sub, None, RSubScalar)


def rsub(input, other, alpha=1):
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


def _operand_info(value):
    """What ``dtypes.result_type`` needs to know of an operand: (dtype, ndim) or the scalar."""
    if isinstance(value, Tensor):
        return (value.data.dtype, value.data.ndim)
    scalar = python_scalar(value)
    if scalar is None:
        raise TypeError(f"unsupported operand type: {type(value).__name__}")
    return scalar


def _scaled(input, other, alpha):
    """``alpha * other`` in the dtype of ``input + other`` (alpha takes no part in promotion).

    ``alpha`` is checked as PyTorch checks it: a bool only for bool results, no float for
    integer results, and it must fit the result dtype.
    """
    dtype = dtypes.result_type(_operand_info(input), _operand_info(other))
    alpha = alpha.item() if isinstance(alpha, Tensor) else python_scalar(alpha)
    if alpha is None:
        raise TypeError("alpha must be a number")
    if isinstance(alpha, bool) and dtype.kind != "b":
        raise RuntimeError(f"Boolean alpha only supported for Boolean results, got {dtype}")
    if dtype.kind in "biu" and isinstance(alpha, float):
        raise RuntimeError(f"For integral input tensors, argument alpha must not be a floating "
                           f"point number (alpha={alpha}, result dtype {dtype})")
    if dtype.kind == "b":
        alpha = bool(alpha)
    else:
        alpha = checked_scalar(alpha, dtype)
    if isinstance(other, Tensor):
        return cast(other, dtype) * alpha
    other = python_scalar(other)
    if dtype.kind == "f":
        # PyTorch converts the number to the result dtype before scaling it: in float16, 1e30
        # is inf and alpha=0 then gives NaN, as there.
        with numpy.errstate(over="ignore"):
            other = float(numpy.asarray(other, dtype=dtype))
    scaled = other * alpha
    return bool(scaled) if dtype.kind == "b" else scaled


def _check_no_bool_subtraction(input, other):
    """PyTorch refuses ``-`` with a bool tensor (or a bool scalar), pointing to ``~`` and ``^``."""
    kinds = [value.data.dtype.kind if isinstance(value, Tensor) else
             ("b" if isinstance(python_scalar(value), bool) else "") for value in (input, other)]
    if kinds == ["b", "b"]:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if "b" in kinds:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def mul(input, other):
    """Elementwise product with broadcasting."""
    return _binary(input, other, Mul, MulScalar, _REFLECTED_MUL)


def div(input, other, rounding_mode=None):
    """True division (integers give floats); ``rounding_mode='floor'|'trunc'`` as in PyTorch.

    A rounded quotient is piecewise constant: like PyTorch, it stays in the graph with a zero
    gradient (``//`` and ``floor_divide`` carry none, a documented difference).
    """
    if rounding_mode is None:
        return _binary(input, other, Div, DivScalar, RDivScalar, result_float=True)
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    return _rounded_quotient(RoundedDivision, input, other, rounding_mode=rounding_mode)


class RoundedDivision(Function):
    """``div(a, b, rounding_mode='floor'|'trunc')``: its gradient is zero, as in PyTorch."""

    def forward(self, a, b, rounding_mode):
        xp = self.xp
        _check_divisor(xp, a, b)
        if rounding_mode == "floor":
            return xp.floor_divide(a, b)
        if a.dtype.kind in "iu":  # exact: a / b would go through float64 and lose large ints
            return (a - xp.fmod(a, b)) // b
        # The quotient is rounded to the dtype before truncating (float16 -1 / 0.04 is -25), as
        # PyTorch's vectorised kernel does; its one-element path truncates in float32 (-24).
        return xp.trunc(a / b).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        zero = self.constant(self.xp.zeros(grad_output.shape, grad_output.dtype))
        return zero, zero


def _rounded_quotient(op, input, other, **params):
    """``op`` (a rounded division) on both operands in their PyTorch result dtype.

    Scalars become 0-d tensors. A float16 tensor divided by a Python number is computed in
    float32 and rounded once, as PyTorch's kernels keep that number in float32 (``x // 1e-30``
    must not divide by a float16 zero); a number divided by a tensor is converted, as there.
    """
    reference = input if isinstance(input, Tensor) else other
    dtype = dtypes.result_type(_operand_info(input), _operand_info(other))
    number_divisor = isinstance(input, Tensor) and not isinstance(other, Tensor)
    work = dtypes.float32 if dtype == dtypes.float16 and number_divisor else dtype
    operands = [cast(v, work) if isinstance(v, Tensor) else
                Tensor(fit_scalar(work, python_scalar(v)), dtype=work, device=reference.device)
                for v in (input, other)]
    return cast(op.apply(*operands, **params), dtype)


def true_divide(input, other):
    """Alias of ``div`` without rounding."""
    return div(input, other)


def floor_divide(input, other):
    """``input // other`` rounded toward minus infinity (no gradient, as in PyTorch)."""
    return _rounded_quotient(FloorDivide, input, other)


def pow(input, exponent):
    """``input ** exponent`` (tensor or scalar on either side).

    Integers to negative integer tensor powers give 0 (1 and -1 for the bases 1 and -1), as in
    PyTorch; a negative Python int exponent on an integer tensor is refused, as there.
    """
    input, exponent = autocast_inputs(FLOAT32, input, exponent)
    if isinstance(input, Tensor):
        scalar = python_scalar(exponent)
        if scalar is not None:
            input = with_scalar(input, scalar)
            if input.data.dtype.kind in "iu" and scalar < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            checked_scalar(scalar, input.data.dtype)  # PyTorch refuses an exponent that overflows
            return PowScalar.apply(input, exponent=scalar)
        _check_pow_not_bool(input, exponent)
        return _binary(input, exponent, Pow, None, None)
    scalar = python_scalar(input)
    if scalar is not None:
        exponent = with_scalar(exponent, scalar)
        _check_pow_not_bool(exponent)
        return RPowScalar.apply(exponent, base=scalar)
    return _binary(input, exponent, Pow, None, None)


def _check_pow_not_bool(*tensors):
    """A tensor-valued exponent with a bool result is not implemented in PyTorch either."""
    info = [(t.data.dtype, t.data.ndim) if isinstance(t, Tensor) else python_scalar(t)
            for t in tensors]
    if dtypes.result_type(*info).kind == "b":
        raise NotImplementedError("pow is not implemented for bool tensor exponents with a bool "
                                  "result (as in PyTorch)")


def neg(input):
    """``-input`` (refused for bool tensors, as in PyTorch: use ``~``)."""
    if input.data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return Neg.apply(input)


negative = neg
multiply = mul
subtract = sub
divide = div
