"""models/gan.py: the generator's and discriminator's shapes and gradients (gradcheck in float64)."""
import pytest

import tinygrad_lite as tl
from models.gan import Discriminator, Generator


@pytest.mark.parametrize("side", [4, 8])
def test_generator_draws_images_in_minus_one_to_one_and_the_discriminator_gives_one_logit_each(side):
    generator, discriminator = Generator(latent_dim=6, side=side), Discriminator(side=side)
    images = generator(tl.randn(5, 6))
    assert images.shape == (5, 1, side, side) and images.dtype == tl.float32
    assert images.abs().max().item() <= 1
    for layout in (images, images.reshape(5, side, side), images.reshape(5, side * side)):
        assert discriminator(layout).shape == (5,)


def _gradcheck_with_weights(model, input):
    """gradcheck of ``model(input)`` with respect to the input and every weight; gradcheck
    perturbs each tensor's data in place, so the model's own parameters can be passed."""
    model.double()
    assert tl.autograd.gradcheck(lambda *_: model(input), [input, *model.parameters()], atol=1e-6)


def test_generator_gradients_match_finite_differences_in_float64():
    generator = Generator(latent_dim=3, side=4, hidden_sizes=(5,))  # train mode: batch statistics
    _gradcheck_with_weights(generator, tl.randn(4, 3, dtype=tl.float64, requires_grad=True))


def test_discriminator_gradients_match_finite_differences_in_float64():
    discriminator = Discriminator(side=4, hidden_sizes=(6, 5), dropout=0.0)
    _gradcheck_with_weights(discriminator, tl.randn(3, 1, 4, 4, dtype=tl.float64, requires_grad=True))


def test_discriminator_dropout_acts_in_training_only():
    discriminator, images = Discriminator(side=4, dropout=0.5), tl.randn(6, 16)
    assert discriminator(images).tolist() != discriminator(images).tolist()
    discriminator.eval()
    assert discriminator(images).tolist() == discriminator(images).tolist()
