"""``conv1d`` and ``conv2d``: im2col convolution as one matrix product per call.

The input's windows are gathered with a strided view into a column matrix
(C_in*KH*KW, N*OH*OW), which one (batched-over-groups) matmul turns into the output. Three
Functions close over each other so gradients of every order exist:

    Convolution            y  = conv(x, w)
    ConvolutionTranspose   gx = conv_transpose(g, w)    (grad of conv w.r.t. x)
    ConvolutionWeightGrad  gw = weight_grad(x, g)       (grad of conv w.r.t. w)

Each one's backward is written with the other two, because all three are the same bilinear
form <conv(x, w), g> differentiated with respect to a different argument.
"""
from tinygrad_lite.amp.autocast_mode import LOWER_PRECISION, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.nn.functional.windows import Window2d, fold, pair, scratch, window_view
from tinygrad_lite.tensor import Tensor

__all__ = ["conv1d", "conv2d"]


# ----- array kernels ------------------------------------------------------------------------------
def _columns(xp, x, window, keep):
    """im2col: (N, C, H, W) -> (C*KH*KW, N*OH*OW), rows ordered (c, i, j) like the weight.

    ``keep=False`` builds it in scratch memory (valid until the next convolution call).
    """
    view = window_view(xp, window.pad(xp, x, scratch_name="conv.padded"), window)
    view = view.transpose(1, 2, 3, 0, 4, 5)  # C, KH, KW, N, OH, OW
    if keep:
        columns = xp.empty(view.shape, dtype=x.dtype)
    else:
        columns = scratch(xp, view.shape, x.dtype, "conv.columns")
    columns[...] = view
    c, kh, kw, n, oh, ow = view.shape  # explicit sizes: -1 is ambiguous for 0 elements
    return columns.reshape(c * kh * kw, n * oh * ow)


def _flat_weight(weight):
    """(OC, C/groups, KH, KW) -> (OC, C/groups*KH*KW), also when C is 0."""
    return weight.reshape(weight.shape[0], weight.size // weight.shape[0])


def _grouped(matrix, groups):
    """View a (rows, cols) matrix as (groups, rows // groups, cols); groups == 1 stays 2-D."""
    if groups == 1:
        return matrix
    return matrix.reshape(groups, matrix.shape[0] // groups, matrix.shape[1])


def _forward(xp, x, weight, bias, window, groups, columns):
    """Convolve (N, C, H, W) ``x`` with (OC, C/groups, KH, KW) ``weight``: (N, OC, OH, OW)."""
    n, out_channels = x.shape[0], weight.shape[0]
    flat_weight = _grouped(_flat_weight(weight), groups)
    grouped_columns = _grouped(columns, groups)
    product = scratch(xp, flat_weight.shape[:-1] + grouped_columns.shape[-1:], x.dtype,
                      "conv.product")
    xp.matmul(flat_weight, grouped_columns, out=product)
    product = product.reshape((out_channels, n) + window.out_size).transpose(1, 0, 2, 3)
    out = xp.empty((n, out_channels) + window.out_size, dtype=x.dtype)
    if bias is None:
        out[...] = product
    else:
        xp.add(product, bias.reshape(out_channels, 1, 1), out=out)
    return out


def _channels_first(xp, grad_output, groups):
    """(N, OC, OH, OW) -> (OC, N*OH*OW) contiguous (scratch), split into groups."""
    n, channels = grad_output.shape[:2]
    flat = scratch(xp, (channels, n) + grad_output.shape[2:], grad_output.dtype, "conv.grad")
    flat[...] = grad_output.transpose(1, 0, 2, 3)
    return _grouped(flat.reshape(channels, flat.size // channels), groups)


def _weight_grad(xp, columns, grad_output, window, groups, in_channels):
    """d<conv(x, w), g>/dw = g (OC, N*L) @ columns.T: one matmul per group -> weight shape."""
    out_channels = grad_output.shape[1]
    # columns @ g.T (then transposed) keeps the long N*L axis contiguous in both BLAS operands,
    # measurably faster than g @ columns.T for these wide, short matrices.
    product = xp.matmul(_grouped(columns, groups),
                        _channels_first(xp, grad_output, groups).swapaxes(-1, -2))
    product = xp.ascontiguousarray(product.swapaxes(-1, -2))
    return product.reshape((out_channels, in_channels // groups) + window.kernel)


def _transpose(xp, grad_output, weight, window, groups, in_channels, unit_stride):
    """d<conv(x, w), g>/dx: columns = w.T @ g, then col2im back onto (N, C, H, W)."""
    n, out_channels = grad_output.shape[:2]
    flat_weight_t = _grouped(_flat_weight(weight), groups).swapaxes(-1, -2)
    kh, kw = window.kernel
    if unit_stride:
        return _transpose_unit_stride(xp, grad_output, flat_weight_t, window, groups, in_channels)
    grad_columns = _channels_first(xp, grad_output, groups)
    columns = scratch(xp, flat_weight_t.shape[:-1] + grad_columns.shape[-1:], grad_output.dtype,
                      "conv.grad_columns")
    xp.matmul(flat_weight_t, grad_columns, out=columns)
    columns = columns.reshape((in_channels, kh, kw, n) + window.out_size)
    return fold(xp, columns.transpose(3, 0, 1, 2, 4, 5), window, grad_output.dtype)


def _transpose_unit_stride(xp, grad_output, flat_weight_t, window, groups, in_channels):
    """Stride-1 col2im as KH*KW contiguous 1-D adds.

    The gradient is laid out on the padded input grid (zeros past OH, OW), so tap (i, j) of
    every output lands at one fixed flat offset ``i*dh*Wb + j*dw`` from it: each tap is one long
    contiguous add instead of a strided 2-D one. Rows that wrap into the next line carry zeros.
    """
    n, out_channels = grad_output.shape[:2]
    (height, width), (oh, ow) = window.buffer_size, window.out_size
    (dh, dw), (kh, kw) = window.dilation, window.kernel
    dtype = grad_output.dtype
    grid = scratch(xp, (out_channels, n, height, width), dtype, "conv.grid")
    grid.fill(0)
    grid[:, :, :oh, :ow] = grad_output.transpose(1, 0, 2, 3)
    positions = n * height * width
    grid = _grouped(grid.reshape(out_channels, positions), groups)
    columns = scratch(xp, flat_weight_t.shape[:-1] + grid.shape[-1:], dtype, "conv.grad_columns")
    xp.matmul(flat_weight_t, grid, out=columns)
    columns = columns.reshape(in_channels, kh * kw, positions)
    slack = (kh - 1) * dh * width + (kw - 1) * dw
    flat = scratch(xp, (in_channels * positions + slack,), dtype, "conv.flat")
    flat.fill(0)
    for tap, i, j in window.taps():
        offset = i * dh * width + j * dw
        target = flat[offset:offset + in_channels * positions].reshape(in_channels, positions)
        target += columns[:, tap]
    buffer = flat[:in_channels * positions].reshape(in_channels, n, height, width)
    (top, _), (left, _) = window.padding
    height, width = window.in_size
    interior = buffer[:, :, top:top + height, left:left + width]
    return interior.transpose(1, 0, 2, 3).copy()  # a fresh array: ``flat`` is scratch


# ----- Functions ----------------------------------------------------------------------------------
class Convolution(Function):
    """y = conv(x, w) + b on (N, C, H, W) inputs; 1-D convolutions run with H = 1."""

    saves_inputs = True

    def forward(self, x, weight, bias=None, *, window, groups, keep_columns):
        columns = _columns(self.xp, x, window, keep=keep_columns)
        self.window, self.groups = window, groups
        # Saved for the weight gradient, which then needs no second im2col.
        self.columns = columns if keep_columns else None
        return _forward(self.xp, x, weight, bias, window, groups, columns)

    def backward(self, grad_output):
        x, weight = self.saved_inputs[0], self.saved_inputs[1]
        needs = self.needs_input_grad
        window, groups = self.window, self.groups
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_x = self.derivative(ConvolutionTranspose, grad_output, weight, window=window, groups=groups)
        if needs[1]:
            grad_weight = self.derivative(ConvolutionWeightGrad, x, grad_output, window=window, groups=groups,
                                                      columns=self.columns)
        if len(needs) == 2:
            return grad_x, grad_weight
        if needs[2]:
            grad_bias = grad_output.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias


class ConvolutionTranspose(Function):
    """gx = conv_transpose(g, w): the gradient of ``conv(x, w)`` with respect to ``x``."""

    saves_inputs = True

    def forward(self, grad_output, weight, *, window, groups):
        self.window, self.groups = window, groups
        in_channels = weight.shape[1] * groups
        # The unit-stride kernel multiplies the weight by zeros past the output's edge: an
        # infinite weight would turn those into NaN, so such weights take the general one.
        unit_stride = window.stride == (1, 1) and bool(self.xp.isfinite(weight).all())
        return _transpose(self.xp, grad_output, weight, window, groups, in_channels, unit_stride)

    def backward(self, grad_grad_x):
        grad_output, weight = self.saved_inputs
        needs = self.needs_input_grad
        window, groups = self.window, self.groups
        grad_g = grad_w = None
        if needs[0]:
            grad_g = self.derivative(Convolution, grad_grad_x, weight, window=window, groups=groups,
                                       keep_columns=False)
        if needs[1]:
            grad_w = self.derivative(ConvolutionWeightGrad, grad_grad_x, grad_output, window=window,
                                                 groups=groups, columns=None)
        return grad_g, grad_w


class ConvolutionWeightGrad(Function):
    """gw = weight_grad(x, g): the gradient of ``conv(x, w)`` with respect to ``w``."""

    saves_inputs = True

    def forward(self, x, grad_output, *, window, groups, columns=None):
        self.window, self.groups = window, groups
        if columns is None:
            columns = _columns(self.xp, x, window, keep=False)
        return _weight_grad(self.xp, columns, grad_output, window, groups, x.shape[1])

    def backward(self, grad_grad_w):
        x, grad_output = self.saved_inputs
        needs = self.needs_input_grad
        window, groups = self.window, self.groups
        grad_x = grad_g = None
        if needs[0]:
            grad_x = self.derivative(ConvolutionTranspose, grad_output, grad_grad_w, window=window,
                                                groups=groups)
        if needs[1]:
            grad_g = self.derivative(Convolution, x, grad_grad_w, window=window, groups=groups,
                                       keep_columns=False)
        return grad_x, grad_g


# ----- argument checks ----------------------------------------------------------------------------
def _padding_pairs(padding, kernel, stride, dilation, name):
    """PyTorch's padding argument -> ((before, after), ...) per spatial dim."""
    if isinstance(padding, str):
        if padding == "valid":
            return tuple((0, 0) for _ in kernel)
        if padding != "same":
            raise RuntimeError(f"{name}: invalid padding string {padding!r}; use 'valid' or 'same'")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{name}: padding='same' is not supported for strided convolutions "
                               f"(got stride={list(stride)})")
        # The odd pixel of an even total goes after, as in PyTorch.
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    amounts = pair(padding, "padding", name, len(kernel))
    if any(p < 0 for p in amounts):
        raise RuntimeError(
            f"{name}: negative padding is not supported, got padding={list(amounts)}")
    return tuple((p, p) for p in amounts)


def _check_tensors(name, input, weight, bias, dims):
    for label, tensor in (("input", input), ("weight", weight)):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(tensor).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{name}: expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input, but got "
            f"input of size {list(input.shape)}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(
            f"{name}: expected a {dims + 2}D weight (out_channels, in_channels/groups, "
            f"{'kL' if dims == 1 else 'kH, kW'}), got weight of size {list(weight.shape)}"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"{name}: input dtype {input.dtype} and weight dtype {weight.dtype} should be the same"
        )
    if bias is not None:
        if not isinstance(bias, Tensor):
            raise TypeError(f"{name}: bias must be a Tensor or None, got {type(bias).__name__}")
        if tuple(bias.shape) != (weight.shape[0],):
            raise RuntimeError(
                f"{name}: given weight of size {list(weight.shape)}, expected bias to be "
                f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                f"{list(bias.shape)}"
            )
        if bias.dtype != weight.dtype:
            raise RuntimeError(f"{name}: bias dtype {bias.dtype} and weight dtype {weight.dtype} "
                               f"should be the same")


def _check_channels(name, input, weight, groups):
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"{name}: non-positive groups is not supported, got groups={groups!r}")
    if weight.shape[0] < groups:
        raise RuntimeError(
            f"{name}: given groups={groups}, expected weight to be at least {groups} at "
            f"dimension 0, but got weight of size {list(weight.shape)}"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"{name}: given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {list(weight.shape)}"
        )
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"{name}: given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{input.shape[1]} channels instead"
        )


def _convolution(name, dims, input, weight, bias, stride, padding, dilation, groups):
    """Shared body of conv1d/conv2d: validate, lift 1-D to 2-D and unbatched to batched."""
    input, weight, bias = autocast_inputs(LOWER_PRECISION, input, weight, bias)
    _check_tensors(name, input, weight, bias, dims)
    kernel = tuple(weight.shape[2:])
    stride = pair(stride, "stride", name, dims)
    dilation = pair(dilation, "dilation", name, dims)
    if any(s <= 0 for s in stride):
        raise RuntimeError(
            f"{name}: non-positive stride is not supported, got stride={list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            f"{name}: non-positive dilation is not supported, got dilation={list(dilation)}")
    padding = _padding_pairs(padding, kernel, stride, dilation, name)
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = input.unsqueeze(0)
    _check_channels(name, input, weight, groups)
    spatial = tuple(input.shape[2:])
    if 0 in spatial and input.shape[0] and input.shape[1]:
        raise RuntimeError(f"{name}: only zero batch or zero channel inputs are supported (as in "
                           f"PyTorch), but got input of size {list(input.shape)}")
    padded = tuple(size + before + after for size, (before, after) in zip(spatial, padding))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < span for p, span in zip(padded, spans)):
        raise RuntimeError(
            f"{name}: calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
            f"actual input size"
        )
    if dims == 1:
        input, weight = input.unsqueeze(2), weight.unsqueeze(2)
        kernel, stride, dilation = (1,) + kernel, (1,) + stride, (1,) + dilation
        padding = ((0, 0),) + padding
    window = Window2d(input.shape[2:], kernel, stride, dilation, padding)
    keep_columns = GradMode.enabled and weight.requires_grad
    tensors = (input, weight) if bias is None else (input, weight, bias)
    out = Convolution.apply(*tensors, window=window, groups=groups, keep_columns=keep_columns)
    if dims == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


# ----- public API ---------------------------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    input (N, C_in, L) or unbatched (C_in, L); weight (C_out, C_in/groups, K); bias (C_out,).
    ``stride``, ``dilation`` int or 1-tuple; ``padding`` int, 1-tuple, ``'valid'`` or ``'same'``.
    Returns (N, C_out, L_out) with L_out = (L + 2*padding - dilation*(K-1) - 1) // stride + 1.
    """
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    input (N, C_in, H, W) or unbatched (C_in, H, W); weight (C_out, C_in/groups, KH, KW);
    bias (C_out,). ``stride``, ``dilation`` int or pair; ``padding`` int, pair, ``'valid'`` or
    ``'same'`` (stride 1 only; an odd total pads one more after). Returns (N, C_out, H_out,
    W_out) with H_out = (H + 2*padding[0] - dilation[0]*(KH-1) - 1) // stride[0] + 1.
    """
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)
