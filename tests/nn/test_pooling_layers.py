"""Tests for tinygrad_lite/nn/pooling.py: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d layers."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn

# name -> (build(nn), input shape)
CONFIGS = {
    "max": (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    "max_stride_padding": (lambda m: m.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    "max_rect_dilation": (lambda m: m.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)), (1, 2, 7, 8)),
    "max_ceil": (lambda m: m.MaxPool2d(2, ceil_mode=True), (2, 2, 5, 7)),
    "max_unbatched": (lambda m: m.MaxPool2d(2), (3, 4, 4)),
    "avg": (lambda m: m.AvgPool2d(2), (2, 3, 6, 6)),
    "avg_stride_padding": (lambda m: m.AvgPool2d(3, stride=1, padding=1), (2, 2, 5, 5)),
    "avg_exclude_pad": (lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                        (2, 2, 6, 5)),
    "avg_ceil": (lambda m: m.AvgPool2d(2, ceil_mode=True), (1, 2, 5, 7)),
    "avg_divisor": (lambda m: m.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
    "adaptive_global": (lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 5, 7)),
    "adaptive_uneven": (lambda m: m.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    "adaptive_none": (lambda m: m.AdaptiveAvgPool2d((None, 2)), (1, 2, 4, 6)),
}


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_pooling_layer_matches_torch(name, dtype, device):
    build, shape = CONFIGS[name]
    check_parity(build(nn), build(torch.nn), shape, dtype=dtype, device=device, atol=1e-6)


@pytest.mark.parametrize("name", ["max_stride_padding", "max_ceil", "avg_exclude_pad", "avg_ceil",
                                  "adaptive_uneven"])
def test_pooling_layer_gradcheck(name):
    build, shape = CONFIGS[name]
    check_gradcheck(build(nn), shape)


@requires_torch
def test_max_pool_return_indices_match_torch():
    def build(m):
        return m.MaxPool2d(3, stride=2, padding=1, return_indices=True)

    check_parity(build(nn), build(torch.nn), (2, 2, 7, 6))


def test_pooling_in_a_model_keeps_float32():
    model = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1))
    out = model(tl.randn(2, 3, 8, 8))
    assert out.dtype == tl.float32 and out.shape == (2, 3, 1, 1)


@requires_torch
@pytest.mark.parametrize("build", [
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda m: m.AvgPool2d(2), lambda m: m.AvgPool2d(3, stride=1, padding=1),
    lambda m: m.AdaptiveAvgPool2d((1, 1)), lambda m: m.AdaptiveAvgPool2d(4),
])
def test_pooling_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))
