"""Quantized tensors: 8-bit integers ``q`` standing for ``(q - zero_point) * scale``.

``quantize_per_tensor`` / ``quantize_per_channel`` give the same integers as PyTorch's CPU
kernels: per tensor, ``x * (1/scale) + zero_point`` rounded once (PyTorch fuses the multiply-add)
then to the nearest integer, ties to even; per channel, the product and the sum each rounded to
float32 first. Both clamp to the type's range. Dequantizing multiplies in float32 per tensor and
in float64 per channel (PyTorch keeps per-channel scales as float64).
"""
import math

import numpy

from tinygrad_lite.quantization.qtypes import (QuantizedDtype, per_channel_affine,
                                               per_tensor_affine, qint8, quint8)
from tinygrad_lite.tensor import Tensor

__all__ = ["QuantizedTensor", "quantize_per_tensor", "quantize_per_channel"]


class QuantizedTensor:
    """Integers ``q`` (``int_repr()``) with a scale and zero point, per tensor or per channel
    along ``axis``; not differentiable. ``dequantize()`` gives the float32 values they stand for."""

    is_quantized = True

    def __init__(self, integers, dtype, device, scale, zero_point, axis=None):
        self._integers = integers
        self.dtype = dtype
        self.device = device
        self._scale, self._zero_point, self._axis = scale, zero_point, axis

    # ----- shape ------------------------------------------------------------------------------
    @property
    def shape(self):
        """The shape, as a tuple."""
        return tuple(self._integers.shape)

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._integers.ndim

    def dim(self):
        """Number of dimensions."""
        return self.ndim

    def size(self, dim=None):
        """The shape, or its length along ``dim``."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        """Number of elements."""
        return int(self._integers.size)

    def qscheme(self):
        """``tl.per_tensor_affine`` or ``tl.per_channel_affine``."""
        return per_tensor_affine if self._axis is None else per_channel_affine

    # ----- values -----------------------------------------------------------------------------
    def int_repr(self):
        """The integers ``q`` as an int8 (qint8) or uint8 (quint8) Tensor (a copy)."""
        return Tensor._make(self._integers.copy(), self.device, False, None)

    def dequantize(self):
        """``(q - zero_point) * scale`` as a float32 Tensor of the same shape."""
        xp = self.device.xp
        shifted = self._integers.astype(xp.int32) - self._broadcast(self._zero_point)
        if self._axis is None:
            values = shifted.astype(xp.float32) * xp.float32(self._scale)
        else:
            values = (shifted * self._broadcast(self._scale)).astype(xp.float32)
        return Tensor._make(values, self.device, False, None)

    def q_scale(self):
        """The scale of a per-tensor quantized tensor (a Python float)."""
        self._require(per_tensor_affine, "q_scale")
        return float(self._scale)

    def q_zero_point(self):
        """The zero point of a per-tensor quantized tensor (a Python int)."""
        self._require(per_tensor_affine, "q_zero_point")
        return int(self._zero_point)

    def q_per_channel_scales(self):
        """The float64 scales (C,) of a per-channel quantized tensor."""
        self._require(per_channel_affine, "q_per_channel_scales")
        return Tensor._make(self._scale.copy(), self.device, False, None)

    def q_per_channel_zero_points(self):
        """The int64 zero points (C,) of a per-channel quantized tensor."""
        self._require(per_channel_affine, "q_per_channel_zero_points")
        return Tensor._make(self._zero_point.copy(), self.device, False, None)

    def q_per_channel_axis(self):
        """The channel axis of a per-channel quantized tensor."""
        self._require(per_channel_affine, "q_per_channel_axis")
        return self._axis

    def _require(self, scheme, method):
        if self.qscheme() is not scheme:
            raise RuntimeError(f"{method}() needs a {scheme} quantized tensor, this one is "
                               f"{self.qscheme()}")

    def _broadcast(self, per_channel):
        """A per-channel (C,) array shaped to broadcast along ``axis`` (scalars pass through)."""
        if self._axis is None:
            return per_channel
        shape = [1] * self.ndim
        shape[self._axis] = -1
        return per_channel.reshape(shape)

    def __repr__(self):
        values = repr(self.dequantize())[:-1]
        head = f"{values}, size={self.shape}, dtype={self.dtype},"
        if self._axis is None:
            tail = f"quantization_scheme={self.qscheme()}, scale={self.q_scale()}, " \
                   f"zero_point={self.q_zero_point()})"
        else:
            tail = (f"quantization_scheme={self.qscheme()},\n       "
                    f"scale={self.q_per_channel_scales()!r},\n       "
                    f"zero_point={self.q_per_channel_zero_points()!r}, axis={self._axis})")
        return f"{head}\n       {tail}"


def quantize_per_tensor(input, scale, zero_point, dtype):
    """Quantize the float32 tensor ``input`` with one ``scale`` and ``zero_point`` to ``dtype``
    (``tl.qint8`` or ``tl.quint8``): ``q = clamp(round(input / scale) + zero_point)``."""
    _check_input(input, dtype, "quantize_per_tensor")
    scale, zero_point = float(scale), int(zero_point)
    if not (math.isfinite(scale) and scale > 0):
        raise RuntimeError(f"quantize_per_tensor: scale must be positive and finite, got {scale}")
    _check_zero_points(numpy.array([zero_point]), dtype, "quantize_per_tensor")
    xp = input.device.xp
    inverse = numpy.float32(1) / numpy.float32(scale)
    # float64 holds x * inverse + zero_point exactly, so one cast rounds like a fused multiply-add
    fused = (input.data.astype(xp.float64) * float(inverse) + zero_point).astype(xp.float32)
    integers = _round_and_clamp(xp, fused, dtype)
    return QuantizedTensor(integers, dtype, input.device, scale, zero_point)


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    """Quantize the float32 ``input`` with one scale and zero point per slice along ``axis``:
    ``scales`` (C,) floats, ``zero_points`` (C,) ints, C = ``input.shape[axis]``."""
    _check_input(input, dtype, "quantize_per_channel")
    xp = input.device.xp
    scales = xp.asarray(_values(scales), dtype=xp.float64).reshape(-1)
    zero_points = xp.asarray(_values(zero_points)).astype(xp.int64).reshape(-1)
    if scales.shape != zero_points.shape:
        raise RuntimeError(f"quantize_per_channel: {scales.size} scales but {zero_points.size} "
                           f"zero_points: the numbers must match")
    if not 0 <= axis < input.ndim:  # PyTorch takes no negative axis here
        raise RuntimeError(f"quantize_per_channel: channel axis {axis} out of range [0, "
                           f"{input.ndim}) for a tensor of shape {list(input.shape)}")
    if scales.size != input.shape[axis]:
        raise RuntimeError(f"quantize_per_channel: {scales.size} scales for dim {axis} of size "
                           f"{input.shape[axis]} (input shape {list(input.shape)})")
    if not bool(xp.all(xp.isfinite(scales) & (scales > 0))):
        raise RuntimeError("quantize_per_channel: every scale must be positive and finite")
    _check_zero_points(zero_points, dtype, "quantize_per_channel")
    shape = [1] * input.ndim
    shape[axis] = -1
    inverse = (xp.float32(1) / scales.astype(xp.float32)).reshape(shape)
    shifted = input.data * inverse + zero_points.astype(xp.float32).reshape(shape)
    integers = _round_and_clamp(xp, shifted, dtype)
    return QuantizedTensor(integers, dtype, input.device, scales, zero_points, axis)


def _values(value):
    return value.data if isinstance(value, Tensor) else value


def _round_and_clamp(xp, values, dtype):
    return xp.clip(xp.rint(values), dtype.quant_min, dtype.quant_max).astype(dtype.storage)


def _check_input(input, dtype, where):
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype != numpy.float32:
        raise RuntimeError(f"{where}: only float32 tensors can be quantized, got {input.dtype}")
    if not isinstance(dtype, QuantizedDtype):
        raise RuntimeError(f"{where}: dtype must be {qint8} or {quint8}, got {dtype}")


def _check_zero_points(zero_points, dtype, where):
    if zero_points.size and (int(zero_points.min()) < dtype.quant_min
                             or int(zero_points.max()) > dtype.quant_max):
        raise RuntimeError(f"{where}: zero_point must lie in [{dtype.quant_min}, "
                           f"{dtype.quant_max}] for {dtype}, got {zero_points.tolist()}")
