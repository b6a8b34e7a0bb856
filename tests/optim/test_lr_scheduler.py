"""Tests for tinygrad_lite/optim/lr_scheduler/: lr sequences equal torch.optim.lr_scheduler's."""
import math
import warnings

import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch
from tinygrad_lite.optim import lr_scheduler

STEPS = 30


class Warmup:
    """A callable object: LambdaLR saves its ``__dict__`` (plain lambdas are not saved)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


# name -> scheduler factory; ``m`` is our lr_scheduler module or torch's, so one line builds both.
SCHEDULERS = {
    "StepLR": lambda m, opt: m.StepLR(opt, step_size=4, gamma=0.5),
    "StepLR default gamma": lambda m, opt: m.StepLR(opt, 7),
    "MultiStepLR": lambda m, opt: m.MultiStepLR(opt, milestones=[3, 8, 8, 20], gamma=0.3),
    "ExponentialLR": lambda m, opt: m.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda m, opt: m.CosineAnnealingLR(opt, T_max=10),
    "CosineAnnealingLR eta_min": lambda m, opt: m.CosineAnnealingLR(opt, T_max=7, eta_min=0.002),
    "LambdaLR": lambda m, opt: m.LambdaLR(opt, lambda epoch: 0.95 ** epoch),
    "LambdaLR per group": lambda m, opt: m.LambdaLR(opt, [Warmup(5), lambda epoch: 1.0 / (1 + epoch)]),
    "LinearLR": lambda m, opt: m.LinearLR(opt),
    "LinearLR decay": lambda m, opt: m.LinearLR(opt, start_factor=0.5, end_factor=0.1, total_iters=8),
    "OneCycleLR": lambda m, opt: m.OneCycleLR(opt, max_lr=1.0, total_steps=STEPS),
    "OneCycleLR linear three_phase": lambda m, opt: m.OneCycleLR(
        opt, max_lr=[0.4, 0.2], epochs=4, steps_per_epoch=8, anneal_strategy="linear", three_phase=True,
        base_momentum=[0.8, 0.7], max_momentum=0.9, div_factor=10.0, final_div_factor=100.0,
        pct_start=0.25),
    "OneCycleLR no momentum": lambda m, opt: m.OneCycleLR(opt, max_lr=0.5, total_steps=STEPS + 5,
                                                           cycle_momentum=False),
    "SequentialLR warmup cosine": lambda m, opt: m.SequentialLR(
        opt, [m.LinearLR(opt, start_factor=0.1, total_iters=5),
              m.CosineAnnealingLR(opt, T_max=20, eta_min=1e-3)], milestones=[5]),
    "SequentialLR three": lambda m, opt: m.SequentialLR(
        opt, [m.ExponentialLR(opt, gamma=0.8), m.StepLR(opt, step_size=3),
              m.LinearLR(opt, start_factor=0.2)],
        milestones=[6, 15]),
    "SequentialLR milestone 0": lambda m, opt: m.SequentialLR(
        opt, [m.ExponentialLR(opt, gamma=0.5), m.MultiStepLR(opt, [2, 4])], milestones=[0]),
}

# name -> optimizer factory; ``o`` is tl.optim or torch.optim.
OPTIMIZERS = {
    "SGD": lambda o, groups: o.SGD(groups, lr=0.1, momentum=0.9),
    "Adam": lambda o, groups: o.Adam(groups, lr=0.01, betas=(0.9, 0.99)),
}


def _groups(framework):
    """Two param groups with different lrs (so per-group values are checked)."""
    make = tl.zeros if framework is tl else torch.zeros
    return [{"params": [make(3, requires_grad=True)]},
            {"params": [make(2, requires_grad=True)], "lr": 0.05}]


def _build(framework, optimizer_name, scheduler_name):
    optim = tl.optim if framework is tl else torch.optim
    module = lr_scheduler if framework is tl else torch.optim.lr_scheduler
    optimizer = OPTIMIZERS[optimizer_name](optim, _groups(framework))
    return optimizer, SCHEDULERS[scheduler_name](module, optimizer)


def _snapshot(optimizer, scheduler):
    """What a step changes: the last lrs and, per group, lr and the (cycled) momentum / beta1."""
    groups = [(group["lr"], group.get("momentum"), group.get("betas")) for group in optimizer.param_groups]
    return list(scheduler.get_last_lr()), groups


def _run(optimizer, scheduler, steps, metrics=None):
    snapshots = [_snapshot(optimizer, scheduler)]
    for epoch in range(steps):
        optimizer.step()  # no gradients: a no-op, but keeps torch's "call order" check quiet
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        snapshots.append(_snapshot(optimizer, scheduler))
    return snapshots


@requires_torch
@pytest.mark.parametrize("optimizer_name", OPTIMIZERS)
@pytest.mark.parametrize("scheduler_name", SCHEDULERS)
def test_lr_sequence_matches_torch(scheduler_name, optimizer_name):
    ours = _run(*_build(tl, optimizer_name, scheduler_name), STEPS)
    theirs = _run(*_build(torch, optimizer_name, scheduler_name), STEPS)
    assert ours == theirs  # exact: the same float formulas in the same order
    assert len({snapshot[0][0] for snapshot in ours}) > 2, "the schedule should change the lr"


@requires_torch
def test_chained_schedulers_on_one_optimizer_match_torch():
    # Recursive formulas let two schedulers stack on one optimizer, as in PyTorch.
    def run(framework, module):
        optimizer, _ = _build(framework, "SGD", "StepLR")
        first, second = module.ExponentialLR(optimizer, gamma=0.95), module.MultiStepLR(optimizer, [5, 12])
        lrs = []
        for _ in range(20):
            optimizer.step()
            first.step()
            second.step()
            lrs.append([group["lr"] for group in optimizer.param_groups])
        return lrs

    assert run(tl, lr_scheduler) == run(torch, torch.optim.lr_scheduler)


def test_cosine_annealing_values_by_hand():
    optimizer = tl.optim.SGD([tl.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.2)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(8):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * epoch / 4)) / 2 for epoch in range(9)]
    assert lrs == pytest.approx(expected, abs=1e-12)
    assert optimizer.param_groups[0]["initial_lr"] == 1.0 and scheduler.base_lrs == [1.0]


def test_step_with_epoch_uses_the_closed_form():
    optimizer = tl.optim.SGD([tl.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(7)
    assert scheduler.last_epoch == 7 and scheduler.get_last_lr() == [0.25]


# ReduceLROnPlateau: options and a scripted metric sequence (flat stretches, small gains, a rise).
METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.89995, 0.8, 0.8, 0.8, 0.8, 0.85, 0.79, 0.7, 0.7, 0.7, 0.7,
           0.71, 0.69, 0.69, 0.69, 0.69, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49, 0.5, 0.5, 0.5]
PLATEAU = {
    "min rel": dict(patience=2),
    "min abs cooldown": dict(patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
    "max rel": dict(mode="max", patience=1, factor=0.5),
    "max abs min_lr list": dict(mode="max", threshold=0.01, threshold_mode="abs", patience=0,
                                factor=0.5, min_lr=[0.02, 0.04]),
    "min_lr floor": dict(patience=0, factor=0.3, min_lr=0.004, threshold=0.2),
    "eps blocks tiny cuts": dict(patience=0, factor=0.9, eps=0.006),
}


def _plateau(framework, options):
    optim = tl.optim if framework is tl else torch.optim
    module = lr_scheduler if framework is tl else torch.optim.lr_scheduler
    optimizer = optim.SGD(_groups(framework), lr=0.1, momentum=0.9)
    return optimizer, module.ReduceLROnPlateau(optimizer, **options)


def _counters(scheduler):
    return scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter, scheduler.last_epoch


@requires_torch
@pytest.mark.parametrize("name", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(name):
    metrics = [1.0 - value for value in METRICS] if "max" in name else METRICS
    ours, theirs = _plateau(tl, PLATEAU[name]), _plateau(torch, PLATEAU[name])
    for epoch, metric in enumerate(metrics):
        for optimizer, scheduler in (ours, theirs):
            optimizer.step()
            scheduler.step(metric)
        assert _snapshot(*ours) == _snapshot(*theirs), f"epoch {epoch}"
        assert _counters(ours[1]) == _counters(theirs[1]), f"epoch {epoch}"
    assert ours[1].get_last_lr() != [0.1, 0.05], "the scripted metrics should trigger a reduction"


def test_reduce_lr_on_plateau_by_hand():
    optimizer = tl.optim.SGD([tl.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, cooldown=1, factor=0.5)
    lrs = []
    for metric in [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, tl.tensor(1.0)]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    # bad epochs 1, 2 -> cut; cooldown epoch ignored; 1, 2 -> cut; then an improvement
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert scheduler.best == 1.0


@requires_torch
@pytest.mark.parametrize("scheduler_name", SCHEDULERS)
def test_state_dict_round_trip_continues_the_same_sequence(scheduler_name):
    optimizer, scheduler = _build(tl, "Adam", scheduler_name)
    _run(optimizer, scheduler, 10)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    expected = _run(optimizer, scheduler, STEPS - 10)

    fresh_optimizer, fresh_scheduler = _build(tl, "Adam", scheduler_name)  # lambdas come from the code
    fresh_optimizer.load_state_dict(saved_optimizer)
    fresh_scheduler.load_state_dict(saved_scheduler)
    assert _run(fresh_optimizer, fresh_scheduler, STEPS - 10) == expected


@requires_torch
@pytest.mark.parametrize("scheduler_name", ["StepLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR"])
def test_state_dict_keys_match_torch_and_load_from_torch(scheduler_name):
    ours = _build(tl, "SGD", scheduler_name)
    theirs = _build(torch, "SGD", scheduler_name)
    _run(*theirs, 7)
    assert set(ours[1].state_dict()) <= set(theirs[1].state_dict())
    ours[0].load_state_dict(_torch_optimizer_groups(theirs[0]))
    ours[1].load_state_dict(theirs[1].state_dict())
    assert _run(*ours, 10) == _run(*theirs, 10)


def _torch_optimizer_groups(optimizer):
    """torch's optimizer state_dict with no per-parameter state (both sides have none here)."""
    state = optimizer.state_dict()
    return {"state": {}, "param_groups": state["param_groups"]}


@requires_torch
@pytest.mark.parametrize("name", PLATEAU)
def test_reduce_lr_on_plateau_state_dict_round_trip(name):
    optimizer, scheduler = _plateau(tl, PLATEAU[name])
    _run(optimizer, scheduler, 12, METRICS)
    saved = optimizer.state_dict(), scheduler.state_dict()
    expected = _run(optimizer, scheduler, 18, METRICS[12:])
    fresh_optimizer, fresh_scheduler = _plateau(tl, PLATEAU[name])
    fresh_optimizer.load_state_dict(saved[0])
    fresh_scheduler.load_state_dict(saved[1])
    assert _run(fresh_optimizer, fresh_scheduler, 18, METRICS[12:]) == expected


def test_lambda_lr_state_dict_saves_callable_objects_not_functions():
    optimizer = tl.optim.SGD(_groups(tl), lr=0.1)
    warmup = Warmup(5)
    scheduler = lr_scheduler.LambdaLR(optimizer, [warmup, lambda epoch: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"epochs": 5}, None]
    state["lr_lambdas"][0]["epochs"] = 9
    scheduler.load_state_dict(state)
    assert warmup.epochs == 9 and callable(scheduler.lr_lambdas[1])


def _sgd():
    return tl.optim.SGD(_groups(tl), lr=0.1, momentum=0.9)


@pytest.mark.parametrize("build, error, message", [
    (lambda: lr_scheduler.StepLR("not an optimizer", 3), TypeError, "not an Optimizer"),
    (lambda: lr_scheduler.StepLR(_sgd(), 3, last_epoch=4), KeyError, "initial_lr"),
    (lambda: lr_scheduler.LambdaLR(_sgd(), [lambda e: 1.0]), ValueError, "same length"),
    (lambda: lr_scheduler.LambdaLR(_sgd(), 0.5), TypeError, "function"),
    (lambda: lr_scheduler.LinearLR(_sgd(), start_factor=0.0), ValueError, "Starting"),
    (lambda: lr_scheduler.LinearLR(_sgd(), end_factor=1.5), ValueError, "Ending"),
    (lambda: lr_scheduler.CosineAnnealingLR(_sgd(), T_max=0), ValueError, "T_max"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0), ValueError, "total_steps"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0, total_steps=0), ValueError, "total_steps"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0, epochs=2, steps_per_epoch=-1), ValueError,
     "steps_per_epoch"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=[1.0], total_steps=5), ValueError, "max_lr"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0, total_steps=5, pct_start=2.0), ValueError,
     "pct_start"),
    (lambda: lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0, total_steps=5, anneal_strategy="exp"), ValueError,
     "anneal_strategy"),
    (lambda: lr_scheduler.OneCycleLR(tl.optim.Adagrad(_groups(tl)), max_lr=1.0, total_steps=5), ValueError,
     "momentum"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), factor=1.0), ValueError, "Factor"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), mode="up"), ValueError, "mode"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), threshold_mode="pct"), ValueError, "threshold mode"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), min_lr=[0.1]), ValueError, "min_lrs"),
])
def test_constructor_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_sequential_lr_errors():
    optimizer, other = _sgd(), _sgd()
    step = lr_scheduler.StepLR(optimizer, 3)
    with pytest.raises(ValueError, match="at least one"):
        lr_scheduler.SequentialLR(optimizer, [], milestones=[])
    with pytest.raises(ValueError, match="milestones"):
        lr_scheduler.SequentialLR(optimizer, [step, lr_scheduler.ExponentialLR(optimizer, 0.9)],
                                  milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(optimizer, [step, lr_scheduler.StepLR(other, 3)], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(optimizer, [step, lr_scheduler.ReduceLROnPlateau(optimizer)],
                                  milestones=[2])


def test_one_cycle_refuses_to_step_past_total_steps():
    optimizer = _sgd()
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=4)
    for _ in range(4):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 5 times.*total steps is 4"):
        scheduler.step()


def test_schedulers_do_not_warn():
    optimizer = _sgd()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler = lr_scheduler.SequentialLR(
            optimizer, [lr_scheduler.LinearLR(optimizer), lr_scheduler.ExponentialLR(optimizer, 0.9)], [3])
        for _ in range(5):
            scheduler.step()
    assert scheduler.last_epoch == 5
