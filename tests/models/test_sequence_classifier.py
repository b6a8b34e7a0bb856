"""models/sequence_classifier.py: shapes per cell, which final states feed the head, gradients."""
import numpy
import pytest

import tinygrad_lite as tl
from models.sequence_classifier import SequenceClassifier


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_logits_shape_and_feature_width(cell, bidirectional, num_layers):
    model = SequenceClassifier(8, 6, 10, cell, num_layers=num_layers, bidirectional=bidirectional)
    x = tl.randn(5, 7, 8)
    assert model(x).shape == (5, 10) and model(x).dtype == tl.float32
    assert model.features(x).shape == (5, 6 * (2 if bidirectional else 1))
    assert model.head.weight.shape == (10, 6 * (2 if bidirectional else 1))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_bidirectional_features_are_forward_last_step_and_backward_first_step_of_the_top_layer(cell):
    model = SequenceClassifier(3, 4, 2, cell, num_layers=2, bidirectional=True)
    x = tl.randn(5, 6, 3)
    output, _ = model.rnn(x)
    expected = numpy.concatenate([output.numpy(force=True)[:, -1, :4], output.numpy(force=True)[:, 0, 4:]], axis=1)
    numpy.testing.assert_allclose(model.features(x).numpy(force=True), expected, rtol=1e-6, atol=1e-7)


def test_head_is_a_linear_map_of_the_features():
    model = SequenceClassifier(8, 5, 3, "gru")
    x = tl.randn(4, 8, 8)
    features = model.features(x).numpy(force=True)
    expected = features @ model.head.weight.numpy(force=True).T + model.head.bias.numpy(force=True)
    numpy.testing.assert_allclose(model(x).numpy(force=True), expected, rtol=1e-5, atol=1e-6)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceClassifier(8, 5, 3, "transformer")


@pytest.mark.parametrize("cell, bidirectional", [("rnn", False), ("gru", False), ("lstm", True)])
def test_gradcheck_float64_inputs_and_every_parameter(cell, bidirectional):
    model = SequenceClassifier(2, 3, 2, cell, bidirectional=bidirectional).double()
    x = tl.tensor(numpy.random.default_rng(1).standard_normal((2, 3, 2)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])
