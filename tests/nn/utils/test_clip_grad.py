"""Tests for tinygrad_lite/nn/utils/clip_grad.py: clip_grad_norm_ and clip_grad_value_ vs PyTorch."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch, torch
from tinygrad_lite import nn

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def _with_grads(grads, device="cpu", dtype=numpy.float32):
    """Parameters (ours, and torch's when available) carrying the given gradient arrays."""
    ours, theirs = [], []
    for grad in grads:
        param = nn.Parameter(tl.zeros(grad.shape, dtype=dtype, device=device))
        param.grad = tl.tensor(grad.astype(dtype), device=device)
        ours.append(param)
        if torch is not None:
            torch_dtype = getattr(torch, numpy.dtype(dtype).name)
            reference = torch.nn.Parameter(torch.zeros(grad.shape, dtype=torch_dtype))
            reference.grad = torch.tensor(grad.astype(dtype))
            theirs.append(reference)
    return ours, theirs


def _random_grads(scale=1.0, seed=0):
    rng = numpy.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in SHAPES]


def _assert_same_grads(ours, theirs, rtol=1e-6):
    for mine, reference in zip(ours, theirs):
        numpy.testing.assert_allclose(mine.grad.numpy(force=True), reference.grad.numpy(), rtol=rtol,
                                      atol=1e-7)


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0, 0.5, -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype, device):
    ours, theirs = _with_grads(_random_grads(), device=device, dtype=dtype)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.shape == () and total.dtype == dtype and total.device == device
    numpy.testing.assert_allclose(total.item(), expected.item(),
                                  rtol=1e-6 if dtype == numpy.float32 else 1e-10)
    _assert_same_grads(ours, theirs)


def test_clip_grad_norm_scales_to_max_norm_and_leaves_small_gradients():
    ours, _ = _with_grads([numpy.array([3.0, 4.0])])
    assert nn.utils.clip_grad_norm_(ours, 1.0).item() == pytest.approx(5.0)
    numpy.testing.assert_allclose(ours[0].grad.numpy(), [0.6, 0.8], rtol=1e-5)
    small, _ = _with_grads([numpy.array([0.3, 0.4])])
    nn.utils.clip_grad_norm_(small[0], 1.0)  # a single tensor is accepted too
    numpy.testing.assert_array_equal(small[0].grad.numpy(), numpy.float32([0.3, 0.4]))


def test_clip_grad_norm_skips_parameters_without_grad():
    with_grad, _ = _with_grads([numpy.array([6.0, 8.0])])
    without = nn.Parameter(tl.ones(2))
    total = nn.utils.clip_grad_norm_([without] + with_grad, 5.0)
    assert total.item() == pytest.approx(10.0) and without.grad is None
    numpy.testing.assert_allclose(with_grad[0].grad.numpy(), [3.0, 4.0], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([without], 1.0).item() == 0.0


def test_clip_grad_norm_scales_each_gradient_once_when_they_came_from_one_node():
    """``a + b`` hands both leaves the same upstream gradient: clipping must not scale it twice."""
    a, b = nn.Parameter(tl.ones(3)), nn.Parameter(tl.ones(3))
    (a + b).sum().backward()
    nn.utils.clip_grad_norm_([a, b], 1.0)
    for param in (a, b):
        numpy.testing.assert_allclose(param.grad.numpy(), numpy.full(3, 1 / numpy.sqrt(6)), rtol=1e-5)


@requires_torch
@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_clip_grad_norm_non_finite_follows_torch(bad):
    grads = [numpy.array([1.0, bad, 2.0]), numpy.array([0.5, 0.5])]
    ours, theirs = _with_grads(grads)
    with numpy.errstate(invalid="ignore"):
        total = nn.utils.clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    numpy.testing.assert_array_equal(total.numpy(), expected.numpy())
    for mine, reference in zip(ours, theirs):
        numpy.testing.assert_array_equal(mine.grad.numpy(), reference.grad.numpy())
    raising, _ = _with_grads(grads)
    before = [p.grad.numpy().copy() for p in raising]
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(raising, 1.0, error_if_nonfinite=True)
    for param, grad in zip(raising, before):  # nothing was scaled before the error
        numpy.testing.assert_array_equal(param.grad.numpy(), grad)


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("clip_value", [0.1, 0.5, 10.0])
def test_clip_grad_value_matches_torch(clip_value, device):
    ours, theirs = _with_grads(_random_grads(), device=device)
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_same_grads(ours, theirs)
    assert all(p.grad.dtype == tl.float32 for p in ours)


def test_clip_grad_value_in_a_training_step():
    model = nn.Linear(3, 2)
    (model(tl.randn(16, 3)) * 100.0).sum().backward()
    nn.utils.clip_grad_value_(model.parameters(), 0.25)
    for param in model.parameters():
        grad = param.grad.numpy()
        assert numpy.abs(grad).max() <= 0.25 and numpy.any(numpy.abs(grad) == numpy.float32(0.25))
