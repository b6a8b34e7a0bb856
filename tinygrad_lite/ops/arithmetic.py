"""Arithmetic: ``+ - * / ** // neg`` between tensors (broadcasting) and with Python scalars."""
import math

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.operands import (as_float, as_tensor_like, cast, fit_scalar, promote_pair,
                                        python_scalar, with_scalar)
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

    def forward(self, a, b):
        return a * b

    def backward(self, grad_output):
        a, b = self.saved_inputs
        needs_a, needs_b = self.needs_input_grad
        # Mul.apply directly: the inputs already share a dtype, so no dispatch is needed.
        return (Mul.apply(grad_output, b) if needs_a else None,
                Mul.apply(grad_output, a) if needs_b else None)


class Div(Function):
    saves_inputs = True

    def forward(self, a, b):
        return a / b

    def backward(self, grad_output):
        a, b = self.saved_inputs
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_output / b if needs_a else None
        grad_b = -grad_output * a / (b * b) if needs_b else None
        return grad_a, grad_b


class Pow(Function):
    saves_inputs = True
    saves_output = True

    def forward(self, a, b):
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
            # d(a**b)/db = a**b * log(a); PyTorch defines it as 0 where a == 0 and b >= 0.
            # The masks may broadcast a against b, so where() (not masked_fill on a) combines them.
            defined_zero = (a == 0) & (b >= 0)
            safe_a = where(a == 0, 1.0, a)
            grad_b = where(defined_zero, 0.0, grad_output * self.output() * safe_a.log())
        return grad_a, grad_b


class AddScalar(Function):
    def forward(self, a, scalar):
        return a + scalar

    def backward(self, grad_output):
        return grad_output


class MulScalar(Function):
    def forward(self, a, scalar):
        self.scalar = scalar
        return a * scalar

    def backward(self, grad_output):
        return grad_output * self.scalar


class DivScalar(Function):
    def forward(self, a, scalar):
        self.scalar = scalar
        return a / scalar

    def backward(self, grad_output):
        return grad_output / self.scalar


class RSubScalar(Function):
    """``scalar - a``."""

    def forward(self, a, scalar):
        return scalar - a

    def backward(self, grad_output):
        return -grad_output


class RDivScalar(Function):
    """``scalar / a``."""

    saves_inputs = True

    def forward(self, a, scalar):
        self.scalar = scalar
        return scalar / a

    def backward(self, grad_output):
        (a,) = self.saved_inputs
        return -grad_output * self.scalar / (a * a)


class PowScalar(Function):
    """``a ** exponent`` for a Python-number exponent."""

    saves_inputs = True

    def forward(self, a, exponent):
        self.exponent = exponent
        if exponent == 2:
            return a * a
        return a ** exponent

    def backward(self, grad_output):
        (a,) = self.saved_inputs
        exponent = self.exponent
        if exponent == 0:
            return grad_output * 0.0
        if exponent == 2:
            return grad_output * a * 2.0
        return grad_output * exponent * a ** (exponent - 1)


class RPowScalar(Function):
    """``base ** a`` for a Python-number base."""

    saves_output = True

    def forward(self, a, base):
        self.log_base = math.log(base) if base > 0 else (float("-inf") if base == 0 else float("nan"))
        return base ** a

    def backward(self, grad_output):
        return grad_output * self.output() * self.log_base


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad_output):
        return -grad_output


class FloorDivide(Function):
    differentiable = False

    def forward(self, a, b):
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
            a = with_scalar(a, scalar)
            return scalar_op.apply(as_float(a) if result_float else a, scalar=fit_scalar(a, scalar))
        b = as_tensor_like(b, a)
    else:
        scalar = python_scalar(a)
        if scalar is not None:
            b = with_scalar(b, scalar)
            return reflected_scalar_op.apply(as_float(b) if result_float else b,
                                             scalar=fit_scalar(b, scalar))
        a = as_tensor_like(a, b)
    a, b = promote_pair(a, b)
    if result_float:
        a, b = as_float(a), as_float(b)
    return tensor_op.apply(a, b)


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
    if alpha != 1:
        other = other * alpha  # a Python scalar stays a Python scalar
    return _binary(input, other, Add, AddScalar, _REFLECTED_ADD)


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    if alpha != 1:
        other = other * alpha  # a Python scalar stays a Python scalar
    if isinstance(input, Tensor) and python_scalar(other) is not None:
        return add(input, -other)
    return _binary(input, other, Sub, None, RSubScalar)


def rsub(input, other, alpha=1):
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


def mul(input, other):
    """Elementwise product with broadcasting."""
    return _binary(input, other, Mul, MulScalar, _REFLECTED_MUL)


def div(input, other, rounding_mode=None):
    """True division (integers give floats); ``rounding_mode='floor'|'trunc'`` as in PyTorch."""
    if rounding_mode is None:
        return _binary(input, other, Div, DivScalar, RDivScalar, result_float=True)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = _same_dtype_operands(input, other)
        return Trunc.apply(a, b)
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


class Trunc(Function):
    """Division rounded toward zero (no gradient, as in PyTorch)."""

    differentiable = False

    def forward(self, a, b):
        quotient = self.xp.trunc(a / b)
        return quotient.astype(a.dtype, copy=False)


def _same_dtype_operands(input, other):
    """Both operands as Tensors of their PyTorch result dtype (scalars become 0-d tensors)."""
    reference = input if isinstance(input, Tensor) else other
    info = [(v.dtype, v.ndim) if isinstance(v, Tensor) else python_scalar(v) for v in (input, other)]
    dtype = dtypes.result_type(*info)
    return tuple(
        cast(v, dtype) if isinstance(v, Tensor) else Tensor(v, dtype=dtype, device=reference.device)
        for v in (input, other)
    )


def true_divide(input, other):
    """Alias of ``div`` without rounding."""
    return div(input, other)


def floor_divide(input, other):
    """``input // other`` rounded toward minus infinity (no gradient, as in PyTorch)."""
    return FloorDivide.apply(*_same_dtype_operands(input, other))


def pow(input, exponent):
    """``input ** exponent`` (tensor or scalar on either side)."""
    if isinstance(input, Tensor):
        scalar = python_scalar(exponent)
        if scalar is not None:
            return PowScalar.apply(with_scalar(input, scalar), exponent=scalar)
        return _binary(input, exponent, Pow, None, None)
    scalar = python_scalar(input)
    if scalar is not None:
        return RPowScalar.apply(with_scalar(exponent, scalar), base=scalar)
    return _binary(input, exponent, Pow, None, None)


def neg(input):
    """``-input``."""
    return Neg.apply(input)


negative = neg
multiply = mul
subtract = sub
divide = div
