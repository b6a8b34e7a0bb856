"""models/lenet.py: the 32x32 CNN of seed 000 exercise 4 (shapes per layer, gradients)."""
import numpy
import pytest

import tinygrad_lite as tl
from models.lenet import LeNet32


def test_shape_after_every_layer_for_32x32_inputs():
    shapes = [shape for _, shape in LeNet32().layer_shapes(tl.zeros(2, 32, 32))]
    assert shapes == [(2, 1, 32, 32), (2, 6, 30, 30), (2, 6, 30, 30), (2, 6, 15, 15), (2, 16, 13, 13),
                      (2, 16, 13, 13), (2, 16, 6, 6), (2, 576), (2, 120), (2, 120), (2, 84), (2, 84),
                      (2, 84), (2, 10)]


@pytest.mark.parametrize("layout", [(3, 32, 32), (3, 1, 32, 32)])
def test_logits_for_both_image_layouts(layout):
    model = LeNet32()
    logits = model(tl.randn(*layout))
    assert logits.shape == (3, 10) and logits.dtype == tl.float32
    assert sum(p.numel() for p in model.parameters()) == 81194


def test_other_sides_and_class_counts_fit_and_too_small_images_are_refused():
    assert LeNet32(num_classes=4, side=16)(tl.randn(2, 16, 16)).shape == (2, 4)
    with pytest.raises(ValueError, match="side >= 10"):
        LeNet32(side=8)


def test_gradcheck_float64_on_a_tiny_instance():
    model = LeNet32(num_classes=3, side=10).double()
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((1, 1, 10, 10)), requires_grad=True)
    # The input (its gradient crosses every layer) and a few parameters: every weight element would
    # cost two forward passes each and add nothing the nn layer tests do not already cover.
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs),
                                 [x, model.features[0].bias, model.features[3].bias, *model.classifier[6].parameters()])
