"""Tests for the simple layers: nn/linear.py (Identity, Linear, Bilinear), nn/flatten.py,
nn/activation.py, nn/dropout.py and nn/embedding.py.

Layers with weights are compared with torch's after loading torch's weights through
``load_state_dict``; default initialisations are checked against PyTorch's formulas.
"""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn

DTYPES = [numpy.float32, numpy.float64]


def _load_from_torch(ours, theirs):
    """Copy a torch module's weights into ours (through the public checkpoint path)."""
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return ours


def _uniform_stats(tensor, bound):
    """Check ``tensor`` looks like U(-bound, bound): range inside and filled, std bound/sqrt(3).

    Sample statistics: the 3% tolerance is several standard errors, not an accuracy claim.
    """
    values = tensor.numpy(force=True).ravel()
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.98 * bound and values.max() > 0.98 * bound
    numpy.testing.assert_allclose(values.std(), bound / math.sqrt(3), rtol=0.03)
    assert abs(values.mean()) < 0.03 * bound


# ----- Linear -----------------------------------------------------------------------------------
def test_linear_default_init_matches_pytorch_bounds():
    layer = nn.Linear(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    _uniform_stats(layer.weight, 1 / math.sqrt(400))
    _uniform_stats(nn.Linear(100, 3000).bias, 1 / math.sqrt(100))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_linear_dtype_and_device_arguments(dtype, device):
    layer = nn.Linear(3, 2, dtype=dtype, device=device)
    assert all(p.dtype == dtype and p.device == device for p in layer.parameters())
    out = layer(tl.randn(4, 3, dtype=dtype, device=device))
    assert out.dtype == dtype and out.shape == (4, 2)
    assert nn.Linear(3, 2, bias=False).bias is None


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, dtype):
    theirs = torch.nn.Linear(5, 3, bias=bias, dtype=getattr(torch, numpy.dtype(dtype).name))
    ours = _load_from_torch(nn.Linear(5, 3, bias=bias, dtype=dtype), theirs)
    check_parity(ours, theirs, shape, dtype=dtype, atol=1e-6, rtol=1e-5)


def test_linear_gradcheck():
    layer = nn.Linear(4, 3).double()
    check_gradcheck(lambda x: layer(x), (2, 4))


def test_linear_shape_and_dtype_errors_name_what_differs():
    with pytest.raises(RuntimeError, match=r"\[4, 5\].*\[2, 3\]"):
        nn.Linear(3, 2)(tl.zeros(4, 5))
    with pytest.raises(RuntimeError, match="float64.*float32"):
        nn.Linear(3, 2)(tl.zeros(4, 3, dtype=tl.float64))


@requires_torch
def test_mlp_initial_loss_is_in_torch_range():
    """Default inits make an untrained classifier's loss ~log(C), as with PyTorch's."""
    classes = 10

    def build(m):
        return m.Sequential(m.Linear(20, 64), m.ReLU(), m.Linear(64, classes))

    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((512, 20)).astype(numpy.float32)
    y = rng.integers(0, classes, 512)
    ours = nn.functional.cross_entropy(build(nn)(tl.tensor(x)), tl.tensor(y)).item()
    torch.manual_seed(0)
    theirs = torch.nn.functional.cross_entropy(build(torch.nn)(torch.tensor(x)), torch.tensor(y)).item()
    assert abs(ours - math.log(classes)) < 0.15 and abs(theirs - math.log(classes)) < 0.15
    assert abs(ours - theirs) < 0.15


# ----- Bilinear ---------------------------------------------------------------------------------
def test_bilinear_default_init_uses_in1_features():
    layer = nn.Bilinear(50, 7, 400)
    assert layer.weight.shape == (400, 50, 7) and layer.bias.shape == (400,)
    _uniform_stats(layer.weight, 1 / math.sqrt(50))


@requires_torch
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    theirs = torch.nn.Bilinear(3, 4, 2, bias=bias)
    ours = _load_from_torch(nn.Bilinear(3, 4, 2, bias=bias), theirs)
    check_parity(ours, theirs, (5, 3), (5, 4), atol=1e-5)


def test_bilinear_gradcheck_and_errors():
    layer = nn.Bilinear(3, 2, 4).double()
    check_gradcheck(lambda a, b: layer(a, b), (2, 3), (2, 2))
    with pytest.raises(RuntimeError, match="bilinear"):
        layer(tl.zeros(2, 3, dtype=tl.float64), tl.zeros(2, 3, dtype=tl.float64))


# ----- Identity, Flatten, Unflatten -------------------------------------------------------------
def test_identity_returns_its_input_and_ignores_arguments():
    x = tl.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x


@requires_torch
@pytest.mark.parametrize("build, shape", [
    (lambda m: m.Flatten(), (2, 3, 4, 5)),
    (lambda m: m.Flatten(0, 1), (2, 3, 4)),
    (lambda m: m.Flatten(-3, -2), (2, 3, 4, 5)),
    (lambda m: m.Unflatten(1, (2, 3)), (4, 6, 5)),
    (lambda m: m.Unflatten(-1, (2, 2)), (3, 4)),
    (lambda m: m.Unflatten(1, (-1, 2)), (3, 6)),
], ids=["flatten", "flatten_0_1", "flatten_negative", "unflatten", "unflatten_last", "unflatten_infer"])
def test_flatten_unflatten_match_torch(build, shape):
    check_parity(build(nn), build(torch.nn), shape)
    assert repr(build(nn)) == repr(build(torch.nn))


def test_flatten_gradcheck():
    check_gradcheck(lambda x: nn.Unflatten(0, (2, 3))(nn.Flatten(0, 1)(x)), (3, 2, 4))


# ----- activations ------------------------------------------------------------------------------
ACTIVATIONS = {
    "relu": lambda m: m.ReLU(),
    "leaky_relu": lambda m: m.LeakyReLU(0.2),
    "gelu": lambda m: m.GELU(),
    "gelu_tanh": lambda m: m.GELU(approximate="tanh"),
    "silu": lambda m: m.SiLU(),
    "elu": lambda m: m.ELU(alpha=0.5),
    "tanh": lambda m: m.Tanh(),
    "sigmoid": lambda m: m.Sigmoid(),
    "softmax": lambda m: m.Softmax(dim=1),
    "log_softmax": lambda m: m.LogSoftmax(dim=-1),
}


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_modules_match_torch(name, dtype):
    build = ACTIVATIONS[name]
    tolerance = 1e-5 if dtype == numpy.float32 else 1e-10
    check_parity(build(nn), build(torch.nn), (3, 4, 5), dtype=dtype, atol=tolerance, rtol=tolerance)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_modules_gradcheck(name):
    check_gradcheck(ACTIVATIONS[name](nn), (3, 4))


@requires_torch
@pytest.mark.parametrize("build", [
    lambda m: m.ReLU(inplace=True), lambda m: m.LeakyReLU(0.1, inplace=True), lambda m: m.ELU(),
    lambda m: m.ELU(2.0, inplace=True), lambda m: m.GELU(approximate="tanh"), lambda m: m.SiLU(),
    lambda m: m.Softmax(dim=0), lambda m: m.LogSoftmax(1), lambda m: m.Sigmoid(),
    lambda m: m.Linear(3, 4, bias=False), lambda m: m.Bilinear(2, 3, 4), lambda m: m.Identity(),
    lambda m: m.Dropout(), lambda m: m.Dropout(0.2, inplace=True), lambda m: m.Embedding(10, 4),
    lambda m: m.Embedding(10, 4, padding_idx=-1, max_norm=1.0, norm_type=1.0),
])
def test_layer_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


# ----- Dropout ----------------------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_dropout_training_zeroes_p_and_rescales_the_rest(p, dtype, device):
    layer = nn.Dropout(p)
    x = tl.rand(200, 500, dtype=dtype, device=device) + 1.0
    x.requires_grad_()
    out = layer(x)
    assert out.dtype == dtype and out.shape == x.shape
    values, inputs = out.numpy(force=True), x.numpy(force=True)
    kept = values != 0
    assert abs(1 - kept.mean() - p) < 0.01
    numpy.testing.assert_allclose(values[kept], inputs[kept] / (1 - p),
                                  rtol=1e-6 if dtype == tl.float32 else 1e-12)
    out.sum().backward()  # gradient: the same mask and scale
    numpy.testing.assert_allclose(x.grad.numpy(force=True), kept / (1 - p), rtol=1e-6)


def test_dropout_eval_and_edge_probabilities():
    x = tl.randn(4, 5)
    layer = nn.Dropout(0.5).eval()
    numpy.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    numpy.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    assert not numpy.any(nn.Dropout(1.0)(x).numpy())
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="probability"):
            nn.Dropout(bad)


def test_dropout_follows_model_mode_and_seed():
    model = nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5))
    x = tl.randn(3, 6)
    tl.manual_seed(3)
    first = model(x).numpy(force=True)
    tl.manual_seed(3)
    numpy.testing.assert_array_equal(model(x).numpy(force=True), first)
    model.eval()
    numpy.testing.assert_array_equal(model(x).numpy(force=True), model[0](x).numpy(force=True))


# ----- Embedding --------------------------------------------------------------------------------
def test_embedding_default_init_is_standard_normal_with_zero_padding_row():
    layer = nn.Embedding(2000, 50, padding_idx=3)
    values = layer.weight.numpy(force=True)
    assert not numpy.any(values[3])
    assert abs(values.mean()) < 0.01  # sample statistics of 100,000 draws: ~3 standard errors
    numpy.testing.assert_allclose(values.std(), 1.0, rtol=0.01)
    assert layer.weight.requires_grad and layer.weight.dtype == tl.float32


@requires_torch
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch_and_padding_row_gets_no_gradient(padding_idx):
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    ours = _load_from_torch(nn.Embedding(6, 3, padding_idx=padding_idx), theirs)
    assert ours.padding_idx == theirs.padding_idx
    ids = numpy.array([[0, 2, 5, 2], [5, 5, 1, 2]], dtype=numpy.int64)
    check_parity(ours, theirs, ids)
    numpy.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5,
                                  atol=1e-6)
    if padding_idx is not None:
        assert not numpy.any(ours.weight.grad.numpy()[ours.padding_idx])


def test_embedding_repeated_ids_accumulate_gradient():
    layer = nn.Embedding(4, 2)
    layer(tl.tensor([1, 1, 3, 1])).sum().backward()
    numpy.testing.assert_array_equal(layer.weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


@pytest.mark.parametrize("bad", [4, -1])
def test_embedding_out_of_range_ids_raise_index_error(bad):
    with pytest.raises(IndexError, match=rf"{bad}.*4|4.*{bad}"):
        nn.Embedding(4, 2)(tl.tensor([0, bad]))


def test_embedding_invalid_padding_idx_and_from_pretrained():
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
    table = tl.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    numpy.testing.assert_array_equal(frozen(tl.tensor([1, 0])).numpy(), [[3.0, 4.0], [1.0, 2.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert frozen.weight.data is not table.data  # a copy, like PyTorch's from_pretrained



@pytest.mark.parametrize("layer", [nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True),
                                   nn.SiLU(inplace=True), nn.ELU(inplace=True)])
def test_inplace_activation_layers_write_into_their_input_like_pytorch(layer):
    x = tl.tensor([-1.0, 0.5, 2.0])
    expected = type(layer)(*([0.1] if isinstance(layer, nn.LeakyReLU) else []))(x.clone())
    out = layer(x)
    numpy.testing.assert_allclose(x.numpy(), expected.numpy())
    numpy.testing.assert_allclose(out.numpy(), expected.numpy())


def test_linear_backward_does_not_need_the_bias_values():
    x, weight = tl.ones(2, 3, requires_grad=True), tl.ones(4, 3, requires_grad=True)
    bias = tl.zeros(4)
    out = tl.nn.functional.linear(x, weight, bias)
    bias[0] = 5.0  # PyTorch allows this: no gradient reads the bias
    out.sum().backward()
    assert x.grad.tolist() == [[4.0] * 3] * 2


def test_linear_with_zero_input_features_backpropagates():
    weight = tl.zeros(3, 0, requires_grad=True)
    out = tl.nn.functional.linear(tl.zeros(2, 0), weight)
    out.sum().backward()
    assert out.tolist() == [[0.0] * 3] * 2 and weight.grad.shape == (3, 0)
