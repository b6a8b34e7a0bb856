"""models/forecaster.py: shapes for one or several input series, horizon, gradients."""
import numpy
import pytest

import tinygrad_lite as tl
from models.forecaster import Forecaster


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("horizon", [1, 4])
def test_one_series_window_gives_horizon_values(cell, horizon):
    model = Forecaster(8, cell, horizon=horizon)
    assert model(tl.randn(6, 12)).shape == (6, horizon)


def test_several_series_per_step_and_two_layers():
    model = Forecaster(8, "lstm", num_layers=2, horizon=3, input_size=4)
    assert model(tl.randn(5, 10, 4)).shape == (5, 3)


def test_a_window_of_n_values_reads_like_n_steps_of_one_feature():
    model = Forecaster(5, "gru")
    x = tl.randn(3, 9)
    numpy.testing.assert_array_equal(model(x).numpy(force=True), model(x.unsqueeze(-1)).numpy(force=True))


def test_prediction_is_the_head_on_the_last_steps_hidden_state():
    model = Forecaster(5, "rnn", horizon=2)
    x = tl.randn(4, 7)
    _, h_n = model.rnn(x.unsqueeze(-1))
    expected = h_n.numpy(force=True)[-1] @ model.head.weight.numpy(force=True).T + model.head.bias.numpy(force=True)
    numpy.testing.assert_allclose(model(x).numpy(force=True), expected, rtol=1e-5, atol=1e-6)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="cell must be one of"):
        Forecaster(4, "lstmm")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gradcheck_float64_inputs_and_every_parameter(cell):
    model = Forecaster(3, cell, horizon=2).double()
    x = tl.tensor(numpy.random.default_rng(2).standard_normal((2, 4)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])
