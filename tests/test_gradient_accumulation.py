"""Gradient accumulation: k micro-batches (loss / k each, one step) == one k-times larger batch.

Holds for any model without batch-coupled layers (batch norm sees different batch statistics)
and any optimizer, because ``backward`` adds into ``.grad`` and the step sees only the sum.
"""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn, optim

F = nn.functional
OPTIMIZERS = {
    "sgd_momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: optim.Adam(params, lr=0.01),
}
LOSSES = {
    "mse": (lambda out, target: F.mse_loss(out, target),
            lambda batch: tl.randn(batch, 3, dtype=tl.float64)),
    "cross_entropy": (lambda out, target: F.cross_entropy(out, target),
                      lambda batch: tl.randint(0, 3, (batch,))),
}


def _model():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()


@pytest.mark.parametrize("micro_batches", [2, 4])
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_accumulated_micro_batches_equal_one_large_batch(optimizer_name, loss_name, micro_batches):
    loss_fn, make_target = LOSSES[loss_name]
    accumulated, single = _model(), _model()
    single.load_state_dict(accumulated.state_dict())
    accumulate_step = OPTIMIZERS[optimizer_name](accumulated.parameters())
    single_step = OPTIMIZERS[optimizer_name](single.parameters())
    start = [p.numpy(force=True).copy() for p in single.parameters()]
    for _ in range(3):
        x, target = tl.randn(8, 5, dtype=tl.float64), make_target(8)
        accumulate_step.zero_grad()
        for chunk_x, chunk_target in zip(x.chunk(micro_batches), target.chunk(micro_batches)):
            (loss_fn(accumulated(chunk_x), chunk_target) / micro_batches).backward()
        accumulate_step.step()
        single_step.zero_grad()
        loss_fn(single(x), target).backward()
        single_step.step()
    pairs = zip(accumulated.named_parameters(), single.named_parameters(), start)
    for (name, mine), (_, reference), initial in pairs:
        numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10,
                                      atol=1e-12, err_msg=name)
        numpy.testing.assert_allclose(mine.numpy(force=True), reference.numpy(force=True),
                                      rtol=1e-10, atol=1e-12, err_msg=name)
        assert not numpy.allclose(reference.numpy(force=True), initial), name  # it did train


def test_without_dividing_by_k_the_gradient_is_k_times_larger():
    """The reason for ``loss / k``: backward sums micro-batch gradients, it does not average."""
    model, x, target = _model(), tl.randn(8, 5, dtype=tl.float64), tl.randn(8, 3, dtype=tl.float64)
    for chunk_x, chunk_target in zip(x.chunk(4), target.chunk(4)):
        F.mse_loss(model(chunk_x), chunk_target).backward()
    summed = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    F.mse_loss(model(x), target).backward()
    for total, full in zip(summed, (p.grad.numpy() for p in model.parameters())):
        numpy.testing.assert_allclose(total, 4 * full, rtol=1e-10, atol=1e-12)
