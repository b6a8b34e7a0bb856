"""Tests for tinygrad_lite/optim/optimizer.py: param groups, zero_grad, state_dict, step, errors."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch
from optim_parity import (START, assert_same_weights, make_params, param_groups, set_gradients,
                          set_our_gradients)

# (class name, options, options of the second param group): every optimizer with some state.
STATEFUL = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True), dict(lr=0.02, betas=(0.8, 0.9))),
    ("AdamW", dict(lr=0.01), dict(weight_decay=0.1)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.1), dict(lr=0.02)),
    ("RMSprop", dict(lr=0.002, momentum=0.5, centered=True), dict(lr=0.001)),
]
IDS = [case[0] for case in STATEFUL]


def _optimizer(name, options, second, params):
    return getattr(tl.optim, name)([{"params": [params[0]]}, dict(second, params=[params[1]])], **options)


def _train(optimizer, params, steps):
    for _ in range(steps):
        set_our_gradients(params)
        optimizer.step()


def _weights(params):
    return [param.numpy(force=True).copy() for param in params]


def test_param_groups_take_defaults_and_keep_their_own():
    weight, bias = make_params()[0]
    optimizer = tl.optim.SGD([{"params": [weight]}, {"params": bias, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    first, second = optimizer.param_groups
    assert (first["lr"], first["momentum"], second["lr"], second["momentum"]) == (0.1, 0, 0.5, 0.9)
    assert first["params"] == [weight] and second["params"] == [bias]
    assert "Parameter Group 1" in repr(optimizer) and "momentum: 0.9" in repr(optimizer)


def test_param_groups_get_their_own_lr():
    weight, bias = make_params()[0]
    optimizer = tl.optim.SGD([{"params": [weight]}, {"params": [bias], "lr": 0.0}], lr=0.1)
    weight.grad, bias.grad = tl.ones_like(weight), tl.ones_like(bias)
    optimizer.step()
    numpy.testing.assert_allclose(weight.detach().numpy(), START["weight"] - 0.1, atol=1e-6)
    numpy.testing.assert_allclose(bias.detach().numpy(), START["bias"].astype("float32"))


def test_add_param_group():
    weight, bias = make_params()[0]
    optimizer = tl.optim.Adam([weight], lr=0.1)
    optimizer.add_param_group({"params": [bias], "lr": 0.2})
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.2]
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [weight]})
    with pytest.raises(ValueError, match="learning rate"):
        optimizer.add_param_group({"params": [tl.zeros(2, requires_grad=True)], "lr": -1.0})


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    weight, bias = make_params()[0]
    optimizer = tl.optim.SGD([weight, bias], lr=0.1)
    (weight.sum() * 2.0 + bias.sum()).backward()
    assert weight.grad is not None
    optimizer.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert weight.grad is None and bias.grad is None
    else:
        assert weight.grad.shape == weight.shape and not numpy.any(weight.grad.numpy())
        # a fresh backward accumulates onto the zeros, not onto the old gradient
        (weight.sum() * 3.0).backward()
        numpy.testing.assert_array_equal(weight.grad.numpy(), numpy.full((3, 4), 3.0, "float32"))


def test_zero_grad_defaults_to_none():
    weight = make_params()[0][0]
    weight.grad = tl.ones_like(weight)
    tl.optim.SGD([weight]).zero_grad()
    assert weight.grad is None


def test_step_with_closure_returns_loss_and_uses_its_gradients():
    weight = tl.tensor([2.0, -1.0], requires_grad=True)
    optimizer = tl.optim.SGD([weight], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (weight * weight).sum()
        loss.backward()
        return loss

    with tl.no_grad():  # the closure still records a graph: step enables grad for it
        loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(5.0)
    numpy.testing.assert_allclose(weight.detach().numpy(), [2.0 - 0.25 * 4.0, -1.0 + 0.25 * 2.0])


@pytest.mark.parametrize("name, options, second", STATEFUL, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, options, second):
    params = make_params()[0]
    optimizer = _optimizer(name, options, second, params)
    _train(optimizer, params, 6)
    saved_weights, saved_state = _weights(params), optimizer.state_dict()
    _train(optimizer, params, 6)
    expected = _weights(params)

    fresh = [tl.tensor(weights, requires_grad=True) for weights in saved_weights]
    restored = _optimizer(name, dict(options, lr=123.0), {}, fresh)  # hyper-parameters come from the dict
    restored.load_state_dict(saved_state)
    expected_lrs = [options["lr"], second.get("lr", options["lr"])]
    assert [group["lr"] for group in restored.param_groups] == expected_lrs
    _train(restored, fresh, 6)
    for mine, reference in zip(_weights(fresh), expected):
        numpy.testing.assert_array_equal(mine, reference)
    for state in restored.state.values():
        for value in state.values():
            assert getattr(value, "dtype", numpy.dtype("float32")) == numpy.float32


@pytest.mark.parametrize("name, options, second", STATEFUL, ids=IDS)
def test_state_dict_is_a_snapshot(name, options, second):
    params = make_params()[0]
    optimizer = _optimizer(name, options, second, params)
    _train(optimizer, params, 2)
    saved = optimizer.state_dict()
    before = {key: value.numpy().copy() for key, value in saved["state"][0].items()
              if isinstance(value, tl.Tensor)}
    _train(optimizer, params, 2)
    assert before
    for key, value in before.items():
        numpy.testing.assert_array_equal(saved["state"][0][key].numpy(), value)


@requires_torch
@pytest.mark.parametrize("name, options, second", STATEFUL, ids=IDS)
def test_state_dict_layout_matches_torch(name, options, second):
    ours, theirs = make_params()
    our_optimizer = _optimizer(name, options, second, ours)
    their_optimizer = getattr(torch.optim, name)(
        [{"params": [theirs[0]]}, dict(second, params=[theirs[1]])], **options)
    for _ in range(3):
        set_gradients(ours, theirs)
        our_optimizer.step()
        their_optimizer.step()
    mine, reference = our_optimizer.state_dict(), their_optimizer.state_dict()
    assert [group["params"] for group in mine["param_groups"]] == [[0], [1]]
    for our_group, their_group in zip(mine["param_groups"], reference["param_groups"]):
        assert set(our_group) <= set(their_group)
        assert all(our_group[key] == their_group[key] for key in our_group)
    assert sorted(mine["state"]) == sorted(reference["state"]) == [0, 1]
    for index in (0, 1):
        assert sorted(mine["state"][index]) == sorted(reference["state"][index])
        for key, value in mine["state"][index].items():
            mine_value = value.numpy() if isinstance(value, tl.Tensor) else numpy.asarray(value)
            numpy.testing.assert_allclose(mine_value, reference["state"][index][key].numpy(), rtol=1e-5,
                                          atol=1e-7)


@requires_torch
@pytest.mark.parametrize("name, options, second", STATEFUL, ids=IDS)
def test_load_torch_state_dict_and_continue(name, options, second):
    ours, theirs = make_params()
    their_optimizer = getattr(torch.optim, name)(
        [{"params": [theirs[0]]}, dict(second, params=[theirs[1]])], **options)
    for _ in range(5):
        set_gradients(ours, theirs)  # only the torch side steps here
        their_optimizer.step()
    ours = [tl.tensor(param.detach().numpy(), requires_grad=True) for param in theirs]
    our_optimizer = _optimizer(name, options, {}, ours)
    our_optimizer.load_state_dict(their_optimizer.state_dict())
    for _ in range(8):
        set_gradients(ours, theirs)
        our_optimizer.step()
        their_optimizer.step()
    assert_same_weights(ours, theirs)


@requires_torch
def test_training_through_autograd_matches_torch():
    # end to end: gradients from our autograd, not given by hand
    inputs, targets = numpy.random.default_rng(0).standard_normal((2, 16, 3)).astype("float32")
    ours, theirs = make_params()
    our_optimizer = tl.optim.Adam(ours[:1], lr=0.01)
    their_optimizer = torch.optim.Adam(theirs[:1], lr=0.01)
    for _ in range(10):
        our_optimizer.zero_grad()
        their_optimizer.zero_grad()
        (((tl.tensor(inputs) @ ours[0])[:, :3] - tl.tensor(targets)) ** 2).mean().backward()
        (((torch.tensor(inputs) @ theirs[0])[:, :3] - torch.tensor(targets)) ** 2).mean().backward()
        our_optimizer.step()
        their_optimizer.step()
    numpy.testing.assert_allclose(ours[0].detach().numpy(), theirs[0].detach().numpy(), atol=1e-6)
    assert numpy.abs(ours[0].detach().numpy() - START["weight"]).max() > 0.05


def test_load_state_dict_rejects_other_layouts():
    params = make_params()[0]
    saved = tl.optim.Adam(param_groups(params, [{}, {}])).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        tl.optim.Adam(params).load_state_dict(saved)
    one_group = tl.optim.Adam([params[0]]).state_dict()
    with pytest.raises(ValueError, match="size"):
        tl.optim.Adam([{"params": params}]).load_state_dict(one_group)


def test_step_rejects_a_gradient_of_the_wrong_shape():
    weight = make_params()[0][0]
    optimizer = tl.optim.SGD([weight], lr=0.1)
    with pytest.raises(RuntimeError, match=r"\[4, 3\].*\[3, 4\]"):
        weight.grad = tl.ones(4, 3)  # refused when assigned, as in PyTorch
    weight.grad = tl.ones(3, 4)
    weight.data = numpy.ones((4, 3), dtype=numpy.float32)  # the raw array swapped underneath
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(4, 3\)"):
        optimizer.step()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop"])
def test_constructor_errors(name):
    cls = getattr(tl.optim, name)
    weight, bias = make_params()[0]
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([])
    with pytest.raises(ValueError, match="learning rate"):
        cls([weight], lr=-0.01)
    with pytest.raises(ValueError, match="more than one parameter group"):
        cls([{"params": [weight, bias]}, {"params": [bias]}])
    with pytest.raises(TypeError, match="iterable"):
        cls(weight)
    with pytest.raises(TypeError, match="Tensors"):
        cls([numpy.zeros(3)])
    with pytest.raises(ValueError, match="non-leaf"):
        cls([weight * 2.0])
