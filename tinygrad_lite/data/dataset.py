"""Map-style datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
``random_split``.

A dataset is anything with ``__len__`` and ``__getitem__(index)``; the classes here only add
composition (``a + b``, subsets) and the tensor-backed case that ``DataLoader`` can batch
without a per-item Python loop.
"""
import bisect
import math
import numbers
import warnings

import numpy

from tinygrad_lite import random as _random
from tinygrad_lite.backend import CPU
from tinygrad_lite.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__(index)`` and ``__len__()``.

    ``dataset_a + dataset_b`` gives a :class:`ConcatDataset` that reads ``a`` then ``b``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")

    def __add__(self, other):
        return ConcatDataset([self, other])


def _check_index(index, size, what):
    """``index`` in ``[-size, size)`` made non-negative; IndexError naming both otherwise."""
    if isinstance(index, Tensor):
        index = int(index)
    if not isinstance(index, numbers.Integral) or isinstance(index, bool):
        raise TypeError(f"{what} indices must be integers, got {type(index).__name__}")
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range for {what} of size {size}")
    return index + size if index < 0 else index


class TensorDataset(Dataset):
    """Samples are rows of tensors sharing their first dimension: item ``i`` is ``tuple(t[i] ...)``.

    ``TensorDataset(x, y)`` with ``x`` of shape ``(N, *)`` and ``y`` of shape ``(N, *)``. NumPy
    arrays are wrapped as CPU tensors without copying.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        wrapped = []
        for position, tensor in enumerate(tensors):
            if isinstance(tensor, numpy.ndarray):
                tensor = Tensor.from_array(tensor)
            if not isinstance(tensor, Tensor):
                raise TypeError(f"TensorDataset expects Tensors or NumPy arrays, got "
                                f"{type(tensor).__name__} at position {position}")
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset tensors need a first (sample) dimension; the "
                                 f"tensor at position {position} is 0-d")
            wrapped.append(tensor)
        sizes = [tensor.shape[0] for tensor in wrapped]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes} "
                             f"(shapes {[list(t.shape) for t in wrapped]})")
        self.tensors = tuple(wrapped)

    def __getitem__(self, index):
        index = _check_index(index, len(self), "TensorDataset")
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices`` (a sequence of ints), in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        return self.dataset[self.indices[_check_index(index, len(self.indices), "Subset")]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets read one after the other: length is the sum of their lengths."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        index = _check_index(index, len(self), "ConcatDataset")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _split_lengths(lengths, total):
    """Integer lengths, or fractions turned into lengths by PyTorch's floor + round-robin rule."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length")
    fractional = any(not isinstance(length, numbers.Integral) for length in lengths)
    if fractional:
        if not math.isclose(sum(lengths), 1.0):
            raise ValueError(f"fractions given to random_split must sum to 1, got {lengths} "
                             f"(sum {sum(lengths)})")
        counts = []
        for position, fraction in enumerate(lengths):
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"Fraction at index {position} is not between 0 and 1: {fraction}")
            counts.append(math.floor(total * fraction))
        # The items left over by flooring go one each to the splits in order, as in PyTorch.
        for extra in range(total - sum(counts)):
            counts[extra % len(counts)] += 1
        for position, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {position} is 0. This might result in "
                              f"an empty dataset.", stacklevel=3)
        return counts
    counts = [int(length) for length in lengths]
    if any(count < 0 for count in counts):
        raise ValueError(f"random_split lengths must be non-negative, got {counts}")
    if sum(counts) != total:
        raise ValueError(f"Sum of input lengths ({sum(counts)}, from {counts}) does not equal "
                         f"the length of the input dataset ({total})")
    return counts


def random_split(dataset, lengths, generator=None, seed=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given ``lengths``.

    ``lengths`` are item counts summing to ``len(dataset)``, or fractions summing to 1 (each
    split gets ``floor(N * fraction)`` and the remainder is dealt out one by one from the first
    split). The permutation comes from ``generator`` (a ``numpy.random.Generator``), else from
    ``seed``, else from tinygrad_lite's global CPU generator (seeded by ``tl.manual_seed``).
    """
    total = len(dataset)
    counts = _split_lengths(lengths, total)
    if generator is None:
        generator = (numpy.random.default_rng(seed) if seed is not None
                     else _random.generator(CPU))
    order = generator.permutation(total).tolist()
    subsets, offset = [], 0
    for count in counts:
        subsets.append(Subset(dataset, order[offset:offset + count]))
        offset += count
    return subsets
