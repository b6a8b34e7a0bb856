"""Normalisation: layer_norm, batch_norm, group_norm, rms_norm and normalize.

Each is a composition of Tensor ops (mean, subtraction, rsqrt, ...), so gradients, including
those through the batch statistics, are the exact derivatives of what is computed, to any order.
``layer_norm``, in every Transformer block, is also one node (:class:`NativeLayerNorm`): the
same forward arithmetic on arrays, and the closed-form backward PyTorch uses, a third of the
composed backward's passes over the activations.
"""
import math

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.amp.autocast_mode import FLOAT32, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode, no_grad
from tinygrad_lite.ops.compare import where
from tinygrad_lite.ops.reduce import Mean
from tinygrad_lite.tensor import Tensor

__all__ = ["layer_norm", "batch_norm", "group_norm", "rms_norm", "normalize"]


# Beyond these magnitudes a square overflows.
_SQUARE_ROOT_OF_MAX = {dtype: float(numpy.sqrt(numpy.finfo(dtype).max))
                       for dtype in (dtypes.float32, dtypes.float64)}


def _standardize(input, dims, eps, overflow_to_nan=False):
    """``(x - mean) / sqrt(biased_var + eps)`` over ``dims``; also returns the batch stats.

    ``overflow_to_nan``: a row whose mean's square overflows gives NaN, as in PyTorch's layer
    and group norm kernels (their moment update multiplies that square by 0); without it the
    overflowed variance would scale the row to 0, hiding the overflow.
    """
    # Summed in float64, so that equal values have exactly their value as mean (and a
    # constant row normalises to exactly 0, as in PyTorch's Welford statistics).
    wider = dtypes.float64 if input.dtype == dtypes.float32 else None
    mean = Mean.apply(input, dims=dims, keepdim=True, accumulate=wider)
    centered = input - mean
    variance = (centered * centered).mean(dims, keepdim=True)
    inverse_std = (variance + eps).rsqrt()
    if overflow_to_nan and bool((abs(mean.data) > _SQUARE_ROOT_OF_MAX[mean.dtype]).any()):
        stats = mean.detach()
        inverse_std = where((stats * stats).isinf(), math.nan, inverse_std)
    return centered * inverse_std, mean, variance


class NativeLayerNorm(Function):
    """``layer_norm`` of a float32/float64 ``x`` over ``dims`` (the trailing ones), then
    ``* weight + bias``, as one node; ``affine`` is ``(weight, bias)`` with either absent.

    Forward rounds exactly as the composed ops (:func:`_standardize` and the affine map) do, and
    keeps only the per-row mean and 1/std. Backward recomputes ``xhat = (x - mean) / std`` and
    gives ``dx = (g w - mean(g w) - xhat mean(g w xhat)) / std``, ``dw = sum(g xhat)``,
    ``db = sum(g)``; under create_graph it builds the same formula from Tensor ops recomputed
    from ``x``, so higher orders stay exact.
    """

    saves_inputs = True

    def forward(self, x, *affine, dims, eps, has_weight):
        xp = self.xp
        self.dims, self.eps, self.has_weight = dims, eps, has_weight
        count = math.prod(x.shape[axis] for axis in dims)
        wider = dtypes.float64 if x.dtype == dtypes.float32 else None
        total = xp.sum(x, axis=dims, keepdims=True, dtype=wider)
        mean = (total / count if count else total * math.nan).astype(x.dtype, copy=False)
        centered = x - mean
        squares = xp.sum(centered * centered, axis=dims, keepdims=True)
        variance = (squares / count if count else squares * math.nan).astype(x.dtype, copy=False)
        inverse_std = 1.0 / xp.sqrt(variance + eps)
        if bool((xp.abs(mean) > _SQUARE_ROOT_OF_MAX[mean.dtype]).any()):
            inverse_std = xp.where(xp.isinf(mean * mean), xp.asarray(math.nan, x.dtype), inverse_std)
        self.mean, self.inverse_std = mean, inverse_std
        out = centered  # written in place from here: the same roundings, no new arrays
        out *= inverse_std
        if has_weight:
            out *= affine[0]
        if len(affine) > has_weight:
            out += affine[-1]
        return out

    def backward(self, grad_output):
        if GradMode.enabled:
            return self._graph_backward(grad_output)
        xp = self.xp
        x, *affine = (tensor.data for tensor in self.saved_inputs)
        needs = self.needs_input_grad
        # Rows x features (x is contiguous; the normalised dims are the trailing ones); einsum
        # does each row or column reduction of a product in one pass, without the product.
        features = math.prod(x.shape[axis] for axis in self.dims)
        rows = math.prod(x.shape[:x.ndim - len(self.dims)])
        grad = grad_output.data.reshape(rows, features)
        normalized = x.reshape(rows, features) - self.mean.reshape(rows, 1)
        inverse_std = self.inverse_std.reshape(rows, 1)
        normalized *= inverse_std
        grads = [None]
        if self.has_weight:
            weight = affine[0]
            grads.append(self.constant(xp.einsum("rf,rf->f", grad, normalized).reshape(weight.shape))
                         if needs[1] else None)
        if len(needs) > len(grads):
            grads.append(self.constant(grad.sum(axis=0).reshape(affine[-1].shape)) if needs[-1] else None)
        if needs[0]:
            scaled = grad * weight.reshape(features) if self.has_weight else grad.copy()
            # (an empty row has no mean to subtract: max(features, 1) keeps 0/0 out of it)
            mean_scaled = xp.einsum("rf->r", scaled)[:, None] / max(features, 1)
            mean_projected = xp.einsum("rf,rf->r", scaled, normalized)[:, None] / max(features, 1)
            scaled -= mean_scaled
            normalized *= mean_projected
            scaled -= normalized
            scaled *= inverse_std
            grads[0] = self.constant(scaled.reshape(x.shape))
        return tuple(grads)

    def _graph_backward(self, grad_output):
        """The same gradients as differentiable Tensor ops, the statistics recomputed from x."""
        dims = self.dims
        x, *affine = self.saved_inputs
        needs = self.needs_input_grad
        normalized, _, variance = _standardize(x, dims, self.eps, overflow_to_nan=True)
        grads = [None]
        if needs[0]:
            scaled = grad_output * affine[0] if self.has_weight else grad_output
            centered_scaled = scaled - scaled.mean(dims, keepdim=True)
            projection = normalized * (scaled * normalized).mean(dims, keepdim=True)
            grads[0] = (centered_scaled - projection) * (variance + self.eps).rsqrt()
        if self.has_weight:
            grads.append((grad_output * normalized).sum_to_size(affine[0].shape) if needs[1] else None)
        if len(needs) > len(grads):
            grads.append(grad_output.sum_to_size(affine[-1].shape) if needs[-1] else None)
        return tuple(grads)


def _check_parameter(name, function, tensor, shape, input):
    """Validate a per-feature tensor; returns it in the input's dtype (or None).

    Mixed dtypes are refused as in PyTorch, except its mixed-precision case: a float16 input with
    float32 parameters, which are then used in float16.
    """
    if tensor is None:
        return None
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{function}: {name} must be a Tensor or None, got {type(tensor).__name__}")
    if tuple(tensor.shape) != tuple(shape):
        raise RuntimeError(
            f"{function}: {name} of shape {list(tensor.shape)} does not match the expected shape "
            f"{list(shape)} (input shape {list(input.shape)})"
        )
    if tensor.device != input.device:
        raise RuntimeError(f"{function}: {name} is on {tensor.device} but input is on {input.device}")
    if tensor.dtype == input.dtype:
        return tensor
    if input.dtype == dtypes.float16 and tensor.dtype == dtypes.float32:
        return tensor.to(input.dtype)
    raise RuntimeError(
        f"{function}: {name} has dtype {tensor.dtype} but input has dtype {input.dtype}; "
        f"convert one with .to(dtype)"
    )


def _check_float(function, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{function}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"{function}: expected a floating point input, got {input.dtype}")


def _trailing_dims(function, input, normalized_shape):
    """``normalized_shape`` as a tuple, and the input dims it covers (the trailing ones)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    count = len(normalized_shape)
    if count == 0 or count > input.ndim or tuple(input.shape[input.ndim - count:]) != normalized_shape:
        raise RuntimeError(
            f"{function}: given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(input.shape)}"
        )
    return normalized_shape, tuple(range(input.ndim - count, input.ndim))


def _affine(output, weight, bias, view_shape):
    if weight is not None:
        output = output * weight.reshape(view_shape)
    if bias is not None:
        output = output + bias.reshape(view_shape)
    return output


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims, then scale by ``weight``, add ``bias``.

    input (*, *normalized_shape) -> same shape; weight and bias have shape ``normalized_shape``.
    Uses the biased variance, as PyTorch does.
    """
    input, weight, bias = autocast_inputs(FLOAT32, input, weight, bias)
    _check_float("layer_norm", input)
    normalized_shape, dims = _trailing_dims("layer_norm", input, normalized_shape)
    checked_weight = _check_parameter("weight", "layer_norm", weight, normalized_shape, input)
    checked_bias = _check_parameter("bias", "layer_norm", bias, normalized_shape, input)
    input = input.contiguous()  # PyTorch's kernel does the same: its output is contiguous
    if input.dtype == dtypes.float16:
        # As PyTorch's half kernel: statistics and affine in float32, one rounding at the end.
        widened = [None if t is None else t.to(dtypes.float32) for t in (weight, bias)]
        output, _, _ = _standardize(input.to(dtypes.float32), dims, eps, overflow_to_nan=True)
        return _affine(output, *widened, normalized_shape).to(dtypes.float16)
    affine = [tensor for tensor in (checked_weight, checked_bias) if tensor is not None]
    return NativeLayerNorm.apply(input, *affine, dims=dims, eps=eps,
                                 has_weight=checked_weight is not None)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape`` dims.

    ``eps=None`` means the machine epsilon of the input's dtype, as in PyTorch.
    """
    input, weight = autocast_inputs(FLOAT32, input, weight)
    _check_float("rms_norm", input)
    normalized_shape, dims = _trailing_dims("rms_norm", input, normalized_shape)
    weight = _check_parameter("weight", "rms_norm", weight, normalized_shape, input)
    if eps is None:
        eps = float(numpy.finfo(input.dtype).eps)
    output = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return _affine(output, weight, None, normalized_shape)


def _channel_view(input):
    """The shape ``(1, C, 1, ...)`` that lines a per-channel vector up with ``input``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of ``input`` (N, C), (N, C, L) or (N, C, H, W).

    Training: uses the batch mean and biased variance, and when running stats are given,
    updates them in place: ``running = (1 - momentum) * running + momentum * batch`` with the
    unbiased batch variance (PyTorch's rule). Evaluation: uses ``running_mean``/``running_var``.
    running_mean, running_var, weight, bias: (C,).
    """
    input, weight, bias = autocast_inputs(FLOAT32, input, weight, bias)
    _check_float("batch_norm", input)
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an input of shape (N, C, *) with at least 2 dims, got shape "
            f"{list(input.shape)}"
        )
    channels = input.shape[1]
    mean_used, var_used, weight, bias = (
        _check_parameter(name, "batch_norm", tensor, (channels,), input)
        for name, tensor in (("running_mean", running_mean), ("running_var", running_var),
                             ("weight", weight), ("bias", bias)))
    view = _channel_view(input)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode")
        # Folded into one scale and one shift: two passes over the input instead of four.
        scale = (var_used + eps).rsqrt()
        if weight is not None:
            scale = scale * weight
        shift = -mean_used * scale
        if bias is not None:
            shift = shift + bias
        return input * scale.reshape(view) + shift.reshape(view)
    dims = (0,) + tuple(range(2, input.ndim))
    count = input.numel() // channels if channels else 0
    if count <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of shape "
            f"{list(input.shape)}"
        )
    output, mean, variance = _standardize(input, dims, eps)
    if running_mean is not None or running_var is not None:
        _update_running_stats(running_mean, running_var, mean, variance, count, momentum)
    return _affine(output, weight, bias, view)


def _update_running_stats(running_mean, running_var, mean, variance, count, momentum):
    """Blend the batch statistics into the running buffers in place (their arrays are kept)."""
    with no_grad():
        if running_mean is not None:
            batch_mean = mean.data.reshape(-1).astype(running_mean.dtype, copy=False)
            running_mean.data[...] = running_mean.data * (1.0 - momentum) + batch_mean * momentum
            running_mean._version += 1
        if running_var is not None:
            unbiased = variance.data.reshape(-1).astype(running_var.dtype, copy=False) * (count / (count - 1))
            running_var.data[...] = running_var.data * (1.0 - momentum) + unbiased * momentum
            running_var._version += 1


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise groups of ``C / num_groups`` channels of each sample; input (N, C, *).

    weight and bias (C,) are applied per channel after the normalisation.
    """
    input, weight, bias = autocast_inputs(FLOAT32, input, weight, bias)
    _check_float("group_norm", input)
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected an input of shape (N, C, *) with at least 2 dims, got shape "
            f"{list(input.shape)}"
        )
    batch, channels = input.shape[0], input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(
            f"group_norm: expected number of channels in input to be divisible by num_groups, but "
            f"got input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    weight = _check_parameter("weight", "group_norm", weight, (channels,), input)
    bias = _check_parameter("bias", "group_norm", bias, (channels,), input)
    grouped = input.reshape(batch, num_groups, -1)
    # PyTorch's float16 statistics are float32, where a float16 mean's square cannot overflow
    output, _, _ = _standardize(grouped, (2,), eps, overflow_to_nan=input.dtype != dtypes.float16)
    return _affine(output.reshape(input.shape), weight, bias, _channel_view(input))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim``: unit-norm vectors. Shape (*) -> (*)."""
    (input,) = autocast_inputs(FLOAT32, input)
    if out is not None:
        raise TypeError("normalize: the out= argument is not supported; use the return value")
    _check_float("normalize", input)
    norm = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / norm
