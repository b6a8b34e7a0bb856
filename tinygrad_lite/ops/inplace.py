"""In-place ops (``add_``, ``mul_``, ``zero_``, ``fill_``, ``copy_``, ``clamp_``...) with PyTorch's rules.

A leaf that requires grad is refused while grad mode is on. On a tensor outside any graph the
result is written into the existing array, so views see it. On a non-leaf inside a graph the op
is recorded like its out-of-place twin and the tensor is re-pointed at the result. Every
in-place op bumps the tensor's version, so a backward that needs the old values raises instead
of computing a wrong gradient.
"""
from tinygrad_lite import dtypes
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.ops.compare import where
from tinygrad_lite.tensor import Tensor


def _apply_inplace(tensor, compute, name):
    if GradMode.enabled and tensor.requires_grad and tensor.grad_fn is None:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad (shape {list(tensor.shape)}) is being used "
            "in an in-place operation; wrap it in tl.no_grad() or work on a copy"
        )
    alias = Tensor._make(tensor.data, tensor.device, tensor.requires_grad, tensor.grad_fn)
    result = compute(alias)
    if result.shape != tensor.shape:
        raise RuntimeError(
            f"{name}: output with shape {list(tensor.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    if result.dtype != tensor.dtype:
        if dtypes.promote_types(result.dtype, tensor.dtype) != tensor.dtype:
            raise RuntimeError(
                f"{name}: result type {result.dtype} can't be cast to the desired output type "
                f"{tensor.dtype}"
            )
        result = result.to(tensor.dtype)
    if result.grad_fn is None and tensor.grad_fn is not None and GradMode.enabled:
        # Overwritten by a constant (fill_, zero_, copy_ of a plain tensor): like PyTorch, the
        # tensor stays in the graph and sends a zero gradient upstream.
        keep = Tensor._make(tensor.device.xp.ones((), dtype=bool), tensor.device, False, None)
        result = where(keep, result, alias)
    if result.grad_fn is not None:
        tensor.data, tensor.grad_fn, tensor._requires_grad = result.data, result.grad_fn, True
    else:
        node = tensor.grad_fn
        if node is not None and getattr(node, "saved_output", None) is tensor.data:
            # The node that made this tensor reads these values in its backward (e.g. exp):
            # it keeps a private copy, so a no_grad write can't corrupt the gradient.
            node.saved_output = tensor.data.copy()
        _write(tensor, result.data, name)
    tensor._version += 1
    return tensor


def _write(tensor, array, name):
    try:
        tensor.data[...] = array
    except ValueError:  # NumPy refuses writes into broadcast (expand) views
        raise RuntimeError(
            f"{name}: the tensor of shape {list(tensor.shape)} is a broadcast view (expand) in "
            "which several elements share one memory location; clone() it before writing"
        ) from None


def add_(input, other, alpha=1):
    """In-place ``input += alpha * other``."""
    return _apply_inplace(input, lambda t: t.add(other, alpha=alpha), "add_")


def sub_(input, other, alpha=1):
    """In-place ``input -= alpha * other``."""
    return _apply_inplace(input, lambda t: t.sub(other, alpha=alpha), "sub_")


def mul_(input, other):
    """In-place ``input *= other``."""
    return _apply_inplace(input, lambda t: t * other, "mul_")


def div_(input, other):
    """In-place ``input /= other``."""
    return _apply_inplace(input, lambda t: t / other, "div_")


def pow_(input, exponent):
    """In-place ``input **= exponent``."""
    return _apply_inplace(input, lambda t: t ** exponent, "pow_")


def clamp_(input, min=None, max=None):
    """In-place clamp to ``[min, max]``."""
    return _apply_inplace(input, lambda t: t.clamp(min, max), "clamp_")


def masked_fill_(input, mask, value):
    """In-place ``masked_fill``."""
    return _apply_inplace(input, lambda t: t.masked_fill(mask, value), "masked_fill_")


def zero_(input):
    """Fill with zeros in place."""
    return fill_(input, 0)


def fill_(input, value):
    """Fill with ``value`` in place (the tensor leaves the graph if it was in one, as in PyTorch)."""
    if isinstance(value, Tensor):
        value = value.item()
    return _apply_inplace(input, lambda t: _full_of(t, value), "fill_")


def _full_of(tensor, value):
    return Tensor._make(tensor.device.xp.full(tensor.shape, value, dtype=tensor.dtype),
                        tensor.device, False, None)


def copy_(input, src):
    """Copy ``src`` (broadcast, cast, moved to this device) into ``input`` in place."""
    if not isinstance(src, Tensor):
        src = Tensor(src, dtype=input.dtype, device=input.device)
    moved = src.to(input.device).to(input.dtype)
    return _apply_inplace(input, lambda t: moved.expand(input.shape), "copy_")
