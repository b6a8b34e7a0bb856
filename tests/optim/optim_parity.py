"""Trajectory parity for optimizers: run ours and torch.optim on one smooth problem, compare weights.

Both sides get the gradient of the same float64 function of *their own* current weights (cast to
the parameter dtype), so any difference comes from the update rule, not from autograd.
"""
import numpy

import tinygrad_lite as tl
from helpers import torch

_RNG = numpy.random.default_rng(1234)
INPUTS = _RNG.standard_normal((8, 3))
TARGETS = _RNG.standard_normal((8, 4))
START = {"weight": _RNG.standard_normal((3, 4)) * 0.5, "bias": _RNG.standard_normal(4) * 0.5}


def gradients(weight, bias):
    """Gradient of mean((x @ w + b - y)^2)/2 + 0.025 * sum(w^4) at (w, b), in float64."""
    weight, bias = numpy.asarray(weight, dtype=numpy.float64), numpy.asarray(bias, dtype=numpy.float64)
    residual = INPUTS @ weight + bias - TARGETS
    return INPUTS.T @ residual / len(INPUTS) + 0.1 * weight ** 3, residual.mean(axis=0)


def make_params(dtype="float32", device="cpu"):
    """Fresh (ours, theirs) parameter pairs [weight, bias] at START (theirs None without torch)."""
    ours = [tl.tensor(START[name].astype(dtype), device=device, requires_grad=True) for name in START]
    if torch is None:
        return ours, None
    theirs = [torch.tensor(START[name].astype(dtype), requires_grad=True) for name in START]
    return ours, theirs


def param_groups(params, group_options):
    """``group_options`` None -> the plain list; else one dict of extra options per parameter."""
    if group_options is None:
        return list(params)
    return [dict(options, params=[param]) for param, options in zip(params, group_options)]


def set_our_gradients(ours):
    """Give our [weight, bias] the gradient at their current values (in their dtype)."""
    dtype = ours[0].numpy(force=True).dtype
    for param, grad in zip(ours, gradients(*(p.numpy(force=True) for p in ours))):
        param.grad = tl.tensor(grad.astype(dtype), device=param.device)


def set_gradients(ours, theirs):
    """Give each side's parameters the gradient at its own current weights."""
    set_our_gradients(ours)
    dtype = ours[0].numpy(force=True).dtype
    for param, grad in zip(theirs, gradients(*(p.detach().numpy() for p in theirs))):
        param.grad = torch.tensor(grad.astype(dtype))


def run_both(name, kwargs, group_options=None, steps=15, dtype="float32", device="cpu"):
    """``steps`` updates of ``tl.optim.<name>`` and ``torch.optim.<name>``.

    Returns (our params, their params, our optimizer).
    """
    ours, theirs = make_params(dtype, device)
    our_optimizer = getattr(tl.optim, name)(param_groups(ours, group_options), **kwargs)
    their_optimizer = getattr(torch.optim, name)(param_groups(theirs, group_options), **kwargs)
    for _ in range(steps):
        set_gradients(ours, theirs)
        our_optimizer.step()
        their_optimizer.step()
    return ours, theirs, our_optimizer


def assert_same_weights(ours, theirs, dtype="float32"):
    """Weights equal to float32 (1e-6) or float64 (1e-12) accuracy, of the same dtype, and moved."""
    atol = 1e-6 if dtype == "float32" else 1e-12
    for mine, reference, start in zip(ours, theirs, START.values()):
        assert mine.dtype == numpy.dtype(dtype)
        assert numpy.abs(mine.numpy(force=True) - start).max() > 1e-3, "the optimizer barely moved"
        numpy.testing.assert_allclose(mine.numpy(force=True), reference.detach().numpy(), atol=atol, rtol=0)


def assert_state_dtypes(optimizer, dtype):
    """Every array in the optimizer state has the parameter dtype (no float64 leaking into float32)."""
    arrays = [value for state in optimizer.state.values() for value in state.values()
              if hasattr(value, "dtype")]
    assert arrays, "expected some state arrays"
    for array in arrays:
        assert array.dtype == numpy.dtype(dtype), array.dtype
