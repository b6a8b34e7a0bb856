"""``pad``: grow (or, with negative amounts, crop) the trailing dims of a tensor.

``pad`` lists amounts last dim first, as PyTorch does: ``(left, right)`` pads the last dim,
``(left, right, top, bottom)`` the last two. ``constant`` mode is one op whose backward is the
same op with the amounts negated (padding and cropping undo each other). ``reflect``,
``replicate`` and ``circular`` are built from slices of the input (plus ``expand`` and ``cat``),
so their gradients flow back through plain slicing rather than a scatter-add over every element.
"""
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.join import cat
from tinygrad_lite.ops.operands import stored_scalar
from tinygrad_lite.tensor import Tensor

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


class _ConstantPad(Function):
    """Pad each dim by ``(before, after)`` (negative crops), filling new cells with ``value``."""

    def forward(self, x, amounts, value):
        self.amounts = amounts
        out_shape = tuple(size + before + after for size, (before, after) in zip(x.shape, amounts))
        out = self.xp.full(out_shape, value, dtype=x.dtype)
        source = tuple(slice(max(-before, 0), size - max(-after, 0))
                       for size, (before, after) in zip(x.shape, amounts))
        target = tuple(slice(max(before, 0), size - max(after, 0))
                       for size, (before, after) in zip(out_shape, amounts))
        out[target] = x[source]
        return out

    def backward(self, grad_output):
        negated = tuple((-before, -after) for before, after in self.amounts)
        return self.derivative(_ConstantPad, grad_output, amounts=negated, value=0)


def _pairs(pad, ndim):
    """Per-dim ``(before, after)`` for all ``ndim`` dims from PyTorch's last-dim-first tuple."""
    amounts = [(0, 0)] * ndim
    for position in range(len(pad) // 2):
        amounts[ndim - 1 - position] = (int(pad[2 * position]), int(pad[2 * position + 1]))
    return amounts


def _check_arguments(input, pad, mode, value):
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; use one of {_MODES}")
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} values {list(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of shape {list(input.shape)}"
        )
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
        padded_dims = len(pad) // 2
        if padded_dims not in (1, 2, 3) or input.ndim not in (padded_dims + 1, padded_dims + 2):
            raise NotImplementedError(
                f"pad: padding size {len(pad)} is not supported for {input.ndim}D input in mode "
                f"{mode!r}; non-constant modes pad the last 1, 2 or 3 dims of a (2D or 3D), "
                "(3D or 4D) or (4D or 5D) input respectively"
            )


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dims by ``pad = (last_left, last_right, prev_left, prev_right, ...)``.

    Modes: ``constant`` (fill with ``value``, default 0; any number of dims), ``reflect``
    (mirror without repeating the edge), ``replicate`` (repeat the edge), ``circular`` (wrap).
    Negative amounts crop. Output dim size = size + left + right.
    """
    pad = tuple(pad)
    _check_arguments(input, pad, mode, value)
    amounts = _pairs(pad, input.ndim)
    for axis, (size, (before, after)) in enumerate(zip(input.shape, amounts)):
        # Constant mode crops each side first (PyTorch narrows the input): together they may
        # not remove more than the dim holds, even where padding the other side would refill it.
        cropped = max(-before, 0) + max(-after, 0) if mode == "constant" else -before - after
        if cropped > size:
            raise RuntimeError(
                f"pad: padding ({before}, {after}) crops more than the {size} elements of "
                f"dimension {axis} (input shape {list(input.shape)})"
            )
    if mode == "constant":
        # PyTorch takes the value as a float and refuses one the dtype cannot hold (when it
        # fills anything).
        fills = any(amount > 0 for amount in pad)
        fill = stored_scalar(input.dtype, float(value)) if value is not None and fills else 0
        return _ConstantPad.apply(input, amounts=tuple(amounts), value=fill)
    result = input
    for axis in range(input.ndim - len(pad) // 2, input.ndim):
        before, after = amounts[axis]
        if before or after:
            result = _pad_axis(result, axis, before, after, mode)
    return result


def _pad_axis(input, axis, before, after, mode):
    """Pad one axis in a non-constant mode by joining up to three slices of ``input``.

    Output position ``j`` runs over ``[-before, size + after)``; each mode maps the positions
    left of 0, inside, and right of ``size`` to input positions as one slice each.
    """
    if mode == "circular" and (before < 0 or after < 0):
        # PyTorch crops first and wraps the cropped tensor (reflect/replicate keep the edges).
        input = _take(input, axis, slice(max(-before, 0), input.shape[axis] - max(-after, 0)))
        before, after = max(before, 0), max(after, 0)
    size = input.shape[axis]
    _check_mode_limits(input, axis, before, after, mode)
    start, stop = -before, size + after
    pieces = []
    left = (start, min(0, stop))
    middle = (max(start, 0), min(size, stop))
    right = (max(start, size), stop)
    if left[0] < left[1]:
        pieces.append(_edge(input, axis, left, size, mode, on_left=True))
    if middle[0] < middle[1]:
        pieces.append(_take(input, axis, slice(*middle)))
    if right[0] < right[1]:
        pieces.append(_edge(input, axis, right, size, mode, on_left=False))
    return pieces[0] if len(pieces) == 1 else cat(pieces, axis)


def _check_mode_limits(input, axis, before, after, mode):
    size = input.shape[axis]
    if mode == "reflect" and (before >= size or after >= size):
        raise RuntimeError(
            f"pad: reflect padding size should be less than the corresponding input dimension, "
            f"but got padding ({before}, {after}) at dimension {axis} of input {list(input.shape)}"
        )
    if mode == "circular" and (before > size or after > size):
        raise RuntimeError(
            f"pad: circular padding ({before}, {after}) at dimension {axis} of input "
            f"{list(input.shape)} would wrap around more than once"
        )
    if mode == "replicate" and size == 0:
        raise RuntimeError(f"pad: cannot replicate-pad the empty dimension {axis} of {list(input.shape)}")


def _take(input, axis, index):
    return input[(slice(None),) * axis + (index,)]


def _edge(input, axis, span, size, mode, on_left):
    """The input slice that fills output positions ``span = [first, last)`` outside ``[0, size)``."""
    first, last = span
    count = last - first
    if mode == "replicate":
        edge = _take(input, axis, slice(0, 1) if on_left else slice(size - 1, size))
        shape = list(input.shape)
        shape[axis] = count
        return edge.expand(shape)
    if mode == "circular":
        return _take(input, axis, slice(first + size, last + size) if on_left else slice(first - size, last - size))
    # reflect: position j maps to -j on the left, 2 * (size - 1) - j on the right (descending).
    high, low = (-first, -last) if on_left else (2 * (size - 1) - first, 2 * (size - 1) - last)
    return _take(input, axis, slice(low + 1, high + 1)).flip(axis)
