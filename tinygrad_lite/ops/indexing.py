"""Indexing: ``x[...]``, ``x[...] = v``, gather, scatter_add, index_select, masked_fill, tril/triu.

Gradients of advanced (integer/bool tensor) indexing accumulate over repeated indices.
Out-of-range indices raise IndexError naming the index and the size; they never wrap silently
where PyTorch refuses them (gather, scatter_add, index_select).
"""
import builtins
import operator
import warnings

import numpy

from tinygrad_lite.autograd.anomaly import AnomalyMode
from tinygrad_lite.autograd.function import Function, with_version_checks
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.autograd.placed_gradient import PlacedGradient
from tinygrad_lite.autograd.views import mark_view
from tinygrad_lite.backend import index_add, to_device_array
from tinygrad_lite.dims import normalize_dim
from tinygrad_lite.ops.inplace import (apply_inplace, has_internal_overlap, mark_written,
                                      refuse_partial_overlap)
from tinygrad_lite.ops.layout import advanced_index_layout
from tinygrad_lite.ops.operands import python_scalar, stored_scalar
from tinygrad_lite.tensor import Tensor


_MAX_SEQUENCE_AS_TUPLE = 32  # PyTorch reads a shorter list holding sequences as a tuple


def _index_tuple(index):
    """The index as a tuple of parts. As in PyTorch (not NumPy), a list shorter than 32 holding a
    sequence, tensor, slice, None or Ellipsis is a tuple: ``x[[[0, 1], [1, 0]]]`` is ``x[[0, 1], [1, 0]]``."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < _MAX_SEQUENCE_AS_TUPLE and any(
        item is None or item is Ellipsis
        or isinstance(item, (Tensor, list, tuple, slice, numpy.ndarray)) for item in index
    ):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated (as "
                      "in PyTorch): use x[tuple(seq)] instead of x[seq]", UserWarning, stacklevel=4)
        return tuple(index)
    return (index,)


def _is_integer(part):
    """Python/NumPy ints and 0-d integer tensors select one position, as in PyTorch."""
    if isinstance(part, (builtins.bool, numpy.bool_)):
        return False
    if isinstance(part, (builtins.int, numpy.integer)):
        return True
    return isinstance(part, Tensor) and part.ndim == 0 and part.dtype.kind in "iu" and part.dtype != numpy.uint8


def _check_slice(part):
    step = part.step
    if step is not None and operator.index(step) <= 0:
        raise ValueError(f"step must be greater than zero, got a slice with step {step} "
                         "(negative steps are not supported: use flip)")
    return part


def _advanced_array(part, device):
    """An integer or bool index array on ``device`` from a tensor, list or array index part."""
    if isinstance(part, Tensor):
        if part.device is not device and part.device.type != "cpu":
            raise RuntimeError(f"indices should be either on cpu or on the same device as the "
                               f"indexed tensor ({device}), got an index on {part.device}")
        array = part.data
    elif isinstance(part, (builtins.bool, numpy.bool_)):
        array = numpy.asarray(part)
    else:
        array = numpy.asarray(part)
        if array.size == 0 and array.dtype.kind not in "biu":
            array = array.astype(numpy.int64)  # x[[]] selects nothing
    if array.dtype.kind not in "biu" or array.dtype == numpy.uint64:
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got "
                         f"{array.dtype}")
    if array.dtype == numpy.uint8:  # PyTorch's legacy rule: a byte index is a mask
        warnings.warn("indexing with dtype uint8 is deprecated (as in PyTorch): use a bool mask",
                      UserWarning, stacklevel=6)
        array = array.astype(numpy.bool_)
    return to_device_array(array, device)


def _classify(part, device):
    """``('int', i)``, ``('slice', s)``, ``('none', None)``, ``('ellipsis', ...)`` or ``('array', a)``."""
    if part is None:
        return "none", None
    if part is Ellipsis:
        return "ellipsis", Ellipsis
    if isinstance(part, slice):
        return "slice", _check_slice(part)
    if _is_integer(part):
        return "int", operator.index(part)
    if isinstance(part, (Tensor, list, tuple, numpy.ndarray, builtins.bool, numpy.bool_)):
        return "array", _advanced_array(part, device)
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long, int, byte or bool tensors "
        f"are valid indices (got {type(part).__name__})"
    )


def _dims_consumed(kind, value):
    if kind in ("int", "slice"):
        return 1
    if kind == "array":
        return value.ndim if value.dtype.kind == "b" else 1
    return 0


def _resolve_arrays(parts, shape, xp):
    """Bool masks checked against the dims they index, then spelt as integer arrays (``nonzero``);
    0-d bools (``x[True]``) stay, as they add a dim instead of indexing one. Integer arrays are
    bounds-checked on CuPy, which would wrap them silently (NumPy checks them itself)."""
    consumed = [_dims_consumed(kind, value) for kind, value in parts]
    if sum(kind == "ellipsis" for kind, _ in parts) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if sum(consumed) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    expanded, dim = [], 0
    for (kind, value), used in zip(parts, consumed):
        if kind == "ellipsis":
            dim += len(shape) - sum(consumed)
        if kind == "array" and value.dtype.kind == "b" and value.ndim:
            indexed = shape[dim:dim + value.ndim]
            if tuple(value.shape) != indexed:
                raise IndexError(f"The shape of the mask {list(value.shape)} at index {dim} does not "
                                 f"match the shape of the indexed tensor {list(shape)} at index {dim}")
            expanded.extend(("array", rows) for rows in value.nonzero())
        else:
            if kind == "array" and value.dtype.kind != "b" and xp is not numpy:
                _check_bounds(value, shape[dim], dim)
            expanded.append((kind, value))
        dim += used
    return expanded


def _check_bounds(index, size, dim):
    if index.size:
        low, high = int(index.min()), int(index.max())
        if low < -size or high >= size:
            bad = low if low < -size else high
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _ints_and_slices(index, ndim):
    """The basic index for the common ``x[i]``, ``x[1:]``, ``x[:, i]`` (Python ints and slices with
    positive steps), or None to take the general path."""
    parts = index if type(index) is tuple else (index,)
    if len(parts) > ndim:
        return None
    for part in parts:
        kind = type(part)
        if kind is slice:
            if part.step is not None and (type(part.step) is not int or part.step <= 0):
                return None
        elif kind is not int:
            return None
    return parts + (Ellipsis,)


def _normalize_index(index, input):
    """``(basic, advanced)``: a basic index (ints, slices, None, Ellipsis: a view), then an advanced
    one (integer arrays, slices, Ellipsis) applied to that view, or None for either part.

    Applying the ints first is PyTorch's rule: ``x[0, :, [1, 2]]`` on (2, 3, 4) is ``x[0][:, [1, 2]]``,
    shape (3, 2), where NumPy, counting the 0 as an advanced index, would give (2, 3).
    """
    simple = _ints_and_slices(index, input.ndim)
    if simple is not None:
        return simple, None
    parts = [_classify(part, input.device) for part in _index_tuple(index)]
    parts = _resolve_arrays(parts, input.shape, input.device.xp)
    if not any(kind == "array" for kind, _ in parts):
        basic = tuple(value for _, value in parts)
        # A trailing Ellipsis makes NumPy return a 0-d view instead of a scalar copy for x[i, j].
        return (basic if Ellipsis in basic else basic + (Ellipsis,)), None
    basic, advanced = [], []
    for kind, value in parts:
        if kind == "array":
            if value.ndim or value.dtype.kind != "b":  # (x[True] adds a dim, indexes none)
                basic.append(slice(None))
            advanced.append(value)
        elif kind == "int":
            basic.append(value)
        elif kind == "ellipsis":
            basic.append(Ellipsis)
            # Spelt out: an Ellipsis covering no dim leaves the advanced indices around it
            # adjacent (PyTorch's rule), where NumPy would count them as separated.
            covered = len(input.shape) - sum(_dims_consumed(*part) for part in parts)
            advanced.extend((slice(None),) * covered)
        else:  # a slice, or None whose new dim the advanced step sees as a full slice
            basic.append(value)
            advanced.append(slice(None))
    if all(kind in ("array", "ellipsis") or value == slice(None) for kind, value in parts):
        return None, tuple(advanced)  # x[idx], x[:, mask]: no basic step needed
    if Ellipsis not in basic:
        basic.append(Ellipsis)  # ints alone would make NumPy return a scalar copy, not a view
    return tuple(basic), tuple(advanced)


class GetItem(Function):
    """``x[basic][advanced]``: a view for basic indexing, a gathered copy for advanced indexing."""

    def forward(self, x, basic, advanced):
        self.input_shape, self.basic, self.advanced = x.shape, basic, advanced
        selected = x if basic is None else x[basic]
        if advanced is None:
            return selected
        return advanced_index_layout(selected, advanced, _gathered(selected, advanced, self.xp),
                                     self.xp)

    def backward(self, grad_output):
        if self.advanced is None and not GradMode.enabled and not AnomalyMode.enabled:
            # first order: the engine places the view's gradient when its input's is read
            return PlacedGradient(self.input_shape, grad_output.data.dtype, self.device, self.basic,
                                  grad_output.data)
        return self.derivative(IndexScatter, grad_output, basic=self.basic, advanced=self.advanced,
                                  shape=self.input_shape)


def _gathered(selected, advanced, xp):
    """``selected[advanced]``; as in PyTorch, which checks bounds per gathered element, an index
    out of bounds raises only when something is gathered (``x[[5], :0]`` is empty, not an error)."""
    try:
        return selected[advanced]
    except IndexError:
        try:
            result = selected[_zeroed(advanced, xp)]
        except IndexError:
            result = None
        if result is None or result.size:
            raise
        return result


def _zeroed(advanced, xp):
    """``advanced`` with every index array replaced by zeros (in bounds wherever a dim is not empty)."""
    return tuple(part if isinstance(part, slice) else xp.zeros_like(part) for part in advanced)


class IndexScatter(Function):
    """Inverse of GetItem: place (and accumulate) a gradient into zeros of the input's shape."""

    def forward(self, grad, basic, advanced, shape):
        self.basic, self.advanced = basic, advanced
        result = self.xp.zeros(shape, grad.dtype)
        target = result if basic is None else result[basic]
        if advanced is None:
            target[...] = grad
        elif grad.size:  # (an empty gather may hold indices out of bounds: nothing to place)
            index_add(self.xp, target, advanced, grad)
        return result

    def backward(self, grad_output):
        return self.derivative(GetItem, grad_output, basic=self.basic, advanced=self.advanced)


def _index_tensors(index):
    """The Tensors inside an index: their values must not change before backward reads them."""
    return [part for part in _index_tuple(index) if isinstance(part, Tensor) and part.ndim]


def getitem(input, index):
    """``x[index]`` with ints, slices, None, Ellipsis, and integer/bool tensors or lists (PyTorch's rules).

    Ints, slices, None and Ellipsis alone give a view sharing ``x``'s memory.
    """
    try:
        basic, advanced = _normalize_index(index, input)
        result = GetItem.apply(input, basic=basic, advanced=advanced)
    except IndexError as error:
        raise IndexError(f"{error} (indexing a tensor of shape {list(input.shape)})") from None
    if advanced is None:
        mark_view(result, input, GetItem, {"basic": basic, "advanced": None})
        return result
    return with_version_checks(result, *_index_tensors(index))


class IndexPut(Function):
    """``x`` with ``x[index] = value`` (``value`` already broadcast to the indexed shape)."""

    def forward(self, x, value, index):
        self.index = index
        result = x.copy()
        result[index] = value
        return result

    def backward(self, grad_output):
        from tinygrad_lite.ops.compare import Where

        needs_x, needs_value = self.needs_input_grad
        grad_x = grad_value = None
        if needs_x:
            written = self.xp.zeros(grad_output.shape, dtype=bool)
            written[self.index] = True
            zero = self.constant(self.xp.zeros((), grad_output.dtype))
            grad_x = self.derivative(Where, self.constant(written), zero, grad_output)
        if needs_value:
            grad_value = self.derivative(GetItem, grad_output, basic=None, advanced=self.index)
        return grad_x, grad_value


_SETITEM = "x[index] = value"


def setitem(input, index, value):
    """``x[index] = value`` in place (PyTorch's indexing rules; ``value`` broadcast and cast).

    Inside the graph it is recorded like PyTorch's: gradients flow to ``value`` and, outside the
    written positions, to the previous ``x``. A leaf that requires grad is refused.
    """
    try:
        basic, advanced = _normalize_index(index, input)
    except IndexError as error:
        raise IndexError(f"{error} (indexing a tensor of shape {list(input.shape)})") from None
    if isinstance(value, Tensor) and value.device is not input.device:
        value = value.to(input.device)
    masked_fill = isinstance(value, Tensor) and value.numel() == 1 and _single_mask(index)
    if (advanced is not None and isinstance(value, Tensor) and value.dtype != input.dtype
            and not masked_fill):
        raise RuntimeError(f"x[index] = value: index put requires the value's dtype ({value.dtype}) "
                           f"to match the tensor's ({input.dtype}), as in PyTorch: convert it with "
                           ".to(dtype)")
    in_graph = GradMode.enabled and (input.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    empty_index = None if advanced is None else _index_selecting_nothing(input, basic, advanced, value)
    if empty_index is not None:
        if not in_graph:
            _warn_if_expanded(input.data if basic is None else input.data[basic])
            return
        advanced = empty_index  # still recorded: PyTorch's result requires grad through value
    elif isinstance(value, Tensor):
        _refuse_overlapping_value(input.data if basic is None else input.data[basic], advanced,
                                  value.data, input.device.xp, masked_fill)
    if not in_graph:
        _write_without_graph(input, basic, advanced, value)
        return
    if not isinstance(value, Tensor):
        value = Tensor(stored_scalar(input.dtype, value, through_tensor=True), dtype=input.dtype,
                       device=input.device)
    value = value.to(input.dtype)
    target = input if basic is None else getitem(input, basic)
    if advanced is None:
        apply_inplace(target, lambda alias: _broadcast_value(value, alias.shape), _SETITEM,
                      overwrites=True)
        return
    value = _broadcast_value(value, target.data[advanced].shape)
    apply_inplace(target, lambda alias: IndexPut.apply(alias, value, index=advanced), _SETITEM)


def _index_selecting_nothing(input, basic, advanced, value):
    """None when ``x[index]`` selects an element; else an in-bounds ``advanced`` selecting the
    same nothing. PyTorch then checks neither the bounds of the indices nor the memory of the
    value, only its dtype and that it broadcasts (NumPy lets (3, 0) into (0,))."""
    target = input.data if basic is None else input.data[basic]
    try:
        selected, in_bounds = target[advanced], advanced
    except IndexError:
        selected = _gathered(target, advanced, input.device.xp)  # (raises unless empty)
        in_bounds = _zeroed(advanced, input.device.xp)
    if selected.size:
        return None
    if isinstance(value, Tensor):
        _broadcast_value(value, selected.shape)
    return in_bounds


def _refuse_overlapping_value(destination, advanced, value, xp, masked_fill):
    """PyTorch's overlap checks for ``x[index] = value``: index_put refuses any shared memory
    (except a one-element value under one bool mask, a masked fill that reads it first);
    a plain slice copies the value broadcast to its shape (leading 1s dropped first), except a
    0-d value of another shape, which fills without a check."""
    if advanced is not None:
        if not masked_fill:
            refuse_partial_overlap(destination, value, _SETITEM, full_ok=False)
    elif value.shape == destination.shape:
        refuse_partial_overlap(destination, value, _SETITEM)
    elif value.ndim > 0:
        leading_ones = next((dim for dim, size in enumerate(value.shape) if size != 1), value.ndim)
        stripped = value.reshape(value.shape[leading_ones:])
        if _broadcasts(stripped.shape, destination.shape):
            refuse_partial_overlap(destination, xp.broadcast_to(stripped, destination.shape),
                                   _SETITEM)


def _broadcasts(source_shape, target_shape):
    return len(source_shape) <= len(target_shape) and all(
        s in (1, t) for s, t in zip(source_shape[::-1], target_shape[::-1]))


def _single_mask(index):
    """True when the only advanced part of ``index`` is one bool mask (PyTorch then fills)."""
    advanced = [part for part in _index_tuple(index)
                if isinstance(part, (Tensor, list, tuple, numpy.ndarray, builtins.bool))
                and not _is_integer(part)]
    return len(advanced) == 1 and numpy.asarray(
        advanced[0].data if isinstance(advanced[0], Tensor) else advanced[0]).dtype.kind == "b"


def _broadcast_value(value, shape):
    """``value`` broadcast to ``shape``, leading size-1 dims dropped first (PyTorch's setitem rule)."""
    while value.ndim > len(shape) and value.shape[0] == 1:
        value = value.squeeze(0)
    try:
        return value.expand(shape)
    except RuntimeError:
        raise RuntimeError(f"x[index] = value: shape mismatch: value of shape {list(value.shape)} "
                           f"cannot be broadcast to indexing result of shape {list(shape)}") from None


def _warn_if_expanded(target):
    """PyTorch's deprecation warning for index_put_ into memory that several elements share."""
    if has_internal_overlap(target):
        warnings.warn("Use of index_put_ on expanded tensors is deprecated (as in PyTorch): clone() "
                      "the tensor before performing this operation", UserWarning, stacklevel=4)


def _write_without_graph(input, basic, advanced, value):
    """The fast path of ``x[index] = value`` for a tensor outside the graph: one array write."""
    if isinstance(value, Tensor):
        value = value.data
    elif python_scalar(value) is not None:
        value = stored_scalar(input.dtype, python_scalar(value), through_tensor=True)  # uint8 x[0] = -3 wraps, as PyTorch
    target = input.data if basic is None else input.data[basic]
    if advanced is not None:
        _warn_if_expanded(target)
    elif has_internal_overlap(target):
        raise RuntimeError(
            f"x[index] = value: unsupported operation: more than one element of the written-to "
            f"tensor (shape {list(target.shape)}, an expanded view) refers to a single memory "
            "location; clone() it before writing"
        )
    try:
        if advanced is None:
            target[...] = value
        else:
            target[advanced] = value
    except (ValueError, TypeError) as error:  # shape mismatch, read-only broadcast view, scalar
        raise RuntimeError(
            f"x[index] = value failed for a tensor of shape {list(input.shape)}: {error}"
        ) from None
    mark_written(input)


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
        return self.derivative(ScatterAdd, zeros, self.constant(self.index), grad_output, dim=self.dim), None


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
    if input.ndim == 0:  # a 0-d tensor gathers as a 1-element vector, as in PyTorch
        return gather(input.reshape(1), 0, index.reshape(1)).reshape(())
    _check_indices(index.data, input.shape[axis], "gather", axis)
    return with_version_checks(Gather.apply(input, index, dim=axis), index)


def along_axis_positions(xp, index, dim):
    """Full index tuple addressing ``target`` at ``index`` along ``dim`` (open grids elsewhere):
    ``target[positions] = values`` is NumPy's ``put_along_axis``, on any CuPy too."""
    grids = list(xp.ix_(*[xp.arange(size) for size in index.shape])) if index.ndim else []
    grids[dim] = index
    return tuple(grids)


class ScatterAdd(Function):
    def forward(self, x, index, src, dim):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        result = x.copy()
        window = tuple(slice(0, size) for size in index.shape)
        index_add(self.xp, result, along_axis_positions(self.xp, index, dim), src[window])
        return result

    def backward(self, grad_output):
        needs_x, _, needs_src = self.needs_input_grad
        grad_src = None
        if needs_src:
            grad_src = self.derivative(Gather, grad_output, self.constant(self.index), dim=self.dim)
            if grad_src.shape != self.src_shape:  # src elements beyond the index got no use
                window = tuple(slice(0, size) for size in self.index.shape)
                grad_src = self.derivative(IndexScatter, grad_src, basic=window, advanced=None, shape=self.src_shape)
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
    if input.ndim == 0:  # a 0-d tensor scatters as a 1-element vector, as in PyTorch
        return scatter_add(input.reshape(1), 0, index.reshape(1), src.reshape(1)).reshape(())
    _check_indices(index.data, input.shape[axis], "scatter_add", axis)
    if src.dtype != input.dtype:
        raise RuntimeError(f"scatter_add: src dtype {src.dtype} differs from input dtype {input.dtype}")
    return with_version_checks(ScatterAdd.apply(input, index, src, dim=axis), index)


def index_select(input, dim, index):
    """Rows (slices) of ``input`` along ``dim`` picked by a 1-D integer index."""
    index = _integer_index(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select: index must be 1-D, got shape {list(index.shape)}")
    axis = normalize_dim(dim, input.ndim)
    if input.ndim == 0:  # a 0-d tensor takes one index, 0, and stays 0-d (PyTorch)
        if index.numel() != 1:
            raise IndexError(f"index_select(): index to a 0-d tensor can have only 1 value, got "
                             f"{index.numel()}")
        _check_indices(index.data, 1, "index_select", 0)
        return input.reshape(1)[index.reshape(1)].reshape(())
    _check_indices(index.data, input.shape[axis], "index_select", axis)
    # (contiguous, as PyTorch's index_select kernel allocates it, whatever the input's layout)
    return getitem(input, (slice(None),) * axis + (index.reshape(-1),)).contiguous()


class MaskedFill(Function):
    contiguous_output = True

    def forward(self, x, mask, value):
        self.mask = mask
        return self.xp.where(mask, self.xp.asarray(value, dtype=x.dtype), x)

    def backward(self, grad_output):
        zero = self.constant(self.xp.zeros((), grad_output.dtype))
        from tinygrad_lite.ops.compare import Where

        return self.derivative(Where, self.constant(self.mask), zero, grad_output), None


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
        if value.requires_grad and GradMode.enabled:
            if input.dtype.kind != "f":
                raise RuntimeError(f"masked_fill: a value that requires grad can't fill a {input.dtype} "
                                   "tensor (autograd does not support that dtype, as in PyTorch)")
            from tinygrad_lite.ops.compare import where

            return where(mask, value.to(input.dtype), input)
        value = value.item()
    scalar = python_scalar(value)
    if scalar is None:
        raise TypeError(f"masked_fill: value must be a number or 0-dim tensor, got {type(value).__name__}")
    try:
        numpy.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {list(mask.shape)} is not broadcastable with input of "
            f"shape {list(input.shape)}"
        ) from None
    return with_version_checks(MaskedFill.apply(input, mask, value=stored_scalar(input.dtype, scalar)), mask)



class Triangle(Function):
    contiguous_output = True

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return self.xp.triu(x, diagonal) if upper else self.xp.tril(x, diagonal)

    def backward(self, grad_output):
        return self.derivative(Triangle, grad_output, diagonal=self.diagonal, upper=self.upper)


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
