"""Tests for tinygrad_lite/ops/arithmetic.py: + - * / ** // neg, with tensors and scalars."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch

# Shapes of (a, b) pairs, broadcasting included: same, trailing vector, outer, 0-d with matrix.
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()),
               ((2, 1, 3), (4, 1))]


def positive(shape, seed=3):
    """Values in [0.5, 2): safe as divisors, logarithm arguments and pow bases."""
    return numpy.asarray(numpy.random.default_rng(seed).uniform(0.5, 2.0, shape))


# name -> (our function, torch function, makes the second operand positive)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, False),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, False),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, False),
    "div": (lambda a, b: a / b, lambda a, b: a / b, True),
    "tl.add alpha": (lambda a, b: tl.add(a, b, alpha=2.5), lambda a, b: torch.add(a, b, alpha=2.5), False),
    "tl.sub alpha": (lambda a, b: tl.sub(a, b, alpha=-1.5), lambda a, b: torch.sub(a, b, alpha=-1.5), False),
    "rsub": (lambda a, b: tl.rsub(a, b), lambda a, b: torch.rsub(a, b), False),
    "multiply": (tl.multiply, lambda a, b: torch.multiply(a, b), False),
    "true_divide": (tl.true_divide, lambda a, b: torch.true_divide(a, b), True),
}

POW = (lambda a, b: a ** b, lambda a, b: a ** b)


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_gradcheck(name, shapes):
    ours, _, positive_b = BINARY[name]
    b = positive(shapes[1]) if positive_b else shapes[1]
    check_gradcheck(ours, shapes[0], b)


@requires_torch
@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_binary_parity(name, shapes, dtype):
    ours, theirs, positive_b = BINARY[name]
    b = positive(shapes[1]) if positive_b else shapes[1]
    check_parity(ours, theirs, shapes[0], b, dtype=dtype)


@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_pow_tensor_exponent_gradcheck(shapes):
    check_gradcheck(POW[0], positive(shapes[0]), shapes[1])


@requires_torch
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_pow_tensor_exponent_parity(shapes, dtype):
    check_parity(*POW, positive(shapes[0]), shapes[1], dtype=dtype, rtol=1e-4)


# Tensor-scalar forms: name -> (ours, torch, positive input)
SCALAR = {
    "x + 2.5": (lambda x: x + 2.5, lambda x: x + 2.5, False),
    "2.5 + x": (lambda x: 2.5 + x, lambda x: 2.5 + x, False),
    "x - 3": (lambda x: x - 3, lambda x: x - 3, False),
    "3 - x": (lambda x: 3 - x, lambda x: 3 - x, False),
    "x * -1.5": (lambda x: x * -1.5, lambda x: x * -1.5, False),
    "2 * x": (lambda x: 2 * x, lambda x: 2 * x, False),
    "x / 4": (lambda x: x / 4, lambda x: x / 4, False),
    "1.5 / x": (lambda x: 1.5 / x, lambda x: 1.5 / x, True),
    "x ** 2": (lambda x: x ** 2, lambda x: x ** 2, False),
    "x ** 3": (lambda x: x ** 3, lambda x: x ** 3, False),
    "x ** 0.5": (lambda x: x ** 0.5, lambda x: x ** 0.5, True),
    "x ** -1.5": (lambda x: x ** -1.5, lambda x: x ** -1.5, True),
    "x ** 0": (lambda x: x ** 0, lambda x: x ** 0, False),
    "2 ** x": (lambda x: 2 ** x, lambda x: 2 ** x, False),
    "0.5 ** x": (lambda x: 0.5 ** x, lambda x: 0.5 ** x, False),
    "-x": (lambda x: -x, lambda x: -x, False),
    "tl.neg": (tl.neg, torch.neg if torch else None, False),
    "tl.pow": (lambda x: tl.pow(x, 3.0), lambda x: torch.pow(x, 3.0), False),
    "numpy scalar": (lambda x: x * numpy.float64(1.5) + numpy.float32(2), lambda x: x * 1.5 + 2, False),
    "sub alpha scalar": (lambda x: tl.sub(x, 2, alpha=3), lambda x: torch.sub(x, 2, alpha=3), False),
    "add alpha scalar": (lambda x: tl.add(x, 2.0, alpha=0.5), lambda x: torch.add(x, 2.0, alpha=0.5), False),
}


@pytest.mark.parametrize("name", list(SCALAR))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=str)
def test_scalar_gradcheck(name, shape):
    ours, _, needs_positive = SCALAR[name]
    check_gradcheck(ours, positive(shape) if needs_positive else shape)


@requires_torch
@pytest.mark.parametrize("name", list(SCALAR))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_scalar_parity(name, dtype):
    ours, theirs, needs_positive = SCALAR[name]
    check_parity(ours, theirs, positive((2, 3)) if needs_positive else (2, 3), dtype=dtype)


@requires_torch
def test_pow_zero_to_the_zero_gradient_matches_torch():
    # 0 ** 0 = 1; PyTorch defines both partial derivatives there as 0 (not nan).
    base = numpy.array([0.0, 0.0, 1.0, 2.0, 0.0])
    exponent = numpy.array([0.0, 2.0, 0.0, 3.0, 1.0])
    with numpy.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf is part of the forward
        check_parity(POW[0], POW[1], base, exponent, dtype=numpy.float64)
    x = tl.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


@requires_torch
def test_pow_negative_base_with_integer_exponent():
    base = numpy.array([-2.0, -0.5, 3.0])
    exponent = numpy.array([2.0, 3.0, 2.0])
    ours = tl.tensor(base, requires_grad=True)
    (ours ** tl.tensor(exponent)).sum().backward()
    reference = torch.tensor(base, requires_grad=True)
    (reference ** torch.tensor(exponent)).sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), reference.grad.numpy())


@pytest.mark.parametrize("a, b", [([7, -7, 6], [2, 2, -4]), ([7.5, -7.5, 1.0], [2.0, 2.0, -0.3])])
def test_floor_divide_matches_torch(a, b):
    ours = tl.tensor(a) // tl.tensor(b)
    expected = numpy.floor_divide(numpy.array(a), numpy.array(b))
    numpy.testing.assert_allclose(ours.numpy(), expected)
    assert ours.dtype == tl.tensor(a).dtype
    assert not ours.requires_grad
    if torch is not None:
        numpy.testing.assert_allclose(ours.numpy(), (torch.tensor(a) // torch.tensor(b)).numpy())


def test_floor_divide_with_scalars_and_no_grad():
    x = tl.tensor([5.0, -5.0], requires_grad=True)
    result = x // 2
    assert result.tolist() == [2.0, -3.0]
    assert not result.requires_grad
    assert (7 // tl.tensor([2, 3])).tolist() == [3, 2]
    assert tl.floor_divide(tl.tensor([9]), 4).dtype == tl.int64


@pytest.mark.parametrize("mode, expected", [(None, [-3.5, 3.5]), ("trunc", [-3, 3]), ("floor", [-4, 3])])
def test_div_rounding_modes(mode, expected):
    result = tl.div(tl.tensor([-7, 7]), 2, rounding_mode=mode)
    assert result.tolist() == expected
    assert result.dtype == (tl.float32 if mode is None else tl.int64)


def test_div_rejects_unknown_rounding_mode():
    with pytest.raises(ValueError, match="rounding_mode"):
        tl.div(tl.ones(2), 2, rounding_mode="round")


@pytest.mark.parametrize("dtype", [tl.int32, tl.int64, tl.bool])
def test_int_division_gives_default_float(dtype):
    a = tl.tensor([1, 2, 3], dtype=dtype)
    assert (a / a.long().clamp(min=1)).dtype == tl.float32
    assert (a / 2).dtype == tl.float32
    assert (2 / a.long().clamp(min=1)).dtype == tl.float32
    numpy.testing.assert_allclose((tl.tensor([3, 4]) / tl.tensor([2, 8])).numpy(), [1.5, 0.5])


def test_gradient_of_a_value_used_twice():
    x = tl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x + x / x + x - x).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0], atol=1e-6)


def test_int_operand_does_not_get_grad():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    k = tl.tensor([3, 4])
    out = x * k
    assert out.dtype == tl.float32
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    assert k.grad is None


def test_unsupported_operand_raises_type_error():
    with pytest.raises(TypeError):
        tl.ones(2) + "a"
