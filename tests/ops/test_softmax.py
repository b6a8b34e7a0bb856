"""Tests for tinygrad_lite/ops/softmax.py: softmax and log_softmax."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch

NAMES = ["softmax", "log_softmax"]
CASES = [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 3, 4), 1), ((), 0)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape, dim", CASES, ids=str)
def test_softmax_gradcheck(name, shape, dim):
    check_gradcheck(lambda x: getattr(x, name)(dim), shape)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape, dim", CASES, ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_softmax_parity(name, shape, dim, dtype):
    check_parity(lambda x: getattr(x, name)(dim), lambda x: getattr(x, name)(dim), shape, dtype=dtype,
                 atol=1e-6)
    check_parity(lambda x: getattr(tl, name)(x, dim=dim), lambda x: getattr(torch, name)(x, dim=dim),
                 shape, dtype=dtype, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_huge_logits_stay_finite(name):
    logits = numpy.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4], [88.0, 89.0, 90.0]])
    check_parity(lambda x: getattr(x, name)(1), lambda x: getattr(x, name)(1), logits, atol=1e-5)
    result = getattr(tl.tensor(logits), name)(1)
    assert numpy.all(numpy.isfinite(result.numpy()))


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_minus_infinity_entries_behave_like_torch(name):
    logits = numpy.array([[0.0, -numpy.inf, 1.0]])
    ours = getattr(tl.tensor(logits, requires_grad=True), name)(1)
    theirs = getattr(torch.tensor(logits), name)(1)
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.numpy())


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_dtype_argument_casts_first(name):
    x = tl.tensor([[1.0, 2.0, 3.0]])
    result = getattr(x, name)(1, dtype=tl.float64)
    assert result.dtype == tl.float64
    expected = getattr(torch.tensor([[1.0, 2.0, 3.0]]), name)(1, dtype=torch.float64)
    numpy.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_integer_input_is_refused_unless_a_float_dtype_is_given(name):
    # PyTorch: NotImplementedError for integer input; dtype= converts first.
    with pytest.raises(NotImplementedError, match="int64"):
        getattr(tl.tensor([1, 2, 3]), name)(0)
    assert getattr(tl.tensor([1, 2, 3]), name)(0, dtype=tl.float32).dtype == tl.float32


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((4, 6)), dtype=tl.float64)
    numpy.testing.assert_allclose(x.softmax(-1).sum(-1).numpy(), numpy.ones(4), rtol=1e-12)
    numpy.testing.assert_allclose(x.log_softmax(-1).exp().numpy(), x.softmax(-1).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_dim_is_required(name):
    with pytest.raises(TypeError, match="dim"):
        getattr(tl.ones(3), name)()
    with pytest.raises(IndexError, match="range"):
        getattr(tl.ones(3), name)(1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((0, 3), 1), ((2, 0), 1), ((2, 0), 0)])
def test_zero_size_inputs_give_empty_results_and_gradients(name, shape, dim):
    x = tl.zeros(*shape, requires_grad=True)
    out = getattr(x, name)(dim)
    assert out.shape == shape and out.dtype == tl.float32
    out.sum().backward()
    assert x.grad.shape == shape
    if torch is not None:
        assert tuple(getattr(torch.zeros(*shape), name)(dim).shape) == shape


@pytest.mark.parametrize("name", NAMES)
def test_zero_size_integer_input_stays_integer_as_in_pytorch(name):
    result = getattr(tl.zeros(0, 2, dtype=tl.int8), name)(1)
    assert result.dtype == tl.int8 and result.shape == (0, 2)


def test_float16_computes_in_float32_as_pytorch():
    # log(1 + exp(-9)) is 0 in float16: the small log-probability survives only in float32.
    result = tl.tensor([[-5.0], [4.0]], dtype=tl.float16).log_softmax(0)
    assert result.dtype == tl.float16 and result.numpy()[1, 0] == numpy.float16(-1.234e-4)
