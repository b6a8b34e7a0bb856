"""Tests for tinygrad_lite/nn/utils/rnn.py: PackedSequence and the pack/pad helpers."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, torch
from tinygrad_lite.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence,
                                        pad_packed_sequence, pad_sequence, unpack_sequence,
                                        unpad_sequence)

STEPS, BATCH, FEATURES = 5, 4, 3
SORTED, UNSORTED = [5, 3, 3, 1], [2, 5, 1, 4]


def _torch_utils():
    return torch.nn.utils.rnn


def _packed_fields(packed):
    """The four fields as NumPy (indices may be None)."""
    def value(field):
        if field is None:
            return None
        return field.numpy(force=True) if isinstance(field, tl.Tensor) else field.detach().numpy()
    return [value(field) for field in packed]


@pytest.mark.parametrize("lengths, enforce_sorted", [(SORTED, True), (UNSORTED, False),
                                                     (SORTED, False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_matches_pytorch(lengths, enforce_sorted, batch_first):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    shape = (BATCH, STEPS, FEATURES) if batch_first else (STEPS, BATCH, FEATURES)
    check_parity(lambda x: pack_padded_sequence(x, lengths, batch_first, enforce_sorted).data,
                 lambda x: _torch_utils().pack_padded_sequence(x, lengths, batch_first,
                                                               enforce_sorted).data, shape)
    data = numpy.random.default_rng(0).standard_normal(shape)
    ours = _packed_fields(pack_padded_sequence(tl.tensor(data), tl.tensor(lengths), batch_first,
                                               enforce_sorted))
    theirs = _packed_fields(_torch_utils().pack_padded_sequence(torch.tensor(data),
                                                                torch.tensor(lengths),
                                                                batch_first, enforce_sorted))
    for mine, reference in zip(ours, theirs):
        if reference is None:
            assert mine is None
        else:
            numpy.testing.assert_array_equal(mine, reference)
    assert ours[1].dtype == numpy.int64


@pytest.mark.parametrize("lengths, enforce_sorted", [(SORTED, True), (UNSORTED, False)])
@pytest.mark.parametrize("batch_first, padding_value, total_length",
                         [(False, 0.0, None), (True, -2.5, 7), (False, 1.0, STEPS)])
def test_pad_packed_sequence_matches_pytorch(lengths, enforce_sorted, batch_first, padding_value,
                                             total_length):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    utils = _torch_utils()

    def ours(x):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        padded, got_lengths = pad_packed_sequence(packed, batch_first, padding_value, total_length)
        assert got_lengths.tolist() == lengths and got_lengths.dtype == tl.int64
        return padded

    def theirs(x):
        packed = utils.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        return utils.pad_packed_sequence(packed, batch_first, padding_value, total_length)[0]

    check_parity(ours, theirs, (STEPS, BATCH, FEATURES))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_pytorch(batch_first, padding_side):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    check_parity(lambda *s: pad_sequence(s, batch_first, 0.5, padding_side),
                 lambda *s: _torch_utils().pad_sequence(s, batch_first, 0.5, padding_side),
                 (2, FEATURES), (4, FEATURES), (1, FEATURES), (0, FEATURES))


def test_pack_and_unpack_sequence_match_pytorch():
    if torch is None:
        pytest.skip("PyTorch is not installed")
    shapes = [(2, FEATURES), (4, FEATURES), (3, FEATURES)]
    check_parity(lambda *s: pack_sequence(s, enforce_sorted=False).data,
                 lambda *s: _torch_utils().pack_sequence(s, enforce_sorted=False).data, *shapes)
    check_parity(lambda *s: tuple(unpack_sequence(pack_sequence(s, enforce_sorted=False))),
                 lambda *s: tuple(_torch_utils().unpack_sequence(
                     _torch_utils().pack_sequence(s, enforce_sorted=False))), *shapes)
    check_parity(lambda x: tuple(unpad_sequence(x, tl.tensor(UNSORTED))),
                 # (PyTorch's unpad_sequence transposes its argument in place: give it a copy)
                 lambda x: tuple(_torch_utils().unpad_sequence(x.clone(), torch.tensor(UNSORTED))),
                 (STEPS, BATCH, FEATURES))


def test_gradcheck_through_pack_and_pad():
    def round_trip(x):
        packed = pack_padded_sequence(x, UNSORTED, batch_first=True, enforce_sorted=False)
        return pad_packed_sequence(packed, padding_value=3.0)[0] * 2.0

    check_gradcheck(round_trip, (BATCH, STEPS, 2))
    check_gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left"), (3, 2), (1, 2))


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_dtype_is_kept(dtype):
    padded = pad_sequence([tl.ones(2, 3, dtype=dtype), tl.ones(1, 3, dtype=dtype)], padding_value=7.0)
    assert padded.dtype == dtype and padded.numpy()[1, 1, 0] == 7.0
    packed = pack_padded_sequence(padded, [2, 1])
    assert packed.data.dtype == dtype
    assert pad_packed_sequence(packed)[0].dtype == dtype
    converted = packed.to(tl.float64 if dtype == tl.float32 else tl.float32)
    assert converted.data.dtype != dtype and converted.batch_sizes is packed.batch_sizes


def test_packed_sequence_fields():
    packed = pack_padded_sequence(tl.zeros(STEPS, BATCH, 1), UNSORTED, enforce_sorted=False)
    assert isinstance(packed, tuple) and packed.batch_sizes.tolist() == [4, 3, 2, 2, 1]
    assert packed.sorted_indices.tolist() == [1, 3, 0, 2]
    assert packed.unsorted_indices.tolist() == [2, 0, 3, 1]
    assert not packed.is_cuda and packed.data.shape == (sum(UNSORTED), 1)
    rebuilt = PackedSequence(packed.data, packed.batch_sizes, packed.sorted_indices)
    assert rebuilt.unsorted_indices.tolist() == [2, 0, 3, 1]


@pytest.mark.parametrize("bad_call, error, match", [
    (lambda: pack_padded_sequence(tl.zeros(STEPS, BATCH, 1), UNSORTED), RuntimeError,
     "sorted in decreasing order"),
    (lambda: pack_padded_sequence(tl.zeros(STEPS, BATCH, 1), [3, 2, 0, 0]), RuntimeError,
     "greater than 0"),
    (lambda: pack_padded_sequence(tl.zeros(STEPS, BATCH, 1), [6, 2, 1, 1]), RuntimeError,
     "exceed the 5 time steps"),
    (lambda: pack_padded_sequence(tl.zeros(STEPS, BATCH, 1), [3, 2]), RuntimeError,
     "expected 4 lengths"),
    (lambda: pad_packed_sequence(pack_padded_sequence(tl.zeros(STEPS, 2), [5, 4]), total_length=3),
     ValueError, "total_length=3"),
    (lambda: pad_sequence([]), RuntimeError, "empty"),
    (lambda: pad_sequence([tl.zeros(2, 3), tl.zeros(2, 4)]), RuntimeError, "sequence 1 has"),
    (lambda: pad_sequence([tl.zeros(2)], padding_side="middle"), ValueError, "padding_side"),
])
def test_bad_input_raises_clearly(bad_call, error, match):
    with pytest.raises(error, match=match):
        bad_call()


@pytest.mark.parametrize("device", DEVICES)
def test_device_round_trip(device):
    data = numpy.random.default_rng(0).standard_normal((STEPS, BATCH, 2))
    packed = pack_padded_sequence(tl.tensor(data, device=device), UNSORTED, enforce_sorted=False)
    assert packed.data.device == device and packed.sorted_indices.device == device
    padded, lengths = pad_packed_sequence(packed)
    mask = numpy.arange(STEPS)[:, None] < numpy.array(UNSORTED)[None, :]
    numpy.testing.assert_array_equal(padded.numpy(force=True), data * mask[:, :, None])
    assert lengths.tolist() == UNSORTED
