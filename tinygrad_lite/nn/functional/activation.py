"""Activation functions: relu, leaky_relu, gelu, silu, elu, selu, softplus, mish, hardtanh, ...

All are elementwise (shape in = shape out) except softmax/log_softmax, which normalise along a dim.
Most are compositions of Tensor ops, so their gradients (and gradients of gradients) come from
the ops they are made of. ``inplace=True`` computes out of place and then writes the result into
the input's memory with PyTorch's in-place rules (ops/inplace.py).
"""
import math
import warnings

import numpy

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.nn.functional.normal_cdf import gelu_and_slope
from tinygrad_lite.ops import softmax as _softmax_ops
from tinygrad_lite.ops.compare import KeepWhere, where
from tinygrad_lite.ops.inplace import apply_inplace
from tinygrad_lite.ops.operands import checked_scalar
from tinygrad_lite.ops.unary import sigmoid_array, widened

__all__ = ["relu", "relu6", "leaky_relu", "hardtanh", "gelu", "silu", "elu", "selu", "celu",
           "softplus", "mish", "sigmoid", "tanh", "logsigmoid", "softmax", "log_softmax"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_BETA, _TANH_KAPPA = math.sqrt(2.0 / math.pi), 0.044715


def _maybe_inplace(name, input, inplace, compute):
    """``compute(input)``, or with ``inplace`` that result written into ``input``'s memory (with
    PyTorch's in-place rules: refused on a leaf that requires grad, views see the write)."""
    if not inplace:
        return compute(input)
    return apply_inplace(input, compute, f"{name}(inplace=True)")


def _floating(name, input):
    """``input`` if it is floating; PyTorch has no integer kernel for ``name``, so neither do we."""
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f"{name}: not implemented for {input.dtype} input (as in "
                                  "PyTorch); convert it with .float()")
    return input


# ----- piecewise-linear activations --------------------------------------------------------------
class _LeakyRelu(Function):
    """``x`` where ``x > 0`` else ``slope * x``: one node instead of a where/mul chain."""

    def forward(self, x, negative_slope):
        xp = self.xp
        # The per-element slope is piecewise constant: the gradient is grad * slope and all
        # higher derivatives vanish, so the slope is kept as a constant for backward.
        self.slopes = xp.where(x > 0, xp.asarray(1.0, dtype=x.dtype),
                               xp.asarray(negative_slope, dtype=x.dtype))
        return x * self.slopes

    def backward(self, grad_output):
        return grad_output * self.constant(self.slopes)


class _Hardtanh(Function):
    """``x`` clamped to ``[min_val, max_val]``; gradient 0 on and beyond the edges, else passed on.

    As PyTorch's formula, ``(x <= min_val or x >= max_val) ? 0 : grad``: the gradient is selected
    (an infinite one still gives 0 outside) and a NaN input passes it on. (PyTorch's vectorised
    CPU loop gives 0 at NaN instead, so large float32 tensors there differ at NaN.)
    """

    def forward(self, x, min_val, max_val):
        self.keep = ~((x <= min_val) | (x >= max_val))
        return self.xp.clip(x, min_val, max_val)

    def backward(self, grad_output):
        return self.derivative(KeepWhere, grad_output, keep=self.keep)


def relu(input, inplace=False):
    """``max(x, 0)`` elementwise; the gradient at 0 is 0. Shape (*) -> (*)."""
    return _maybe_inplace("relu", input, inplace, lambda x: x.relu())


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0`` else ``negative_slope * x``; the gradient at 0 is the slope (PyTorch)."""
    slope = float(negative_slope)
    return _maybe_inplace("leaky_relu", input, inplace, lambda x: _LeakyRelu.apply(
        _floating("leaky_relu", x), negative_slope=slope))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clamped to ``[min_val, max_val]``; the gradient is 1 strictly inside, else 0."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if input.data.dtype.kind == "u" and int(min_val) < 0:  # -0.5 is 0 for integers
        raise RuntimeError(f"hardtanh: cannot do hardtanh on an unsigned type ({input.dtype}) "
                           f"with negative limits (min_val={min_val}), as in PyTorch")
    if input.data.dtype.kind in "iu":  # PyTorch clamps integers in their own dtype
        return _maybe_inplace("hardtanh", input, inplace,
                              lambda x: x.clamp(int(min_val), int(max_val)))
    # float16 bounds must fit float16, as PyTorch checks them
    low, high = (float(checked_scalar(float(bound), input.data.dtype)) for bound in (min_val, max_val))
    return _maybe_inplace("hardtanh", input, inplace,
                          lambda x: _Hardtanh.apply(_floating("hardtanh", x), min_val=low,
                                                    max_val=high))


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``: hardtanh on ``[0, 6]`` (gradient 0 at both edges, as in PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


# ----- GELU and the normal CDF -------------------------------------------------------------------
def _normal_density(x):
    """``phi(x) = exp(-x**2 / 2) / sqrt(2 pi)`` of a Tensor (differentiable)."""
    return ((x * x) * -0.5).exp() * _INV_SQRT_2PI


def _times_slope(grad_output, x, slope):
    """``grad_output * slope(x)``, float16 computed in float32 as PyTorch's backward kernels do
    (a tiny float16 slope would round to 0, and an infinite gradient give NaN)."""
    if x.dtype != numpy.float16:
        return grad_output * slope(x)
    return (grad_output * slope(x.float())).to(x.dtype)


def _gelu_tanh_slope(x):
    """The derivative of the tanh-approximated gelu, PyTorch's formula (a Tensor of x)."""
    square = x * x
    tanh_inner = ((x + square * x * _TANH_KAPPA) * _TANH_BETA).tanh()
    inner_slope = (square * (3.0 * _TANH_KAPPA) + 1.0) * _TANH_BETA
    return (tanh_inner + 1.0) * 0.5 + x * 0.5 * (1.0 - tanh_inner * tanh_inner) * inner_slope


def _silu_slope(x):
    """``s (1 + x (1 - s))`` with ``s = sigmoid(x)``: silu's derivative."""
    logistic = x.sigmoid()
    return logistic * ((1.0 - logistic) * x + 1.0)


def _mish_slope(x):
    """``t + x sigmoid(x) (1 - t**2)`` with ``t = tanh(softplus(x))``: mish's derivative."""
    squashed = softplus(x, 1.0, math.inf).tanh()
    return x * x.sigmoid() * (1.0 - squashed * squashed) + squashed


class _Gelu(Function):
    """``x * Phi(x)`` in one op (float16 computed in float32 and rounded once, as PyTorch).

    Its gradient is PyTorch's single expression ``grad * (Phi(x) + x phi(x))``: through the
    product rule an infinite upstream gradient would meet ``phi(x) = 0`` (inf * 0 = NaN) where
    PyTorch's is finite.
    """

    saves_inputs = True

    def forward(self, x):
        output, self.slope = gelu_and_slope(self.xp, widened(self.xp, x))
        return output.astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return _times_slope(grad_output, x,
                            lambda work: self.derivative(_GeluSlope, work, slope=self.slope))


class _GeluSlope(Function):
    """``Phi(x) + x phi(x)``, gelu's derivative: the forward's array of it, as a node of ``x``
    whose own derivative ``phi(x) (2 - x**2)`` keeps higher orders exact."""

    saves_inputs = True

    def forward(self, x, slope):
        return slope.astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return grad_output * _normal_density(x) * (2.0 - x * x)


class _GeluTanh(Function):
    """``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))`` in one op, with PyTorch's gradient
    formula (float16 computed in float32, where ``x**3`` does not overflow)."""

    saves_inputs = True

    def forward(self, x):
        xp = self.xp
        work = widened(xp, x)
        inner = (work + work * work * work * _TANH_KAPPA) * _TANH_BETA
        return (work * 0.5 * (xp.tanh(inner) + 1.0)).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return _times_slope(grad_output, x, _gelu_tanh_slope)


def gelu(input, approximate="none"):
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate='tanh'`` uses the tanh formula.

    Shape (*) -> (*). The exact form evaluates the normal CDF with its own erfc (normal_cdf.py;
    float64: ~1e-13 relative; float32: ~2e-7 absolute). Each form is one op whose gradient is
    PyTorch's formula.
    """
    input = _floating("gelu", input)
    if approximate == "none":
        return _Gelu.apply(input)
    if approximate == "tanh":
        return _GeluTanh.apply(input)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# ----- smooth activations -------------------------------------------------------------------------
class _Silu(Function):
    """``x * sigmoid(x)`` in one op (float16 in float32), with PyTorch's gradient
    ``grad * s (1 + x (1 - s))``: the product rule would meet inf * 0 under an infinite one."""

    saves_inputs = True

    def forward(self, x):
        xp = self.xp
        work = widened(xp, x)
        return (work * sigmoid_array(xp, work)).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return _times_slope(grad_output, x, _silu_slope)


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (swish). Shape (*) -> (*)."""
    return _maybe_inplace("silu", input, inplace, lambda x: _Silu.apply(_floating("silu", x)))


def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0`` else ``alpha * (exp(x) - 1)``. Shape (*) -> (*)."""
    return _maybe_inplace("elu", input, inplace, lambda x: _elu(_floating("elu", x), alpha, 1.0))


def _elu(input, alpha, input_scale):
    # exp only sees non-positive values: the unused branch of where() must stay finite, or its
    # zero gradient times an infinite exp would turn into NaN.
    negative = input.clamp(max=0.0)
    if input_scale != 1.0:
        negative = negative * input_scale
    # "x <= 0", not "x > 0": a NaN input takes the linear branch, so its gradient is 1 (PyTorch).
    return where(input <= 0, (negative.exp() - 1.0) * alpha, input)


def selu(input, inplace=False):
    """Scaled ELU with the self-normalising constants of Klambauer et al. Shape (*) -> (*)."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return _maybe_inplace("selu", input, inplace, lambda x: _elu(_floating("selu", x), alpha, 1.0) * scale)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``. Shape (*) -> (*)."""
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return _maybe_inplace("celu", input, inplace, lambda x: _elu(_floating("celu", x), alpha, 1.0 / alpha))


class _Softplus(Function):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold`` (PyTorch's cut-off)."""

    saves_inputs = True

    def forward(self, x, beta, threshold):
        self.beta, self.threshold = beta, threshold
        xp = self.xp
        scaled = x * beta
        # logaddexp(0, s) == log1p(exp(s)) but never overflows.
        smooth = xp.logaddexp(xp.zeros((), dtype=x.dtype), scaled) / beta
        return xp.where(scaled > threshold, x, smooth).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        scaled = x * self.beta
        return grad_output * where(scaled > self.threshold, 1.0, scaled.sigmoid())


def softplus(input, beta=1.0, threshold=20.0):
    """Smooth ReLU ``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``."""
    return _Softplus.apply(_floating("softplus", input), beta=float(beta),
                          threshold=float(threshold))


class _Mish(Function):
    """``x * tanh(softplus(x))`` in one op (float16 in float32), with PyTorch's gradient
    ``grad * (t + x s (1 - t**2))`` (t = tanh(softplus(x)), s = sigmoid(x))."""

    saves_inputs = True

    def forward(self, x):
        xp = self.xp
        work = widened(xp, x)
        smooth = xp.logaddexp(xp.zeros((), dtype=work.dtype), work)  # softplus, no overflow
        return (work * xp.tanh(smooth)).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return _times_slope(grad_output, x, _mish_slope)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``. Shape (*) -> (*)."""
    return _maybe_inplace("mish", input, inplace, lambda x: _Mish.apply(_floating("mish", x)))


def sigmoid(input):
    """``1 / (1 + exp(-x))`` elementwise, stable for large ``|x|``."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent elementwise."""
    return input.tanh()


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, finite for very negative ``x``."""
    return -softplus(-_floating("logsigmoid", input), 1.0, math.inf)


# ----- softmax family -----------------------------------------------------------------------------
def _implicit_dim(name, ndim):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.", UserWarning, stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Probabilities along ``dim``: ``exp(x) / sum(exp(x), dim)``. Shape (*) -> (*).

    ``dtype`` casts the input first. Without ``dim``, PyTorch's legacy choice (0 for 0-, 1- and
    3-d inputs, else 1) is used with a warning.
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    return _softmax_ops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log-probabilities along ``dim``: ``x - logsumexp(x, dim)``. Shape (*) -> (*)."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    return _softmax_ops.log_softmax(input, dim, dtype=dtype)
