"""Tests for tinygrad_lite/nn/utils/regularization.py: explicit L1/L2 penalties."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck
from tinygrad_lite import nn, optim


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _arrays(model):
    return [p.numpy(force=True).astype(numpy.float64) for p in model.parameters()]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_penalty_values_and_gradients(dtype, device):
    model = _model().to(device).to(dtype)
    l1 = nn.utils.l1_penalty(model.parameters())
    l2 = nn.utils.l2_penalty(model.parameters())
    assert l1.shape == l2.shape == () and l1.dtype == l2.dtype == dtype
    arrays = _arrays(model)
    tolerance = 1e-5 if dtype == tl.float32 else 1e-10
    numpy.testing.assert_allclose(l1.item(), sum(numpy.abs(a).sum() for a in arrays), rtol=tolerance)
    numpy.testing.assert_allclose(l2.item(), sum((a * a).sum() for a in arrays), rtol=tolerance)
    (l1 + l2).backward()
    for param, array in zip(model.parameters(), arrays):
        assert param.grad.dtype == dtype
        numpy.testing.assert_allclose(param.grad.numpy(force=True), numpy.sign(array) + 2 * array,
                                      rtol=tolerance, atol=tolerance)


def test_l1_subgradient_is_zero_at_zero_and_single_tensors_work():
    param = nn.Parameter(tl.tensor([-2.0, 0.0, 3.0]))
    nn.utils.l1_penalty(param).backward()
    numpy.testing.assert_array_equal(param.grad.numpy(), [-1.0, 0.0, 1.0])
    assert nn.utils.l2_penalty(param).item() == 13.0


def test_penalties_gradcheck():
    check_gradcheck(lambda a, b: nn.utils.l2_penalty([a, b]), (2, 3), (4,))
    check_gradcheck(lambda a: nn.utils.l1_penalty([a]), numpy.array([[0.5, -1.5], [2.0, -0.25]]))


def test_empty_parameters_raise():
    with pytest.raises(ValueError, match="no parameters"):
        nn.utils.l2_penalty([])


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_l2_penalty_with_sgd_equals_sgd_weight_decay_twice_lambda(momentum):
    strength = 0.05
    penalised, decayed = _model().double(), _model().double()
    decayed.load_state_dict(penalised.state_dict())
    start = _arrays(penalised)
    penalised_step = optim.SGD(penalised.parameters(), lr=0.1, momentum=momentum)
    decayed_step = optim.SGD(decayed.parameters(), lr=0.1, momentum=momentum,
                             weight_decay=2 * strength)
    for _ in range(5):
        x = tl.randn(8, 3, dtype=tl.float64)
        target = tl.randn(8, 2, dtype=tl.float64)
        penalised_step.zero_grad()
        loss = ((penalised(x) - target) ** 2).mean()
        (loss + strength * nn.utils.l2_penalty(penalised.parameters())).backward()
        penalised_step.step()
        decayed_step.zero_grad()
        ((decayed(x) - target) ** 2).mean().backward()
        decayed_step.step()
    for mine, reference in zip(_arrays(penalised), _arrays(decayed)):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)
    assert not numpy.allclose(_arrays(penalised)[0], start[0])  # training really moved them
