"""Movement ops that rearrange elements without computing: reshape, permute, expand, repeat...

``view``, ``permute``/``transpose``, ``expand`` and every ``reshape`` that needs no copy return
views: tensors sharing the input's memory, so an in-place write through one is seen by the other
(autograd/views.py), as in PyTorch.
"""
import math
import warnings

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.views import mark_view, shares_memory
from tinygrad_lite.dims import normalize_dim, normalize_dims, shape_arguments


class Reshape(Function):
    def forward(self, x, shape):
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"shape {list(shape)} is invalid for input of shape {list(x.shape)} ({x.size} elements)"
            ) from None

    def backward(self, grad_output):
        return self.derivative(Reshape, grad_output, shape=self.input_shape)


class Permute(Function):
    def forward(self, x, dims):
        self.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return x.transpose(dims)

    def backward(self, grad_output):
        return self.derivative(Permute, grad_output, dims=self.inverse)


class Expand(Function):
    """A broadcast view (no copy); the engine sums the gradient back to the input's shape.

    The view is writable, as PyTorch's is: fill_/zero_ through it write the shared memory, while
    other in-place ops refuse it (ops/inplace.py checks the zero strides).
    """

    def forward(self, x, shape):
        self.input_shape = x.shape
        lead = len(shape) - x.ndim
        strides = (0,) * lead + tuple(
            stride if size == wanted else 0
            for size, wanted, stride in zip(x.shape, shape[lead:], x.strides)
        )
        return self.xp.lib.stride_tricks.as_strided(x, shape, strides)

    def backward(self, grad_output):
        from tinygrad_lite.ops.reduce import SumToSize  # noqa: PLC0415 - reduce imports shape

        return self.derivative(SumToSize, grad_output, shape=self.input_shape)


class Repeat(Function):
    def forward(self, x, repeats):
        self.input_shape = x.shape
        self.repeats = repeats
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        return self.xp.tile(x.reshape(padded), repeats)

    def backward(self, grad_output):
        padded = (1,) * (len(self.repeats) - len(self.input_shape)) + self.input_shape
        interleaved = []
        for count, size in zip(self.repeats, padded):
            interleaved += [count, size]
        summed = grad_output.reshape(interleaved).sum(tuple(range(0, len(interleaved), 2)))
        return summed.reshape(self.input_shape)


class Flip(Function):
    def forward(self, x, dims):
        self.dims = dims
        # A copy, as PyTorch's flip (never a negative-stride view), keeping the input's layout.
        return self.xp.flip(x, dims).copy(order="K")

    def backward(self, grad_output):
        return self.derivative(Flip, grad_output, dims=self.dims)


class Contiguous(Function):
    def forward(self, x):
        return self.xp.ascontiguousarray(x)

    def backward(self, grad_output):
        return grad_output


def _inferred_shape(shape, numel, input_shape):
    """``shape`` with its one ``-1`` replaced by the size that keeps ``numel`` elements."""
    if -1 not in shape:
        return shape  # (other negative sizes are refused by Reshape's forward)
    if shape.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got {list(shape)}")
    if any(size < -1 for size in shape):
        raise RuntimeError(f"reshape: invalid shape dimension in {list(shape)}")
    known = math.prod(size for size in shape if size != -1)
    if known == 0:
        raise RuntimeError(
            f"cannot reshape tensor of {numel} elements into shape {list(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous"
        )
    if numel % known:
        raise RuntimeError(f"shape {list(shape)} is invalid for input of shape {list(input_shape)} "
                           f"({numel} elements)")
    return tuple(numel // known if size == -1 else size for size in shape)


def _reshaped(input, shape, copy_allowed):
    shape = _inferred_shape(shape_arguments(shape), input.data.size, input.shape)
    if shape == input.shape:
        return input
    result = Reshape.apply(input, shape=shape)
    if shares_memory(result.data, input.data):
        mark_view(result, input, Reshape, {"shape": shape})
    elif not copy_allowed:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride: shape "
            f"{list(input.shape)} cannot be viewed as {list(shape)} without copying (the tensor is "
            "not contiguous, e.g. transposed); use .reshape(...) instead"
        )
    return result


def reshape(input, *shape):
    """Same elements in a new shape (one dim may be -1): a view when the layout allows, else a copy."""
    return _reshaped(input, shape, copy_allowed=True)


def view(input, *shape):
    """Same elements in a new shape, always sharing memory; raises when that needs a copy."""
    return _reshaped(input, shape, copy_allowed=False)


def view_as(input, other):
    """View with ``other``'s shape."""
    return view(input, other.shape)


def reshape_as(input, other):
    """Reshape to ``other``'s shape."""
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one."""
    if input.ndim == 0:  # (its dims are checked as PyTorch does: 0 and -1 only)
        normalize_dim(start_dim, 0), normalize_dim(end_dim, 0)
        return reshape(input, (1,))
    start, end = normalize_dim(start_dim, input.ndim), normalize_dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
    shape = input.shape
    merged = math.prod(shape[start:end + 1])  # explicit, so a 0-element tensor flattens too
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    axis = normalize_dim(dim, input.ndim)
    if not len(sizes):
        raise RuntimeError("unflatten: sizes must be non-empty")
    sizes = _inferred_shape(tuple(sizes), input.shape[axis], input.shape[axis:axis + 1])
    if math.prod(sizes) != input.shape[axis]:
        raise RuntimeError(
            f"unflatten: sizes {list(sizes)} don't multiply up to the size of dim {axis} "
            f"({input.shape[axis]}) of a tensor of shape {list(input.shape)}"
        )
    return reshape(input, input.shape[:axis] + sizes + input.shape[axis + 1:])


def squeeze(input, dim=None):
    """Remove dims of size 1 (all, or only those in ``dim``; others are left alone as in PyTorch)."""
    dims = normalize_dims(dim, input.ndim)
    shape = tuple(size for axis, size in enumerate(input.shape) if not (axis in dims and size == 1))
    return reshape(input, shape)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at ``dim`` (negative counts from the end of the result)."""
    axis = normalize_dim(dim, input.ndim + 1)
    return reshape(input, input.shape[:axis] + (1,) + input.shape[axis:])


def permute(input, *dims):
    """Reorder dims: the result's dim i is the input's dim ``dims[i]``."""
    dims = shape_arguments(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute: number of dims {len(dims)} doesn't match the tensor's {input.ndim} dims"
        )
    dims = tuple(normalize_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute: repeated dim in {dims}")
    if dims == tuple(range(input.ndim)):
        return input
    result = Permute.apply(input, dims=dims)
    mark_view(result, input, Permute, {"dims": dims})
    return result


def transpose(input, dim0, dim1):
    """Swap two dims."""
    if input.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    order = list(range(input.ndim))
    first, second = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)
    order[first], order[second] = order[second], order[first]
    return permute(input, order)


swapaxes = transpose


def t(input):
    """Transpose of a tensor with at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but got {input.ndim}")
    return transpose(input, 0, -1)


def matrix_transpose(input):
    """Swap the last two dims (``x.mT``); a 0-d tensor is its own transpose, as in PyTorch."""
    if input.ndim == 0:
        warnings.warn("Tensor.mT is deprecated on 0-D tensors (as in PyTorch); it is the identity",
                      UserWarning, stacklevel=3)
        return input
    if input.ndim < 2:
        raise RuntimeError(f"mT needs a tensor with at least 2 dimensions, got {input.ndim}")
    return transpose(input, -2, -1)


def reverse_dims(input):
    """All dims reversed (``x.T``)."""
    return permute(input, tuple(range(input.ndim - 1, -1, -1)))


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = shape_arguments(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({input.ndim})"
        )
    lead = len(sizes) - input.ndim
    shape = list(sizes)
    for axis, size in enumerate(input.shape):
        wanted = sizes[lead + axis]
        if wanted == -1:
            shape[lead + axis] = size
        elif size != 1 and wanted != size:
            raise RuntimeError(
                f"expand: the expanded size {wanted} must match the existing size {size} at "
                f"non-singleton dimension {lead + axis}; target sizes {list(sizes)}, tensor shape "
                f"{list(input.shape)}"
            )
    shape = tuple(shape)
    if shape == input.shape:
        return input
    result = Expand.apply(input, shape=shape)
    mark_view(result, input, Expand, {"shape": shape})
    return result


def expand_as(input, other):
    """Expand to ``other``'s shape."""
    return expand(input, other.shape)


def broadcast_to(input, shape):
    """Expand to ``shape`` by broadcasting rules."""
    return expand(input, tuple(shape))


def repeat(input, *repeats):
    """Tile the tensor ``repeats[i]`` times along dim i (copies, unlike expand)."""
    repeats = shape_arguments(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(repeats)}) can not be smaller than number of "
            f"tensor dims ({input.ndim})"
        )
    return Repeat.apply(input, repeats=repeats)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy; slices with negative steps are refused).

    ``x.flip(0, 2)`` and ``tl.flip(x, (0, 2))`` both work, as in PyTorch.
    """
    dims = shape_arguments(dims)
    axes = tuple(normalize_dim(dim, input.ndim) for dim in dims) if input.ndim else ()
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {list(dims)} has a repeated dim")
    return Flip.apply(input, dims=axes)


def contiguous(input):
    """A C-contiguous copy when the data is a strided view; otherwise the tensor itself."""
    flags = getattr(input.data, "flags", None)
    if flags is not None and flags.c_contiguous:
        return input
    return Contiguous.apply(input)
