"""Elementwise math: exp, log, log1p, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, abs, sign."""
from tinygrad_lite.autograd.function import Function
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
        return TanhDerivative.apply(grad_output, self.output())


class TanhDerivative(Function):
    """``grad * (1 - out**2)`` in one pass: tanh's backward, itself differentiable."""

    saves_inputs = True

    def forward(self, grad, out):
        return grad * (1.0 - out * out)

    def backward(self, grad_output):
        grad, out = self.saved_inputs
        needs_grad, needs_out = self.needs_input_grad
        return (TanhDerivative.apply(grad_output, out) if needs_grad else None,
                grad_output * grad * out * -2.0 if needs_out else None)


class Sigmoid(Function):
    saves_output = True

    def forward(self, x):
        xp = self.xp
        # exp of a non-positive number never overflows, whatever the sign of x.
        small = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + small), small / (1.0 + small)).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        return SigmoidDerivative.apply(grad_output, self.output())


class SigmoidDerivative(Function):
    """``grad * out * (1 - out)`` in one pass: sigmoid's backward, itself differentiable."""

    saves_inputs = True

    def forward(self, grad, out):
        return grad * (out * (1.0 - out))

    def backward(self, grad_output):
        grad, out = self.saved_inputs
        needs_grad, needs_out = self.needs_input_grad
        return (SigmoidDerivative.apply(grad_output, out) if needs_grad else None,
                grad_output * grad * (1.0 - out * 2.0) if needs_out else None)


class Relu(Function):
    def forward(self, x):
        self.positive = x > 0
        return self.xp.maximum(x, 0)

    def backward(self, grad_output):
        return grad_output * self.constant(self.positive)


class Abs(Function):
    saves_inputs = True

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, grad_output):
        return grad_output * self.saved_inputs[0].sign()


class Sign(Function):
    """Piecewise constant: PyTorch still records it, with a zero gradient, so graphs stay connected."""

    def forward(self, x):
        return self.xp.sign(x)

    def backward(self, grad_output):
        return grad_output * 0.0


def _float_unary(op):
    def function(input):
        return op.apply(as_float(input))

    return function


exp = _float_unary(Exp)
exp.__doc__ = "Elementwise e**x."
log = _float_unary(Log)
log.__doc__ = "Elementwise natural logarithm."
log1p = _float_unary(Log1p)
log1p.__doc__ = "Elementwise log(1 + x), accurate for small x."
sqrt = _float_unary(Sqrt)
sqrt.__doc__ = "Elementwise square root."
rsqrt = _float_unary(Rsqrt)
rsqrt.__doc__ = "Elementwise 1 / sqrt(x)."
sin = _float_unary(Sin)
sin.__doc__ = "Elementwise sine."
cos = _float_unary(Cos)
cos.__doc__ = "Elementwise cosine."
tanh = _float_unary(Tanh)
tanh.__doc__ = "Elementwise hyperbolic tangent."
sigmoid = _float_unary(Sigmoid)
sigmoid.__doc__ = "Elementwise logistic function 1 / (1 + exp(-x)), stable for large |x|."


def relu(input):
    """Elementwise max(x, 0); the gradient at 0 is 0, as in PyTorch."""
    return Relu.apply(input)


def abs(input):
    """Elementwise absolute value; the gradient at 0 is 0, as in PyTorch."""
    return Abs.apply(input)


def sign(input):
    """Elementwise sign (-1, 0 or 1); its gradient is zero everywhere, as in PyTorch."""
    return Sign.apply(input)


absolute = abs
