"""Text of node labels and tooltips: shapes, dtypes and tensor summaries, shared by every view."""
from tinygrad_lite.tensor import Tensor

__all__ = ["shape_text", "dtype_text", "tensor_lines", "array_summary", "count_text"]


def shape_text(shape):
    """``(4, 5)`` for a shape, ``(5,)`` for one dimension, ``()`` for a scalar."""
    return "(" + ", ".join(str(int(size)) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def dtype_text(dtype):
    """``float32`` for a tl/NumPy/CuPy dtype."""
    return str(getattr(dtype, "name", dtype))


def tensor_lines(title, tensor, show_shapes):
    """Two label lines for a tensor: its title, then shape (optional), dtype and a non-CPU device."""
    details = [dtype_text(tensor.dtype)]
    if show_shapes:
        details.insert(0, shape_text(tensor.shape))
    if tensor.device.type != "cpu":  # only worth a word when it is not the default
        details.append(str(tensor.device))
    return (title, " ".join(details))


def array_summary(value):
    """``(4, 5) float32`` (plus the device off the CPU) for a Tensor or a NumPy/CuPy array."""
    array = value.data if isinstance(value, Tensor) else value
    text = f"{shape_text(array.shape)} {dtype_text(array.dtype)}"
    device = getattr(value, "device", None)
    if isinstance(value, Tensor) and device.type != "cpu":
        text += f" {device}"
    return text


def count_text(count):
    """A parameter count the way people read it: ``812``, ``12.3k``, ``4.56M``."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            return f"{count / limit:.3g}{suffix}"
    return str(int(count))
