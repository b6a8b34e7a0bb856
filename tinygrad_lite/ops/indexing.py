"""Indexing: ``x[...]``, ``x[...] = v``, gather, scatter_add, index_select, masked_fill, tril/triu.

Gradients of advanced (integer/bool tensor) indexing accumulate over repeated indices.
Out-of-range indices raise IndexError naming the index and the size; they never wrap silently
where PyTorch refuses them (gather, scatter_add, index_select).
"""
import numpy

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.backend import index_add, to_device_array
from tinygrad_lite.dims import normalize_dim
from tinygrad_lite.ops.operands import python_scalar
from tinygrad_lite.tensor import Tensor


def _index_part(part, device):
    """One component of an index: Tensors and lists become arrays on ``device``."""
    if isinstance(part, Tensor):
        if part.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be long, int or bool, got {part.dtype}")
        return to_device_array(part.data, device)
    if isinstance(part, list):
        return device.xp.asarray(numpy.asarray(part))
    if isinstance(part, numpy.ndarray) and device.type != "cpu":
        return to_device_array(part, device)
    return part


def _normalize_index(index, device):
    """A tuple index with arrays in place of Tensors, and whether it is basic (view) indexing."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_index_part(part, device) for part in parts)
    basic = all(
        part is None or part is Ellipsis or isinstance(part, (slice, int, numpy.integer))
        for part in parts
    ) and not any(isinstance(part, bool) for part in parts)
    return parts, basic


class GetItem(Function):
    def forward(self, x, index, basic):
        self.input_shape, self.index, self.basic = x.shape, index, basic
        return x[index]

    def backward(self, grad_output):
        return IndexScatter.apply(grad_output, index=self.index, basic=self.basic,
                                  shape=self.input_shape)


class IndexScatter(Function):
    """Inverse of GetItem: place (and accumulate) a gradient into zeros of the input's shape."""

    def forward(self, grad, index, basic, shape):
        self.index, self.basic = index, basic
        result = self.xp.zeros(shape, grad.dtype)
        if basic:
            result[index] = grad
        else:
            index_add(self.xp, result, index, grad)
        return result

    def backward(self, grad_output):
        return GetItem.apply(grad_output, index=self.index, basic=self.basic)


def getitem(input, index):
    """``x[index]`` with ints, slices, None, Ellipsis, and integer/bool tensors or lists."""
    parts, basic = _normalize_index(index, input.device)
    try:
        return GetItem.apply(input, index=parts, basic=basic)
    except IndexError as error:
        raise IndexError(f"{error} (indexing a tensor of shape {list(input.shape)})") from None


def setitem(input, index, value):
    """``x[index] = value`` in place, for tensors that need no grad."""
    from tinygrad_lite.autograd.grad_mode import GradMode

    value_needs_grad = isinstance(value, Tensor) and value.requires_grad
    if GradMode.enabled and (input.requires_grad or value_needs_grad):
        raise RuntimeError(
            "x[index] = value is only supported on tensors that need no grad (here "
            f"x.requires_grad={input.requires_grad}, value.requires_grad={value_needs_grad}); "
            "build the result out of place with where()/masked_fill(), or use torch-style "
            "no_grad() for parameter surgery"
        )
    parts, _ = _normalize_index(index, input.device)
    if isinstance(value, Tensor):
        if value.device is not input.device:
            raise RuntimeError(f"setitem: value is on {value.device} but the tensor is on {input.device}")
        value = value.data
    node = input.grad_fn
    if node is not None and getattr(node, "saved_output", None) is input.data:
        node.saved_output = input.data.copy()  # its backward still needs the old values
    try:
        input.data[parts] = value
    except ValueError as error:  # shape mismatch, or a read-only broadcast (expand) view
        raise RuntimeError(
            f"x[index] = value failed for a tensor of shape {list(input.shape)}: {error}"
        ) from None
    input._version += 1


def _check_indices(index, size, operation, dim):
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise IndexError(
            f"{operation}: index {bad} is out of bounds for dimension {dim} with size {size}"
        )


def _integer_index(index, operation):
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise TypeError(f"{operation}: index must be an integer (int64) tensor, got {got}")
    return index


class Gather(Function):
    def forward(self, x, index, dim):
        self.dim, self.index, self.input_shape = dim, index, x.shape
        window = tuple(slice(0, size) for size in index.shape)
        window = window[:dim] + (slice(None),) + window[dim + 1:]
        return self.xp.take_along_axis(x[window], index, axis=dim)

    def backward(self, grad_output):
        zeros = self.constant(self.xp.zeros(self.input_shape, grad_output.dtype))
        return ScatterAdd.apply(zeros, self.constant(self.index), grad_output, dim=self.dim), None


def gather(input, dim, index):
    """``out[i][j] = input[index[i][j]][j]`` for dim=0 (and so on): pick along ``dim`` by index."""
    index = _integer_index(index, "gather")
    axis = normalize_dim(dim, input.ndim)
    if index.ndim != input.ndim:
        raise RuntimeError(
            f"gather: index has {index.ndim} dims but input has {input.ndim} (shapes "
            f"{list(index.shape)} and {list(input.shape)})"
        )
    for d, (i_size, x_size) in enumerate(zip(index.shape, input.shape)):
        if d != axis and i_size > x_size:
            raise RuntimeError(
                f"gather: index shape {list(index.shape)} exceeds input shape {list(input.shape)} "
                f"at dimension {d}"
            )
    _check_indices(index.data, input.shape[axis], "gather", axis)
    return Gather.apply(input, index, dim=axis)


def _scatter_positions(xp, index, dim):
    """Full index tuple addressing ``target`` at ``index`` along ``dim`` (open grids elsewhere)."""
    grids = list(xp.ix_(*[xp.arange(size) for size in index.shape])) if index.ndim else []
    grids[dim] = index
    return tuple(grids)


class ScatterAdd(Function):
    def forward(self, x, index, src, dim):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        result = x.copy()
        window = tuple(slice(0, size) for size in index.shape)
        index_add(self.xp, result, _scatter_positions(self.xp, index, dim), src[window])
        return result

    def backward(self, grad_output):
        needs_x, _, needs_src = self.needs_input_grad
        grad_src = None
        if needs_src:
            grad_src = Gather.apply(grad_output, self.constant(self.index), dim=self.dim)
            if grad_src.shape != self.src_shape:  # src elements beyond the index got no use
                window = tuple(slice(0, size) for size in self.index.shape)
                grad_src = IndexScatter.apply(grad_src, index=window, basic=True, shape=self.src_shape)
        return (grad_output if needs_x else None), None, grad_src


def scatter_add(input, dim, index, src):
    """Out-of-place ``input[index[i][j]][j] += src[i][j]`` along ``dim`` (repeats accumulate)."""
    index = _integer_index(index, "scatter_add")
    axis = normalize_dim(dim, input.ndim)
    if index.ndim != input.ndim or src.ndim != input.ndim:
        raise RuntimeError(
            f"scatter_add: index {list(index.shape)}, src {list(src.shape)} and input "
            f"{list(input.shape)} must have the same number of dims"
        )
    for d in range(input.ndim):
        if index.shape[d] > src.shape[d] or (d != axis and index.shape[d] > input.shape[d]):
            raise RuntimeError(
                f"scatter_add: index shape {list(index.shape)} is larger than src "
                f"{list(src.shape)} or input {list(input.shape)} at dimension {d}"
            )
    _check_indices(index.data, input.shape[axis], "scatter_add", axis)
    if src.dtype != input.dtype:
        raise RuntimeError(f"scatter_add: src dtype {src.dtype} differs from input dtype {input.dtype}")
    return ScatterAdd.apply(input, index, src, dim=axis)


def index_select(input, dim, index):
    """Rows (slices) of ``input`` along ``dim`` picked by a 1-D integer index."""
    index = _integer_index(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select: index must be 1-D, got shape {list(index.shape)}")
    axis = normalize_dim(dim, input.ndim)
    _check_indices(index.data, input.shape[axis], "index_select", axis)
    return getitem(input, (slice(None),) * axis + (index.reshape(-1),))


class MaskedFill(Function):
    def forward(self, x, mask, value):
        self.mask = mask
        return self.xp.where(mask, self.xp.asarray(value, dtype=x.dtype), x)

    def backward(self, grad_output):
        zero = self.constant(self.xp.zeros((), grad_output.dtype))
        from tinygrad_lite.ops.compare import Where

        return Where.apply(self.constant(self.mask), zero, grad_output), None


def masked_fill(input, mask, value):
    """``value`` where ``mask`` (bool, broadcastable) is True, else ``input``."""
    if not isinstance(mask, Tensor) or mask.dtype.kind != "b":
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {got}")
    if mask.device is not input.device:
        raise RuntimeError(f"masked_fill: mask is on {mask.device} but input is on {input.device}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill: value tensor must be 0-dim, got shape {list(value.shape)}")
        if value.requires_grad:
            from tinygrad_lite.ops.compare import where

            return where(mask, value.to(input.dtype), input)
        value = value.item()
    scalar = python_scalar(value)
    if scalar is None:
        raise TypeError(f"masked_fill: value must be a number or 0-dim tensor, got {type(value).__name__}")
    try:
        result_shape = numpy.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {list(mask.shape)} is not broadcastable to input of "
            f"shape {list(input.shape)}"
        ) from None
    if result_shape != input.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {list(mask.shape)} would broadcast input of shape "
            f"{list(input.shape)} to {list(result_shape)}"
        )
    return MaskedFill.apply(input, mask, value=scalar)


class Triangle(Function):
    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return self.xp.triu(x, diagonal) if upper else self.xp.tril(x, diagonal)

    def backward(self, grad_output):
        return Triangle.apply(grad_output, diagonal=self.diagonal, upper=self.upper)


def tril(input, diagonal=0):
    """Lower triangle of the last two dims (elements above ``diagonal`` set to 0)."""
    if input.ndim < 2:
        raise RuntimeError(f"tril: input must have at least 2 dimensions, got shape {list(input.shape)}")
    return Triangle.apply(input, diagonal=diagonal, upper=False)


def triu(input, diagonal=0):
    """Upper triangle of the last two dims (elements below ``diagonal`` set to 0)."""
    if input.ndim < 2:
        raise RuntimeError(f"triu: input must have at least 2 dimensions, got shape {list(input.shape)}")
    return Triangle.apply(input, diagonal=diagonal, upper=True)
