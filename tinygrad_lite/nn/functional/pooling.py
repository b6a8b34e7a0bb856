"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``.

Windows are strided views of the padded input (see ``windows.py``); every reduction loops over
the KH*KW kernel taps only, each one a vectorised pass over all outputs. Each pooling Function
is paired with its adjoint (max: select <-> route, average: sum <-> spread), and each one's
backward applies the other, so gradients of every order exist.
"""
import functools

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.nn.functional.windows import Window2d, pair, scratch, window_view
from tinygrad_lite.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


# ----- max pooling --------------------------------------------------------------------------------
def _lowest(xp, dtype):
    """The value padding takes in max pooling: -inf, or an integer type's minimum."""
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _tap_major(xp, buffer, window):
    """Every window's values, tap by tap: (KH*KW, N, C, OH, OW), contiguous.

    One strided copy up front lets every later pass run over contiguous memory, which is far
    faster than repeating short strided passes over the input once per tap.
    """
    view = window_view(xp, buffer, window).transpose(2, 3, 0, 1, 4, 5)
    columns = scratch(xp, view.shape, buffer.dtype, "pool.taps")
    columns[...] = view
    return columns.reshape((view.shape[0] * view.shape[1],) + view.shape[2:])


def _window_max(xp, x, window):
    """Max of every window and the tap (0..KH*KW-1) holding it: (N, C, OH, OW) each.

    Ties keep the first tap and a NaN wins, as PyTorch's CPU kernel does (``val > max or
    isnan(val)``); windows that hold only the lowest value point at their first in-bounds pixel.
    The updates are branch-free (maximum, and bool * tap with taps increasing), because masked
    copies of unpredictable masks run several times slower on the CPU.
    """
    lowest = _lowest(xp, x.dtype)
    columns = _tap_major(xp, window.pad(xp, x, lowest, scratch_name="pool.padded"), window)
    best = columns[0].copy()
    chosen = xp.zeros(best.shape, dtype=xp.uint8 if len(columns) < 256 else xp.int32)
    _argmax_taps(xp, columns, best, chosen, check_nan=False)
    # maximum() propagates NaN, so a NaN-free result proves the NaN rule never applied.
    if x.dtype.kind == "f" and bool(xp.isnan(best).any()):
        best[...] = columns[0]
        chosen.fill(0)
        _argmax_taps(xp, columns, best, chosen, check_nan=True)
    if window.is_padded:
        stuck = best == lowest
        if bool(stuck.any()):
            xp.copyto(chosen, _first_inside(xp, window).astype(chosen.dtype), where=stuck)
    return best, chosen


def _argmax_taps(xp, columns, best, chosen, check_nan):
    """Fold taps 1.. of ``columns`` into the running ``best`` value and ``chosen`` tap, in place."""
    tap_type = chosen.dtype.type
    for tap in range(1, len(columns)):
        values = columns[tap]
        better = values > best
        if check_nan:
            better |= xp.isnan(values)
        xp.maximum(best, values, out=best)
        xp.maximum(chosen, better * tap_type(tap), out=chosen)


def _first_inside(xp, window):
    """(OH, OW) tap index of each window's first pixel inside the unpadded input."""
    (dh, dw), (sh, sw), kw = window.dilation, window.stride, window.kernel[1]
    (top, _), (left, _) = window.padding
    oh, ow = window.out_size
    # The first tap i with i*dh >= top - oh*sh, i.e. ceil((top - start) / dh), at least 0.
    rows = xp.maximum(-((xp.arange(oh) * sh - top) // dh), 0)
    cols = xp.maximum(-((xp.arange(ow) * sw - left) // dw), 0)
    return rows.reshape(oh, 1) * kw + cols


def _route(xp, grad_output, chosen, window):
    """Scatter each output's gradient onto the input pixel its window chose.

    On NumPy, ``grad * (chosen == tap)`` is branch-free and several times faster than ``where``
    on the random masks max pooling makes; it is exact while the gradient is finite (a NaN or
    inf would leak into the unchosen pixels as NaN), so ``where`` covers the other cases.
    """
    buffer = window.scatter_buffer(xp, grad_output.shape[:2], grad_output.dtype, "pool.buffer")
    multiply = xp.__name__ == "numpy" and bool(xp.isfinite(grad_output).all())
    zero = xp.zeros((), dtype=grad_output.dtype)
    for tap, i, j in window.taps():
        target = buffer[window.offset_slices(i, j)]
        mask = chosen == tap
        if window.overlapping:
            target += grad_output * mask if multiply else xp.where(mask, grad_output, zero)
        elif multiply:
            xp.multiply(grad_output, mask, out=target)
        else:
            target[...] = xp.where(mask, grad_output, zero)
    return window.crop(xp, buffer)


def _select(xp, x, chosen, window):
    """Gather, for each window, the value of ``x`` at the chosen pixel: (N, C, OH, OW)."""
    columns = _tap_major(xp, window.pad(xp, x, scratch_name="pool.padded"), window)
    out = columns[0].copy()
    for tap in range(1, len(columns)):
        xp.copyto(out, columns[tap], where=chosen == tap)
    return out


class MaxPool2DWithIndices(Function):
    """Select each window's maximum (found by the caller, passed as ``chosen`` taps)."""

    def forward(self, x, *, chosen, window, values=None):
        self.chosen, self.window = chosen, window
        return _select(self.xp, x, chosen, window) if values is None else values

    def backward(self, grad_output):
        return self.derivative(MaxPool2DWithIndicesGrad, grad_output, chosen=self.chosen, window=self.window)


class MaxPool2DWithIndicesGrad(Function):
    """Route output gradients to the chosen pixels (the adjoint of the selection)."""

    def forward(self, grad_output, *, chosen, window):
        self.chosen, self.window = chosen, window
        return _route(self.xp, grad_output, chosen, window)

    def backward(self, grad_grad_input):
        return self.derivative(MaxPool2DWithIndices, grad_grad_input, chosen=self.chosen, window=self.window)


# ----- average pooling ----------------------------------------------------------------------------
def _window_sum(xp, x, window):
    """Sum of every window (padding counts as 0): (N, C, OH, OW)."""
    return _tap_major(xp, window.pad(xp, x, scratch_name="pool.padded"), window).sum(axis=0)


def _spread(xp, grad_output, window):
    """Add each output's gradient to every pixel of its window (the adjoint of the sum)."""
    buffer = window.scatter_buffer(xp, grad_output.shape[:2], grad_output.dtype, "pool.buffer")
    for _, i, j in window.taps():
        target = buffer[window.offset_slices(i, j)]
        if window.overlapping:
            target += grad_output
        else:
            target[...] = grad_output
    return window.crop(xp, buffer)


class AvgPool2D(Function):
    """Window sums divided by ``divisor`` (a Python number or an (OH, OW) array)."""

    def forward(self, x, *, window, divisor):
        self.window, self.divisor = window, divisor
        total = _window_sum(self.xp, x, window)
        if total.dtype.kind == "i":  # int64: PyTorch rounds the average toward zero
            return (total - self.xp.fmod(total, divisor)) // divisor
        total /= divisor
        return total

    def backward(self, grad_output):
        return self.derivative(AvgPool2DGrad, grad_output, window=self.window, divisor=self.divisor)


class AvgPool2DGrad(Function):
    """Spread ``grad / divisor`` over each window (the adjoint of ``AvgPool2D``)."""

    def forward(self, grad_output, *, window, divisor):
        self.window, self.divisor = window, divisor
        return _spread(self.xp, grad_output / divisor, window)

    def backward(self, grad_grad_input):
        return self.derivative(AvgPool2D, grad_grad_input, window=self.window, divisor=self.divisor)


def _divisor(xp, window, count_include_pad, divisor_override, dtype):
    """PyTorch's per-window divisor: a Python number when uniform, else an (OH, OW) array.

    With padding counted, a window is clipped to the padded input (not to a ceil-mode
    overhang); without, to the input itself.
    """
    number = int if dtype.kind == "i" else float  # int64 averages divide exactly
    if divisor_override is not None:
        return number(divisor_override)
    counts = []
    for out, size, k, s, (before, _) in zip(window.out_size, window.in_size, window.kernel,
                                            window.stride, window.padding):
        starts = [index * s - before for index in range(out)]
        ends = [min(start + k, size + before) for start in starts]
        if not count_include_pad:
            starts, ends = [max(start, 0) for start in starts], [min(end, size) for end in ends]
        counts.append([end - start for start, end in zip(starts, ends)])
    heights, widths = counts
    if len(set(heights)) == 1 and len(set(widths)) == 1:
        return number(heights[0] * widths[0])
    return xp.asarray(heights, dtype=dtype).reshape(-1, 1) * xp.asarray(widths, dtype=dtype)


# ----- argument checks ----------------------------------------------------------------------------
def _pool_window(name, input, kernel_size, stride, padding, dilation, ceil_mode, dims):
    """Validate a pooling call (PyTorch's rules and messages) and build its 2-D window."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2) or any(size == 0 for size in input.shape[-dims - 1:]):
        raise RuntimeError(
            f"{name}: expected a non-empty {dims + 1}D (unbatched) or {dims + 2}D (batched) "
            f"input, but got input of size {list(input.shape)}"
        )
    kernel = pair(kernel_size, "kernel_size", name, dims)
    stride = kernel if stride is None or stride == [] or stride == () else pair(
        stride, "stride", name, dims)
    padding = pair(padding, "padding", name, dims)
    dilation = pair(dilation, "dilation", name, dims)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: kernel size should be greater than zero, got {list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride should be greater than zero, got {list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation should be greater than zero, got {list(dilation)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > k // 2 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"{name}: pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    if dims == 1:
        kernel, stride, dilation = (1,) + kernel, (1,) + stride, (1,) + dilation
        padding = (0,) + padding
    in_size = tuple(input.shape[-2:]) if dims == 2 else (1, input.shape[-1])
    sides = tuple(_padding_sides(size, k, s, p, d, ceil_mode)
                  for size, k, s, p, d in zip(in_size, kernel, stride, padding, dilation))
    window = Window2d(in_size, kernel, stride, dilation, sides)
    if any(out < 1 for out in window.out_size):
        sizes = "x".join(map(str, (input.shape[-dims - 1],) + tuple(input.shape[-dims:])))
        outs = "x".join(map(str, (input.shape[-dims - 1],) + window.out_size[2 - dims:]))
        raise RuntimeError(f"{name}: given input size: ({sizes}). Calculated output size: "
                           f"({outs}). Output size is too small")
    return window


def _padding_sides(size, kernel, stride, padding, dilation, ceil_mode):
    """(before, after) padding of one axis that gives PyTorch's pooling output size.

    PyTorch: ``out = floor_or_ceil((size + 2*padding - span) / stride) + 1``, and in ceil mode
    one less if the last window would start in the right padding. In ceil mode the last window
    may run past the padding, even when the kernel is larger than the input, so ``after``
    grows to hold it (that overhang counts as padding: -inf for max, nothing for the divisor).
    """
    span = dilation * (kernel - 1) + 1
    room = size + 2 * padding - span
    if not ceil_mode:
        return padding, padding
    out = (room + stride - 1) // stride + 1
    if out > 0 and (out - 1) * stride >= size + padding:
        out -= 1
    if out <= 0:
        return padding, padding
    return padding, max(padding, (out - 1) * stride + span - size - padding)


def _as_batched_2d(input, dims):
    """(N, C, H, W) view of a 1-D/2-D, batched/unbatched input, and how to undo it."""
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = input.unsqueeze(0)
    if dims == 1:
        input = input.unsqueeze(2)

    def restore(out):
        if dims == 1:
            out = out.squeeze(2)
        return out.squeeze(0) if unbatched else out

    return input, restore


def _max_pool(name, dims, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    window = _pool_window(name, input, kernel_size, stride, padding, dilation, ceil_mode, dims)
    if input.data.dtype.kind == "b":
        raise NotImplementedError(f"{name}: not implemented for bool input (as in PyTorch)")
    x, restore = _as_batched_2d(input, dims)
    xp = x.device.xp
    values, chosen = _window_max(xp, x.data, window)
    out = restore(MaxPool2DWithIndices.apply(x, chosen=chosen, window=window, values=values))
    if not return_indices:
        return out
    indices = Tensor._make(window.flat_input_indices(xp, chosen), x.device, False, None)
    return out, restore(indices)


def _avg_pool(name, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    window = _pool_window(name, input, kernel_size, stride, padding, 1, ceil_mode, dims)
    if input.data.dtype.kind != "f" and input.data.dtype != dtypes.int64:
        raise NotImplementedError(f"{name}: not implemented for {input.dtype} input (as in "
                                  "PyTorch, which averages only floats and int64)")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor must be not zero")
    x, restore = _as_batched_2d(input, dims)
    divisor = _divisor(x.device.xp, window, count_include_pad, divisor_override, x.data.dtype)
    return restore(AvgPool2D.apply(x, window=window, divisor=divisor))


def _adaptive_avg_pool(name, dims, input, output_size):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}: expected {dims + 1}D or {dims + 2}D input, got input of size "
                           f"{list(input.shape)}")
    if isinstance(output_size, (tuple, list)):
        sizes = tuple(output_size)
        if len(sizes) != dims:
            raise RuntimeError(
                f"{name}: output_size must have {dims} elements, got {output_size!r}")
    else:
        sizes = (output_size,) * dims
    in_sizes = tuple(input.shape[-dims:])
    sizes = tuple(size if out is None else out for out, size in zip(sizes, in_sizes))
    if any(not isinstance(out, int) or out < 0 for out in sizes):
        raise RuntimeError(f"{name}: elements of output_size must be non-negative ints, got "
                           f"{output_size!r}")
    if all(size == 1 for size in sizes):  # global pooling: PyTorch takes the mean here
        return input.mean(tuple(range(-dims, 0)), keepdim=True)
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f"{name}: not implemented for {input.dtype} input (as in "
                                  "PyTorch); convert it with .float()")
    for axis in range(input.ndim - dims, input.ndim):
        if input.shape[axis] == 0:
            raise RuntimeError(
                f"{name}: expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {axis} being empty"
            )
    out = input
    # The last axis first: rows are summed before columns, PyTorch's order within a bin (which
    # decides what survives cancellation such as 1e30 - 1e30 + 3).
    for axis, size, in_size in reversed(list(zip(range(input.ndim - dims, input.ndim), sizes,
                                                 in_sizes))):
        if size != in_size:
            out = AdaptiveAvgPoolAxis.apply(out, axis=axis, bins=_adaptive_bins(in_size, size))
    out = out if out is not input else input * 1.0
    # PyTorch's backward refuses a gradient with an empty non-batch dim (the channels of a
    # batched input, or an output size of 0); its global (1, 1) pooling is a mean and does not.
    checked = out.shape[1:] if input.ndim == dims + 2 else out.shape[-dims:]
    if out.requires_grad and 0 in checked:
        message = (f"{name}: its backward expects grad_output to have non-zero size for "
                   f"non-batch dimensions, but grad_output has sizes {list(out.shape)} (as in "
                   "PyTorch)")
        out.register_hook(functools.partial(_refuse_gradient, message))
    return out


def _refuse_gradient(message, grad):
    """A gradient hook that refuses the gradient (raises ``message``)."""
    raise RuntimeError(message)


def _adaptive_bins(in_size, out_size):
    """PyTorch's adaptive bins: bin i covers ``[floor(i*in/out), ceil((i+1)*in/out))``."""
    return tuple((i * in_size // out_size, -(-(i + 1) * in_size // out_size))
                 for i in range(out_size))


def _along(axis, index):
    """An index selecting ``index`` (an int or a slice) along ``axis``."""
    return (slice(None),) * axis + (index,)


class AdaptiveAvgPoolAxis(Function):
    """Average ``axis`` over each of ``bins`` ((start, end) pairs), one vectorised pass per bin.

    Each bin sums only its own elements, so an inf or NaN stays in its bins (an averaging
    matrix would spread inf * 0 = NaN into every bin).
    """

    def forward(self, x, *, axis, bins):
        self.axis, self.bins, self.in_size = axis, bins, x.shape[axis]
        out = self.xp.empty(x.shape[:axis] + (len(bins),) + x.shape[axis + 1:], dtype=x.dtype)
        for index, (start, end) in enumerate(bins):
            out[_along(axis, index)] = x[_along(axis, slice(start, end))].mean(axis=axis)
        return out

    def backward(self, grad_output):
        return self.derivative(AdaptiveAvgPoolAxisGrad, grad_output, axis=self.axis, bins=self.bins,
                                             in_size=self.in_size)


class AdaptiveAvgPoolAxisGrad(Function):
    """Spread each bin's gradient evenly over its elements (the adjoint of the bin averages)."""

    def forward(self, grad_output, *, axis, bins, in_size):
        self.axis, self.bins = axis, bins
        shape = grad_output.shape[:axis] + (in_size,) + grad_output.shape[axis + 1:]
        grad_input = self.xp.zeros(shape, dtype=grad_output.dtype)
        for index, (start, end) in enumerate(bins):
            share = grad_output[_along(axis, slice(index, index + 1))] / (end - start)
            grad_input[_along(axis, slice(start, end))] += share
        return grad_input

    def backward(self, grad_grad_input):
        return self.derivative(AdaptiveAvgPoolAxis, grad_grad_input, axis=self.axis, bins=self.bins)


# ----- public API ---------------------------------------------------------------------------------
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    input (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out), H_out =
    floor_or_ceil((H + 2*padding - dilation*(kernel-1) - 1) / stride) + 1; ``stride`` defaults
    to ``kernel_size``; padding (at most half the kernel) counts as -inf. The gradient goes to
    the first maximum of each window. ``return_indices`` also returns int64 flat indices into
    each H*W input plane.
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: (N, C, L) or (C, L) -> (N, C, L_out); see :func:`max_pool2d`."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    input (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out). Each window's sum is divided by
    ``divisor_override`` if given, else by its size clipped to the padded input
    (``count_include_pad=True``) or to the input itself (False); ceil-mode windows running off
    the edge count only what they cover, as in PyTorch.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling: (N, C, L) or (C, L) -> (N, C, L_out); see :func:`avg_pool2d`."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def adaptive_avg_pool2d(input, output_size):
    """Average-pool (N, C, H, W) or (C, H, W) to ``output_size`` (int, or pair with None = keep).

    Output cell i averages input[floor(i*H/OH) : ceil((i+1)*H/OH)] (same along W), exactly as
    PyTorch, also when the sizes do not divide.
    """
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """Average-pool (N, C, L) or (C, L) to ``output_size`` bins; see :func:`adaptive_avg_pool2d`."""
    size = output_size[0] if isinstance(output_size, (tuple, list)) and len(output_size) == 1 \
        else output_size
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, size)
