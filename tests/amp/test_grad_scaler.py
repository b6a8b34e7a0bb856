"""tl.amp.GradScaler: the scale sequence, skipped steps and state, by hand and against PyTorch's."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch

INF, NAN = math.inf, math.nan
# gradient of the loss before scaling at each step; inf/NaN ones must skip the step
GRADIENTS = [[1.0, -2.0], [0.5, 0.25], [INF, 1.0], [1.0, 1.0], [NAN, 0.0], [2.0, -1.0],
             [0.125, 4.0], [1.0, -INF], [3.0, 1.0], [1.0, 1.0]]
SETTINGS = dict(init_scale=4.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=2)


def run_steps(lib, scaler, gradients, lr=0.5):
    """One SGD step per gradient row: w.grad = row * scale through scaler.scale(loss).backward().

    Returns (scale before each update, whether the step changed the weight, final weight)."""
    weight = lib.tensor([1.0, 2.0], requires_grad=True)
    optimizer = lib.optim.SGD([weight], lr=lr)
    scales, stepped = [], []
    for row in gradients:
        optimizer.zero_grad()
        before = weight.detach().clone()
        loss = (weight * lib.tensor(row)).sum()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scales.append(scaler.get_scale())
        stepped.append(not numpy.array_equal(weight.detach().numpy(), before.numpy()))
    return scales, stepped, weight.detach().numpy()


def test_scale_sequence_by_hand():
    scaler = tl.amp.GradScaler("cpu", **SETTINGS)
    scales, stepped, weight = run_steps(tl, scaler, GRADIENTS)
    # interval 2: grow after two clean steps in a row, halve (and restart the count) on inf/NaN
    assert scales == [4.0, 8.0, 4.0, 4.0, 2.0, 2.0, 4.0, 2.0, 2.0, 4.0]
    assert stepped == [True, True, False, True, False, True, True, False, True, True]
    clean = numpy.array([row for row, ok in zip(GRADIENTS, stepped) if ok])
    numpy.testing.assert_allclose(weight, numpy.array([1.0, 2.0]) - 0.5 * clean.sum(0), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("settings", [SETTINGS, dict(init_scale=2.0**16, growth_factor=1.5,
                                                     backoff_factor=0.3, growth_interval=3)])
def test_scale_sequence_matches_torch(settings):
    mine = run_steps(tl, tl.amp.GradScaler("cpu", **settings), GRADIENTS)
    theirs = run_steps(torch, torch.amp.GradScaler("cpu", **settings), GRADIENTS)
    assert mine[0] == theirs[0]
    assert mine[1] == theirs[1]
    numpy.testing.assert_allclose(mine[2], theirs[2], rtol=1e-6)
    assert mine[0] == [float(numpy.float32(value)) for value in mine[0]]  # a float32 scale


def test_growth_stops_at_float32_overflow():
    scaler = tl.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=1)
    scales, stepped, _ = run_steps(tl, scaler, [[0.25, 0.0]] * 2)  # the scaled loss stays finite
    assert scales == [2.0**127, 2.0**127] and stepped == [True, True]


def test_unscale_before_clipping_then_step_does_not_unscale_again():
    scaler = tl.amp.GradScaler("cpu", init_scale=8.0)
    weight = tl.tensor([1.0, 1.0], requires_grad=True)
    optimizer = tl.optim.SGD([weight], lr=1.0)
    scaler.scale((weight * tl.tensor([3.0, -1.0])).sum()).backward()
    assert weight.grad.tolist() == [24.0, -8.0]
    scaler.unscale_(optimizer)
    assert weight.grad.tolist() == [3.0, -1.0]
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    assert weight.detach().tolist() == [-2.0, 2.0]
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
        scaler.unscale_(optimizer)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(optimizer)
    scaler.update()
    scaler.unscale_(optimizer)  # a new iteration may unscale again


def test_errors_as_pytorch():
    scaler = tl.amp.GradScaler("cpu")
    weight = tl.tensor([1.0], requires_grad=True)
    optimizer = tl.optim.SGD([weight], lr=1.0)
    with pytest.raises(AssertionError, match="_scale is None"):
        scaler.step(optimizer)
    scaler.scale(weight.sum()).backward()
    with pytest.raises(RuntimeError, match="Closure"):
        scaler.step(optimizer, closure=lambda: 0.0)
    with pytest.raises(AssertionError, match="No inf checks"):
        scaler.update()
    half = tl.tensor([1.0], dtype=tl.float16, requires_grad=True)
    half.grad = tl.tensor([1.0], dtype=tl.float16)
    with pytest.raises(ValueError, match="FP16 gradients"):
        scaler.unscale_(tl.optim.SGD([half], lr=1.0))
    with pytest.raises(ValueError, match="growth factor"):
        tl.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff factor"):
        tl.amp.GradScaler("cpu", backoff_factor=1.0)


def test_update_to_a_given_scale():
    scaler = tl.amp.GradScaler("cpu", init_scale=4.0)
    scaler.scale(tl.tensor(1.0))
    scaler.update(0.1)
    assert scaler.get_scale() == float(numpy.float32(0.1))
    scaler.update(tl.tensor([32.0]))
    assert scaler.get_scale() == 32.0
    with pytest.raises(AssertionError, match="1-element"):
        scaler.update(tl.tensor([1.0, 2.0]))


def test_scale_nested_outputs_and_dtype():
    scaler = tl.amp.GradScaler("cpu", init_scale=2.0)
    a, b = tl.tensor([1.0, 2.0]), tl.tensor([3.0], dtype=tl.float16)
    scaled = scaler.scale([a, (b,)])
    assert isinstance(scaled, list) and isinstance(scaled[1], tuple)
    assert scaled[0].tolist() == [2.0, 4.0]
    assert scaled[1][0].dtype == tl.float16 and scaled[1][0].tolist() == [6.0]  # as PyTorch: 0-d scale
    with pytest.raises(ValueError, match="Tensor or an iterable"):
        scaler.scale(3.0)


def test_state_dict_round_trip():
    scaler = tl.amp.GradScaler("cpu", **SETTINGS)
    assert scaler.get_scale() == 4.0  # init_scale before the first scale()
    run_steps(tl, scaler, GRADIENTS[:4])
    state = scaler.state_dict()
    assert state == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                     "growth_interval": 2, "_growth_tracker": 1}
    restored = tl.amp.GradScaler("cpu")
    restored.load_state_dict(state)
    assert restored.state_dict() == state
    # the restored scaler continues the sequence exactly where the first one is
    assert run_steps(tl, restored, GRADIENTS[4:])[0] == run_steps(tl, scaler, GRADIENTS[4:])[0]
    with pytest.raises(RuntimeError, match="state dict is empty"):
        restored.load_state_dict({})


@requires_torch
def test_state_dict_matches_torch():
    mine, theirs = tl.amp.GradScaler("cpu", **SETTINGS), torch.amp.GradScaler("cpu", **SETTINGS)
    run_steps(tl, mine, GRADIENTS[:5])
    run_steps(torch, theirs, GRADIENTS[:5])
    assert mine.state_dict() == theirs.state_dict()


def test_disabled_scaler_passes_through():
    scaler = tl.amp.GradScaler("cpu", enabled=False)
    loss = tl.tensor(3.0)
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    weight = tl.tensor([1.0], requires_grad=True)
    weight.grad = tl.tensor([INF])
    scaler.step(tl.optim.SGD([weight], lr=1.0))  # no inf check: the step happens
    assert math.isinf(weight.item())
    scaler.update()


@pytest.mark.skipif(tl.cuda.is_available(), reason="checks the no-GPU fallback")
def test_cuda_scaler_without_gpu_warns_and_disables():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = tl.amp.GradScaler()
    assert not scaler.is_enabled()
