"""Tests for tinygrad_lite/optim/rmsprop.py: N steps of RMSprop equal torch.optim.RMSprop's."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch
from optim_parity import assert_same_weights, assert_state_dtypes, make_params, run_both

OPTIONS = {
    "default": dict(lr=0.002),
    "alpha": dict(lr=0.002, alpha=0.9, eps=1e-6),
    "small alpha": dict(lr=0.002, alpha=0.3),
    "momentum": dict(lr=0.002, momentum=0.9),
    "centered": dict(lr=0.002, centered=True),
    "weight_decay": dict(lr=0.002, weight_decay=0.1),
    "maximize": dict(lr=0.001, maximize=True),
    "all": dict(lr=0.001, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05, maximize=True),
}


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", OPTIONS)
def test_rmsprop_matches_torch(name, dtype):
    ours, theirs, _ = run_both("RMSprop", OPTIONS[name], dtype=dtype)
    assert_same_weights(ours, theirs, dtype)


@requires_torch
def test_rmsprop_centered_small_alpha_matches_torch_in_float64():
    # sqrt(square_avg - grad_avg ** 2) cancels badly for a small alpha, so float32 rounding
    # differences (PyTorch's vectorised lerp uses FMA) grow to ~1e-5: compare in float64.
    ours, theirs, _ = run_both("RMSprop", dict(lr=0.002, centered=True, alpha=0.3), dtype="float64")
    assert_same_weights(ours, theirs, "float64")


@requires_torch
def test_rmsprop_param_groups_with_own_options():
    groups = [dict(lr=0.003, centered=True), dict(lr=0.001, momentum=0.9, alpha=0.9)]
    ours, theirs, _ = run_both("RMSprop", dict(lr=0.002), group_options=groups)
    assert_same_weights(ours, theirs)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", DEVICES)
def test_rmsprop_keeps_dtype(device, dtype):
    ours, theirs, optimizer = run_both("RMSprop", OPTIONS["all"], device=device, dtype=dtype)
    assert_same_weights(ours, theirs, dtype)
    assert_state_dtypes(optimizer, dtype)
    assert sorted(optimizer.state[ours[0]]) == ["grad_avg", "momentum_buffer", "square_avg", "step"]


def test_rmsprop_first_step_by_hand():
    param = tl.tensor([1.0, -1.0], requires_grad=True)
    optimizer = tl.optim.RMSprop([param], lr=0.01, alpha=0.9, eps=0.0)
    param.grad = tl.tensor([3.0, -0.5])
    optimizer.step()
    # square_avg = 0.1 g^2, so the step is lr * g / (sqrt(0.1) |g|)
    expected = numpy.array([1.0, -1.0]) - 0.01 * numpy.sign([3.0, -0.5]) / numpy.sqrt(0.1)
    numpy.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "learning rate"),
    (dict(alpha=-0.5), "alpha"),
    (dict(eps=-1.0), "epsilon"),
    (dict(momentum=-0.9), "momentum"),
    (dict(weight_decay=-0.1), "weight_decay"),
])
def test_rmsprop_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.optim.RMSprop(make_params()[0], **kwargs)
