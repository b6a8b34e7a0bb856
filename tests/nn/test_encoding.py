"""Tests for tinygrad_lite/nn/functional/encoding.py: one_hot."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F


@requires_torch
@pytest.mark.parametrize("ids, num_classes", [
    (numpy.array([2, 0, 1]), -1), (numpy.array([2, 0, 1]), 5), (numpy.array([[3, 1], [0, 0]]), -1),
    (numpy.array(2), 4), (numpy.zeros((0,), dtype=numpy.int64), 3),
], ids=["inferred", "explicit", "2-d", "0-d", "empty"])
def test_parity(ids, num_classes):
    # check_parity asserts shape, values and the int64 dtype (no gradient for integer outputs).
    check_parity(lambda t: F.one_hot(t, num_classes), lambda t: torch_F.one_hot(t, num_classes),
                 ids, grad=False)


@pytest.mark.parametrize("device", DEVICES)
def test_values_dtype_device(device):
    out = F.one_hot(tl.tensor([1, 0, 3], device=device))
    assert out.dtype == tl.int64 and out.device == tl.device(device)
    assert out.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    assert not out.requires_grad


@pytest.mark.parametrize("ids, num_classes, message", [
    ([0, 3], 3, "index 3 is out of range for num_classes 3"),
    ([-1, 0], 3, "index -1 is negative"),
    ([-2, 0], -1, "index -2 is negative"),
])
def test_out_of_range_raises_index_error(ids, num_classes, message):
    with pytest.raises(IndexError, match=message):
        F.one_hot(tl.tensor(ids), num_classes)


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="integer"):
        F.one_hot(tl.tensor([0.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="empty"):
        F.one_hot(tl.tensor([], dtype=tl.int64))
    with pytest.raises(ValueError, match="num_classes"):
        F.one_hot(tl.tensor([0]), -3)
