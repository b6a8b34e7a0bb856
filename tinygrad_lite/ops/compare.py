"""Comparisons (no gradient) and selections (maximum, minimum, where, clamp) with broadcasting."""
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.operands import as_tensor_like, promote_pair, python_scalar, with_scalar
from tinygrad_lite.tensor import Tensor


class Compare(Function):
    """``a OP b`` for one of numpy's comparison ufuncs; the result is bool and carries no grad."""

    differentiable = False

    def forward(self, a, b=None, ufunc_name=None, scalar=None):
        ufunc = getattr(self.xp, ufunc_name)
        return ufunc(a, scalar if b is None else b)


def _compare(ufunc_name, reflected_name):
    def compare(input, other):
        if not isinstance(input, Tensor):
            return compare_with(other, input, reflected_name)
        return compare_with(input, other, ufunc_name)

    compare.__doc__ = f"Elementwise ``{ufunc_name}`` comparison returning a bool tensor (no grad)."
    return compare


def compare_with(tensor, other, ufunc_name):
    """Compare ``tensor`` with a tensor, array or Python scalar using ``xp.<ufunc_name>``."""
    scalar = python_scalar(other)
    if scalar is not None:
        return Compare.apply(tensor, ufunc_name=ufunc_name, scalar=scalar)
    return Compare.apply(*promote_pair(tensor, as_tensor_like(other, tensor)), ufunc_name=ufunc_name)


eq = _compare("equal", "equal")
ne = _compare("not_equal", "not_equal")
lt = _compare("less", "greater")
le = _compare("less_equal", "greater_equal")
gt = _compare("greater", "less")
ge = _compare("greater_equal", "less_equal")


class Predicate(Function):
    """An elementwise bool test such as ``isfinite``; carries no grad."""

    differentiable = False

    def forward(self, x, ufunc_name=None):
        return getattr(self.xp, ufunc_name)(x)


def isfinite(input):
    """True where the element is neither inf nor nan."""
    return Predicate.apply(input, ufunc_name="isfinite")


def isnan(input):
    """True where the element is nan."""
    return Predicate.apply(input, ufunc_name="isnan")


def isinf(input):
    """True where the element is +inf or -inf."""
    return Predicate.apply(input, ufunc_name="isinf")


class LogicalNot(Function):
    differentiable = False

    def forward(self, x):
        return self.xp.logical_not(x)


def logical_not(input):
    """Elementwise logical not (bool result)."""
    return LogicalNot.apply(input)


class Where(Function):
    """``condition ? a : b``; the condition is the first input and gets no gradient."""

    def forward(self, condition, a, b):
        self.condition = condition
        return self.xp.where(condition, a, b)

    def backward(self, grad_output):
        condition = self.constant(self.condition)
        _, needs_a, needs_b = self.needs_input_grad
        zero = self.constant(self.xp.zeros((), grad_output.dtype))
        grad_a = Where.apply(condition, grad_output, zero) if needs_a else None
        grad_b = Where.apply(condition, zero, grad_output) if needs_b else None
        return None, grad_a, grad_b


def where(condition, input, other):
    """Elements of ``input`` where ``condition`` is True, else of ``other`` (broadcasting)."""
    reference = next(v for v in (condition, input, other) if isinstance(v, Tensor))
    condition = as_tensor_like(condition, reference)
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    input, other = _selection_operands(input, other, reference)
    return Where.apply(condition, input, other)


def _selection_operands(input, other, reference):
    """Two operands as Tensors of their promoted dtype; a Python scalar takes the tensor's dtype."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input, device=reference.device)
    if not isinstance(input, Tensor):
        other = with_scalar(other, python_scalar(input))
        return Tensor(input, dtype=other.dtype, device=other.device), other
    if not isinstance(other, Tensor) and python_scalar(other) is not None:
        input = with_scalar(input, python_scalar(other))
        return input, Tensor(other, dtype=input.dtype, device=input.device)
    return promote_pair(input, as_tensor_like(other, input))


class Maximum(Function):
    saves_inputs = True

    def forward(self, a, b):
        return self.xp.maximum(a, b)

    def backward(self, grad_output):
        a, b = self.saved_inputs
        return _split_between(grad_output, a > b, a == b, self.needs_input_grad)


class Minimum(Function):
    saves_inputs = True

    def forward(self, a, b):
        return self.xp.minimum(a, b)

    def backward(self, grad_output):
        a, b = self.saved_inputs
        return _split_between(grad_output, a < b, a == b, self.needs_input_grad)


def _split_between(grad_output, first_wins, tie, needs):
    """Route the gradient to the selected input; ties share it half and half (PyTorch's rule)."""
    share_first = first_wins.to(grad_output.dtype) + tie.to(grad_output.dtype) * 0.5
    grad_a = grad_output * share_first if needs[0] else None
    grad_b = grad_output * (1.0 - share_first) if needs[1] else None
    return grad_a, grad_b


def maximum(input, other):
    """Elementwise maximum of two tensors (gradient split evenly on ties)."""
    return Maximum.apply(*_selection_operands(input, other, input))


def minimum(input, other):
    """Elementwise minimum of two tensors (gradient split evenly on ties)."""
    return Minimum.apply(*_selection_operands(input, other, input))


class Clamp(Function):
    saves_inputs = True

    def forward(self, x, low, high):
        self.low, self.high = low, high
        return self.xp.clip(x, low, high)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        inside = x.data >= self.low if self.low is not None else True
        if self.high is not None:
            inside = inside & (x.data <= self.high)
        if inside is True:
            return grad_output
        return grad_output * self.constant(inside.astype(grad_output.dtype))


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]`` (either may be None or a tensor); gradient 0 outside."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        # where(), not maximum/minimum: a value equal to a bound keeps its whole gradient
        # (PyTorch's rule for clamp), where maximum/minimum would split it half and half.
        result = input
        if min is not None:
            result = where(result < min, min, result)
        if max is not None:
            result = where(result > max, max, result)
        return result
    for bound in (min, max):
        if bound is not None:
            input = with_scalar(input, python_scalar(bound))
    low = None if min is None else python_scalar(min)
    high = None if max is None else python_scalar(max)
    return Clamp.apply(input, low=low, high=high)


clip = clamp


class Logical(Function):
    """Elementwise and/or/xor of bool (or integer bitwise) tensors; no gradient."""

    differentiable = False

    def forward(self, a, b=None, ufunc_name=None, scalar=None):
        return getattr(self.xp, ufunc_name)(a, scalar if b is None else b)


def _logical(ufunc_name):
    def combine(input, other):
        if not isinstance(input, Tensor):
            input, other = other, input
        if input.dtype.kind not in "biu":
            raise TypeError(f"{ufunc_name} is only defined for bool/integer tensors, got {input.dtype}")
        if isinstance(other, Tensor):
            return Logical.apply(*promote_pair(input, other), ufunc_name=ufunc_name)
        return Logical.apply(input, ufunc_name=ufunc_name, scalar=other)

    combine.__doc__ = f"Elementwise ``{ufunc_name}`` of bool/integer tensors (no grad)."
    return combine


bitwise_and = _logical("bitwise_and")
bitwise_or = _logical("bitwise_or")
bitwise_xor = _logical("bitwise_xor")


class BitwiseNot(Function):
    differentiable = False

    def forward(self, x):
        return self.xp.invert(x)


def invert(input):
    """``~x``: logical not for bool tensors, bitwise not for integers."""
    if input.dtype.kind not in "biu":
        raise TypeError(f"~ is only defined for bool/integer tensors, got {input.dtype}")
    return BitwiseNot.apply(input)
