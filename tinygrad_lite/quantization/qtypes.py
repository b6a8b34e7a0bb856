"""The quantized element types ``tl.qint8`` / ``tl.quint8`` and the quantization schemes.

A quantized type is not a ``tl.dtype``: its values are integers standing for
``(q - zero_point) * scale``, kept in the NumPy integer type ``storage`` (int8 / uint8).
"""
import numpy


class QuantizedDtype:
    """An 8-bit quantized element type: ``storage`` holds ``q`` in [``quant_min``, ``quant_max``]."""

    __slots__ = ("name", "storage", "quant_min", "quant_max")

    def __init__(self, name, storage):
        self.name = name
        self.storage = numpy.dtype(storage)
        info = numpy.iinfo(self.storage)
        self.quant_min, self.quant_max = int(info.min), int(info.max)

    is_floating_point = False
    is_complex = False

    def __repr__(self):
        return f"tl.{self.name}"

    __str__ = __repr__


class QScheme:
    """How a quantized tensor's scale and zero point apply: per tensor or per channel."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"tl.{self.name}"

    __str__ = __repr__


qint8 = QuantizedDtype("qint8", numpy.int8)
quint8 = QuantizedDtype("quint8", numpy.uint8)
per_tensor_affine = QScheme("per_tensor_affine")
per_channel_affine = QScheme("per_channel_affine")
