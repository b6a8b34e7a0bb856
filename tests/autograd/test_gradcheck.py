"""Tests for tinygrad_lite/autograd/gradcheck.py: gradcheck must pass right ops and catch wrong ones."""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd import Function, gradcheck, gradgradcheck
from helpers import check_gradcheck


class WrongSquare(Function):
    """x**2 with a deliberately wrong backward (3x instead of 2x)."""

    saves_inputs = True

    def forward(self, x):
        return x * x

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return grad_output * x * 3.0


class WrongSecondInput(Function):
    """a*b whose gradient for b is missing a factor: only the second input is wrong."""

    saves_inputs = True

    def forward(self, a, b):
        return a * b

    def backward(self, grad_output):
        a, b = self.saved_inputs
        return grad_output * b, grad_output


class RightCube(Function):
    """x**3 with a backward made of differentiable ops (so second derivatives work too)."""

    saves_inputs = True

    def forward(self, x):
        return x * x * x

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return grad_output * x * x * 3.0


class FirstOrderOnlyCube(Function):
    """x**3 whose backward uses a constant, so its second derivative is silently wrong."""

    saves_inputs = True

    def forward(self, x):
        return x * x * x

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return grad_output * self.constant(3.0 * x.data * x.data)


def _inputs(*shapes):
    rng = numpy.random.default_rng(0)
    return [tl.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]


def test_gradcheck_passes_for_correct_ops():
    assert gradcheck(lambda x: RightCube.apply(x), _inputs((3, 2)))
    assert gradcheck(lambda a, b: (a * b).exp().sum(0), _inputs((2, 3), (3,)))
    assert gradcheck(lambda x: (x.tanh(), x.sin()), _inputs((4,)))  # several outputs


def test_gradcheck_fails_for_a_wrong_backward():
    with pytest.raises(AssertionError, match="gradcheck failed for input 0"):
        gradcheck(lambda x: WrongSquare.apply(x), _inputs((3,)))
    assert gradcheck(lambda x: WrongSquare.apply(x), _inputs((3,)), raise_exception=False) is False


def test_gradcheck_names_the_wrong_input():
    a, b = _inputs((2,), (2,))
    with pytest.raises(AssertionError, match="input 1"):
        gradcheck(lambda a, b: WrongSecondInput.apply(a, b), [a, b])
    # Checking only the correct input passes.
    b.requires_grad = False
    assert gradcheck(lambda a, b: WrongSecondInput.apply(a, b), [a, b])


def test_gradcheck_refuses_float32_inputs():
    x = tl.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda x: x * 2.0, [x])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda x: x * 2.0, [tl.ones(3, dtype=tl.float64)])


def test_gradcheck_accepts_a_single_tensor_and_leaves_inputs_unchanged():
    (x,) = _inputs((3,))
    before = x.detach().numpy().copy()
    assert gradcheck(lambda t: t.sin(), x)
    numpy.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_gradgradcheck_passes_for_differentiable_backward_and_fails_otherwise():
    assert gradgradcheck(lambda x: RightCube.apply(x), _inputs((3,)))
    with pytest.raises(AssertionError):
        gradgradcheck(lambda x: FirstOrderOnlyCube.apply(x), _inputs((3,)))
    # First order is right, so plain gradcheck does not notice.
    assert gradcheck(lambda x: FirstOrderOnlyCube.apply(x), _inputs((3,)))


def test_helper_wraps_gradcheck_with_float64_inputs():
    check_gradcheck(lambda x, w: x @ w, (2, 3), (3, 4))
    with pytest.raises(AssertionError):
        check_gradcheck(lambda x: WrongSquare.apply(x), (3,))
    check_gradcheck(lambda x, index: x.gather(0, index), (4,), numpy.array([3, 0, 3]))
