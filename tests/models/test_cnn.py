"""models/cnn.py: the digits CNN's shapes for every input layout and its float64 gradients."""
import numpy
import pytest

import tinygrad_lite as tl
from models.cnn import CNN


@pytest.mark.parametrize("layout", [(3, 8, 8), (3, 1, 8, 8), (3, 64)])
def test_logits_for_every_image_layout(layout):
    model = CNN(side=8, num_classes=10)
    assert model(tl.randn(*layout)).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 16 * 9 + 16 + 32 * 16 * 9 + 32 + 32 * 4 * 10 + 10


def test_too_small_images_are_refused():
    with pytest.raises(ValueError, match="side >= 4"):
        CNN(side=3)


def test_gradcheck_float64_on_a_tiny_instance():
    model = CNN(side=4, num_classes=2, dropout=0.0).double()
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((2, 4, 4)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])
