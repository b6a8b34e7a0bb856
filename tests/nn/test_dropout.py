"""Tests for tinygrad_lite/nn/functional/dropout.py: dropout, dropout1d, dropout2d, dropout3d."""
import warnings

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_statistics(device, p):
    x = tl.ones(200, 500, device=device)
    out = F.dropout(x, p).numpy(force=True)
    zero_fraction = float((out == 0).mean())
    assert abs(zero_fraction - p) < 0.01
    kept = out[out != 0]
    numpy.testing.assert_allclose(kept, 1.0 / (1.0 - p), rtol=1e-6)  # inverted scaling
    assert abs(float(out.mean()) - 1.0) < 0.03  # expectation preserved


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_is_mask_times_scale(device):
    x = tl.randn(50, 40, device=device, requires_grad=True)
    out = F.dropout(x, 0.3)
    upstream = tl.randn(50, 40, device=device)
    (out * upstream).sum().backward()
    out_values, x_values = out.detach().numpy(force=True), x.detach().numpy(force=True)
    kept = out_values != 0
    expected = numpy.where(kept, upstream.numpy(force=True) / 0.7, 0.0)
    numpy.testing.assert_allclose(x.grad.numpy(force=True), expected, rtol=1e-6)
    numpy.testing.assert_allclose(out_values[kept], x_values[kept] / 0.7, rtol=1e-6)


def test_gradcheck_with_fixed_mask():
    def dropped(x):
        tl.manual_seed(123)  # the same mask on every evaluation, so finite differences are valid
        return F.dropout(x, 0.4)

    def dropped_channels(x):
        tl.manual_seed(5)
        return F.dropout2d(x, 0.5)

    check_gradcheck(dropped, (4, 5))
    check_gradcheck(dropped_channels, (3, 4, 2, 2))


def test_deterministic_under_manual_seed():
    x = tl.ones(20, 30)
    tl.manual_seed(42)
    first = F.dropout(x, 0.5).numpy()
    tl.manual_seed(42)
    second = F.dropout(x, 0.5).numpy()
    third = F.dropout(x, 0.5).numpy()
    numpy.testing.assert_array_equal(first, second)
    assert not numpy.array_equal(second, third)


def test_identity_cases():
    x = tl.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout2d(x.reshape(1, 3, 2, 2), 0.5, training=False).shape == (1, 3, 2, 2)


def test_p_one_gives_zeros_and_zero_gradient():
    x = tl.randn(3, 4, requires_grad=True)
    out = F.dropout(x, 1.0)
    assert not out.numpy(force=True).any()
    out.sum().backward()
    assert not x.grad.numpy().any()


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_out_of_range(p):
    for function in (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d):
        with pytest.raises(ValueError, match="between 0 and 1"):
            function(tl.ones(2, 3, 4, 4), p)


@pytest.mark.parametrize("dtype", [tl.float16, tl.float32, tl.float64])
def test_dtype_preserved(dtype):
    x = tl.ones(4, 5, dtype=dtype)
    assert F.dropout(x, 0.5).dtype == dtype
    assert F.dropout2d(tl.ones(2, 3, 4, 4, dtype=dtype), 0.5).dtype == dtype


def test_inplace():
    x = tl.ones(100, 100)
    array = x.data
    assert F.dropout(x, 0.5, inplace=True) is x
    assert set(numpy.unique(array).tolist()) == {0.0, 2.0}
    leaf = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.dropout(leaf, 0.5, inplace=True)


@pytest.mark.parametrize("function, shape, channel_dims", [
    (F.dropout1d, (8, 6, 10), 2), (F.dropout1d, (6, 10), 1),
    (F.dropout2d, (8, 6, 4, 5), 2), (F.dropout3d, (4, 6, 2, 3, 3), 2), (F.dropout3d, (6, 2, 3, 3), 1),
])
def test_channel_dropout_zeros_whole_channels(function, shape, channel_dims):
    out = function(tl.ones(*shape), 0.5).numpy()
    per_channel = out.reshape(shape[:channel_dims] + (-1,))
    # Every channel is either entirely dropped or entirely kept (and scaled by 2).
    assert numpy.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < per_channel[..., 0].size


def test_dropout2d_on_3d_input_is_channelwise_1d_with_warning():
    with pytest.warns(UserWarning, match="3D input"):
        out = F.dropout2d(tl.ones(6, 5, 7), 0.5).numpy()
    assert numpy.all((out == 0).all(-1) | (out == 2.0).all(-1))


def test_dropout1d_rejects_other_ranks():
    with pytest.raises(RuntimeError, match="2D or 3D"):
        F.dropout1d(tl.ones(2, 3, 4, 5), 0.5)


def test_dropout2d_on_4d_input_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(tl.ones(2, 3, 4, 4), 0.5)
