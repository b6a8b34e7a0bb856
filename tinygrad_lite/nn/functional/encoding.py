"""``one_hot``: integer class ids to int64 indicator vectors."""
from tinygrad_lite import dtypes
from tinygrad_lite.tensor import Tensor

__all__ = ["one_hot"]


def one_hot(tensor, num_classes=-1):
    """Ids of shape (*) -> int64 (*, num_classes) with a 1 at each id's position, 0 elsewhere.

    ``num_classes=-1`` infers it as ``max(id) + 1``. Ids outside ``[0, num_classes)`` raise
    IndexError naming the id and the number of classes. The result carries no gradient.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot: expected an integer Tensor of class ids, got {type(tensor).__name__}")
    if tensor.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot: class ids must be an integer (int64) tensor, got {tensor.dtype}")
    ids = tensor.data
    xp = tensor.device.xp
    if num_classes == -1:
        if ids.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(ids.max()) + 1
    elif num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 (infer) or non-negative, got {num_classes}")
    if ids.size:
        low, high = int(ids.min()), int(ids.max())
        if low < 0:
            raise IndexError(f"one_hot: class index {low} is negative (num_classes {num_classes})")
        if high >= num_classes:
            raise IndexError(f"one_hot: class index {high} is out of range for num_classes {num_classes}")
    classes = xp.arange(num_classes, dtype=ids.dtype)
    encoded = (ids[..., None] == classes).astype(dtypes.int64)
    return Tensor._make(encoded, tensor.device, False, None)
