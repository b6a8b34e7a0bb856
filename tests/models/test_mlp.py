"""models/mlp.py: shapes, layer layout and float64 gradients of the MLP."""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from models.mlp import MLP


@pytest.mark.parametrize("hidden, dropout, layers", [((128, 128), 0.1, 8), ((16,), 0.0, 4), ((), 0.0, 2)])
def test_logits_shape_and_layers(hidden, dropout, layers):
    model = MLP(64, hidden, 10, dropout=dropout)
    assert len(model.net) == layers
    assert model(tl.randn(5, 8, 8)).shape == (5, 10)
    assert sum(isinstance(layer, nn.Dropout) for layer in model.net) == (len(hidden) if dropout else 0)


def test_gradcheck_float64_on_a_tiny_instance():
    model = MLP(6, (5, 4), 3).double()
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((2, 6)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])
