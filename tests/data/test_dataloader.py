"""Tests for tinygrad_lite/data/dataloader.py: DataLoader and default_collate."""
import collections
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, dtype_name, requires_torch, torch
from tinygrad_lite.data.dataloader import DataLoader, default_collate, default_convert
from tinygrad_lite.data.dataset import Dataset, TensorDataset, random_split


class Records(Dataset):
    """A plain (non-tensor) dataset: item i is a dict of a float32 array, ints, floats and text."""

    def __init__(self, size):
        self.size = size
        self.reads = 0

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        self.reads += 1
        return {"image": numpy.full((2, 3), index, dtype=numpy.float32),
                "target": (index % 3, index / 2.0), "name": f"item{index}"}


def _dataset(size=10, dtype=tl.float32, device="cpu"):
    x = tl.arange(size * 3, dtype=dtype, device=device).reshape(size, 3)
    y = tl.arange(size, device=device)
    return TensorDataset(x, y)


def _labels(loader):
    return [batch[1].tolist() for batch in loader]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_batches_shapes_dtypes_and_values(device, dtype):
    loader = DataLoader(_dataset(10, dtype, device), batch_size=4)
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert [tuple(y.shape) for _, y in batches] == [(4,), (4,), (2,)]
    for x, y in batches:
        assert isinstance(x, tl.Tensor) and x.dtype == dtype and y.dtype == tl.int64
        assert x.device == device and y.device == device
        assert not x.requires_grad
    assert isinstance(batches[0], list)  # PyTorch's default_collate turns sample tuples into lists
    numpy.testing.assert_array_equal(batches[2][0].numpy(force=True), [[24, 25, 26], [27, 28, 29]])
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("size, batch_size", [(10, 4), (12, 4), (3, 5), (1, 1), (0, 3)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_like_pytorch(size, batch_size, drop_last):
    loader = DataLoader(_dataset(size), batch_size=batch_size, drop_last=drop_last)
    expected = size // batch_size if drop_last else math.ceil(size / batch_size)
    assert len(loader) == expected == len(list(loader))
    if torch is not None:
        reference = torch.utils.data.DataLoader(range(size), batch_size=batch_size,
                                                drop_last=drop_last)
        assert len(loader) == len(reference)


def test_drop_last_drops_the_partial_batch():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    shuffled = DataLoader(_dataset(10), batch_size=4, shuffle=True, drop_last=True, seed=0)
    assert [len(labels) for labels in _labels(shuffled)] == [4, 4]


def test_shuffle_seed_repeats_and_changes_each_epoch():
    first = DataLoader(_dataset(12), batch_size=5, shuffle=True, seed=7)
    second = DataLoader(_dataset(12), batch_size=5, shuffle=True, seed=7)
    epoch0, epoch1 = _labels(first), _labels(first)
    assert epoch0 == _labels(second)  # same seed, same order
    assert epoch1 == _labels(second)  # ... epoch after epoch
    assert epoch0 != epoch1  # a new permutation every epoch
    assert epoch0 != [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    for epoch in (epoch0, epoch1):
        assert sorted(sum(epoch, [])) == list(range(12))  # each sample exactly once
    first.set_epoch(0)
    assert _labels(first) == epoch0  # a resumed run sees the same order
    other_seed = DataLoader(_dataset(12), batch_size=5, shuffle=True, seed=8)
    assert _labels(other_seed) != epoch0


def test_shuffle_without_seed_follows_manual_seed():
    loader = DataLoader(_dataset(12), batch_size=12, shuffle=True)
    tl.manual_seed(5)
    first, second = _labels(loader), _labels(loader)
    tl.manual_seed(5)
    assert _labels(loader) == first and _labels(loader) == second
    assert first != second


def test_shuffle_with_generator():
    orders = [_labels(DataLoader(_dataset(9), batch_size=9, shuffle=True,
                                 generator=numpy.random.default_rng(2))) for _ in range(2)]
    assert orders[0] == orders[1] and sorted(orders[0][0]) == list(range(9))


def test_tensor_dataset_fast_path_reads_no_items(monkeypatch):
    def refuse(self, index):
        raise AssertionError("the TensorDataset fast path must not read items one by one")

    dataset = _dataset(10)
    slow = list(DataLoader(dataset, batch_size=3, shuffle=True, seed=4,
                           collate_fn=default_collate))
    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    fast = list(DataLoader(dataset, batch_size=3, shuffle=True, seed=4))
    assert len(fast) == len(slow) == 4
    for fast_batch, slow_batch in zip(fast, slow):
        for mine, reference in zip(fast_batch, slow_batch):
            assert mine.dtype == reference.dtype
            numpy.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_fast_path_through_subsets():
    train, _ = random_split(_dataset(10), [6, 4], seed=0)
    inner = random_split(train, [4, 2], seed=1)[0]
    batches = list(DataLoader(inner, batch_size=3))
    labels = sum((y.tolist() for _, y in batches), [])
    expected = [train.indices[position] for position in inner.indices]
    assert labels == expected
    numpy.testing.assert_array_equal(batches[0][0].numpy()[:, 0], [3 * i for i in expected[:3]])


def test_batches_carry_gradient_to_dataset_tensors():
    def batch_of(x):
        loader = DataLoader(TensorDataset(x), batch_size=3, shuffle=True, seed=0)
        (rows,) = next(iter(loader))
        return rows * rows

    check_gradcheck(batch_of, (5, 2))


def test_generic_dataset_collates_nested_samples():
    dataset = Records(5)
    batches = list(DataLoader(dataset, batch_size=2))
    assert dataset.reads == 5
    first = batches[0]
    assert set(first) == {"image", "target", "name"}
    assert first["image"].dtype == tl.float32 and tuple(first["image"].shape) == (2, 2, 3)
    numpy.testing.assert_array_equal(first["image"].numpy()[:, 0, 0], [0.0, 1.0])
    classes, halves = first["target"]
    assert classes.dtype == tl.int64 and classes.tolist() == [0, 1]
    assert halves.dtype == tl.float32 and halves.tolist() == [0.0, 0.5]
    assert first["name"] == ["item0", "item1"]
    assert batches[2]["name"] == ["item4"]


def test_sampler_and_batch_sampler():
    loader = DataLoader(_dataset(10), batch_size=2, sampler=[9, 4, 0])
    assert len(loader) == 2 and _labels(loader) == [[9, 4], [0]]
    batched = DataLoader(_dataset(10), batch_sampler=[[1, 2, 3], [8]])
    assert len(batched) == 2 and _labels(batched) == [[1, 2, 3], [8]]
    slow = DataLoader(Records(4), batch_sampler=[[3, 1]])
    assert next(iter(slow))["name"] == ["item3", "item1"]


def test_batch_size_none_yields_single_samples():
    loader = DataLoader(Records(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3 and len(samples) == 3
    assert isinstance(samples[1]["image"], tl.Tensor) and samples[1]["image"].shape == (2, 3)
    assert samples[1]["target"] == (1, 0.5)


def test_custom_collate_fn():
    loader = DataLoader(_dataset(5), batch_size=2, collate_fn=lambda items: len(items))
    assert list(loader) == [2, 2, 1]


def test_out_of_range_sampler_index():
    loader = DataLoader(_dataset(4), batch_size=2, sampler=[1, 7])
    with pytest.raises(IndexError, match="index 7 is out of range .* size 4"):
        list(loader)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "positive integer"),
    ({"batch_size": 2.5}, "positive integer"),
    ({"shuffle": True, "sampler": [0, 1]}, "mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 4}, "mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "drop_last"),
    ({"seed": -1}, "non-negative"),
    ({"num_workers": -1}, "non-negative"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(_dataset(4), **kwargs)


# ----- default_collate --------------------------------------------------------------------------
Point = collections.namedtuple("Point", ["x", "y"])


@pytest.mark.parametrize("samples, dtype, values", [
    ([1, 2, 3], tl.int64, [1, 2, 3]),
    ([1.5, 2.0], tl.float32, [1.5, 2.0]),
    ([True, False], tl.bool, [True, False]),
    ([numpy.float32(0.5), numpy.float32(1.5)], tl.float32, [0.5, 1.5]),
    ([numpy.int32(4), numpy.int32(5)], tl.int32, [4, 5]),
    ([numpy.ones(2, numpy.float32), numpy.zeros(2, numpy.float32)], tl.float32, [[1, 1], [0, 0]]),
    ([numpy.ones(1), numpy.zeros(1)], tl.float64, [[1.0], [0.0]]),
    ([tl.tensor([1.0, 2.0]), tl.tensor([3.0, 4.0])], tl.float32, [[1.0, 2.0], [3.0, 4.0]]),
    ([tl.tensor(1, dtype=tl.int32), tl.tensor(2, dtype=tl.int32)], tl.int32, [1, 2]),
])
def test_default_collate_leaves(samples, dtype, values):
    batch = default_collate(samples)
    assert isinstance(batch, tl.Tensor) and batch.dtype == dtype
    assert batch.tolist() == values


def test_default_collate_containers():
    batch = default_collate([(1, "a", [2.0, 3]), (4, "b", [5.0, 6])])
    assert isinstance(batch, list) and len(batch) == 3
    assert batch[0].tolist() == [1, 4] and batch[1] == ["a", "b"]
    assert batch[2][0].dtype == tl.float32 and batch[2][1].dtype == tl.int64
    points = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(points, Point) and points.x.tolist() == [1, 3]
    ordered = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert isinstance(ordered, collections.OrderedDict) and list(ordered) == ["b", "a"]


@requires_torch
def test_default_collate_matches_pytorch():
    samples = [{"x": numpy.full(3, i, numpy.float32), "y": (i, i % 2 == 0), "t": tl.tensor([i, i])}
               for i in range(4)]
    theirs = torch.utils.data.default_collate(
        [{"x": s["x"], "y": s["y"], "t": torch.tensor(s["t"].numpy())} for s in samples])
    mine = default_collate(samples)
    for mine_leaf, their_leaf in [(mine["x"], theirs["x"]), (mine["y"][0], theirs["y"][0]),
                                  (mine["y"][1], theirs["y"][1]), (mine["t"], theirs["t"])]:
        assert dtype_name(mine_leaf.dtype) == dtype_name(their_leaf.dtype)
        numpy.testing.assert_array_equal(mine_leaf.numpy(), their_leaf.numpy())


def test_default_collate_keeps_gradient():
    check_gradcheck(lambda a, b: default_collate([a, b]) * 3.0, (2, 3), (2, 3))


@pytest.mark.parametrize("samples, error, message", [
    ([tl.zeros(2), tl.zeros(3)], RuntimeError, r"\[2\] at entry 0 and \[3\] at entry 1"),
    ([numpy.zeros(2), numpy.zeros((2, 1))], RuntimeError, r"\[2\] at entry 0 and \[2, 1\]"),
    ([(1, 2), (1,)], RuntimeError, r"equal size, got sizes \[2, 1\]"),
    ([{"a": 1}, {"b": 2}], KeyError, "sample 1 has no key 'a'"),
    ([None, None], TypeError, "NoneType"),
    ([numpy.array(["a"]), numpy.array(["b"])], TypeError, "dtype <U1"),
    ([], ValueError, "empty"),
    ([1, "a"], TypeError, "str"),
])
def test_default_collate_errors(samples, error, message):
    with pytest.raises(error, match=message):
        default_collate(samples)


def test_default_convert():
    converted = default_convert({"a": numpy.arange(3), "b": [numpy.ones(1, numpy.float32), 2]})
    assert isinstance(converted["a"], tl.Tensor) and converted["a"].dtype == tl.int64
    assert converted["b"][0].dtype == tl.float32 and converted["b"][1] == 2
