"""In-place ops (``add_``, ``mul_``, ``zero_``, ``fill_``, ``copy_``, ``clamp_``...) with PyTorch's rules.

Every in-place op computes its result out of place from an alias of the tensor, then writes it
into the tensor's memory, so every view of that memory sees it (``h[0].mul_(10)`` changes ``h``).
The write bumps the memory's version counter: a backward that needs the old values (an input or
output some node saved) raises instead of computing a wrong gradient.

Inside the graph the tensor takes the result's ``grad_fn``; written through a view, the view's
base takes a :class:`CopySlices` node (its old graph outside the view, the result inside), and
the view's own ``grad_fn`` is rebuilt from the base. A leaf that requires grad, or a view of
one, is refused while grad mode is on.
"""
import sys
import warnings

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.backend import on_device
from tinygrad_lite.autograd.views import refresh_view, replay_view, shares_memory, version_root
from tinygrad_lite.ops.compare import Where, where
from tinygrad_lite.ops.layout import dense_without_overlap
from tinygrad_lite.ops.operands import stored_scalar
from tinygrad_lite.tensor import Tensor

_new_object = object.__new__


class CopySlices(Function):
    """The base of a view after an in-place op wrote ``value`` through that view.

    Inputs: the base as it was and the view's new values; the output is the base's memory,
    already written. Backward: the base gets the gradient outside the view's region, the
    value gets the region itself (the view ops replayed on the gradient).
    """

    def forward(self, base, value, steps):
        self.steps = steps
        region = self.xp.zeros_like(base, dtype=bool)  # laid out like base, so views replay alike
        view = _replay_on_array(region, steps, self.xp)
        if not shares_memory(view, region):
            raise RuntimeError("CopySlices: the view's region could not be located in its base")
        view[...] = True
        self.region = region
        self.overlapping = has_internal_overlap(view)
        return base

    def backward(self, grad_output):
        if self.overlapping:  # elements of the view share memory: no gradient to split (PyTorch)
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor (an "
                "expanded view written in place inside the graph) refers to a single memory "
                "location; clone() the tensor before writing it"
            )
        needs_base, needs_value = self.needs_input_grad
        grad_base = grad_value = None
        if needs_base:
            zero = self.constant(self.xp.zeros((), grad_output.dtype))
            grad_base = self.derivative(Where, self.constant(self.region), zero, grad_output)
        if needs_value:
            grad_value = replay_view(grad_output, self.steps)
        return grad_base, grad_value


def _replay_on_array(array, steps, xp):
    """The view ops of ``steps`` applied to a plain array (their forwards, no graph)."""
    for op, params in steps:
        node = _new_object(op)
        node.xp = xp
        array = node.forward(array, **params)
    return array


def apply_inplace(tensor, compute, name, overwrites=False, overlap_ok=False, written=None):
    """Overwrite ``tensor`` with ``compute(alias)``, ``alias`` holding the tensor's current values.

    ``overwrites``: the new values don't depend on the old ones (fill_, copy_, x[i] = v); the
    tensor's old graph stays connected with a zero gradient, as in PyTorch. ``overlap_ok``: the
    op writes constants (fill_, zero_, masked_fill_), which PyTorch allows even where elements
    share memory (an expanded view). ``written``: a bool mask of the places the op writes (the
    rest keep their memory untouched, which matters where elements share it).
    """
    if GradMode.enabled:
        _refuse_leaf(tensor, name)
    if not overlap_ok and has_internal_overlap(tensor.data):
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor (shape "
            f"{list(tensor.shape)}, an expanded view) refers to a single memory location; clone() "
            "it before writing"
        )
    if tensor._base is not None and tensor._view is not None:
        refresh_view(tensor)
    alias = Tensor._make(tensor.data, tensor.device, tensor._requires_grad, tensor._grad_fn)
    references = sys.getrefcount(alias)
    result = compute(alias)
    # A node that saved the alias (mul_ saves it for the other factor's gradient) must keep reading
    # the old values: give the alias a private copy before the tensor's memory is overwritten.
    if sys.getrefcount(alias) - (result is alias) > references and result._grad_fn is not None:
        alias.data = alias.data.copy()
    return _commit(tensor, alias, _as_result(result, tensor, name), name, overwrites, written)


def has_internal_overlap(array):
    """True when elements of ``array`` share memory: a stride of 0 over a dim longer than 1."""
    return array.size > 1 and any(stride == 0 and size > 1
                                  for size, stride in zip(array.shape, array.strides))


def refuse_partial_overlap(destination, source, name, full_ok=True):
    """PyTorch's rule for copies: the source may be the destination itself, or elsewhere, but not
    memory overlapping it otherwise (x[1:] = x[:-1] would read what it has already written).
    ``full_ok=False`` is index_put's stricter rule: the very same memory is refused too.

    As in PyTorch, only layouts it can judge are refused: both arrays dense without self-overlap.
    Ours then reads the source before writing, so the cases it lets through come out right."""
    status = _overlap(destination, source)
    if status == "partial" or (status == "full" and not full_ok):
        raise RuntimeError(
            f"{name}: unsupported operation: some elements of the input tensor and the written-to "
            "tensor refer to a single memory location; clone() the input first"
        )


def _overlap(a, b):
    """PyTorch's judgement of two arrays' memory: "no", "full" (the same layout) or "partial"."""
    if a.size == 0 or b.size == 0 or type(a) is not type(b):
        return "no"
    if not (dense_without_overlap(a) and dense_without_overlap(b)):
        return "no"  # PyTorch's "too hard to tell", which it lets through
    a_begin, b_begin = _address(a), _address(b)
    a_end, b_end = a_begin + a.nbytes, b_begin + b.nbytes
    if a_begin == b_begin and a_end == b_end:
        same_strides = a.ndim == b.ndim and all(
            sa == sb for size, sa, sb in zip(a.shape, a.strides, b.strides) if size > 1)
        return "full" if same_strides else "partial"
    return "partial" if a_begin < b_end and b_begin < a_end else "no"


def _address(array):
    interface = getattr(array, "__array_interface__", None) or array.__cuda_array_interface__
    return interface["data"][0]


def _refuse_leaf(tensor, name):
    root = tensor if tensor._base is None or tensor._view is None else tensor._view[0]
    if root._requires_grad and root._grad_fn is None:
        what = "a leaf tensor" if root is tensor else "a view of a leaf tensor"
        raise RuntimeError(
            f"{name}: {what} that requires grad (shape {list(root.shape)}) is being used in an "
            "in-place operation; wrap it in tl.no_grad() or work on a copy"
        )


def _as_result(result, tensor, name):
    """``result`` checked against the tensor it will overwrite (same shape; a castable dtype)."""
    if result.shape != tensor.shape:
        raise RuntimeError(
            f"{name}: output with shape {list(tensor.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    if result.dtype != tensor.dtype:
        # PyTorch's can_cast: any narrowing within a kind is fine; float -> integer/bool and
        # integer -> bool are not.
        if (result.dtype.kind == "f" and tensor.dtype.kind != "f") or (
                result.dtype.kind != "b" and tensor.dtype.kind == "b"):
            raise RuntimeError(
                f"{name}: result type {result.dtype} can't be cast to the desired output type "
                f"{tensor.dtype}"
            )
        result = result.to(tensor.dtype)
    return result


def _commit(tensor, alias, result, name, overwrites, written):
    """Write ``result`` into ``tensor``'s memory and give the tensor (or its base) its graph."""
    in_graph = GradMode.enabled and (result._requires_grad or alias._requires_grad)
    if in_graph and tensor._base is not None and tensor._view is not None and tensor._view[2]:
        raise RuntimeError(
            f"{name}: this view (shape {list(tensor.shape)}) is an output of {tensor._view[2]}, a "
            "function that returns multiple views, and is being modified inplace inside the "
            "graph; as in PyTorch that is not allowed: use an out-of-place op instead"
        )
    if in_graph and result._grad_fn is None and result._requires_grad:
        result = result.clone()  # a leaf (copy_(leaf)): the tensor needs a node of its own
    if (in_graph and (overwrites or result._grad_fn is None) and alias._requires_grad
            and (tensor._base is None or tensor._view is None)):
        # Overwritten (fill_, zero_, copy_): like PyTorch, the old tensor stays in the graph and
        # gets a zero gradient (through a view, CopySlices does the same for the base).
        with on_device(tensor.device):
            keep = Tensor._make(tensor.device.xp.ones((), dtype=bool), tensor.device, False, None)
        result = where(keep, result, alias)
    _write(tensor, result.data, name, written)
    mark_written(tensor)
    if not in_graph:
        return tensor
    if tensor._base is not None and tensor._view is not None:
        _rebase_view(tensor, result)
    else:
        node = result._grad_fn
        if node.saves_output and getattr(node, "saved_output", None) is result.data:
            node.saved_output = tensor.data  # same values: keep one copy, watched by the counter
        tensor._grad_fn, tensor._requires_grad = node, True
    return tensor


def _rebase_view(view, result):
    """The view's base takes a CopySlices node; the view is rebuilt from it."""
    graph_base, steps, _ = view._view
    old_base = Tensor._make(graph_base.data, graph_base.device, graph_base._requires_grad,
                            graph_base._grad_fn)
    rebased = CopySlices.apply(old_base, result, steps=steps)
    graph_base._grad_fn, graph_base._requires_grad = rebased._grad_fn, True
    refresh_view(view)


def _write(tensor, array, name, written=None):
    try:
        if written is None:
            tensor.data[...] = array
        else:
            tensor.device.xp.copyto(tensor.data, array, where=written)
    except ValueError:  # a read-only array (a user's NumPy array, shared through from_numpy)
        raise RuntimeError(f"{name}: the tensor of shape {list(tensor.shape)} wraps a read-only "
                           "array; clone() it before writing") from None


def mark_written(tensor):
    """Record an in-place write to ``tensor``'s memory: bump the shared version counter, and flag
    the node whose saved output is that memory, so a backward reading it raises (PyTorch's rule)."""
    root = version_root(tensor)
    node = root._grad_fn
    if node is not None and node.saves_output:
        saved = getattr(node, "saved_output", None)
        if saved is not None and shares_memory(saved, root.data):
            node.output_modified = True
    root._version_count += 1


def add_(input, other, alpha=1):
    """In-place ``input += alpha * other``."""
    return apply_inplace(input, lambda t: t.add(other, alpha=alpha), "add_")


def sub_(input, other, alpha=1):
    """In-place ``input -= alpha * other``."""
    return apply_inplace(input, lambda t: t.sub(other, alpha=alpha), "sub_")


def mul_(input, other):
    """In-place ``input *= other``."""
    return apply_inplace(input, lambda t: t * other, "mul_")


def div_(input, other):
    """In-place ``input /= other``."""
    return apply_inplace(input, lambda t: t / other, "div_")


def pow_(input, exponent):
    """In-place ``input **= exponent``."""
    return apply_inplace(input, lambda t: t ** exponent, "pow_")


def clamp_(input, min=None, max=None):
    """In-place clamp to ``[min, max]``."""
    return apply_inplace(input, lambda t: t.clamp(min, max), "clamp_")


def masked_fill_(input, mask, value):
    """In-place ``masked_fill`` (the mask must broadcast to the tensor's shape)."""
    if has_internal_overlap(input.data):
        warnings.warn("Use of masked_fill_ on expanded tensors is deprecated (as in PyTorch): "
                      "clone() the tensor first", UserWarning, stacklevel=2)
    # Only the masked places are written: where elements share memory, writing the others back
    # would undo the masked writes (PyTorch writes the masked ones only).
    written = mask.data if isinstance(mask, Tensor) else None
    return apply_inplace(input, lambda t: t.masked_fill(mask, value), "masked_fill_",
                         overlap_ok=True, written=written)


def zero_(input):
    """Fill with zeros in place."""
    return fill_(input, 0)


def fill_(input, value):
    """Fill with ``value`` (a number or a 0-d tensor, whose gradient it passes on) in place."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports a 0-dimension value tensor, got shape "
                               f"{list(value.shape)}")
        filler = value.to(input.device).to(input.dtype)  # (a tensor value refuses shared memory)
        return apply_inplace(input, lambda t: filler.expand(t.shape), "fill_", overwrites=True)
    # PyTorch fills one float16 element without its overflow check (70000 gives inf).
    one_half = input.dtype == dtypes.float16 and input.numel() == 1
    value = stored_scalar(input.dtype, value, through_tensor=one_half)
    return apply_inplace(input, lambda t: _full_of(t, value), "fill_", overwrites=True,
                         overlap_ok=True)


def _full_of(tensor, value):
    with on_device(tensor.device):
        filled = tensor.device.xp.full(tensor.shape, value, dtype=tensor.dtype)
    return Tensor._make(filled, tensor.device, False, None)


def copy_(input, src):
    """Copy ``src`` (broadcast, cast, moved to this device) into ``input`` in place."""
    if not isinstance(src, Tensor):  # a number becomes a tensor first, then is cast (wrapping)
        # PyTorch wraps a Python float as float64: float32 first would round 1e30 for float64.
        wrapped_dtype = dtypes.float64 if isinstance(src, float) else None
        src = Tensor(src, dtype=wrapped_dtype, device=input.device)
    moved = src.to(input.device).to(input.dtype)
    refuse_partial_overlap(input.data, moved.data, "copy_")
    return apply_inplace(input, lambda t: moved.expand(input.shape), "copy_", overwrites=True)
