"""Tests for tinygrad_lite/data/dataset.py: datasets, subsets, concatenation, random_split."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, torch
from tinygrad_lite.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split


class Squares(Dataset):
    """Item i is i * i: a dataset whose values reveal which index was read."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if not 0 <= index < self.size:
            raise IndexError(index)
        return index * index


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_tensor_dataset_items(device, dtype):
    x = tl.arange(12, dtype=dtype, device=device).reshape(4, 3)
    y = tl.tensor([5, 6, 7, 8], device=device)
    dataset = TensorDataset(x, y)
    assert len(dataset) == 4
    features, label = dataset[2]
    assert features.dtype == dtype and label.dtype == tl.int64
    assert features.device == device
    numpy.testing.assert_array_equal(features.numpy(force=True), [6.0, 7.0, 8.0])
    assert label.item() == 7
    last_features, last_label = dataset[-1]
    numpy.testing.assert_array_equal(last_features.numpy(force=True), [9.0, 10.0, 11.0])
    assert last_label.item() == 8


def test_tensor_dataset_wraps_numpy_arrays():
    dataset = TensorDataset(numpy.arange(6, dtype=numpy.float32).reshape(3, 2))
    (row,) = dataset[1]
    assert isinstance(row, tl.Tensor) and row.dtype == tl.float32
    assert row.tolist() == [2.0, 3.0]


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"\[4, 3\]"):
        TensorDataset(tl.zeros(4, 2), tl.zeros(3))


def test_tensor_dataset_refuses_bad_inputs():
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(tl.tensor(1.0))
    with pytest.raises(TypeError, match="list"):
        TensorDataset([1, 2, 3])


def test_tensor_dataset_index_out_of_range():
    dataset = TensorDataset(tl.zeros(3, 2))
    with pytest.raises(IndexError, match="index 3 is out of range .* size 3"):
        dataset[3]
    with pytest.raises(IndexError, match="index -4"):
        dataset[-4]


def test_tensor_dataset_items_keep_gradient():
    def first_rows(x):
        dataset = TensorDataset(x)
        return dataset[0][0] * 2.0 + dataset[2][0]

    check_gradcheck(first_rows, (3, 2))


def test_subset_maps_indices():
    subset = Subset(Squares(10), [7, 2, 5])
    assert len(subset) == 3
    assert [subset[i] for i in range(3)] == [49, 4, 25]
    assert subset[-1] == 25
    with pytest.raises(IndexError, match="index 3 .* size 3"):
        subset[3]


def test_concat_dataset_and_add():
    joined = Squares(3) + Squares(2)
    assert isinstance(joined, ConcatDataset)
    assert len(joined) == 5
    assert [joined[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert joined[-1] == 1 and joined[-3] == 4
    assert joined.cumulative_sizes == [3, 5]
    with pytest.raises(IndexError, match="index 5 .* size 5"):
        joined[5]
    three = ConcatDataset([Squares(1), Squares(0), Squares(2)])
    assert [three[i] for i in range(3)] == [0, 0, 1]


@pytest.mark.parametrize("lengths", [[3, 7], [0, 10], [5, 2, 3]])
def test_random_split_int_lengths_disjoint(lengths):
    parts = random_split(Squares(10), lengths, seed=1)
    assert [len(part) for part in parts] == lengths
    indices = [index for part in parts for index in part.indices]
    assert sorted(indices) == list(range(10))
    assert [part[0] for part in parts if len(part)] == [
        part.indices[0] ** 2 for part in parts if len(part)]


FRACTIONS = [(10, [0.3, 0.7]), (10, [0.25, 0.25, 0.5]), (7, [0.5, 0.5]), (11, [0.2, 0.2, 0.6]),
             (3, [0.1, 0.1, 0.8]), (100, [0.333, 0.333, 0.334])]


@pytest.mark.parametrize("size, fractions", FRACTIONS)
def test_random_split_fractions_match_pytorch_rounding(size, fractions):
    expected = {(10, (0.3, 0.7)): [3, 7], (10, (0.25, 0.25, 0.5)): [3, 2, 5],
                (7, (0.5, 0.5)): [4, 3], (11, (0.2, 0.2, 0.6)): [3, 2, 6],
                (3, (0.1, 0.1, 0.8)): [1, 0, 2], (100, (0.333, 0.333, 0.334)): [34, 33, 33]}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split(Squares(size), fractions, seed=0)
    sizes = [len(part) for part in parts]
    assert sizes == expected[(size, tuple(fractions))]
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = torch.utils.data.random_split(range(size), fractions)
        assert sizes == [len(part) for part in reference]


def test_random_split_warns_on_empty_fraction_split():
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(Squares(3), [0.1, 0.1, 0.8], seed=0)


def test_random_split_is_seeded():
    first = random_split(Squares(20), [5, 15], seed=3)
    again = random_split(Squares(20), [5, 15], seed=3)
    other = random_split(Squares(20), [5, 15], seed=4)
    assert first[0].indices == again[0].indices
    assert first[0].indices != other[0].indices
    generator_split = random_split(Squares(20), [5, 15],
                                   generator=numpy.random.default_rng(3))
    assert generator_split[0].indices == first[0].indices


def test_random_split_follows_manual_seed():
    tl.manual_seed(11)
    first = random_split(Squares(20), [10, 10])[0].indices
    tl.manual_seed(11)
    assert random_split(Squares(20), [10, 10])[0].indices == first
    assert random_split(Squares(20), [10, 10])[0].indices != first


@pytest.mark.parametrize("lengths, message", [([3, 3], r"\(6, .*\(10\)"),
                                               ([0.5, 0.6], "sum to 1"),
                                               ([1.5, -0.5], "between 0 and 1"),
                                               ([12, -2], "non-negative"),
                                               ([], "at least one")])
def test_random_split_bad_lengths(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(Squares(10), lengths, seed=0)
