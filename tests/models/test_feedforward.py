"""models/feedforward.py: the 3-4-1 net of seed 000 exercise 1 (shapes, outputs, gradients)."""
import numpy
import pytest

import tinygrad_lite as tl
from models.feedforward import FeedForward


@pytest.mark.parametrize("sizes", [(3, 4, 1), (5, 7, 2)])
def test_shapes_and_parameter_names(sizes):
    in_features, hidden, out_features = sizes
    model = FeedForward(in_features, hidden, out_features)
    x = tl.randn(6, in_features)
    assert model(x).shape == (6, out_features)
    assert model(x).dtype == tl.float32
    assert {name: tuple(p.shape) for name, p in model.named_parameters()} == {
        "hidden.weight": (hidden, in_features), "hidden.bias": (hidden,),
        "output.weight": (out_features, hidden), "output.bias": (out_features,)}


def test_probabilities_are_the_sigmoid_of_the_logits_and_predict_thresholds_them():
    model = FeedForward()
    x = tl.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-3.0, 2.0, 1.0]])
    logits = model(x).numpy(force=True)
    numpy.testing.assert_allclose(model.probabilities(x).numpy(force=True), 1 / (1 + numpy.exp(-logits)), rtol=1e-6)
    predicted = model.predict(x)
    assert predicted.dtype == tl.int64
    numpy.testing.assert_array_equal(predicted.numpy(), (logits > 0).astype(numpy.int64))


def test_relu_hidden_layer_by_hand():
    model = FeedForward()
    weights = {name: p.detach().numpy() for name, p in model.named_parameters()}
    x = numpy.random.default_rng(0).standard_normal((5, 3)).astype(numpy.float32)
    hidden = numpy.maximum(x @ weights["hidden.weight"].T + weights["hidden.bias"], 0)
    expected = hidden @ weights["output.weight"].T + weights["output.bias"]
    numpy.testing.assert_allclose(model(tl.tensor(x)).numpy(force=True), expected, rtol=1e-5, atol=1e-6)


def test_gradcheck_float64_inputs_and_every_parameter():
    model = FeedForward(3, 4, 1).double()
    x = tl.tensor(numpy.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])
