"""Tests for tinygrad_lite/optim/sgd.py: N steps of SGD equal torch.optim.SGD's for every option."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch
from optim_parity import assert_same_weights, assert_state_dtypes, make_params, run_both

OPTIONS = {
    "plain": dict(lr=0.05),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.9, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.8, nesterov=True),
    "weight_decay": dict(lr=0.05, momentum=0.5, weight_decay=0.1),
    "maximize": dict(lr=0.005, momentum=0.9, maximize=True),
    "all": dict(lr=0.005, momentum=0.7, weight_decay=0.05, nesterov=True, maximize=True),
}


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", OPTIONS)
def test_sgd_matches_torch(name, dtype):
    ours, theirs, _ = run_both("SGD", OPTIONS[name], dtype=dtype)
    assert_same_weights(ours, theirs, dtype)


@requires_torch
def test_sgd_param_groups_with_own_options():
    groups = [dict(lr=0.1, momentum=0.9), dict(lr=0.01, nesterov=True, momentum=0.5)]
    ours, theirs, _ = run_both("SGD", dict(lr=0.05), group_options=groups)
    assert_same_weights(ours, theirs)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", DEVICES)
def test_sgd_keeps_dtype(device, dtype):
    ours, theirs, optimizer = run_both("SGD", OPTIONS["momentum"], device=device, dtype=dtype)
    assert_same_weights(ours, theirs, dtype)
    assert_state_dtypes(optimizer, dtype)


def test_sgd_first_step_by_hand():
    # b = g at step 1; p -= lr * (g + momentum * b) with nesterov.
    param = tl.tensor([1.0, -2.0], requires_grad=True)
    optimizer = tl.optim.SGD([param], lr=0.5, momentum=0.5, nesterov=True, weight_decay=0.1)
    param.grad = tl.tensor([0.2, 0.4])
    optimizer.step()
    grad = numpy.array([0.2, 0.4]) + 0.1 * numpy.array([1.0, -2.0])
    expected = numpy.array([1.0, -2.0]) - 0.5 * (grad + 0.5 * grad)
    numpy.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-6)


def test_sgd_skips_parameters_without_grad():
    first, second = make_params()[0]
    optimizer = tl.optim.SGD([first, second], lr=0.1, momentum=0.9)
    first.grad = tl.ones_like(first)
    optimizer.step()
    numpy.testing.assert_allclose(second.detach().numpy(), make_params()[0][1].detach().numpy())
    assert second not in optimizer.state or not optimizer.state[second]
    start = make_params()[0][0].detach().numpy()
    numpy.testing.assert_allclose(first.detach().numpy(), start - 0.1, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "learning rate"),
    (dict(lr=0.1, momentum=-0.5), "momentum"),
    (dict(lr=0.1, weight_decay=-1.0), "weight_decay"),
    (dict(lr=0.1, nesterov=True), "Nesterov"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
])
def test_sgd_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.optim.SGD(make_params()[0], **kwargs)
