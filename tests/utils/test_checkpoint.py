"""tl.utils.checkpoint: same outputs and gradients as the plain run, activations not kept."""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from helpers import requires_cuda
from tinygrad_lite.utils.checkpoint import checkpoint, checkpoint_sequential


def mlp(dropout):
    tl.manual_seed(3)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 8),
                         nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 2))


def gradients(run, model, inputs):
    """(output, [grads of the model's parameters and of the inputs]) after one backward."""
    model.zero_grad()
    for tensor in inputs:
        tensor.grad = None
    tl.manual_seed(7)  # the same dropout stream for both runs
    output = run(*inputs)
    (output * tl.arange(output.numel()).reshape(output.shape)).sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()] + [t.grad.numpy().copy() for t in inputs]
    return output.detach().numpy(), grads


def assert_identical(plain, checkpointed):
    numpy.testing.assert_array_equal(plain[0], checkpointed[0])
    assert len(plain[1]) == len(checkpointed[1])
    for expected, actual in zip(*(plain[1], checkpointed[1])):
        numpy.testing.assert_array_equal(expected, actual)


@pytest.mark.parametrize("dropout", [0.0, 0.5])
@pytest.mark.parametrize("segments", [1, 2, 3, 9])
def test_checkpoint_sequential_matches_plain_run(dropout, segments):
    model = mlp(dropout)
    x = tl.randn(5, 4, requires_grad=True)
    plain = gradients(model, model, [x])
    checkpointed = gradients(lambda x: checkpoint_sequential(model, segments, x), model, [x])
    assert_identical(plain, checkpointed)


def test_dropout_mask_is_replayed_and_rng_continues():
    model = mlp(0.5)
    x = tl.randn(5, 4, requires_grad=True)
    tl.manual_seed(7)
    checkpoint(model, x).sum().backward()
    after_checkpoint = tl.rand(3).numpy()
    tl.manual_seed(7)
    model(x).sum().backward()
    after_plain = tl.rand(3).numpy()
    numpy.testing.assert_array_equal(after_checkpoint, after_plain)  # recompute restored the stream


def test_without_preserving_rng_state_dropout_differs():
    model = mlp(0.5)
    x = tl.randn(5, 4, requires_grad=True)
    plain = gradients(model, model, [x])
    loose = gradients(lambda x: checkpoint(model, x, preserve_rng_state=False), model, [x])
    numpy.testing.assert_array_equal(plain[0], loose[0])  # the forward itself is the same
    assert any(not numpy.array_equal(a, b) for a, b in zip(plain[1], loose[1]))


def test_multiple_inputs_outputs_and_non_tensor_arguments():
    layer = nn.Linear(3, 3)
    a, b = tl.randn(2, 3, requires_grad=True), tl.randn(2, 3, requires_grad=True)
    mask = tl.tensor([[1.0, 0.0, 1.0]])  # a tensor argument that needs no gradient

    def block(a, b, mask, scale, mode="sum"):
        hidden = layer(a) * b * mask
        return hidden * scale, (hidden + a).tanh(), mode, tl.arange(2)

    def run(a, b):
        first, second, mode, counts = checkpoint(block, a, b, mask, 2.0, mode="prod")
        assert mode == "prod" and counts.tolist() == [0, 1]
        return first.sum(1) + second.exp().sum(1)

    plain = gradients(lambda a, b: (lambda f, s, *_: f.sum(1) + s.exp().sum(1))(
        *block(a, b, mask, 2.0)), layer, [a, b])
    assert_identical(plain, gradients(run, layer, [a, b]))


def test_only_one_output_used_and_output_used_twice():
    layer = nn.Linear(3, 3)
    x = tl.randn(2, 3, requires_grad=True)

    def block(x):
        return layer(x).tanh(), layer(x).sigmoid()

    plain = gradients(lambda x: block(x)[1] * block(x)[1], layer, [x])
    checkpointed = gradients(lambda x: (lambda o: o[1] * o[1])(checkpoint(block, x)), layer, [x])
    assert_identical(plain, checkpointed)


def test_parameters_get_gradients_when_no_input_requires_grad():
    layer = nn.Linear(3, 2)
    x = tl.randn(4, 3)
    checkpoint(layer, x).sum().backward()
    numpy.testing.assert_allclose(layer.weight.grad.numpy(), numpy.tile(x.numpy().sum(0), (2, 1)),
                                  rtol=1e-6)
    numpy.testing.assert_allclose(layer.bias.grad.numpy(), [4.0, 4.0])


def test_activations_are_not_kept():
    x = tl.randn(3, requires_grad=True)
    output = checkpoint(lambda x: (x.exp() * 2.0).sin(), x)
    node = output.grad_fn
    assert type(node).__name__ == "CheckpointOutput"
    token_node = node.next[0]
    assert type(token_node).__name__ == "Checkpoint"
    assert [type(edge).__name__ for edge in token_node.next] == ["Tensor", "Tensor"]  # anchor, x
    output.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), (numpy.cos(2 * numpy.exp(x.detach().numpy()))
                                                   * 2 * numpy.exp(x.detach().numpy())), rtol=1e-5)


def test_no_grad_is_a_plain_call_and_autocast_is_replayed():
    layer = nn.Linear(3, 3)
    x = tl.randn(2, 3, requires_grad=True)
    with tl.no_grad():
        assert checkpoint(layer, x).grad_fn is None
    with tl.amp.autocast("cpu"):
        output = checkpoint(lambda x: layer(x).float().softmax(-1), x)
    output[:, 0].sum().backward()  # outside autocast: the recompute must still run in float16
    with tl.amp.autocast("cpu"):
        reference = layer(x).float().softmax(-1)
    grad_checkpointed = layer.weight.grad.numpy().copy()
    layer.zero_grad()
    reference[:, 0].sum().backward()
    numpy.testing.assert_array_equal(grad_checkpointed, layer.weight.grad.numpy())


def test_bad_arguments():
    x = tl.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="keyword argument 'y' requires grad"):
        checkpoint(lambda x, y: x + y, x, y=x)
    with pytest.raises(TypeError, match="use_reentrant"):
        checkpoint(lambda x: x, x, use_reentrant=None)
    with pytest.raises(ValueError, match="segments must be between 1 and"):
        checkpoint_sequential(mlp(0.0), 10, x)


@pytest.mark.cuda
@requires_cuda
def test_on_cuda_a_segment_replays_its_own_dropout_mask():
    # CuPy's generator state cannot be exported: saving it reseeds the generator, so the stream
    # differs from a run without checkpoint, but the recomputation must see the forward's mask.
    drop = nn.Dropout(0.5)
    x = tl.tensor(numpy.random.default_rng(0).random(1000) + 0.5, device="cuda", requires_grad=True)
    y = checkpoint(drop, x)
    y.sum().backward()
    kept = (y.detach() != 0).cpu().numpy()
    assert 300 < kept.sum() < 700
    numpy.testing.assert_array_equal(x.grad.cpu().numpy(), kept * 2.0)
