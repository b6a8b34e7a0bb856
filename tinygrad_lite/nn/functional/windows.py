"""Sliding windows over (N, C, H, W) arrays: the geometry and array kernels behind conv and pooling.

A :class:`Window2d` knows where every output position's window sits in the (padded) input.
The kernels here work on raw NumPy/CuPy arrays (``xp``) and never loop over pixels or batch
items: windows are strided views (``as_strided``), and scattering back into the input loops
only over the ``KH * KW`` kernel offsets, each one a vectorised strided add.
"""
import collections
import operator
import threading

__all__ = ["Window2d", "pair", "window_view", "fold", "scratch"]

_SCRATCH_BYTES = 64 << 20  # at most this much kept alive between calls, per thread
_scratch_local = threading.local()


def scratch(xp, shape, dtype, name):
    """An uninitialised array for temporaries, reused from call to call on NumPy.

    Fresh large arrays cost page faults on every call (the allocator hands big blocks back to
    the OS), which measured as a third of a small CNN's training step. So scratch arrays (column
    matrices, padded buffers) are kept in a small per-thread LRU cache keyed by ``name``,
    shape and dtype. The caller must never return or save one: the next call reuses it. CuPy
    gets a fresh array (its memory pool already recycles blocks).
    """
    if xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    cache = getattr(_scratch_local, "cache", None)
    if cache is None:
        cache = _scratch_local.cache = collections.OrderedDict()
    key = (name, tuple(shape), xp.dtype(dtype).str)
    array = cache.pop(key, None)
    if array is None:
        array = xp.empty(shape, dtype=dtype)
        if array.nbytes > _SCRATCH_BYTES // 2:
            return array
    cache[key] = array
    total = sum(cached.nbytes for cached in cache.values())
    while total > _SCRATCH_BYTES:
        _, evicted = cache.popitem(last=False)
        total -= evicted.nbytes
    return array


def pair(value, name, function, count=2):
    """``value`` as a tuple of ``count`` ints (an int is repeated), checked like PyTorch does."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(values) == 1:
        values = values * count
    try:
        if len(values) != count or any(isinstance(v, bool) for v in values):
            raise TypeError
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise RuntimeError(
            f"{function}: expected {name} to be a single integer value or a list of {count} "
            f"integer values, but got {name}={value!r}"
        ) from None


class Window2d:
    """Placement of the windows of a 2-D sliding-window op (convolution or pooling).

    ``in_size`` (H, W); ``kernel``, ``stride``, ``dilation`` pairs; ``padding`` as
    ``((top, bottom), (left, right))``. ``out_size`` follows PyTorch's formula (with
    ``ceil_mode`` as pooling defines it); ``buffer_size`` is the padded input's size, grown when
    a ceil-mode window runs past the padding, so every window lies inside the buffer.
    """

    __slots__ = ("in_size", "kernel", "stride", "dilation", "padding", "out_size", "buffer_size")

    def __init__(self, in_size, kernel, stride, dilation, padding, ceil_mode=False):
        self.in_size, self.kernel, self.stride = tuple(in_size), tuple(kernel), tuple(stride)
        self.dilation, self.padding = tuple(dilation), tuple(padding)
        out_size, buffer_size = [], []
        for size, k, s, d, (before, after) in zip(in_size, kernel, stride, dilation, padding):
            span = d * (k - 1) + 1
            padded = size + before + after
            if ceil_mode:
                out = -((span - padded) // s) + 1 if padded >= span else 0
                # PyTorch drops a last window that would start inside the right padding only.
                if out > 0 and (out - 1) * s >= size + before:
                    out -= 1
            else:
                out = (padded - span) // s + 1 if padded >= span else 0
            out_size.append(out)
            buffer_size.append(max(padded, (out - 1) * s + span) if out > 0 else padded)
        self.out_size, self.buffer_size = tuple(out_size), tuple(buffer_size)

    @property
    def span(self):
        """Extent (KH', KW') of one dilated window in input pixels."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    @property
    def overlapping(self):
        """True when two windows may share an input pixel (then scatters must accumulate)."""
        return any(s < span for s, span in zip(self.stride, self.span))

    @property
    def is_padded(self):
        """True when the buffer is larger than the input (padding or ceil-mode overhang)."""
        return self.buffer_size != self.in_size

    def pad(self, xp, array, value=0, scratch_name=None):
        """Copy (N, C, H, W) ``array`` into a (N, C, *buffer_size) buffer filled with ``value``.

        Returns ``array`` itself when there is nothing to pad; with ``scratch_name`` the buffer
        is a reused scratch array (see :func:`scratch`), only valid until the next call.
        """
        if not self.is_padded:
            return array
        shape = array.shape[:2] + self.buffer_size
        if scratch_name is None:
            buffer = xp.full(shape, value, dtype=array.dtype)
        else:
            buffer = scratch(xp, shape, array.dtype, scratch_name)
            buffer.fill(value)
        buffer[self.interior()] = array
        return buffer

    def interior(self):
        """Index selecting the unpadded input inside a buffer."""
        (top, _), (left, _) = self.padding
        height, width = self.in_size
        return (slice(None), slice(None), slice(top, top + height), slice(left, left + width))

    def zero_buffer(self, xp, leading, dtype, name):
        """A zeroed (*leading, *buffer_size) array to scatter into before :meth:`crop`.

        When cropping will copy anyway (a padded buffer), it is scratch memory named ``name``.
        """
        shape = tuple(leading) + self.buffer_size
        if not self.is_padded:
            return xp.zeros(shape, dtype=dtype)
        buffer = scratch(xp, shape, dtype, name)
        buffer.fill(0)
        return buffer

    @property
    def tiles_buffer(self):
        """True when the windows cover every buffer pixel exactly once (a 2x2 pool of an even
        image): each tap then lands on its own pixels, and together they leave none untouched."""
        return all(d == 1 and s == k and o * s == b for k, s, d, o, b in zip(
            self.kernel, self.stride, self.dilation, self.out_size, self.buffer_size))

    def scatter_buffer(self, xp, leading, dtype, name):
        """The buffer for a scatter that writes (not adds) each tap's values: uninitialised
        when the windows tile it, as every pixel is then written, else :meth:`zero_buffer`."""
        if not self.tiles_buffer:
            return self.zero_buffer(xp, leading, dtype, name)
        shape = tuple(leading) + self.buffer_size
        return scratch(xp, shape, dtype, name) if self.is_padded else xp.empty(shape, dtype=dtype)

    def crop(self, xp, buffer):
        """The (N, C, H, W) input region of a buffer, as a fresh contiguous array."""
        if not self.is_padded:
            return buffer
        return buffer[self.interior()].copy()

    def offset_slices(self, i, j):
        """Buffer index of kernel tap (i, j) for every output position: (N, C, OH, OW) view."""
        (kh_step, kw_step), (sh, sw) = self.dilation, self.stride
        oh, ow = self.out_size
        return (slice(None), slice(None),
                slice(i * kh_step, i * kh_step + sh * (oh - 1) + 1, sh),
                slice(j * kw_step, j * kw_step + sw * (ow - 1) + 1, sw))

    def taps(self):
        """The kernel offsets ``(k, i, j)`` in row-major order (k = i * KW + j, PyTorch's order)."""
        kh, kw = self.kernel
        return [(i * kw + j, i, j) for i in range(kh) for j in range(kw)]

    def flat_input_indices(self, xp, taps):
        """Flat index into the unpadded H*W plane of tap ``taps`` (N, C, OH, OW) at each output.

        This is what ``max_pool2d(..., return_indices=True)`` reports, as int64.
        """
        (kh_step, kw_step), (sh, sw) = self.dilation, self.stride
        (top, _), (left, _) = self.padding
        kw = self.kernel[1]
        oh, ow = self.out_size
        taps = taps.astype(xp.int64)
        rows = xp.arange(oh, dtype=xp.int64).reshape(oh, 1) * sh - top + (taps // kw) * kh_step
        cols = xp.arange(ow, dtype=xp.int64) * sw - left + (taps % kw) * kw_step
        return rows * self.in_size[1] + cols


def window_view(xp, buffer, window):
    """Read-only-by-convention strided view (N, C, KH, KW, OH, OW) of every window of ``buffer``.

    ``buffer`` is the padded (N, C, *window.buffer_size) array; no data is copied.
    """
    n_stride, c_stride, h_stride, w_stride = buffer.strides
    (dh, dw), (sh, sw) = window.dilation, window.stride
    shape = buffer.shape[:2] + window.kernel + window.out_size
    strides = (n_stride, c_stride, h_stride * dh, w_stride * dw, h_stride * sh, w_stride * sw)
    return xp.lib.stride_tricks.as_strided(buffer, shape=shape, strides=strides)


def fold(xp, columns, window, dtype):
    """col2im: sum window values (N, C, KH, KW, OH, OW) back onto the (N, C, H, W) input.

    Loops over the KH*KW taps only; each iteration is one strided add over all outputs.
    """
    buffer = window.zero_buffer(xp, columns.shape[:2], dtype, "fold.buffer")
    for _, i, j in window.taps():
        buffer[window.offset_slices(i, j)] += columns[:, :, i, j]
    return window.crop(xp, buffer)

