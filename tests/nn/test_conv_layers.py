"""Tests for tinygrad_lite/nn/conv.py: Conv1d and Conv2d layers (init, options, parity, errors)."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn

# name -> (build(nn), input shape)
CONFIGS = {
    "conv1d": (lambda m: m.Conv1d(3, 4, 3), (2, 3, 9)),
    "conv1d_stride_padding": (lambda m: m.Conv1d(2, 4, 4, stride=2, padding=2), (2, 2, 9)),
    "conv1d_same_dilation": (lambda m: m.Conv1d(2, 3, 3, padding="same", dilation=2), (2, 2, 8)),
    "conv2d": (lambda m: m.Conv2d(3, 4, 3), (2, 3, 6, 5)),
    "conv2d_stride_padding": (lambda m: m.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)),
                              (2, 3, 7, 6)),
    "conv2d_dilation_no_bias": (lambda m: m.Conv2d(2, 3, 3, dilation=2, bias=False), (2, 2, 8, 7)),
    "conv2d_groups": (lambda m: m.Conv2d(4, 6, 3, groups=2, padding=1), (2, 4, 5, 5)),
    "conv2d_depthwise": (lambda m: m.Conv2d(3, 3, 3, groups=3), (2, 3, 5, 6)),
    "conv2d_same": (lambda m: m.Conv2d(2, 3, (3, 4), padding="same"), (2, 2, 6, 7)),
    "conv2d_valid": (lambda m: m.Conv2d(2, 3, 2, padding="valid"), (1, 2, 4, 4)),
    "conv2d_unbatched": (lambda m: m.Conv2d(2, 3, 3, padding=1), (2, 5, 5)),
}


def _load_from_torch(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return ours


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note about its own speed
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_conv_layer_matches_torch(name, device):
    build, shape = CONFIGS[name]
    theirs = build(torch.nn)
    ours = _load_from_torch(build(nn), theirs).to(device)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    check_parity(ours, theirs, shape, device=device)
    for (key, mine), (_, reference) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_allclose(mine.grad.numpy(force=True), reference.grad.numpy(),
                                      atol=1e-5, rtol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", ["conv1d_stride_padding", "conv2d_stride_padding", "conv2d_groups",
                                  "conv2d_same"])
def test_conv_layer_gradcheck(name):
    build, shape = CONFIGS[name]
    layer = build(nn).double()
    check_gradcheck(lambda x: layer(x), shape)


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_conv_layer_keeps_dtype(dtype):
    layer = nn.Conv2d(2, 3, 3, dtype=dtype)
    assert layer.weight.dtype == dtype and layer.bias.dtype == dtype
    assert layer(tl.randn(1, 2, 4, 4, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize("build, fan_in", [
    (lambda: nn.Conv2d(64, 96, 5), 64 * 25),
    (lambda: nn.Conv2d(64, 96, (3, 5), groups=4), 16 * 15),
    (lambda: nn.Conv1d(40, 500, 7), 40 * 7),
])
def test_conv_default_init_bounds_are_one_over_sqrt_fan_in(build, fan_in):
    layer = build()
    bound = 1 / math.sqrt(fan_in)
    weights = layer.weight.numpy(force=True).ravel()
    assert weights.min() >= -bound and weights.max() <= bound
    assert weights.min() < -0.98 * bound and weights.max() > 0.98 * bound
    # A sample standard deviation: 0.03 is several standard errors for the smallest layer here.
    numpy.testing.assert_allclose(weights.std(), bound / math.sqrt(3), rtol=0.03)
    bias = layer.bias.numpy(force=True)
    assert bias.min() >= -bound and bias.max() <= bound


def test_conv_layer_stores_options_as_tuples_like_torch():
    layer = nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=(1, 2), groups=2)
    assert layer.kernel_size == (3, 3) and layer.stride == (2, 2) and layer.padding == (1, 1)
    assert layer.dilation == (1, 2) and layer.groups == 2 and layer.weight.shape == (8, 2, 3, 3)
    assert nn.Conv1d(2, 4, 5).kernel_size == (5,)
    assert nn.Conv2d(2, 4, 3, padding="same").padding == "same"


def test_conv_layer_errors_are_clear():
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'foo'"):
        nn.Conv1d(3, 4, 3, padding="foo")
    with pytest.raises(RuntimeError, match="channels"):
        nn.Conv2d(3, 4, 3)(tl.zeros(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match="float64.*float32"):
        nn.Conv2d(3, 4, 3)(tl.zeros(1, 3, 5, 5, dtype=tl.float64))


@requires_torch
@pytest.mark.parametrize("build", [
    lambda m: m.Conv2d(3, 8, 3),
    lambda m: m.Conv2d(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda m: m.Conv2d(3, 8, 3, padding="same"),
    lambda m: m.Conv1d(3, 5, 3, stride=2),
])
def test_conv_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))
