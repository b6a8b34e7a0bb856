"""Tests for tinygrad_lite/nn/utils/convert_parameters.py: parameters <-> one flat vector."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, requires_torch, torch
from tinygrad_lite import nn


def _model(m):
    return m.Sequential(m.Linear(3, 4), m.Tanh(), m.Linear(4, 2, bias=False), m.LayerNorm(2))


@requires_torch
def test_parameters_to_vector_matches_torch_order_and_values():
    theirs = _model(torch.nn)
    ours = _model(nn)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    vector = nn.utils.parameters_to_vector(ours.parameters())
    expected = torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert vector.shape == (3 * 4 + 4 + 4 * 2 + 2 + 2,) and vector.dtype == tl.float32
    numpy.testing.assert_array_equal(vector.numpy(force=True), expected.detach().numpy())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_round_trip_writes_into_the_same_parameter_objects(dtype, device):
    model = _model(nn).to(device).to(dtype)
    params = list(model.parameters())
    vector = nn.utils.parameters_to_vector(params)
    assert vector.dtype == dtype and vector.device == device
    new_values = tl.arange(vector.numel(), dtype=dtype, device=device) * 0.5
    nn.utils.vector_to_parameters(new_values, model.parameters())
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.dtype == dtype and p.requires_grad and p.is_leaf for p in params)
    numpy.testing.assert_array_equal(model[0].weight.numpy(force=True),
                                     0.5 * numpy.arange(12).reshape(4, 3))
    numpy.testing.assert_array_equal(nn.utils.parameters_to_vector(params).numpy(force=True),
                                     new_values.numpy(force=True))
    new_values.zero_()  # the parameters hold a copy, not a view of the vector
    assert model[0].weight.numpy(force=True)[1, 1] == 2.0


@requires_torch
def test_vector_to_parameters_matches_torch():
    theirs, ours = _model(torch.nn), _model(nn)
    values = numpy.random.default_rng(0).standard_normal(28).astype(numpy.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(values), theirs.parameters())
    nn.utils.vector_to_parameters(tl.tensor(values), ours.parameters())
    for (name, mine), (_, reference) in zip(ours.named_parameters(), theirs.named_parameters()):
        numpy.testing.assert_array_equal(mine.numpy(force=True), reference.detach().numpy(),
                                         err_msg=name)


def test_parameters_to_vector_is_differentiable():
    model = _model(nn)
    vector = nn.utils.parameters_to_vector(model.parameters())
    (vector * tl.arange(vector.numel(), dtype=tl.float32)).sum().backward()
    numpy.testing.assert_array_equal(model[0].weight.grad.numpy(), numpy.arange(12).reshape(4, 3))
    numpy.testing.assert_array_equal(model[3].bias.grad.numpy(), [26.0, 27.0])
    check_gradcheck(lambda a, b: nn.utils.parameters_to_vector([a, b]) ** 2, (2, 3), (4,))


def test_conversion_errors_are_clear():
    params = list(_model(nn).parameters())
    with pytest.raises(ValueError, match="28"):
        nn.utils.vector_to_parameters(tl.zeros(27), params)
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters([0.0] * 28, params)
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(tl.zeros(4, 7), params)
    with pytest.raises(ValueError):
        nn.utils.parameters_to_vector([])
