"""Dropout: zero random elements (or whole channels) while training, scaling the rest by 1/(1-p).

Inverted scaling keeps each element's expected value, so nothing changes at evaluation time.
Masks come from ``tinygrad_lite.random.generator(device)``, so ``tl.manual_seed`` repeats them.
"""
import warnings

import numpy

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.nn.functional.activation import _maybe_inplace
from tinygrad_lite.random import generator
from tinygrad_lite.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


class Dropout(Function):
    """``x * multiplier`` where ``multiplier`` (0 or 1/(1-p), broadcastable) was drawn in forward."""

    def forward(self, x, multiplier):
        self.multiplier = multiplier
        return x * multiplier

    def backward(self, grad_output):
        return grad_output * self.constant(self.multiplier)


def _check_probability(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _drop(input, p, mask_shape):
    """``input`` times a fresh keep-mask of ``mask_shape`` (broadcast over the rest), scaled."""
    dtype = input.dtype
    if dtype.kind != "f":
        raise RuntimeError(f"dropout: expected a floating point input, got {dtype}")
    xp = input.device.xp
    # Half precision has too few uniform levels for an exact keep probability: draw in float32.
    draw_dtype = numpy.float64 if dtype == numpy.float64 else numpy.float32
    keep = generator(input.device).random(mask_shape, dtype=draw_dtype) < (1.0 - p)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    multiplier = keep.astype(dtype) * xp.asarray(scale, dtype=dtype)
    return Dropout.apply(input, multiplier=multiplier)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``.

    Shape (*) -> (*). The identity when ``training`` is False or ``p == 0``; all zeros when
    ``p == 1``. The gradient is the same mask times the same scale.
    """
    _check_probability(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0.0:
        return input
    return _maybe_inplace("dropout", input, inplace, lambda x: _drop(x, p, x.shape))


def _feature_dropout(input, p, training, inplace, name):
    """Drop whole channels: one mask value per (sample, channel) of an (N, C, *) input."""
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _maybe_inplace(name, input, inplace, lambda x: _drop(x, p, mask_shape))


def _unbatched(function, input, p, training, inplace, batched_ndim):
    """Run a channel dropout on an input without its batch dim by adding and removing one."""
    if not training or p == 0.0 or input.ndim == batched_ndim:
        return function(input, p, training, inplace)
    return _maybe_inplace("dropout", input, inplace,
                          lambda x: function(x.unsqueeze(0), p, training, False).squeeze(0))


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, L) or unbatched (C, L) inputs: each channel zeroed with prob. ``p``."""
    _check_probability(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: expected 2D or 3D input, but received a {input.ndim}D input of shape "
            f"{list(input.shape)}"
        )
    return _unbatched(lambda x, q, t, i: _feature_dropout(x, q, t, i, "dropout1d"), input, p,
                      training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, H, W) inputs: each (sample, channel) map zeroed with prob. ``p``.

    As in PyTorch, a 3-D input is read as (N, C, L) (with a warning), not as unbatched (C, H, W).
    """
    _check_probability(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: received a {input.ndim}-D input; dropout2d is meant for 3-D or 4-D "
            "inputs (use dropout for others)", UserWarning, stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: received a 3D input and assuming channel-wise 1D dropout: the input is "
            "read as (N, C, L); use dropout1d to make this explicit", UserWarning, stacklevel=2,
        )
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: expected at least 2 dims, got shape {list(input.shape)}")
    return _feature_dropout(input, p, training, inplace, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""
    _check_probability(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: received a {input.ndim}-D input; dropout3d is meant for 4-D or 5-D "
            "inputs (use dropout for others)", UserWarning, stacklevel=2,
        )
    if input.ndim < 1:
        raise RuntimeError(f"dropout3d: expected at least 1 dim, got shape {list(input.shape)}")
    return _unbatched(lambda x, q, t, i: _feature_dropout(x, q, t, i, "dropout3d"), input, p,
                      training, inplace, 5)
