"""``tl.quantization``: 8-bit quantized tensors and dynamic quantization of Linear layers.

    qmodel = tl.quantization.quantize_dynamic(model, {tl.nn.Linear}, dtype=tl.qint8)
"""
from tinygrad_lite.quantization.dynamic_linear import DynamicQuantizedLinear
from tinygrad_lite.quantization.qtypes import (QScheme, QuantizedDtype, per_channel_affine,
                                               per_tensor_affine, qint8, quint8)
from tinygrad_lite.quantization.quantize_dynamic import quantize_dynamic
from tinygrad_lite.quantization.quantized_tensor import (QuantizedTensor, quantize_per_channel,
                                                         quantize_per_tensor)

__all__ = ["DynamicQuantizedLinear", "QScheme", "QuantizedDtype", "QuantizedTensor",
           "per_channel_affine", "per_tensor_affine", "qint8", "quantize_dynamic",
           "quantize_per_channel", "quantize_per_tensor", "quint8"]
