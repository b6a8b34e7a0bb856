"""Tests for tinygrad_lite/nn/functional/embedding.py: embedding."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F

IDS = numpy.array([[1, 3, 1, 0], [4, 1, 0, 3]])  # repeats and the padding id 0


def _lib(x):
    return F if isinstance(x, tl.Tensor) else torch_F


def test_gradcheck():
    # Only the plain lookup: padding_idx and scale_grad_by_freq deliberately change the gradient
    # away from the true derivative (they are checked against torch below).
    check_gradcheck(lambda ids, w: F.embedding(ids, w), IDS, (5, 3))
    check_gradcheck(lambda ids, w: F.embedding(ids, w, padding_idx=2), IDS, (5, 3))  # 2 unused


@requires_torch
@pytest.mark.parametrize("options", [{}, {"padding_idx": 0}, {"padding_idx": -2},
                                     {"scale_grad_by_freq": True},
                                     {"padding_idx": 1, "scale_grad_by_freq": True}], ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_parity_with_repeated_ids(options, dtype):
    # check_parity compares the weight gradient: repeated ids must accumulate exactly like torch.
    check_parity(lambda ids, w: _lib(w).embedding(ids, w, **options),
                 lambda ids, w: _lib(w).embedding(ids, w, **options), IDS, (5, 3), dtype=dtype)


def test_repeated_ids_accumulate_and_padding_row_gets_nothing():
    weight = tl.randn(5, 2, requires_grad=True)
    F.embedding(tl.tensor(IDS), weight, padding_idx=0).sum().backward()
    counts = numpy.bincount(IDS.ravel(), minlength=5).astype(numpy.float32)
    counts[0] = 0.0
    numpy.testing.assert_array_equal(weight.grad.numpy(), numpy.repeat(counts[:, None], 2, axis=1))


@requires_torch
@pytest.mark.parametrize("options", [{"padding_idx": 0}, {"padding_idx": 0, "scale_grad_by_freq": True}],
                         ids=str)
def test_padding_row_gets_zero_even_from_infinite_gradients(options):
    # The padding positions' gradient was multiplied by 0, so an inf/NaN one gave NaN there.
    def lookup(ids, w):
        library = tl if isinstance(w, tl.Tensor) else torch
        return _lib(w).embedding(ids, w, **options) * library.tensor([numpy.inf, 1.0, numpy.nan])

    check_parity(lookup, lookup, IDS, (5, 3), dtype=numpy.float64)


def test_padding_row_is_still_looked_up():
    weight = tl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = F.embedding(tl.tensor([0, 1]), weight, padding_idx=0)
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_looked_up_rows_in_place(norm_type):
    values = numpy.random.default_rng(0).standard_normal((5, 3)) * 3.0
    ours, theirs = tl.tensor(values), torch.tensor(values)
    ids = numpy.array([0, 2, 2])
    out = F.embedding(tl.tensor(ids), ours, max_norm=1.0, norm_type=norm_type)
    expected = torch_F.embedding(torch.tensor(ids), theirs, max_norm=1.0, norm_type=norm_type)
    numpy.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)  # weight changed too
    numpy.testing.assert_array_equal(ours.numpy()[1], values[1])  # untouched row


@pytest.mark.parametrize("bad", [5, 7, -1])
def test_out_of_range_ids_raise_index_error(bad):
    with pytest.raises(IndexError, match=rf"index {bad} .*num_embeddings 5"):
        F.embedding(tl.tensor([0, bad]), tl.randn(5, 3))


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="int64 or int32"):
        F.embedding(tl.tensor([0.0, 1.0]), tl.randn(5, 3))
    with pytest.raises(RuntimeError, match="int64 or int32"):
        F.embedding(tl.tensor([0, 1], dtype=tl.uint8), tl.randn(5, 3))
    with pytest.raises(RuntimeError, match="2-D"):
        F.embedding(tl.tensor([0, 1]), tl.randn(5))
    with pytest.raises(ValueError, match="padding_idx 5"):
        F.embedding(tl.tensor([0, 1]), tl.randn(5, 3), padding_idx=5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("index_dtype", [tl.int32, tl.int64])
def test_shapes_and_dtypes(device, dtype, index_dtype):
    weight = tl.randn(6, 4, device=device).to(dtype)
    ids = tl.tensor([[[1, 2]], [[5, 0]]], dtype=index_dtype, device=device)
    out = F.embedding(ids, weight)
    assert out.shape == (2, 1, 2, 4) and out.dtype == dtype and out.device == weight.device
    numpy.testing.assert_array_equal(out.numpy(force=True)[1, 0, 0], weight.numpy(force=True)[5])


def test_a_0d_id_gives_a_copy_not_a_view_of_the_weight():
    # A 0-d id indexed like an int: the row was a view of the weight, so writing to it changed
    # the weight (and in-place ops on it were refused as views of a leaf). PyTorch copies.
    weight = tl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    row = F.embedding(tl.tensor(1), weight)
    assert row.shape == (2,) and row.tolist() == [3.0, 4.0]
    F.relu(row, inplace=True).mul_(10.0)
    assert weight.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    row.sum().backward()
    assert weight.grad.tolist() == [[0.0, 0.0], [10.0, 10.0]]
