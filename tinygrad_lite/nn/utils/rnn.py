"""Variable-length batches for recurrent layers: ``PackedSequence`` and its pack/pad helpers.

A packed batch stores the sequences sorted longest first, one time step after the other:
step ``t`` holds the first ``batch_sizes[t]`` sequences (those still running), so
``data`` has sum(lengths) rows and no padding at all. ``RNN``/``LSTM``/``GRU`` accept one and
return one, and each sequence then gives exactly what it would give alone.

Every conversion here is one differentiable gather with an index built in NumPy from the
lengths, so gradients flow back to the padded or listed inputs and padded positions get none.
"""
from collections import namedtuple

import numpy

from tinygrad_lite import creation
from tinygrad_lite.ops.join import cat
from tinygrad_lite.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

_Fields = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def invert_permutation(permutation):
    """The inverse of a 1-D int64 permutation tensor (None stays None)."""
    if permutation is None:
        return None
    order = permutation.numpy(force=True)
    inverse = numpy.empty_like(order)
    inverse[order] = numpy.arange(order.shape[0], dtype=order.dtype)
    return creation.tensor(inverse, device=permutation.device)


class PackedSequence(_Fields):
    """A batch of variable-length sequences without padding (a named tuple, as in PyTorch).

    Fields:
        data: (sum(lengths), *) the rows of every time step, one step after the other.
        batch_sizes: (T,) int64 on the CPU, how many sequences are still running at each step.
        sorted_indices: (B,) int64, original batch index of each packed column (longest first),
            or None when the batch was already sorted.
        unsorted_indices: (B,) int64, the inverse permutation (computed when not given).
    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence`.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required; build one with "
                            "pack_padded_sequence or pack_sequence")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = creation.tensor(numpy.asarray(batch_sizes, dtype=numpy.int64))
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` moved/cast like ``Tensor.to`` (indices follow the device)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = self.sorted_indices, self.unsorted_indices
        if sorted_indices is not None:
            sorted_indices = sorted_indices.to(data.device)
            unsorted_indices = unsorted_indices.to(data.device)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cpu(self):
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self):
        """``to("cuda")``."""
        return self.to("cuda")

    def float(self):
        """Data cast to float32."""
        return self.to(numpy.float32)

    def double(self):
        """Data cast to float64."""
        return self.to(numpy.float64)

    def half(self):
        """Data cast to float16."""
        return self.to(numpy.float16)

    @property
    def is_cuda(self):
        """Whether ``data`` lives on a CUDA device."""
        return self.data.device.type == "cuda"


def _lengths_array(lengths, batch):
    if isinstance(lengths, Tensor):
        if lengths.device.type != "cpu":
            raise RuntimeError(f"lengths must be a 1-D CPU int64 tensor or a list, got a tensor "
                               f"on {lengths.device}")
        lengths = lengths.numpy()
    array = numpy.asarray(lengths)
    if array.ndim != 1 or array.dtype.kind not in "iu" and array.size:
        raise RuntimeError(f"lengths must be a 1-D sequence of ints, got {array.dtype} with shape "
                           f"{list(array.shape)}")
    array = array.astype(numpy.int64)
    if array.shape[0] != batch:
        raise RuntimeError(f"expected {batch} lengths (the batch size of the input), got "
                           f"{array.shape[0]}")
    return array


def _batch_sizes(sorted_lengths):
    steps = numpy.arange(sorted_lengths[0])
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch: (T, B, *) (or (B, T, *) with batch_first) -> PackedSequence.

    ``lengths`` (B ints, list or CPU tensor) are the valid steps of each sequence. With
    ``enforce_sorted`` they must be non-increasing; otherwise the batch is sorted here and
    ``sorted_indices``/``unsorted_indices`` record the permutation.
    """
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input must have at least 2 dims (T, B, *), got "
                         f"shape {list(input.shape)}")
    time_dim, batch_dim = (1, 0) if batch_first else (0, 1)
    lengths = _lengths_array(lengths, input.shape[batch_dim])
    if lengths.size == 0 or lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           f"in 'lengths' that is <= 0 (lengths {lengths.tolist()})")
    if lengths.max() > input.shape[time_dim]:
        raise RuntimeError(f"lengths {lengths.tolist()} exceed the {input.shape[time_dim]} time "
                           f"steps of the input (shape {list(input.shape)})")
    if enforce_sorted:
        if numpy.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                f"`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                f"True (got {lengths.tolist()}); pass enforce_sorted=False to sort it here"
            )
        order, sorted_indices = numpy.arange(lengths.shape[0]), None
    else:
        order = numpy.argsort(-lengths, kind="stable")
        sorted_indices = creation.tensor(order, device=input.device)
    sorted_lengths = lengths[order]
    batch_sizes = _batch_sizes(sorted_lengths)
    running = sorted_lengths[None, :] > numpy.arange(batch_sizes.shape[0])[:, None]
    steps, columns = numpy.nonzero(running)  # row-major: time ascending, then packed column
    rows = order[columns]
    data = input[rows, steps] if batch_first else input[steps, rows]
    return PackedSequence(data, creation.tensor(batch_sizes), sorted_indices)


def _gather_with_padding(data, index, padding_value):
    """``data[index]`` where index == len(data) picks a row of ``padding_value``."""
    filler = creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                           device=data.device)
    return cat([data, filler], 0)[index]


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack to a padded batch: PackedSequence -> ((T, B, *) or (B, T, *), lengths).

    The batch comes back in its original order; ``lengths`` is a (B,) int64 CPU tensor.
    ``total_length`` pads T up to that many steps (it may not be shorter than the longest).
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy().astype(numpy.int64)
    steps = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in the "
                f"input, but got total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    batch = int(batch_sizes[0])
    columns = numpy.arange(batch)
    sorted_lengths = (batch_sizes[None, :] > columns[:, None]).sum(axis=1)
    offsets = numpy.concatenate([[0], numpy.cumsum(batch_sizes)])[:-1]
    offsets = numpy.concatenate([offsets, numpy.zeros(steps - offsets.shape[0], numpy.int64)])
    index = offsets[:, None] + columns[None, :]
    index[numpy.arange(steps)[:, None] >= sorted_lengths[None, :]] = data.shape[0]
    lengths = sorted_lengths
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices.numpy(force=True)
        index, lengths = index[:, unsorted], sorted_lengths[unsorted]
    padded = _gather_with_padding(data, index.T if batch_first else index, padding_value)
    return padded, creation.tensor(lengths.astype(numpy.int64))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shape (L_i, *) into (T, B, *) (or (B, T, *)), T = max L_i.

    ``padding_side`` "right" puts the padding after each sequence, "left" before it.
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for position, sequence in enumerate(sequences):
        if sequence.ndim < 1 or tuple(sequence.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, trailing))})"
                f"; sequence 0 has {list(sequences[0].shape)} and sequence {position} has "
                f"{list(sequence.shape)}"
            )
    lengths = numpy.array([sequence.shape[0] for sequence in sequences], dtype=numpy.int64)
    starts = numpy.concatenate([[0], numpy.cumsum(lengths)])[:-1]
    longest = int(lengths.max())
    steps = numpy.arange(longest)[:, None]
    if padding_side == "right":
        position, valid = steps, steps < lengths[None, :]
    else:
        position = steps - (longest - lengths[None, :])
        valid = position >= 0
    index = numpy.where(valid, starts[None, :] + position, int(lengths.sum()))
    data = cat(sequences, 0)
    return _gather_with_padding(data, index.T if batch_first else index, padding_value)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of its B sequences, each (L_i, *)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _lengths_array(lengths, padded_sequences.shape[0])
    return [padded_sequences[b, :int(length)] for b, length in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences of shape (L_i, *) (non-increasing L_i unless enforce_sorted=False)."""
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
