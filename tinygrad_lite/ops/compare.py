"""Comparisons (no gradient) and selections (maximum, minimum, where, clamp) with broadcasting."""
from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function, with_version_checks
from tinygrad_lite.ops.operands import (as_tensor_like, cast, checked_scalar, fit_scalar,
                                        promote_pair, python_scalar, with_scalar)
from tinygrad_lite.tensor import Tensor


class Compare(Function):
    """``a OP b`` for one of numpy's comparison ufuncs; the result is bool and carries no grad."""

    differentiable = False

    def forward(self, a, b=None, ufunc_name=None, scalar=None):
        ufunc = getattr(self.xp, ufunc_name)
        return ufunc(a, scalar if b is None else b)


def _compare(name, symbol, ufunc_name, reflected_name):
    """The public comparison ``name`` (``tl.eq``...): ``xp.<ufunc_name>``, swapped when reflected."""
    def compare(input, other):
        if not isinstance(input, Tensor):
            return compare_with(other, input, reflected_name)
        return compare_with(input, other, ufunc_name)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"Elementwise ``input {symbol} other`` (broadcasting) as a bool tensor; no grad."
    return compare


def compare_with(tensor, other, ufunc_name):
    """Compare ``tensor`` with a tensor, array or Python scalar using ``xp.<ufunc_name>``."""
    scalar = python_scalar(other)
    if scalar is not None:  # an out-of-range int is wrapped first, as PyTorch does
        return Compare.apply(tensor, ufunc_name=ufunc_name, scalar=fit_scalar(tensor.dtype, scalar))
    return Compare.apply(*promote_pair(tensor, as_tensor_like(other, tensor)), ufunc_name=ufunc_name)


eq = _compare("eq", "==", "equal", "equal")
ne = _compare("ne", "!=", "not_equal", "not_equal")
lt = _compare("lt", "<", "less", "greater")
le = _compare("le", "<=", "less_equal", "greater_equal")
gt = _compare("gt", ">", "greater", "less")
ge = _compare("ge", ">=", "greater_equal", "less_equal")


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
        _, needs_a, needs_b = self.needs_input_grad
        grad_a = self.derivative(KeepWhere, grad_output, keep=self.condition) if needs_a else None
        grad_b = self.derivative(KeepWhere, grad_output, keep=~self.condition) if needs_b else None
        return None, grad_a, grad_b


class KeepWhere(Function):
    """``x`` where the bool array ``keep`` is True and exactly 0 elsewhere (``keep`` is a constant).

    This is how masked backwards (relu, clamp, maximum...) select their gradient, as PyTorch
    does: an infinite or NaN gradient where ``keep`` is False still gives 0. Multiplying by the
    mask is several times faster than ``where`` on NumPy and gives the same values while the
    gradient is finite, so it is used then.
    """

    def forward(self, x, keep):
        self.keep = keep
        xp = self.xp
        if xp.__name__ == "numpy" and bool(xp.isfinite(x).all()):
            return x * keep
        return xp.where(keep, x, xp.zeros((), x.dtype))

    def backward(self, grad_output):
        return self.derivative(KeepWhere, grad_output, keep=self.keep)


def where(condition, input, other):
    """Elements of ``input`` where ``condition`` is True, else of ``other`` (broadcasting)."""
    reference = next(v for v in (condition, input, other) if isinstance(v, Tensor))
    condition = as_tensor_like(condition, reference)
    if condition.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype}")
    input, other = _selection_operands(input, other, reference)
    return with_version_checks(Where.apply(condition, input, other), condition)


def _scalar_like(value, tensor):
    """Python number ``value`` as a 0-d tensor of ``tensor``'s dtype, converted as PyTorch does:
    uint8 takes -1 as 255 and an int the dtype cannot hold raises; floats may round to inf."""
    value = python_scalar(value)
    if tensor.dtype.kind in "iu":
        value = checked_scalar(value, tensor.dtype)
    return Tensor(value, dtype=tensor.dtype, device=tensor.device)


def _selection_operands(input, other, reference):
    """Two operands as Tensors of their promoted dtype; a Python scalar takes the tensor's dtype."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input, device=reference.device)
    if not isinstance(input, Tensor):
        other = with_scalar(other, python_scalar(input))
        return _scalar_like(input, other), other
    if not isinstance(other, Tensor) and python_scalar(other) is not None:
        input = with_scalar(input, python_scalar(other))
        return input, _scalar_like(other, input)
    return promote_pair(input, as_tensor_like(other, input))


class Maximum(Function):
    saves_inputs = True

    def forward(self, a, b):
        return self.xp.maximum(b, a)  # NumPy returns its 2nd argument on ties, PyTorch the 1st (+-0)

    def backward(self, grad_output):
        a, b = self.saved_inputs
        return _split_between(self, grad_output, ~(a.data < b.data), ~(a.data > b.data))


class Minimum(Function):
    saves_inputs = True

    def forward(self, a, b):
        return self.xp.minimum(b, a)  # NumPy returns its 2nd argument on ties, PyTorch the 1st (+-0)

    def backward(self, grad_output):
        a, b = self.saved_inputs
        return _split_between(self, grad_output, ~(a.data > b.data), ~(a.data < b.data))


def _split_between(node, grad_output, first_keeps, second_keeps):
    """PyTorch's rule: ties split the gradient half and half, a losing input gets exactly 0.

    The loser's zero is selected, not multiplied in, so an infinite gradient stays finite there;
    where a NaN is involved neither input loses and both get the gradient, as in PyTorch.
    """
    a, b = node.saved_inputs
    xp = node.xp
    tie = a.data == b.data
    if bool(tie.any()):
        grad_output = grad_output * node.constant(xp.where(tie, 0.5, 1.0).astype(grad_output.dtype))
    needs_a, needs_b = node.needs_input_grad
    grad_a = KeepWhere.apply(grad_output, keep=first_keeps) if needs_a else None
    grad_b = KeepWhere.apply(grad_output, keep=second_keeps) if needs_b else None
    return grad_a, grad_b


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN propagates; gradient split evenly on ties)."""
    _check_tensors("maximum", input, other)
    return Maximum.apply(*_selection_operands(input, other, input))


def minimum(input, other):
    """Elementwise minimum of two tensors (NaN propagates; gradient split evenly on ties)."""
    _check_tensors("minimum", input, other)
    return Minimum.apply(*_selection_operands(input, other, input))


def _check_tensors(name, input, other):
    """PyTorch's maximum/minimum take two tensors (a number is a TypeError there)."""
    for position, value in enumerate((input, other)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument {position + 1} must be a Tensor, not "
                            f"{type(value).__name__}; use clamp() for a number")


class Clamp(Function):
    """``x`` limited to Python-number bounds; the gradient is selected where ``low <= x <= high``."""

    saves_inputs = True

    def forward(self, x, low, high):
        self.low, self.high = low, high
        return _clip(self.xp, x, low, high)

    def backward(self, grad_output):
        x = self.saved_inputs[0].data
        inside = None  # NaN compares False: no gradient there, as in PyTorch
        if self.low is not None:
            inside = x >= self.low
        if self.high is not None:
            inside = x <= self.high if inside is None else inside & (x <= self.high)
        return self.derivative(KeepWhere, grad_output, keep=inside)


def _clip(xp, x, low, high):
    """``x`` limited to ``[low, high]`` (either may be None), keeping ``x`` itself on a tie as
    PyTorch does (``clamp(0.0, min=-0.0)`` is 0.0): NumPy's maximum returns its 2nd argument on
    ties. A NaN in ``x`` or a bound gives NaN."""
    if low is not None:
        x = xp.maximum(low, x)
    return x if high is None else xp.minimum(high, x)


class ClampTensor(Function):
    """``minimum(maximum(x, low), high)`` for tensor bounds: a NaN anywhere gives NaN.

    Each input's gradient is selected by PyTorch's masks: ``x`` where it lies within the bounds,
    ``low`` where ``x < low < high``, ``high`` where ``x > high`` or ``high < low``.
    """

    def forward(self, x, *bounds, has_low, has_high):
        xp = self.xp
        low = bounds[0] if has_low else None
        high = bounds[-1] if has_high else None
        if low is not None and high is not None:
            self.masks = ((x >= low) & (x <= high), (x < low) & (low < high),
                          (x > high) | (high < low))
        elif low is not None:
            self.masks = (x >= low, x < low)
        else:
            self.masks = (x <= high, x > high)
        return _clip(xp, x, low, high)

    def backward(self, grad_output):
        return tuple(self.derivative(KeepWhere, grad_output, keep=mask) if needed else None
                     for mask, needed in zip(self.masks, self.needs_input_grad))


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]`` (numbers, or tensors that broadcast); gradient 0 outside.

    NaN in the input or in a tensor bound gives NaN. With ``min > max`` every value is ``max``.
    """
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    bounds = [bound for bound in (min, max) if bound is not None]
    tensor_bounds = [bound for bound in bounds if isinstance(bound, Tensor)]
    if tensor_bounds:
        if len(tensor_bounds) != len(bounds):
            raise TypeError("clamp(): min and max must both be tensors or both numbers, got "
                            f"{type(min).__name__} and {type(max).__name__}")
        operands = [(tensor.dtype, tensor.ndim) for tensor in [input] + bounds]
        dtype = dtypes.result_type(*operands)
        tensors = [cast(tensor, dtype) for tensor in [input] + bounds]
        return ClampTensor.apply(*tensors, has_low=min is not None, has_high=max is not None)
    for bound in bounds:
        input = with_scalar(input, python_scalar(bound))
    if input.dtype.kind == "b":
        raise NotImplementedError("clamp: not implemented for bool tensors with number bounds "
                                  "(as in PyTorch)")
    low, high = (None if bound is None else python_scalar(bound) for bound in (min, max))
    # A NaN bound makes every value NaN: PyTorch then checks neither bound against the dtype.
    if not any(bound != bound for bound in (low, high) if bound is not None):
        low, high = (None if bound is None else checked_scalar(bound, input.dtype)
                     for bound in (low, high))
    return Clamp.apply(input, low=low, high=high)


clip = clamp


class Logical(Function):
    """Elementwise and/or/xor of bool (or integer bitwise) tensors; no gradient."""

    differentiable = False

    def forward(self, a, b=None, ufunc_name=None, scalar=None):
        return getattr(self.xp, ufunc_name)(a, scalar if b is None else b)


def _logical(ufunc_name, symbol):
    """The public ``tl.<ufunc_name>`` of bool/integer tensors (logical for bool)."""
    def combine(input, other):
        if not isinstance(input, Tensor):
            input, other = other, input
        if isinstance(other, Tensor):
            input, other = promote_pair(input, other)
            _check_bitwise_dtype(ufunc_name, input.dtype)
            return Logical.apply(input, other, ufunc_name=ufunc_name)
        _check_bitwise_dtype(ufunc_name, dtypes.result_type((input.dtype, input.ndim), other))
        return Logical.apply(input, ufunc_name=ufunc_name, scalar=fit_scalar(input.dtype, other))

    combine.__name__ = combine.__qualname__ = ufunc_name
    combine.__doc__ = f"Elementwise ``input {symbol} other`` of bool/integer tensors; no grad."
    return combine


bitwise_and = _logical("bitwise_and", "&")
bitwise_or = _logical("bitwise_or", "|")
bitwise_xor = _logical("bitwise_xor", "^")


def _check_bitwise_dtype(name, dtype):
    """PyTorch has no bitwise kernel for floats (also when an operand promotes to float)."""
    if dtype.kind == "f":
        raise NotImplementedError(f"{name} is not implemented for {dtype} (as in PyTorch); it "
                                  "takes bool/integer tensors")


class BitwiseNot(Function):
    differentiable = False

    def forward(self, x):
        return self.xp.invert(x)


def invert(input):
    """``~x``: logical not for bool tensors, bitwise not for integers."""
    if input.dtype.kind not in "biu":
        raise TypeError(f"~ is only defined for bool/integer tensors, got {input.dtype}")
    return BitwiseNot.apply(input)
