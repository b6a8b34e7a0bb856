"""models/resnet.py: BasicBlock and the digits ResNet (shapes, skip paths, gradients in both BN modes)."""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from models.resnet import BasicBlock, ResNet


@pytest.mark.parametrize("in_channels, out_channels, stride, size, out_size, projects", [
    (4, 4, 1, 8, 8, False),  # same shape: the skip is the identity
    (4, 6, 1, 8, 8, True),   # wider: 1x1 conv + BN projection
    (4, 4, 2, 8, 4, True),   # strided: projection too
    (3, 5, 2, 5, 3, True),   # odd side: ceil(5 / 2)
])
def test_basic_block_shapes_and_skip_path(in_channels, out_channels, stride, size, out_size, projects):
    block = BasicBlock(in_channels, out_channels, stride)
    out = block(tl.randn(2, in_channels, size, size))
    assert out.shape == (2, out_channels, out_size, out_size) and out.dtype == tl.float32
    assert isinstance(block.shortcut, nn.Sequential) == projects
    assert float(out.min().item()) >= 0  # the block ends with ReLU


def test_identity_block_with_a_zero_residual_branch_passes_relu_of_its_input():
    block = BasicBlock(3, 3)
    nn.init.zeros_(block.bn2.weight)  # the "zero-init last BN" trick: the block starts as identity
    x = tl.randn(2, 3, 4, 4)
    numpy.testing.assert_allclose(block(x).detach().numpy(), numpy.maximum(x.numpy(), 0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layout", [(5, 8, 8), (5, 1, 8, 8), (5, 64)])
def test_digits_resnet_logits_for_every_image_layout(layout):
    model = ResNet()
    logits = model(tl.randn(*layout))
    assert logits.shape == (5, 10) and logits.dtype == tl.float32
    assert sum(p.numel() for p in model.parameters()) == 19706


def test_deeper_wider_variants_and_bad_configurations():
    model = ResNet(side=16, num_classes=4, widths=(4, 8, 16), blocks_per_stage=2, in_channels=3)
    assert len(model.blocks) == 6 and model(tl.randn(2, 3, 16, 16)).shape == (2, 4)
    with pytest.raises(ValueError, match="at least one stage"):
        ResNet(widths=())
    with pytest.raises(ValueError, match="one block per stage"):
        ResNet(blocks_per_stage=0)


def _tiny_resnet():
    return ResNet(side=4, num_classes=3, widths=(2, 3)).double()


def _gradcheck_everything(model, x):
    # The input and every parameter (about 270 numbers: two small forward passes each).
    assert tl.autograd.gradcheck(lambda inputs, *params: model(inputs), [x, *model.parameters()])


def test_gradcheck_float64_in_train_mode_batch_statistics():
    model = _tiny_resnet().train()
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((3, 1, 4, 4)), requires_grad=True)
    _gradcheck_everything(model, x)


def test_gradcheck_float64_in_eval_mode_running_statistics():
    model = _tiny_resnet()
    rng = numpy.random.default_rng(1)
    for _ in range(3):  # move the running statistics away from their initial 0 / 1
        model(tl.tensor(2 + 3 * rng.standard_normal((8, 1, 4, 4))))
    x = tl.tensor(rng.standard_normal((3, 1, 4, 4)), requires_grad=True)
    train_logits = model(x).detach().numpy()
    model.eval()
    assert not numpy.allclose(model(x).detach().numpy(), train_logits)  # eval really uses the running stats
    _gradcheck_everything(model, x)
