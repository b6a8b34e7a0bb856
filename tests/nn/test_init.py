"""Tests for tinygrad_lite/nn/init.py: PyTorch's initialisation formulas, dtypes and seeding."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch, torch
from tinygrad_lite import nn

init = nn.init
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


def _values(tensor):
    return tensor.numpy(force=True).astype(numpy.float64).ravel()


# Sample statistics of random fills: their tolerances (a few percent) are several standard
# errors for the smallest tensors checked, not a measure of arithmetic accuracy.
def _assert_uniform(tensor, bound):
    values = _values(tensor)
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.97 * bound and values.max() > 0.97 * bound
    numpy.testing.assert_allclose(values.std(), bound / math.sqrt(3), rtol=0.03)


def _assert_normal(tensor, std, mean=0.0):
    values = _values(tensor)
    assert abs(values.mean() - mean) < 0.05 * std + 1e-12
    numpy.testing.assert_allclose(values.std(), std, rtol=0.03)


@requires_torch
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0.2, 0])
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="swish"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "steep")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_uniform_and_normal_fill_in_place_keeping_dtype(dtype, device):
    tensor = tl.empty(200, 300, dtype=dtype, device=device)
    assert init.uniform_(tensor, -0.5, 1.5) is tensor
    values = _values(tensor)
    assert tensor.dtype == dtype and values.min() >= -0.5 and values.max() <= 1.5
    numpy.testing.assert_allclose(values.mean(), 0.5, atol=0.01)
    numpy.testing.assert_allclose(values.std(), 2 / math.sqrt(12), rtol=0.02)
    assert init.normal_(tensor, 3.0, 0.5) is tensor and tensor.dtype == dtype
    _assert_normal(tensor, 0.5, mean=3.0)


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_constant_zeros_ones_eye(dtype):
    tensor = tl.empty(3, 4, dtype=dtype)
    numpy.testing.assert_array_equal(init.constant_(tensor, 2.5).numpy(), numpy.full((3, 4), 2.5))
    numpy.testing.assert_array_equal(init.zeros_(tensor).numpy(), numpy.zeros((3, 4)))
    numpy.testing.assert_array_equal(init.ones_(tensor).numpy(), numpy.ones((3, 4)))
    numpy.testing.assert_array_equal(init.eye_(tensor).numpy(), numpy.eye(3, 4))
    assert tensor.dtype == dtype
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(tl.empty(2, 2, 2))


# shape -> (fan_in, fan_out), as PyTorch computes them (receptive field for conv kernels)
FAN_SHAPES = {(300, 400): (400, 300), (64, 32, 3, 3): (288, 576), (40, 20, 7): (140, 280)}


@pytest.mark.parametrize("shape", list(FAN_SHAPES), ids=str)
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier_bounds_and_std(shape, gain):
    fan_in, fan_out = FAN_SHAPES[shape]
    tensor = tl.empty(*shape)
    _assert_uniform(init.xavier_uniform_(tensor, gain=gain), gain * math.sqrt(6 / (fan_in + fan_out)))
    _assert_normal(init.xavier_normal_(tensor, gain=gain), gain * math.sqrt(2 / (fan_in + fan_out)))


@pytest.mark.parametrize("shape", list(FAN_SHAPES), ids=str)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", 0.1), ("tanh", 0),
                                             ("leaky_relu", math.sqrt(5))])
def test_kaiming_bounds_and_std(shape, mode, nonlinearity, a):
    fan = FAN_SHAPES[shape][0 if mode == "fan_in" else 1]
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    tensor = tl.empty(*shape)
    _assert_uniform(init.kaiming_uniform_(tensor, a=a, mode=mode, nonlinearity=nonlinearity),
                    math.sqrt(3) * std)
    _assert_normal(init.kaiming_normal_(tensor, a=a, mode=mode, nonlinearity=nonlinearity), std)


def test_fan_based_inits_need_two_dims_and_a_valid_mode():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tl.empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(tl.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                              (1.0, 1.0, 0.5, 3.0)])
def test_trunc_normal_respects_bounds(mean, std, a, b, dtype):
    tensor = init.trunc_normal_(tl.empty(100, 200, dtype=dtype), mean=mean, std=std, a=a, b=b)
    values = _values(tensor)
    assert tensor.dtype == dtype and values.min() >= a and values.max() <= b
    assert values.min() < a + 0.05 * (b - a) and values.max() > b - 0.05 * (b - a)
    if (a - mean) / std <= -2 and (b - mean) / std >= 2:  # symmetric, barely truncated
        numpy.testing.assert_allclose(values.mean(), mean, atol=0.02 * std)
        numpy.testing.assert_allclose(values.std(), 0.88 * std, rtol=0.03)  # N(0,1) cut at +-2


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain, dtype):
    tensor = init.orthogonal_(tl.empty(*shape, dtype=dtype), gain=gain)
    assert tensor.dtype == dtype and tensor.shape == shape
    matrix = tensor.numpy().reshape(shape[0], -1).astype(numpy.float64) / gain
    rows, cols = matrix.shape
    product = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    tolerance = 1e-5 if dtype == tl.float32 else 1e-12
    numpy.testing.assert_allclose(product, numpy.eye(min(rows, cols)), atol=tolerance)


INITIALISERS = {
    "uniform_": lambda t: init.uniform_(t, -1.0, 1.0),
    "normal_": lambda t: init.normal_(t),
    "xavier_uniform_": init.xavier_uniform_,
    "xavier_normal_": init.xavier_normal_,
    "kaiming_uniform_": init.kaiming_uniform_,
    "kaiming_normal_": init.kaiming_normal_,
    "trunc_normal_": init.trunc_normal_,
    "orthogonal_": init.orthogonal_,
}


@pytest.mark.parametrize("name", sorted(INITIALISERS))
def test_random_initialisers_repeat_under_manual_seed(name):
    fill = INITIALISERS[name]
    tl.manual_seed(123)
    first = fill(tl.empty(8, 5)).numpy().copy()
    second = fill(tl.empty(8, 5)).numpy()
    tl.manual_seed(123)
    numpy.testing.assert_array_equal(fill(tl.empty(8, 5)).numpy(), first)
    assert not numpy.array_equal(first, second)


@pytest.mark.parametrize("name", sorted(INITIALISERS))
def test_initialisers_on_parameters_record_no_graph(name):
    weight = nn.Parameter(tl.empty(4, 3))
    version = weight._version
    INITIALISERS[name](weight)
    assert weight.requires_grad and weight.is_leaf and weight.grad_fn is None
    assert weight.dtype == tl.float32 and weight._version > version
    (weight * 2.0).sum().backward()
    numpy.testing.assert_array_equal(weight.grad.numpy(), numpy.full((4, 3), 2.0))


@pytest.mark.parametrize("a, b, mean, std", [
    (5.0, 6.0, 5.18307, 0.17162),          # far right tail, finite: uniform proposal
    (5.0, math.inf, 5.18650, 0.18083),     # one-sided tail: exponential proposal
    (-math.inf, -6.0, -6.15848, 0.15491),  # left tail, mirrored
    (3.0, 3.01, 3.00500, 0.00289),         # narrow interval
    (-2.0, 2.0, 0.0, 0.87962),             # the default: plain rejection
])
def test_trunc_normal_matches_the_truncated_normal_moments_even_in_far_tails(a, b, mean, std):
    # Reference moments of the standard normal truncated to [a, b] (scipy.stats.truncnorm).
    values = init.trunc_normal_(tl.empty(200_000, dtype=tl.float64), a=a, b=b).numpy()
    assert values.min() >= a and values.max() <= b
    assert abs(values.mean() - mean) < 4 * std / math.sqrt(values.size) + 1e-4
    assert abs(values.std() - std) < 0.02 * std
