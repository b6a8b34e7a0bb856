"""Tests for tinygrad_lite/optim/adagrad.py: N steps of Adagrad equal torch.optim.Adagrad's."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch, torch
from optim_parity import (assert_same_weights, assert_state_dtypes, make_params, param_groups, run_both,
                          set_gradients)

OPTIONS = {
    "default": dict(),
    "lr_decay": dict(lr=0.05, lr_decay=0.1),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "initial_accumulator_value": dict(lr=0.05, initial_accumulator_value=0.5, eps=1e-6),
    "maximize": dict(lr=0.02, maximize=True),
    "all": dict(lr=0.02, lr_decay=0.05, weight_decay=0.05, initial_accumulator_value=0.1, maximize=True),
}


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", OPTIONS)
def test_adagrad_matches_torch(name, dtype):
    ours, theirs, _ = run_both("Adagrad", OPTIONS[name], dtype=dtype)
    assert_same_weights(ours, theirs, dtype)


@requires_torch
def test_adagrad_param_groups_with_own_options():
    # A group's own initial_accumulator_value is ignored by PyTorch (the constructor's is used).
    groups = [dict(lr=0.1, lr_decay=0.2), dict(lr=0.02, weight_decay=0.1, initial_accumulator_value=3.0)]
    ours, theirs, _ = run_both("Adagrad", dict(initial_accumulator_value=0.2), group_options=groups)
    assert_same_weights(ours, theirs)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", DEVICES)
def test_adagrad_keeps_dtype(device, dtype):
    ours, theirs, optimizer = run_both("Adagrad", OPTIONS["all"], device=device, dtype=dtype)
    assert_same_weights(ours, theirs, dtype)
    assert_state_dtypes(optimizer, dtype)


@requires_torch
def test_adagrad_state_exists_before_the_first_step_like_torch():
    ours, theirs = make_params()
    ours_state = tl.optim.Adagrad(ours, initial_accumulator_value=0.3).state_dict()["state"]
    their_state = torch.optim.Adagrad(theirs, initial_accumulator_value=0.3).state_dict()["state"]
    assert sorted(ours_state) == sorted(their_state) == [0, 1]
    assert sorted(ours_state[0]) == sorted(their_state[0]) == ["step", "sum"]
    numpy.testing.assert_array_equal(ours_state[1]["sum"].numpy(), their_state[1]["sum"].numpy())


@requires_torch
def test_adagrad_group_added_later_matches_torch():
    ours, theirs = make_params()
    options = dict(lr=0.05, initial_accumulator_value=0.1)
    our_optimizer = tl.optim.Adagrad(param_groups(ours[:1], None), **options)
    their_optimizer = torch.optim.Adagrad(param_groups(theirs[:1], None), **options)
    our_optimizer.add_param_group(dict(params=[ours[1]], lr=0.02))
    their_optimizer.add_param_group(dict(params=[theirs[1]], lr=0.02))
    for _ in range(10):
        set_gradients(ours, theirs)
        our_optimizer.step()
        their_optimizer.step()
    assert_same_weights(ours, theirs)


def test_adagrad_step_by_hand():
    param = tl.tensor([1.0, -1.0], requires_grad=True)
    optimizer = tl.optim.Adagrad([param], lr=0.1, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    for _ in range(2):
        param.grad = tl.tensor([2.0, 1.0])
        optimizer.step()
    # step 1: sum = 1 + g^2, clr = 0.1; step 2: sum = 1 + 2 g^2, clr = 0.1 / 1.5
    grad = numpy.array([2.0, 1.0])
    expected = numpy.array([1.0, -1.0]) - 0.1 * grad / numpy.sqrt(1 + grad ** 2)
    expected -= 0.1 / 1.5 * grad / numpy.sqrt(1 + 2 * grad ** 2)
    numpy.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "learning rate"),
    (dict(lr_decay=-0.1), "lr_decay"),
    (dict(weight_decay=-0.1), "weight_decay"),
    (dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (dict(eps=-1e-10), "epsilon"),
])
def test_adagrad_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.optim.Adagrad(make_params()[0], **kwargs)
