"""``DynamicQuantizedLinear``: a Linear layer with int8 weights whose input is quantized on the fly.

Weights are quantized once, symmetrically per output channel (qint8, zero point 0, scale =
max|w| / 127.5, as PyTorch's per-channel weight observer). Each call quantizes the input per
tensor to unsigned 7-bit values (0-127, PyTorch's ``reduce_range`` for x86: a sum of two
uint8 x int8 products then cannot overflow int16 in its kernels), multiplies the integers with
int32 accumulation, and rescales to float32: ``y = (x_q - zp_x) @ w_q.T * (s_x * s_w) + b``.
"""
import numpy

from tinygrad_lite import dtypes

from tinygrad_lite.nn.module import Module
from tinygrad_lite.quantization.qtypes import qint8, quint8
from tinygrad_lite.quantization.quantized_tensor import QuantizedTensor, quantize_per_channel
from tinygrad_lite.tensor import Tensor

# PyTorch (fbgemm's ChooseQuantizationParams) raises scales below this to it.
_SMALLEST_SCALE = float(numpy.float32(6.1e-5))
_INPUT_QUANT_MIN, _INPUT_QUANT_MAX = 0, 127


class DynamicQuantizedLinear(Module):
    """``y = x @ W.T + b`` with W stored as int8 per output channel; x (*, in) -> y (*, out) float32.

    Inference only (no gradients). ``state_dict`` holds ``weight_int8`` (out, in) int8,
    ``weight_scales`` (out,) float32, ``weight_zero_points`` (out,) int32 and ``bias_float``
    (out,) float32: a quarter of the float32 layer's bytes, plus a few per channel.
    Build one with :meth:`from_float` or ``tl.quantization.quantize_dynamic``.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=qint8):
        super().__init__()
        if dtype is not qint8:
            raise ValueError(f"DynamicQuantizedLinear supports dtype={qint8} only, got {dtype}")
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("weight_int8", Tensor(numpy.zeros((out_features, in_features), numpy.int8)))
        self.register_buffer("weight_scales", Tensor(numpy.ones(out_features, numpy.float32)))
        self.register_buffer("weight_zero_points", Tensor(numpy.zeros(out_features, numpy.int32)))
        self.register_buffer("bias_float", Tensor(numpy.zeros(out_features, numpy.float32)) if bias else None)

    @classmethod
    def from_float(cls, linear):
        """The quantized copy of a float ``nn.Linear`` (its weights quantized per output channel)."""
        weight = linear.weight.detach().to(dtypes.float32)
        xp = weight.device.xp
        zero_points = xp.zeros(weight.shape[0], dtype=xp.int64)
        quantized = quantize_per_channel(weight, _symmetric_scales(xp, weight.data), zero_points, 0,
                                         qint8)
        layer = cls(linear.in_features, linear.out_features, bias=linear.bias is not None)
        layer.set_weight_bias(quantized, linear.bias)
        return layer

    def set_weight_bias(self, weight, bias):
        """Store the per-channel (axis 0) qint8 ``weight`` and the float ``bias`` (or None)."""
        if weight.dtype is not qint8 or weight.q_per_channel_axis() != 0:
            raise ValueError(f"weight must be {qint8} quantized per channel along axis 0")
        device = weight.device
        self.weight_int8 = weight.int_repr()
        self.weight_scales = Tensor._make(weight._scale.astype("float32"), device, False, None)
        self.weight_zero_points = Tensor._make(weight._zero_point.astype("int32"), device, False, None)
        self.bias_float = None if bias is None else bias.detach().to(dtypes.float32)

    def weight(self):
        """The weight as a per-channel ``tl.qint8`` QuantizedTensor."""
        return QuantizedTensor(self.weight_int8.data, qint8, self.weight_int8.device,
                               self.weight_scales.data.astype("float64"),
                               self.weight_zero_points.data.astype("int64"), axis=0)

    def bias(self):
        """The float32 bias (out,), or None."""
        return self.bias_float

    def forward(self, input):
        """Quantize ``input`` (*, in_features) per tensor, integer matmul, float32 output."""
        if input.shape[-1:] != (self.in_features,):
            raise RuntimeError(f"DynamicQuantizedLinear: input of shape {list(input.shape)} does not "
                               f"end in in_features={self.in_features}")
        if input.device != self.weight_int8.device:
            raise RuntimeError(f"DynamicQuantizedLinear: input on {input.device}, weights on "
                               f"{self.weight_int8.device}")
        xp = input.device.xp
        values = input.data.astype(xp.float32, copy=False).reshape(-1, self.in_features)
        scale, zero_point = input_qparams(values)
        integers = _quantize_input(xp, values, scale, zero_point)
        weight = self.weight_int8.data.astype(xp.int32) - self.weight_zero_points.data[:, None]
        accumulated = _integer_matmul(xp, integers, weight) - zero_point * weight.sum(axis=1)
        output = accumulated.astype(xp.float32) * (xp.float32(scale) * self.weight_scales.data)
        if self.bias_float is not None:
            output += self.bias_float.data
        return Tensor._make(output.reshape(input.shape[:-1] + (self.out_features,)),
                            input.device, False, None)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"dtype={qint8}, qscheme=tl.per_channel_affine")


def input_qparams(values):
    """PyTorch's dynamic (scale, zero_point) for float32 ``values`` on [0, 127]: the range
    [min, max] stretched to hold 0, split into 127 steps, zero point rounded into range."""
    low = min(float(values.min()), 0.0) if values.size else 0.0
    high = max(float(values.max()), 0.0) if values.size else 0.0
    steps = _INPUT_QUANT_MAX - _INPUT_QUANT_MIN
    scale = (high - low) / steps
    if numpy.float32(scale) == 0 or numpy.isinf(numpy.float32(1) / numpy.float32(scale)):
        scale = 0.1
    if scale < _SMALLEST_SCALE:
        if low == 0.0:
            high = _SMALLEST_SCALE * steps
        elif high == 0.0:
            low = -_SMALLEST_SCALE * steps
        else:
            low, high = low * (_SMALLEST_SCALE / scale), high * (_SMALLEST_SCALE / scale)
        scale = _SMALLEST_SCALE
    # Solve for the zero point from the end whose term is smaller (less rounding error).
    from_low, from_high = _INPUT_QUANT_MIN - low / scale, _INPUT_QUANT_MAX - high / scale
    low_error = abs(_INPUT_QUANT_MIN) - abs(low / scale)
    high_error = abs(_INPUT_QUANT_MAX) - abs(high / scale)
    zero_point = from_low if low_error < high_error else from_high
    zero_point = int(numpy.rint(numpy.clip(zero_point, _INPUT_QUANT_MIN, _INPUT_QUANT_MAX)))
    return float(numpy.float32(scale)), zero_point


def _quantize_input(xp, values, scale, zero_point):
    """uint8-range integers (as int32) of ``values``: round(x / scale) + zero_point, clamped."""
    inverse = xp.float32(1) / xp.float32(scale)
    rounded = xp.rint(values * inverse).astype(xp.int32) + zero_point
    return xp.clip(rounded, quint8.quant_min, quint8.quant_max)


def _integer_matmul(xp, left, right):
    """``left @ right.T`` of int32 arrays, exactly, through a BLAS float matmul.

    NumPy's integer matmul has no BLAS kernel (it is many times slower than float32's). Every
    product and partial sum here is an integer of at most ``depth * max|left| * max|right|``, which
    float32 holds exactly below 2**24 and float64 below 2**53, so the float result is the integer one.
    """
    largest = int(xp.abs(left).max(initial=0)) * int(xp.abs(right).max(initial=0)) * left.shape[-1]
    float_type = xp.float32 if largest < 2 ** 24 else xp.float64
    if largest >= 2 ** 53:
        return left.astype(xp.int64) @ right.T.astype(xp.int64)
    product = left.astype(float_type) @ right.T.astype(float_type)
    return product.astype(xp.int64)


def _symmetric_scales(xp, weight):
    """Per-output-channel scales max|w| / 127.5 (at least float32 eps), PyTorch's observer's."""
    largest = xp.abs(weight).max(axis=tuple(range(1, weight.ndim)))
    scales = largest / xp.float32((qint8.quant_max - qint8.quant_min) / 2)
    return xp.maximum(scales, xp.finfo(xp.float32).eps).astype(xp.float32)
