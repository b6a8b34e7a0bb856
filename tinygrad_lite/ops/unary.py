"""Elementwise math: exp, log, log1p, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, abs, sign."""
from tinygrad_lite.amp.autocast_mode import FLOAT32, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.compare import KeepWhere
from tinygrad_lite.ops.operands import as_float


class Exp(Function):
    saves_output = True

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, grad_output):
        return grad_output * self.output()


class Log(Function):
    saves_inputs = True

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, grad_output):
        return grad_output / self.saved_inputs[0]


class Log1p(Function):
    saves_inputs = True

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, grad_output):
        return grad_output / (self.saved_inputs[0] + 1.0)


class Sqrt(Function):
    saves_output = True

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, grad_output):
        return grad_output / (self.output() * 2.0)


class Rsqrt(Function):
    saves_output = True

    def forward(self, x):
        return 1.0 / self.xp.sqrt(x)

    def backward(self, grad_output):
        out = self.output()
        return grad_output * (out * out * out) * -0.5


class Sin(Function):
    saves_inputs = True

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, grad_output):
        return grad_output * self.saved_inputs[0].cos()


class Cos(Function):
    saves_inputs = True

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, grad_output):
        return grad_output * -self.saved_inputs[0].sin()


class Tanh(Function):
    saves_output = True

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, grad_output):
        return self.derivative_of_output(TanhDerivative, grad_output)


class TanhDerivative(Function):
    """``grad * (1 - out**2)`` in one pass: tanh's backward, itself differentiable."""

    saves_inputs = True

    @staticmethod
    def array_kernel(grad, out):
        return grad * (1.0 - out * out)

    def forward(self, grad, out):
        return self.array_kernel(grad, out)

    def backward(self, grad_output):
        grad, out = self.saved_inputs
        needs_grad, needs_out = self.needs_input_grad
        return (self.derivative(TanhDerivative, grad_output, out) if needs_grad else None,
                grad_output * grad * out * -2.0 if needs_out else None)


def sigmoid_array(xp, x):
    """``1 / (1 + exp(-x))`` of a float array, in x's dtype (float32 and float64 exactly as given:
    a float16 caller widens first, as PyTorch computes it in float32)."""
    # exp of a non-positive number never overflows, whatever the sign of x.
    small = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + small), small / (1.0 + small)).astype(x.dtype, copy=False)


def widened(xp, x):
    """``x`` as PyTorch's CPU kernels compute it: float16 in float32, others as they are."""
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


class Sigmoid(Function):
    saves_output = True

    def forward(self, x):
        # float16 in float32, rounded once as PyTorch does: sigmoid(8) is 0.9995, not 1.0.
        return sigmoid_array(self.xp, widened(self.xp, x)).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        return self.derivative_of_output(SigmoidDerivative, grad_output)


class SigmoidDerivative(Function):
    """``grad * out * (1 - out)`` in one pass: sigmoid's backward, itself differentiable."""

    saves_inputs = True

    @staticmethod
    def array_kernel(grad, out):
        return grad * (out * (1.0 - out))

    def forward(self, grad, out):
        return self.array_kernel(grad, out)

    def backward(self, grad_output):
        grad, out = self.saved_inputs
        needs_grad, needs_out = self.needs_input_grad
        return (self.derivative(SigmoidDerivative, grad_output, out) if needs_grad else None,
                grad_output * grad * (1.0 - out * 2.0) if needs_out else None)


class Relu(Function):
    """``max(x, 0)``. The gradient is selected (PyTorch's ``where(out <= 0, 0, grad)``), not
    multiplied by a mask: an infinite gradient gives 0 where x <= 0, and NaN inputs pass it on."""

    def forward(self, x):
        out = self.xp.maximum(0, x)  # -0.0 stays -0.0, as in PyTorch (ties give the 2nd)
        # keep = not (x <= 0) in one pass: out is nonzero exactly there (NaN passes, +-0 doesn't)
        self.keep = out != 0
        return out

    def backward(self, grad_output):
        return self.derivative(KeepWhere, grad_output, keep=self.keep)


class Abs(Function):
    saves_inputs = True

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, grad_output):
        return grad_output * self.saved_inputs[0].sign()


class Sign(Function):
    """Piecewise constant: PyTorch still records it, with a zero gradient, so graphs stay connected."""

    def forward(self, x):
        if x.dtype.kind == "b":
            return x.copy()
        sign = self.xp.sign(x)
        if x.dtype.kind == "f":  # PyTorch's sign(NaN) is 0
            sign = self.xp.where(self.xp.isnan(x), 0, sign)
        return sign

    def backward(self, grad_output):
        # A fresh zero, as PyTorch returns: grad * 0 would turn an infinite gradient into NaN.
        return self.constant(self.xp.zeros(grad_output.shape, grad_output.dtype))


def _float_unary(op, name, doc, autocast_category=None):
    """The public ``tl.<name>``: ``op`` on the input, integers converted to the default float;
    with ``autocast_category``, the input is cast as autocast asks for that category first."""
    if autocast_category is None:
        def function(input):
            return op.apply(as_float(input))
    else:
        def function(input):
            (input,) = autocast_inputs(autocast_category, input)
            return op.apply(as_float(input))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


exp = _float_unary(Exp, "exp", "Elementwise e**x (integers compute in the default float dtype).",
                  FLOAT32)
log = _float_unary(Log, "log", "Elementwise natural logarithm.", FLOAT32)
log1p = _float_unary(Log1p, "log1p", "Elementwise log(1 + x), accurate for small x.")
sqrt = _float_unary(Sqrt, "sqrt", "Elementwise square root.")
rsqrt = _float_unary(Rsqrt, "rsqrt", "Elementwise 1 / sqrt(x).")
sin = _float_unary(Sin, "sin", "Elementwise sine.")
cos = _float_unary(Cos, "cos", "Elementwise cosine.")
tanh = _float_unary(Tanh, "tanh", "Elementwise hyperbolic tangent.")
sigmoid = _float_unary(Sigmoid, "sigmoid",
                       "Elementwise logistic function 1 / (1 + exp(-x)), stable for large |x|.")


def relu(input):
    """Elementwise max(x, 0); the gradient is 0 where x <= 0 and 1 elsewhere (NaN too), as in PyTorch."""
    if input.data.dtype.kind == "b":
        raise RuntimeError("relu(): bool inputs are not supported (as in PyTorch)")
    return Relu.apply(input)


def abs(input):
    """Elementwise absolute value; the gradient at 0 is 0, as in PyTorch."""
    if input.data.dtype.kind == "b":
        raise NotImplementedError("abs(): not implemented for bool tensors (as in PyTorch)")
    return Abs.apply(input)


def sign(input):
    """Elementwise sign (-1, 0 or 1; 0 for NaN; bool stays bool); zero gradient, as in PyTorch."""
    return Sign.apply(input)


absolute = abs
