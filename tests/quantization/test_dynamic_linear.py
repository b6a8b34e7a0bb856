"""DynamicQuantizedLinear: PyTorch's dynamic quantized Linear (per-channel qint8 weights)."""
import numpy
import pytest
from helpers import requires_torch, torch

import tinygrad_lite as tl
from tinygrad_lite.quantization import DynamicQuantizedLinear
from tinygrad_lite.quantization.dynamic_linear import input_qparams

# PyTorch 2.13 warns that its quantized tensors are deprecated; they are still the reference.
pytestmark = pytest.mark.filterwarnings("ignore:torch.ao.quantization is deprecated",
                                        "ignore:torch.quantize_per_tensor")


def float_layer(in_features, out_features, seed=0):
    tl.manual_seed(seed)
    return tl.nn.Linear(in_features, out_features)


@requires_torch
@pytest.mark.parametrize("in_features, out_features, batch, spread", [
    (64, 128, 360, 1.0), (128, 10, 50, 3.0), (256, 300, 7, 0.01), (8, 3, 4, 1e-6)])
def test_outputs_match_torch_dynamic_linear(in_features, out_features, batch, spread):
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    layer = float_layer(in_features, out_features)
    reference = torch.nn.Sequential(torch.nn.Linear(in_features, out_features))
    with torch.no_grad():
        reference[0].weight.copy_(torch.from_numpy(layer.weight.detach().numpy()))
        reference[0].bias.copy_(torch.from_numpy(layer.bias.detach().numpy()))
    reference = quantize_dynamic(reference, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                 dtype=torch.qint8)
    ours = DynamicQuantizedLinear.from_float(layer)
    numpy.testing.assert_array_equal(ours.weight_int8.numpy(),
                                     reference[0].weight().int_repr().numpy())
    numpy.testing.assert_array_equal(ours.weight_scales.numpy(),
                                     reference[0].weight().q_per_channel_scales().numpy())
    x = (numpy.random.default_rng(1).standard_normal((batch, in_features)) * spread).astype(numpy.float32)
    expected = reference(torch.from_numpy(x)).numpy()
    got = ours(tl.tensor(x)).numpy()
    # measured: at most 5e-7 apart (float32 rounding of the rescale), on outputs up to 5
    numpy.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_integer_arithmetic_by_hand():
    layer = tl.nn.Linear(2, 2)
    layer.weight.data[...] = [[1.0, -0.5], [0.25, 0.0]]
    layer.bias.data[...] = [0.5, -1.0]
    quantized = DynamicQuantizedLinear.from_float(layer)
    numpy.testing.assert_array_equal(quantized.weight_int8.numpy(), [[127, -64], [127, 0]])
    numpy.testing.assert_allclose(quantized.weight_scales.numpy(), [1 / 127.5, 0.25 / 127.5])
    x = numpy.array([[0.0, 1.27]], numpy.float32)  # scale 0.01, zero point 0 -> integers 0, 127
    assert input_qparams(x) == (pytest.approx(0.01), 0)
    y = quantized(tl.tensor(x)).numpy()
    numpy.testing.assert_allclose(y, [[127 * -64 * 0.01 / 127.5 + 0.5, -1.0]], rtol=1e-6)


@pytest.mark.parametrize("values, scale, zero_point", [
    ([0.0, 0.0], 0.1, 0),              # all zeros: PyTorch's fallback scale
    ([-2.54, 0.0], 0.02, 127),         # negative only: zero point at the top
    ([-1.0, 1.54], 2.54 / 127, 50),    # both signs: 1/2.54*127 = 50
    ([1e-7, 2e-7], 6.1e-5, 0),         # tiny range: scale raised to the floor
])
def test_input_qparams(values, scale, zero_point):
    got_scale, got_zero_point = input_qparams(numpy.array(values, numpy.float32))
    assert got_scale == pytest.approx(scale, rel=1e-6) and got_zero_point == zero_point


def test_state_dict_round_trip_and_shapes(tmp_path):
    quantized = DynamicQuantizedLinear.from_float(float_layer(6, 4))
    state = quantized.state_dict()
    assert {key: (value.dtype, tuple(value.shape)) for key, value in state.items()} == {
        "weight_int8": (tl.int8, (4, 6)), "weight_scales": (tl.float32, (4,)),
        "weight_zero_points": (tl.int32, (4,)), "bias_float": (tl.float32, (4,))}
    tl.save(state, tmp_path / "q.tl")
    fresh = DynamicQuantizedLinear(6, 4)
    fresh.load_state_dict(tl.load(tmp_path / "q.tl"))
    x = tl.randn(3, 2, 6)
    numpy.testing.assert_array_equal(fresh(x).numpy(), quantized(x).numpy())
    assert fresh(x).shape == (3, 2, 4) and fresh(x).dtype == tl.float32
    assert fresh.weight().q_per_channel_axis() == 0


def test_wrong_input_width_raises():
    with pytest.raises(RuntimeError, match="in_features=6"):
        DynamicQuantizedLinear.from_float(float_layer(6, 4))(tl.ones(2, 5))


@pytest.mark.parametrize("depth, magnitude", [(64, 127), (2048, 127), (8, 2 ** 20), (4, 2 ** 30)])
def test_the_blas_integer_matmul_is_exact(depth, magnitude):
    """float32 below 2**24, float64 below 2**53, int64 above: always the integer product."""
    from tinygrad_lite.quantization.dynamic_linear import _integer_matmul
    rng = numpy.random.default_rng(depth)
    left = rng.integers(-magnitude, magnitude + 1, (5, depth)).astype(numpy.int64)
    right = rng.integers(-magnitude, magnitude + 1, (3, depth)).astype(numpy.int64)
    assert numpy.array_equal(_integer_matmul(numpy, left, right), left @ right.T)
