"""Tests for tinygrad_lite/nn/normalization.py: LayerNorm, BatchNorm1d, BatchNorm2d.

Batch norm is run through the same sequence of training and eval steps as torch's, and the
outputs, running statistics and gradients are compared at every step.
"""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn


def _load_from_torch(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return ours


def _randomize_affine(torch_module):
    with torch.no_grad():
        for parameter in torch_module.parameters():
            parameter.copy_(torch.randn(parameter.shape))
    return torch_module


# ----- LayerNorm --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_layer_norm_init_and_dtype(dtype):
    layer = nn.LayerNorm((3, 4), dtype=dtype)
    assert layer.normalized_shape == (3, 4)
    numpy.testing.assert_array_equal(layer.weight.numpy(force=True), numpy.ones((3, 4)))
    numpy.testing.assert_array_equal(layer.bias.numpy(force=True), numpy.zeros((3, 4)))
    assert layer.weight.dtype == dtype and layer(tl.randn(2, 3, 4, dtype=dtype)).dtype == dtype
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert nn.LayerNorm(4, bias=False).bias is None and nn.LayerNorm(4).normalized_shape == (4,)


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("build, shape", [
    (lambda m: m.LayerNorm(5), (3, 5)),
    (lambda m: m.LayerNorm((4, 5), eps=1e-3), (2, 3, 4, 5)),
    (lambda m: m.LayerNorm(5, elementwise_affine=False), (2, 4, 5)),
    (lambda m: m.LayerNorm(5, bias=False), (4, 5)),
], ids=["last_dim", "two_dims_eps", "no_affine", "no_bias"])
def test_layer_norm_matches_torch(build, shape, device):
    theirs = _randomize_affine(build(torch.nn))
    ours = _load_from_torch(build(nn), theirs).to(device)
    check_parity(ours, theirs, shape, device=device)
    for (name, mine), (_, reference) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_allclose(mine.grad.numpy(force=True), reference.grad.numpy(),
                                      atol=1e-5, rtol=1e-5, err_msg=name)


def test_layer_norm_gradcheck_and_shape_error():
    layer = nn.LayerNorm((2, 3)).double()
    check_gradcheck(layer, (4, 2, 3))
    with pytest.raises(RuntimeError, match=r"\[2, 3\]"):
        layer(tl.zeros(4, 3, 2, dtype=tl.float64))


# ----- BatchNorm --------------------------------------------------------------------------------
BATCH_NORMS = {
    "1d_2d_input": (lambda m, **kw: m.BatchNorm1d(3, **kw), (6, 3)),
    "1d_3d_input": (lambda m, **kw: m.BatchNorm1d(3, **kw), (4, 3, 5)),
    "2d": (lambda m, **kw: m.BatchNorm2d(3, **kw), (2, 3, 4, 5)),
}
OPTIONS = {
    "default": {},
    "momentum": {"momentum": 0.3, "eps": 1e-3},
    "cumulative": {"momentum": None},
    "no_affine": {"affine": False},
    "no_bias": {"bias": False},
    "untracked": {"track_running_stats": False},
}


@requires_torch
@pytest.mark.parametrize("options", sorted(OPTIONS))
@pytest.mark.parametrize("kind", sorted(BATCH_NORMS))
def test_batch_norm_training_then_eval_sequence_matches_torch(kind, options):
    build, shape = BATCH_NORMS[kind]
    theirs = _randomize_affine(build(torch.nn, **OPTIONS[options]))
    ours = _load_from_torch(build(nn, **OPTIONS[options]), theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = numpy.random.default_rng(1)
    for step, training in enumerate([True, True, True, False, True, False]):
        ours.train(training), theirs.train(training)
        batch = (2.0 * rng.standard_normal(shape) + step).astype(numpy.float32)
        x_ours = tl.tensor(batch, requires_grad=True)
        x_theirs = torch.tensor(batch, requires_grad=True)
        out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
        numpy.testing.assert_allclose(out_ours.numpy(force=True), out_theirs.detach().numpy(),
                                      atol=1e-5, rtol=1e-5, err_msg=f"output at step {step}")
        upstream = rng.standard_normal(shape).astype(numpy.float32)
        (out_ours * tl.tensor(upstream)).sum().backward()
        (out_theirs * torch.tensor(upstream)).sum().backward()
        numpy.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-5,
                                      rtol=1e-5, err_msg=f"input gradient at step {step}")
        their_state = theirs.state_dict()
        for key, value in ours.state_dict().items():
            numpy.testing.assert_allclose(value.numpy(force=True), their_state[key].numpy(),
                                          atol=1e-6, rtol=1e-5, err_msg=f"{key} at step {step}")
    for (name, mine), (_, reference) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=1e-5,
                                      rtol=1e-5, err_msg=name)


def test_batch_norm_buffers_and_parameters():
    norm = nn.BatchNorm2d(4)
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in norm.named_buffers()] == ["running_mean", "running_var",
                                                         "num_batches_tracked"]
    numpy.testing.assert_array_equal(norm.weight.numpy(force=True), numpy.ones(4))
    numpy.testing.assert_array_equal(norm.bias.numpy(force=True), numpy.zeros(4))
    numpy.testing.assert_array_equal(norm.running_mean.numpy(), numpy.zeros(4))
    numpy.testing.assert_array_equal(norm.running_var.numpy(), numpy.ones(4))
    assert norm.num_batches_tracked.dtype == tl.int64 and norm.num_batches_tracked.item() == 0
    norm(tl.randn(2, 4, 3, 3))
    norm(tl.randn(2, 4, 3, 3))
    assert norm.num_batches_tracked.item() == 2
    norm.eval()(tl.randn(2, 4, 3, 3))
    assert norm.num_batches_tracked.item() == 2  # eval never updates the statistics
    untracked = nn.BatchNorm1d(4, track_running_stats=False)
    assert list(untracked.buffers()) == [] and list(untracked.state_dict()) == ["weight", "bias"]


def test_batch_norm_running_stats_use_unbiased_variance():
    norm = nn.BatchNorm1d(2, momentum=1.0)
    batch = numpy.array([[1.0, 0.0], [2.0, 0.0], [6.0, 3.0]], dtype=numpy.float32)
    norm(tl.tensor(batch))
    numpy.testing.assert_allclose(norm.running_mean.numpy(), batch.mean(0), rtol=1e-6)
    numpy.testing.assert_allclose(norm.running_var.numpy(), batch.var(0, ddof=1), rtol=1e-6)


def test_batch_norm_tracking_switched_off_after_init_leaves_buffers_alone():
    norm = nn.BatchNorm1d(3)
    norm.track_running_stats = False
    norm(tl.randn(5, 3) + 4.0)
    numpy.testing.assert_array_equal(norm.running_mean.numpy(), numpy.zeros(3))
    assert norm.num_batches_tracked.item() == 0


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_batch_norm_keeps_dtype(dtype):
    norm = nn.BatchNorm2d(3, dtype=dtype)
    out = norm(tl.randn(2, 3, 2, 2, dtype=dtype))
    assert out.dtype == dtype and norm.running_mean.dtype == dtype and norm.running_var.dtype == dtype


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    norm = nn.BatchNorm2d(2, track_running_stats=not training).double().train(training)
    with tl.no_grad():
        norm.weight.copy_(tl.tensor([0.5, -1.5], dtype=tl.float64))
        norm.bias.copy_(tl.tensor([0.1, 0.2], dtype=tl.float64))
    check_gradcheck(norm, (3, 2, 2, 2))


def test_batch_norm_input_errors():
    with pytest.raises(ValueError, match="2D or 3D"):
        nn.BatchNorm1d(3)(tl.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(tl.zeros(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tl.zeros(1, 3))


@requires_torch
@pytest.mark.parametrize("build", [
    lambda m: m.BatchNorm1d(3), lambda m: m.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False),
    lambda m: m.BatchNorm2d(4, bias=False), lambda m: m.BatchNorm1d(2, track_running_stats=False),
    lambda m: m.LayerNorm((2, 3), eps=1e-6), lambda m: m.LayerNorm(3, bias=False),
    lambda m: m.LayerNorm((4, 8), elementwise_affine=False),
])
def test_normalization_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))
