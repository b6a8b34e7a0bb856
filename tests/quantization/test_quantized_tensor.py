"""quantize_per_tensor / quantize_per_channel: PyTorch's integers, scales and errors."""
import numpy
import pytest
from helpers import requires_torch, torch

import tinygrad_lite as tl

# PyTorch 2.13 warns that its quantized tensors are deprecated; they are still the reference.
pytestmark = pytest.mark.filterwarnings("ignore:torch.ao.quantization is deprecated",
                                        "ignore:torch.quantize_per_tensor")

if torch is not None:
    QTYPES = {tl.qint8: torch.qint8, tl.quint8: torch.quint8}


def random_input(shape, seed=0, spread=5.0):
    return (numpy.random.default_rng(seed).standard_normal(shape) * spread).astype(numpy.float32)


def test_values_round_half_to_even_and_clamp():
    q = tl.quantize_per_tensor(tl.tensor([-1.0, 0.0, 0.5, 1.5, 2.5, 300.0]), 1.0, 8, tl.quint8)
    numpy.testing.assert_array_equal(q.int_repr().numpy(), [7, 8, 8, 10, 10, 255])
    assert q.int_repr().dtype == tl.uint8 and q.dtype is tl.quint8
    numpy.testing.assert_array_equal(q.dequantize().numpy(), [-1, 0, 0, 2, 2, 247])
    assert (q.q_scale(), q.q_zero_point(), q.qscheme()) == (1.0, 8, tl.quantization.per_tensor_affine)
    assert repr(q) == ("tensor([ -1.,   0.,   0.,   2.,   2., 247.], size=(6,), dtype=tl.quint8,\n"
                       "       quantization_scheme=tl.per_tensor_affine, scale=1.0, zero_point=8)")


def test_per_channel_accessors():
    x = tl.tensor([[-0.1, -1.3, -0.2], [0.2, -0.2, -0.6]])
    q = tl.quantize_per_channel(x, tl.tensor([0.1, 0.2], dtype=tl.float64), tl.tensor([0, 1]), 0,
                                tl.qint8)
    numpy.testing.assert_array_equal(q.int_repr().numpy(), [[-1, -13, -2], [2, 0, -2]])
    numpy.testing.assert_allclose(q.dequantize().numpy(), [[-0.1, -1.3, -0.2], [0.2, -0.2, -0.6]],
                                  rtol=1e-6)
    assert q.q_per_channel_scales().dtype == tl.float64
    numpy.testing.assert_array_equal(q.q_per_channel_zero_points().numpy(), [0, 1])
    assert q.q_per_channel_axis() == 0 and q.shape == (2, 3)
    with pytest.raises(RuntimeError, match="per_tensor"):
        q.q_scale()


@requires_torch
@pytest.mark.parametrize("qtype, zero_point", [("qint8", 3), ("quint8", 128)])
@pytest.mark.parametrize("scale", [0.1, 0.07, 1 / 3, 0.0123])
def test_per_tensor_matches_torch(qtype, zero_point, scale):
    x = random_input(100_003)  # odd length: torch's vector and scalar tails both covered
    ours = tl.quantize_per_tensor(tl.tensor(x), scale, zero_point, getattr(tl, qtype))
    theirs = torch.quantize_per_tensor(torch.from_numpy(x), scale, zero_point, QTYPES[getattr(tl, qtype)])
    numpy.testing.assert_array_equal(ours.int_repr().numpy(), theirs.int_repr().numpy())
    numpy.testing.assert_array_equal(ours.dequantize().numpy(), theirs.dequantize().numpy())


@requires_torch
@pytest.mark.parametrize("qtype", ["qint8", "quint8"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_per_channel_matches_torch(qtype, axis):
    x = random_input((7, 5, 3001) if axis == 0 else (3001, 5, 7))
    channels = x.shape[axis]
    scales = numpy.random.default_rng(1).uniform(0.01, 0.4, channels)
    low = -5 if qtype == "qint8" else 120
    zero_points = numpy.arange(low, low + channels)
    ours = tl.quantize_per_channel(tl.tensor(x), tl.tensor(scales), tl.tensor(zero_points), axis,
                                   getattr(tl, qtype))
    theirs = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales),
                                        torch.from_numpy(zero_points), axis, QTYPES[getattr(tl, qtype)])
    numpy.testing.assert_array_equal(ours.int_repr().numpy(), theirs.int_repr().numpy())
    numpy.testing.assert_array_equal(ours.dequantize().numpy(), theirs.dequantize().numpy())


@pytest.mark.parametrize("call, error, words", [
    (lambda: tl.quantize_per_tensor(tl.tensor([1.0], dtype=tl.float64), 1.0, 0, tl.qint8),
     RuntimeError, "float32"),
    (lambda: tl.quantize_per_tensor(tl.tensor([1.0]), 1.0, 0, tl.int8), RuntimeError, "qint8"),
    (lambda: tl.quantize_per_tensor(tl.tensor([1.0]), 0.0, 0, tl.qint8), RuntimeError, "positive"),
    (lambda: tl.quantize_per_tensor(tl.tensor([1.0]), 1.0, 300, tl.quint8), RuntimeError, "255"),
    (lambda: tl.quantize_per_channel(tl.ones(2, 3), tl.tensor([0.1, 0.2, 0.3]), tl.tensor([0, 1]),
                                     0, tl.qint8), RuntimeError, "must match"),
    (lambda: tl.quantize_per_channel(tl.ones(2, 3), tl.tensor([0.1, 0.2]), tl.tensor([0, 1]), 1,
                                     tl.qint8), RuntimeError, "size 3"),
    (lambda: tl.quantize_per_channel(tl.ones(2, 3), tl.tensor([0.1, 0.2]), tl.tensor([0, 1]), 2,
                                     tl.qint8), RuntimeError, "axis 2"),
    (lambda: tl.quantize_per_channel(tl.ones(2, 3), tl.tensor([0.1, 0.2]), tl.tensor([0, 1]), -2,
                                     tl.qint8), RuntimeError, "axis -2"),
])
def test_bad_arguments_raise_clear_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()
