"""models/residual_mlp.py: the pre-norm residual block and the deep MLP (shapes, skip path, gradients)."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from models.residual_mlp import ResidualBlock, ResidualMLP


@pytest.mark.parametrize("residual", [True, False])
def test_block_keeps_its_width_and_only_the_residual_one_normalises(residual):
    block = ResidualBlock(6, residual=residual)
    out = block(tl.randn(4, 6))
    assert out.shape == (4, 6) and out.dtype == tl.float32
    assert isinstance(block.norm, nn.LayerNorm) == residual
    assert len(list(block.parameters())) == (4 if residual else 2)


def test_residual_block_with_a_zero_branch_is_the_identity_and_the_plain_one_is_not():
    x = tl.randn(3, 5)
    for residual, expected in ((True, x.numpy()), (False, numpy.zeros((3, 5)))):
        block = ResidualBlock(5, residual=residual)
        nn.init.zeros_(block.linear.weight)
        nn.init.zeros_(block.linear.bias)  # tanh(0) = 0: the branch adds nothing
        numpy.testing.assert_allclose(block(x).detach().numpy(), expected, atol=1e-7)


@pytest.mark.parametrize("layout", [(5, 8, 8), (5, 64)])
@pytest.mark.parametrize("residual", [True, False])
def test_deep_mlp_logits_for_images_or_flat_rows(layout, residual):
    model = ResidualMLP(64, width=16, depth=4, residual=residual, activation="relu")
    logits = model(tl.randn(*layout))
    assert logits.shape == (5, 10) and logits.dtype == tl.float32
    assert len(model.blocks) == 4
    # stem + 4 blocks + head Linear layers; LayerNorms (4 blocks + final) only in the residual net
    assert sum(p.numel() for p in model.parameters()) == (
        64 * 16 + 16 + 4 * (16 * 16 + 16) + 16 * 10 + 10 + (5 * 2 * 16 if residual else 0))


def test_an_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation must be one of"):
        ResidualBlock(4, activation="swish")


@pytest.mark.parametrize("residual", [True, False])
def test_gradcheck_float64_input_and_every_parameter(residual):
    model = ResidualMLP(4, width=3, depth=2, num_classes=3, residual=residual).double()
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((2, 4)), requires_grad=True)
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])


def test_at_initialisation_the_plain_deep_nets_gradient_vanishes_and_the_residual_ones_does_not():
    x, y = tl.randn(32, 16), tl.randint(0, 10, (32,))
    ratios = {}
    for residual in (True, False):
        tl.manual_seed(0)
        model = ResidualMLP(16, width=32, depth=32, residual=residual)
        F.cross_entropy(model(x), y).backward()
        first, last = (block.linear.weight.grad.norm().item() for block in (model.blocks[0], model.blocks[-1]))
        ratios[residual] = first / last
    assert ratios[True] > 1  # the identity path: the first block gets at least the last one's gradient
    assert ratios[False] < 1e-4  # tanh with PyTorch's default init shrinks it ~sqrt(3) per layer
