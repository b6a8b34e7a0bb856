"""Tests for tinygrad_lite/optim/adam.py: N steps of Adam/AdamW equal torch.optim's for every option."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch
from optim_parity import assert_same_weights, assert_state_dtypes, make_params, run_both

OPTIONS = {
    "default": dict(lr=0.01),
    "betas": dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    "small beta1": dict(lr=0.01, betas=(0.3, 0.9)),  # PyTorch's other lerp branch (weight >= 0.5)
    "weight_decay": dict(lr=0.01, weight_decay=0.1),
    "amsgrad": dict(lr=0.02, amsgrad=True),
    "maximize": dict(lr=0.005, maximize=True),
    "all": dict(lr=0.005, betas=(0.85, 0.95), weight_decay=0.05, amsgrad=True, maximize=True),
}


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
@pytest.mark.parametrize("name", OPTIONS)
def test_adam_matches_torch(cls, name, dtype):
    ours, theirs, _ = run_both(cls, OPTIONS[name], steps=20, dtype=dtype)
    assert_same_weights(ours, theirs, dtype)


@requires_torch
def test_adam_decoupled_weight_decay_is_adamw():
    ours, theirs, _ = run_both("Adam", dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True))
    assert_same_weights(ours, theirs)
    adamw, _, _ = run_both("AdamW", dict(lr=0.01, weight_decay=0.2))
    for mine, reference in zip(ours, adamw):
        numpy.testing.assert_array_equal(mine.detach().numpy(), reference.detach().numpy())


@requires_torch
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_adam_param_groups_with_own_options(cls):
    groups = [dict(lr=0.02, amsgrad=True), dict(lr=0.005, betas=(0.5, 0.9), weight_decay=0.1)]
    ours, theirs, _ = run_both(cls, dict(lr=0.01), group_options=groups)
    assert_same_weights(ours, theirs)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_adam_keeps_dtype(cls, device, dtype):
    ours, theirs, optimizer = run_both(cls, OPTIONS["amsgrad"], device=device, dtype=dtype)
    assert_same_weights(ours, theirs, dtype)
    assert_state_dtypes(optimizer, dtype)
    assert sorted(optimizer.state[ours[0]]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]


def test_adam_first_step_by_hand():
    # Bias correction makes the first step lr * g / (|g| + eps'), i.e. about lr * sign(g).
    param = tl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    optimizer = tl.optim.Adam([param], lr=0.1, eps=1e-8)
    param.grad = tl.tensor([0.5, -4.0, 0.0])
    optimizer.step()
    expected = [1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 3.0]
    numpy.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-6)
    assert optimizer.state[param]["step"] == 1
    numpy.testing.assert_allclose(optimizer.state[param]["exp_avg_sq"], [0.00025, 0.016, 0.0], rtol=1e-5)
    assert math.isclose(optimizer.param_groups[0]["lr"], 0.1)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1e-3), "learning rate"),
    (dict(betas=(1.0, 0.999)), "beta"),
    (dict(betas=(0.9, -0.1)), "beta"),
    (dict(eps=-1.0), "epsilon"),
    (dict(weight_decay=-0.1), "weight_decay"),
])
def test_adam_rejects_bad_options(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(tl.optim, cls)(make_params()[0], **kwargs)
