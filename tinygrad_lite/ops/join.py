"""Joining and splitting along a dim: cat, stack, split, chunk, unbind."""
import functools
import math
import operator

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.views import mark_multi_view_outputs
from tinygrad_lite.dims import normalize_dim
from tinygrad_lite.ops.operands import cast


class Cat(Function):
    contiguous_output = True

    def forward(self, *arrays, dim):
        self.dim = dim
        self.sizes = [array.shape[dim] for array in arrays]
        return self.xp.concatenate(arrays, axis=dim)

    def backward(self, grad_output):
        pieces, start = [], 0
        for size, needed in zip(self.sizes, self.needs_input_grad):
            pieces.append(grad_output.narrow(self.dim, start, size) if needed else None)
            start += size
        return tuple(pieces)


def cat(tensors, dim=0):
    """Concatenate tensors along an existing dim (dtypes promote as in PyTorch)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    dtype = functools.reduce(dtypes.promote_types, (tensor.dtype for tensor in tensors))
    # PyTorch's legacy rule: 1-D empty tensors (shape (0,)) join whatever the others' shape is,
    # adding nothing (they still get their empty gradient).
    reference = next((tensor for tensor in tensors if tensor.shape != (0,)), None)
    if reference is None:
        return Cat.apply(*[cast(t, dtype) for t in tensors], dim=0)
    axis = normalize_dim(dim, reference.ndim)
    empty = reference.shape[:axis] + (0,) + reference.shape[axis + 1:]
    tensors = [tensor.reshape(empty) if tensor.shape == (0,) else tensor for tensor in tensors]
    for position, tensor in enumerate(tensors):
        if tensor.ndim != reference.ndim or any(
            a != b for i, (a, b) in enumerate(zip(tensor.shape, reference.shape)) if i != axis
        ):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}; got shapes "
                f"{list(reference.shape)} and {list(tensor.shape)} (tensor {position})"
            )
    return Cat.apply(*[cast(t, dtype) for t in tensors], dim=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stack same-shape tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    shape = tensors[0].shape
    for position, tensor in enumerate(tensors):
        if tensor.shape != shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(tensor.shape)} at entry {position}"
            )
    axis = normalize_dim(dim, len(shape) + 1)
    return cat([tensor.unsqueeze(axis) for tensor in tensors], axis)


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` of dim ``dim`` (a view); a negative ``start`` counts from the end."""
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    start, length = operator.index(start), operator.index(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dim {axis} of a tensor of shape {list(input.shape)}")
    index = (slice(None),) * axis + (slice(start, start + length),)
    return input[index]


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (last may be smaller) or of the listed sizes."""
    axis = normalize_dim(dim, tensor.ndim)
    total = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [split_size_or_sections] * (total // split_size_or_sections)
        if total % split_size_or_sections:
            sizes.append(total % split_size_or_sections)
        sizes = sizes or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != total:
            raise RuntimeError(
                f"split: split sizes {sizes} sum to {sum(sizes)} but dim {axis} has size {total}"
            )
    pieces, start = [], 0
    for size in sizes:
        pieces.append(narrow(tensor, axis, start, size))
        start += size
    return mark_multi_view_outputs(tuple(pieces), "split")


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (the last may be smaller; maybe fewer pieces)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    axis = normalize_dim(dim, input.ndim)
    if input.shape[axis] == 0:  # PyTorch gives ``chunks`` empty pieces here, not one
        return mark_multi_view_outputs(tuple(narrow(input, axis, 0, 0) for _ in range(chunks)), "chunk")
    return split(input, math.ceil(input.shape[axis] / chunks), axis)


def unbind(input, dim=0):
    """Tuple of all slices along ``dim``, that dim removed."""
    axis = normalize_dim(dim, input.ndim)
    if input.shape[axis] == 0:
        return ()
    pieces = tuple(piece.squeeze(axis) for piece in split(input, 1, axis))
    return mark_multi_view_outputs(pieces, "unbind")
