"""Turning metric inputs (Tensors on any device, NumPy arrays, lists) into host NumPy arrays.

Metrics are bookkeeping, not part of the graph: they read values on the host and never build
autograd nodes, whatever device the predictions live on.
"""
import numpy

from tinygrad_lite.tensor import Tensor

__all__ = []


def to_numpy(value, name):
    """``value`` as a NumPy array on the host (Tensors are detached and copied from the GPU)."""
    if isinstance(value, Tensor):
        return value.numpy(force=True)
    if type(value).__module__.startswith("cupy"):
        return value.get()
    array = numpy.asarray(value)
    if array.dtype.hasobject:
        raise TypeError(f"{name} must be numeric (or string labels); got a ragged or mixed "
                        f"sequence that NumPy stores as objects")
    return array


def as_labels(array, name):
    """Class labels as given; integral floats become int64; real-valued scores are refused."""
    if array.dtype.kind == "b":
        return array.astype(numpy.int64)
    if array.dtype.kind == "f":
        if not numpy.all(numpy.isfinite(array)) or not numpy.all(array == numpy.round(array)):
            raise ValueError(f"{name} holds non-integer values (dtype {array.dtype}), so it looks "
                             f"like scores or probabilities, not class labels: pass logits of "
                             f"shape (N, C) to take their argmax, or threshold binary scores first")
        return array.astype(numpy.int64)
    return array


def label_pair(y_true, y_pred):
    """``(y_true, y_pred, num_columns)`` as equal-length 1-D label arrays.

    ``y_pred`` with one more dimension than ``y_true`` holds logits or probabilities over its
    last axis (``C`` columns, returned as ``num_columns``; else None) and is reduced by argmax.
    Extra leading dimensions (e.g. batch x time) are flattened.
    """
    truth = as_labels(to_numpy(y_true, "y_true"), "y_true")
    predicted = to_numpy(y_pred, "y_pred")
    num_columns = None
    if predicted.ndim == truth.ndim + 1 and predicted.ndim >= 2:
        if predicted.shape[:-1] != truth.shape:
            raise ValueError(f"y_pred of shape {list(predicted.shape)} (scores over the last "
                             f"axis) does not match y_true of shape {list(truth.shape)}")
        num_columns = predicted.shape[-1]
        if num_columns == 0:
            raise ValueError(f"y_pred of shape {list(predicted.shape)} has no class columns")
        predicted = predicted.argmax(axis=-1)
    elif predicted.shape != truth.shape:
        raise ValueError(f"y_true of shape {list(truth.shape)} and y_pred of shape "
                         f"{list(predicted.shape)} do not match: pass labels of the same shape, "
                         f"or y_pred with one extra trailing axis of class scores")
    predicted = as_labels(predicted, "y_pred")
    truth, predicted = truth.reshape(-1), predicted.reshape(-1)
    if truth.size == 0:
        raise ValueError("metrics need at least one sample; y_true and y_pred are empty")
    return truth, predicted, num_columns


def check_class_indices(labels, num_classes, name):
    """IndexError naming the first label outside ``[0, num_classes)``."""
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class indices, got dtype {labels.dtype}")
    bad = (labels < 0) | (labels >= num_classes)
    if numpy.any(bad):
        raise IndexError(f"{name} holds class index {labels[bad][0]}, out of range for "
                         f"{num_classes} classes")
