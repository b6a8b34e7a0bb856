"""Tests for tinygrad_lite/ops/unary.py: exp log log1p sqrt rsqrt sin cos tanh sigmoid relu abs sign."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch


def positive(shape, seed=5):
    """Values in [0.5, 2): inside the domain of log, sqrt and rsqrt, away from their poles."""
    return numpy.asarray(numpy.random.default_rng(seed).uniform(0.5, 2.0, shape))


def away_from_zero(shape, seed=6):
    """Signed values with |x| >= 0.2, so relu/abs are differentiable under finite differences."""
    rng = numpy.random.default_rng(seed)
    return numpy.asarray(rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape))


def any_values(shape):
    return shape


# name -> (method name on both libraries, input maker)
UNARY = {
    "exp": any_values, "log": positive, "log1p": positive, "sqrt": positive, "rsqrt": positive,
    "sin": any_values, "cos": any_values, "tanh": any_values, "sigmoid": any_values,
    "relu": away_from_zero, "abs": away_from_zero,
}
SHAPES = [(), (5,), (2, 3)]


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_gradcheck(name, shape):
    check_gradcheck(lambda x: getattr(x, name)(), UNARY[name](shape))


@requires_torch
@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_unary_parity(name, dtype):
    check_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), UNARY[name]((3, 4)),
                 dtype=dtype, rtol=1e-5, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", list(UNARY))
def test_function_form_matches_method(name):
    check_parity(lambda x: getattr(tl, name)(x), lambda x: getattr(torch, name)(x),
                 UNARY[name]((4,)), atol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", ["relu", "abs", "sign"])
def test_gradient_at_zero_matches_torch(name):
    values = numpy.array([-1.0, 0.0, 0.0, 2.0])
    check_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), values)


@requires_torch
def test_sigmoid_saturates_without_overflow():
    values = numpy.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    check_parity(lambda x: x.sigmoid(), lambda x: x.sigmoid(), values, atol=1e-7)
    check_parity(lambda x: x.sigmoid(), lambda x: x.sigmoid(), values, dtype=numpy.float64, atol=1e-12)


@requires_torch
def test_float16_sigmoid_rounds_once_like_torch():
    # Computed in float16, sigmoid(8) rounded to 1.0 (PyTorch: 0.9995, from float32).
    values = numpy.array([8.0, 3.0, -8.0, 10.0, 0.5], dtype=numpy.float16)
    ours = tl.tensor(values).sigmoid().numpy()
    numpy.testing.assert_array_equal(ours, torch.tensor(values).sigmoid().numpy())


@requires_torch
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [tl.int64, tl.int32, tl.bool])
def test_integer_input_gives_default_float(name, dtype):
    ours = getattr(tl.tensor([1, 2, 3]).to(dtype), name)()
    theirs = getattr(torch.tensor([1, 2, 3]).to(getattr(torch, dtype.name)), name)()
    assert ours.dtype == tl.float32
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["relu", "abs", "sign", "neg"])
def test_integer_input_keeps_its_dtype(name):
    result = getattr(tl.tensor([-2, 0, 3]), name)()
    assert result.dtype == tl.int64
    expected = {"relu": [0, 0, 3], "abs": [2, 0, 3], "sign": [-1, 0, 1], "neg": [2, 0, -3]}[name]
    assert result.tolist() == expected


def test_sign_is_recorded_with_zero_gradient():
    x = tl.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    result = x.sign()
    assert result.requires_grad and result.tolist() == [-1.0, 0.0, 1.0]
    (result * 5.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["log", "sqrt"])
def test_out_of_domain_gives_nan_like_torch(name):
    with numpy.errstate(all="ignore"):
        result = getattr(tl.tensor([-1.0]), name)()
    assert numpy.isnan(result.item())


def test_abs_operator():
    assert abs(tl.tensor([-1.5, 2.0])).tolist() == [1.5, 2.0]
    assert tl.absolute(tl.tensor([-3])).tolist() == [3]


# ----- issue 8 --------------------------------------------------------------------------------
def test_sign_of_nan_is_zero_and_sign_of_bool_is_bool():
    assert tl.tensor([-2.0, 0.0, float("nan"), 3.0]).sign().tolist() == [-1.0, 0.0, 0.0, 1.0]
    result = tl.tensor([True, False]).sign()
    assert result.dtype == tl.bool and result.tolist() == [True, False]
    if torch is not None:
        assert torch.tensor([float("nan")]).sign().tolist() == [0.0]


@pytest.mark.parametrize("op, error", [(lambda x: x.relu(), RuntimeError),
                                       (lambda x: x.abs(), NotImplementedError)],
                         ids=["relu", "abs"])
def test_bool_input_pytorch_refuses_is_refused(op, error):
    with pytest.raises(error, match="bool"):
        op(tl.tensor([True, False]))


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh",
                                  "sigmoid", "relu", "abs", "sign"])
def test_public_functions_carry_their_own_name_and_docstring(name):
    function = getattr(tl, name)
    assert function.__name__ == name and function.__qualname__ == name
    assert function.__doc__ and getattr(tl.Tensor, name) is function
