"""``DataLoader``: batches of a map-style dataset, optionally shuffled, and ``default_collate``.

Shuffling is reproducible: with ``seed`` every epoch ``e`` uses the permutation drawn from
``(seed, e)``, so a run restarted at epoch ``e`` (``set_epoch(e)``) sees the same order; without
it, each epoch draws from tinygrad_lite's global CPU generator, which ``tl.manual_seed`` resets.
A :class:`TensorDataset` (or a ``Subset`` of one) is batched by fancy-indexing its arrays once
per batch instead of collating one Python item at a time.
"""
import collections.abc
import math
import numbers

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite import random as _random
from tinygrad_lite.autograd.grad_mode import is_grad_enabled
from tinygrad_lite.backend import CPU, get_default_device, to_device_array
from tinygrad_lite.data.dataset import Subset, TensorDataset
from tinygrad_lite.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "default_convert"]

_REFUSED_ARRAY_KINDS = "USOVM"  # strings, objects, records, datetimes: nothing a Tensor can hold


def _on_default_device(array):
    """A Tensor on the default device holding NumPy ``array`` (no copy when that device is cpu)."""
    dtypes.as_dtype(array.dtype)  # a clear TypeError for dtypes tensors cannot hold
    target = get_default_device()
    if target.type == "cpu":
        return Tensor._make(array, CPU, False, None)
    return Tensor._make(to_device_array(array, target), target, False, None)


def _stack_tensors(batch):
    shape, device = batch[0].shape, batch[0].device
    for position, tensor in enumerate(batch):
        if tensor.shape != shape:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but "
                               f"got {list(shape)} at entry 0 and {list(tensor.shape)} at entry "
                               f"{position}")
        if tensor.device != device:
            raise RuntimeError(f"default_collate: expected all tensors on the same device, but "
                               f"found {device} at entry 0 and {tensor.device} at entry {position}")
    if is_grad_enabled() and any(tensor.requires_grad for tensor in batch):
        from tinygrad_lite.ops.join import stack  # noqa: PLC0415 - the differentiable path

        return stack(batch)
    return Tensor._make(device.xp.stack([tensor.data for tensor in batch]), device, False, None)


def _collate_numbers(batch):
    if all(isinstance(value, (bool, numpy.bool_)) for value in batch):
        return _on_default_device(numpy.array(batch, dtype=dtypes.bool_))
    if all(isinstance(value, numbers.Integral) for value in batch):
        return _on_default_device(numpy.array(batch, dtype=dtypes.int64))
    if all(isinstance(value, numbers.Real) for value in batch):
        return _on_default_device(numpy.array(batch, dtype=dtypes.get_default_dtype()))
    kinds = sorted({type(value).__name__ for value in batch})
    raise TypeError(f"default_collate: cannot batch numbers of types {kinds}")


def _collate_arrays(batch):
    first = batch[0]
    if first.dtype.kind in _REFUSED_ARRAY_KINDS:
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                        f"dicts or lists; found a numpy array of dtype {first.dtype}")
    for position, array in enumerate(batch):
        if numpy.shape(array) != first.shape:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, but "
                               f"got {list(first.shape)} at entry 0 and {list(numpy.shape(array))} "
                               f"at entry {position}")
    return _on_default_device(numpy.stack(batch))


def default_collate(batch):
    """Merge a list of samples into a batch, the way PyTorch's ``default_collate`` does.

    Tensors (each of shape ``S``) and NumPy arrays are stacked into a Tensor of shape ``(B, *S)``
    keeping their dtype; Python ints become int64, bools bool, floats the default float dtype
    (float32); NumPy scalars keep their dtype. Dicts collate key by key, tuples and lists
    position by position (returned as a list, as PyTorch does; namedtuples stay namedtuples),
    strings stay a list. New tensors go to the default device; stacked tensors stay where they are.
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate expects a list of samples, got {type(batch).__name__}")
    if not batch:
        raise ValueError("default_collate got an empty batch")
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack_tensors(batch)
    if isinstance(first, numpy.ndarray):
        return _collate_arrays(batch)
    if isinstance(first, numpy.generic) and first.dtype.kind not in _REFUSED_ARRAY_KINDS:
        return _on_default_device(numpy.array(batch))
    if isinstance(first, (bool, numbers.Real)) and not isinstance(first, numpy.generic):
        return _collate_numbers(batch)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        collated = {}
        for key in first:
            values = []
            for position, sample in enumerate(batch):
                if key not in sample:
                    raise KeyError(f"default_collate: sample {position} has no key {key!r}, "
                                   f"which sample 0 has")
                values.append(sample[key])
            collated[key] = default_collate(values)
        try:
            return type(first)(collated)
        except TypeError:  # mappings whose constructor takes something else
            return collated
    if isinstance(first, collections.abc.Sequence):
        sizes = [len(sample) for sample in batch]
        if any(size != sizes[0] for size in sizes):
            raise RuntimeError(f"default_collate: each element in list of batch should be of "
                               f"equal size, got sizes {sizes}")
        columns = [default_collate(list(column)) for column in zip(*batch)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):
            return type(first)(*columns)
        return columns
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(first).__name__}")


def default_convert(sample):
    """Turn the NumPy arrays inside one sample into Tensors (used when ``batch_size=None``)."""
    if isinstance(sample, numpy.ndarray) and sample.dtype.kind not in _REFUSED_ARRAY_KINDS:
        return _on_default_device(sample)
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(value) for value in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(default_convert(value) for value in sample)
    return sample


def _tensor_source(dataset):
    """``(tensors, index_map)`` when ``dataset`` is a TensorDataset or nested Subsets of one."""
    maps = []
    while isinstance(dataset, Subset):
        maps.append(dataset.indices)
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None
    index_map = None
    size = len(dataset)
    for indices in reversed(maps):  # innermost subset first: each maps into the one below it
        array = numpy.asarray(indices)
        if array.dtype.kind not in "iu" and array.size:
            return None
        array = _checked_indices(array.astype(numpy.int64, copy=False), size, "Subset indices")
        index_map = array if index_map is None else index_map[array]
        size = len(array)
    return dataset.tensors, index_map


def _checked_indices(indices, size, what):
    """Indices in ``[-size, size)`` made non-negative; IndexError naming the bad one otherwise."""
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < -size or high >= size:
            bad = low if low < -size else high
            raise IndexError(f"index {bad} is out of range for {what} of size {size}")
        if low < 0:
            indices = numpy.where(indices < 0, indices + size, indices)
    return indices


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, *, generator=None,
    seed=None)``. Each batch is ``collate_fn([dataset[i] for i in batch_indices])``
    (:func:`default_collate` by default): a TensorDataset of ``x (N, *)`` and ``y (N, *)`` gives
    ``[x_batch (B, *), y_batch (B, *)]``. ``shuffle`` draws a new permutation every epoch from
    ``generator`` (a ``numpy.random.Generator``), else from ``seed``, else from the global seed
    (``tl.manual_seed``). ``sampler`` is any sized iterable of indices, ``batch_sampler`` any
    iterable of index lists. ``batch_size=None`` yields single samples. Data is loaded in the
    calling process: ``num_workers`` and ``pin_memory`` are accepted for PyTorch compatibility
    and change nothing.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, *,
                 generator=None, seed=None):
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral)
                                       or isinstance(batch_size, bool) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value or None, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if seed is not None and (not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if generator is not None and not hasattr(generator, "permutation"):
            raise TypeError(f"generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.seed = None if seed is None else int(seed)
        self.epoch = 0
        self._resume = None  # (order, batches to skip) for the next iteration, from load_state_dict
        self._progress = None  # the running iteration: [order, batches yielded]

    def set_epoch(self, epoch):
        """Number the next iteration ``epoch`` (with ``seed``, this picks its permutation)."""
        self.epoch = int(epoch)

    def state_dict(self):
        """Where the loader is: the epoch counter and, mid-epoch, this epoch's order and how many
        batches were taken, so :meth:`load_state_dict` in a new process continues with the very
        next batch. The global generator's state is saved separately (``tl.get_rng_state()``)."""
        state = {"epoch": self.epoch, "order": None, "batches_taken": 0}
        if self._progress is not None and isinstance(self._progress[0], numpy.ndarray):
            state["order"], state["batches_taken"] = self._progress[0].copy(), self._progress[1]
        if self.generator is not None:
            state["generator"] = _json_state(self.generator.bit_generator.state)
        return state

    def load_state_dict(self, state_dict):
        """Continue from a :meth:`state_dict`: the next ``iter(loader)`` resumes its epoch."""
        missing = {"epoch", "order", "batches_taken"} - set(state_dict)
        if missing:
            raise KeyError(f"DataLoader.load_state_dict: missing {sorted(missing)}")
        self.epoch = int(state_dict["epoch"])
        order = state_dict["order"]
        if order is not None:
            order = numpy.asarray(getattr(order, "numpy", lambda: order)(), dtype=numpy.int64)
            self._resume = (order, int(state_dict["batches_taken"]))
            self.epoch -= 1  # the interrupted epoch is iterated again from where it stopped
        if self.generator is not None and "generator" in state_dict:
            self.generator.bit_generator.state = _json_state(state_dict["generator"], decode=True)

    def _num_samples(self):
        return len(self.sampler) if self.sampler is not None else len(self.dataset)

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        count = self._num_samples()
        if self.batch_size is None:
            return count
        return count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)

    def _order(self):
        """This epoch's sample indices: an int64 array, or the user's sampler."""
        if self.sampler is not None:
            return self.sampler
        count = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(count, dtype=numpy.int64)
        if self.generator is not None:
            rng = self.generator
        elif self.seed is not None:
            rng = numpy.random.default_rng([self.seed, self.epoch])
        else:
            rng = _random.generator(CPU)
        return rng.permutation(count).astype(numpy.int64, copy=False)

    def _index_batches(self, order):
        if self.batch_sampler is not None:
            yield from self.batch_sampler
            return
        size = self.batch_size
        if isinstance(order, numpy.ndarray):
            stop = len(order) - len(order) % size if self.drop_last else len(order)
            for start in range(0, stop, size):
                yield order[start:start + size]
            return
        pending = []
        for index in order:
            pending.append(index)
            if len(pending) == size:
                yield pending
                pending = []
        if pending and not self.drop_last:
            yield pending

    def __iter__(self):
        order, skip = self._resume if self._resume is not None else (self._order(), 0)
        self._resume = None
        self.epoch += 1
        if self.batch_size is None and self.batch_sampler is None:
            batches = self._single_samples(order)
        else:
            source = _tensor_source(self.dataset) if self.collate_fn is None else None
            batches = self._tensor_batches(order, *source) if source is not None else self._collated_batches(order)
        return self._tracked(order, batches, skip)

    def _tracked(self, order, batches, skip):
        """Yield ``batches`` after skipping ``skip``, keeping count for :meth:`state_dict`."""
        self._progress = [order, skip]
        for index, batch in enumerate(batches):
            if index < skip:
                continue
            self._progress[1] = index + 1
            yield batch
        self._progress = None

    def _single_samples(self, order):
        convert = self.collate_fn or default_convert
        for index in order:
            yield convert(self.dataset[int(index)])

    def _collated_batches(self, order):
        collate = self.collate_fn or default_collate
        for indices in self._index_batches(order):
            yield collate([self.dataset[int(index)] for index in indices])

    def _tensor_batches(self, order, tensors, index_map):
        size = len(index_map) if index_map is not None else tensors[0].shape[0]
        for indices in self._index_batches(order):
            rows = numpy.asarray(indices, dtype=numpy.int64).reshape(-1)
            rows = _checked_indices(rows, size, "the dataset")
            if index_map is not None:
                rows = index_map[rows]
            yield [_take_rows(tensor, rows) for tensor in tensors]


def _take_rows(tensor, rows):
    """``tensor[rows]`` in one fancy-indexing call; through autograd only if it needs grad."""
    if tensor.requires_grad and is_grad_enabled():
        return tensor[Tensor._make(rows, CPU, False, None).to(tensor.device)]
    device_rows = rows if tensor.device.type == "cpu" else to_device_array(rows, tensor.device)
    return Tensor._make(tensor.data[device_rows], tensor.device, False, None)


def _json_state(state, decode=False):
    """A NumPy bit generator's state with its integers as strings (JSON and tl.save keep them exact)."""
    if isinstance(state, dict):
        return {key: _json_state(value, decode) for key, value in state.items()}
    if decode and isinstance(state, str) and state.lstrip("-").isdigit():
        return int(state)
    return str(state) if isinstance(state, int) and not isinstance(state, bool) and not decode else state
