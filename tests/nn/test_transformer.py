"""Tests for tinygrad_lite/nn/transformer_layers.py and nn/transformer.py.

Each module is compared with PyTorch's after loading torch's ``state_dict`` (eval mode, so
dropout is off; inputs require grad, so torch takes its ordinary, non-fast path): outputs,
input gradients (check_parity) and every parameter's gradient.
"""
import math

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite.nn.transformer import (Transformer, TransformerDecoder, TransformerEncoder,
                                          generate_square_subsequent_mask)
from tinygrad_lite.nn.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer

D, HEADS, FF, S, T, N = 8, 2, 16, 5, 4, 3
# torch notes about its own deprecations and fast paths, not about our results
pytestmark = pytest.mark.filterwarnings("ignore:.*(mismatched|enable_nested_tensor).*:UserWarning")
RNG = numpy.random.default_rng(5)
SRC_PADDING = numpy.zeros((N, S), dtype=bool)
SRC_PADDING[1, 3:] = True
TGT_PADDING = numpy.zeros((N, T), dtype=bool)
TGT_PADDING[2, 3:] = True
SRC_FLOAT_MASK = RNG.standard_normal((S, S))
CAUSAL = numpy.triu(numpy.full((T, T), -math.inf), 1)
MEMORY_MASK = RNG.random((T, S)) > 0.7
MEMORY_MASK[:, 0] = False


def _torch_dtype(dtype):
    return getattr(torch, numpy.dtype(dtype).name)


def _tolerance(dtype):
    return 1e-5 if dtype == numpy.float32 else 1e-10


def _load_from_torch(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return ours.eval(), theirs.eval()


def _assert_parameter_grads_match(ours, theirs, dtype):
    their_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_params)
    for name, mine in ours.named_parameters():
        numpy.testing.assert_allclose(mine.grad.numpy(), their_params[name].grad.numpy(),
                                      atol=_tolerance(dtype), rtol=_tolerance(dtype),
                                      err_msg=f"gradient of {name}")


def _masks(library, dtype, **arrays):
    """Mask arrays as tensors of ``library`` (floats in ``dtype``, bools as they are)."""
    make = tl.tensor if library == "tl" else torch.tensor
    return {name: make(array if array.dtype == bool else array.astype(dtype))
            for name, array in arrays.items()}


def _layout(shape, batch_first):
    return (shape[1], shape[0]) + shape[2:] if batch_first else shape


def _build(name, library, dtype, **options):
    if library == "tl":
        classes = (TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder,
                   TransformerDecoder, Transformer)
    else:
        nn = torch.nn
        classes = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.TransformerEncoder,
                   nn.TransformerDecoder, nn.Transformer)
    encoder_layer, decoder_layer, encoder, decoder, transformer = classes
    common = dict(dim_feedforward=FF, dropout=0.1, **options)
    extra = {"dtype": dtype} if library == "tl" else {}
    norm = (tl.nn.LayerNorm(D, dtype=dtype) if library == "tl" else torch.nn.LayerNorm(D))
    if name == "encoder layer":
        return encoder_layer(D, HEADS, **common, **extra)
    if name == "decoder layer":
        return decoder_layer(D, HEADS, **common, **extra)
    if name == "encoder":
        kwargs = {} if library == "tl" else {"enable_nested_tensor": False}
        return encoder(encoder_layer(D, HEADS, **common, **extra), 2, norm, **kwargs)
    if name == "decoder":
        return decoder(decoder_layer(D, HEADS, **common, **extra), 2, norm)
    return transformer(D, HEADS, 2, 1, **common, **extra)


def _pair(name, dtype, **options):
    torch.manual_seed(0)
    theirs = _build(name, "torch", dtype, **options).to(_torch_dtype(dtype))
    with torch.no_grad():  # non-trivial LayerNorm affine and biases
        for parameter in theirs.parameters():
            if parameter.ndim == 1:
                parameter.add_(0.3 * torch.randn_like(parameter))
    ours = _build(name, "tl", dtype, **options)
    return _load_from_torch(ours, theirs)


def _runner(module, name, library, dtype, masks):
    masks = _masks(library, dtype, **masks)
    if name in ("encoder layer", "encoder"):
        return lambda src: module(src, **masks)
    if name in ("decoder layer", "decoder"):
        return lambda tgt, memory: module(tgt, memory, **masks)
    return lambda src, tgt: module(src, tgt, **masks)


ENCODER_MASKS = {"plain": {}, "float mask + padding": {"SRC_MASK": SRC_FLOAT_MASK, "PAD": SRC_PADDING},
                 "padding": {"PAD": SRC_PADDING}}


def _encoder_masks(kind, name):
    arrays = ENCODER_MASKS[kind]
    if name == "encoder layer":
        keys = {"SRC_MASK": "src_mask", "PAD": "src_key_padding_mask"}
    else:
        keys = {"SRC_MASK": "mask", "PAD": "src_key_padding_mask"}
    return {keys[key]: value for key, value in arrays.items()}


@requires_torch
@pytest.mark.parametrize("name", ["encoder layer", "encoder"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("masks", list(ENCODER_MASKS))
def test_encoders_match_torch(name, norm_first, activation, masks):
    dtype = numpy.float64
    ours, theirs = _pair(name, dtype, norm_first=norm_first, activation=activation)
    arrays = _encoder_masks(masks, name)
    check_parity(_runner(ours, name, "tl", dtype, arrays), _runner(theirs, name, "torch", dtype, arrays),
                 (S, N, D), dtype=dtype, atol=1e-10, rtol=1e-9)
    _assert_parameter_grads_match(ours, theirs, dtype)


DECODER_MASKS = {
    "causal": {"tgt_mask": CAUSAL},
    "all masks": {"tgt_mask": CAUSAL, "memory_mask": MEMORY_MASK, "tgt_key_padding_mask": TGT_PADDING,
                  "memory_key_padding_mask": SRC_PADDING},
}


@requires_torch
@pytest.mark.parametrize("name", ["decoder layer", "decoder"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("masks", list(DECODER_MASKS))
def test_decoders_match_torch(name, norm_first, activation, masks):
    dtype = numpy.float64
    ours, theirs = _pair(name, dtype, norm_first=norm_first, activation=activation)
    arrays = DECODER_MASKS[masks]
    check_parity(_runner(ours, name, "tl", dtype, arrays), _runner(theirs, name, "torch", dtype, arrays),
                 (T, N, D), (S, N, D), dtype=dtype, atol=1e-10, rtol=1e-9)
    _assert_parameter_grads_match(ours, theirs, dtype)


@requires_torch
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_transformer_matches_torch(dtype, batch_first, norm_first):
    ours, theirs = _pair("transformer", dtype, batch_first=batch_first, norm_first=norm_first)
    arrays = {"tgt_mask": CAUSAL, "src_key_padding_mask": SRC_PADDING,
              "memory_key_padding_mask": SRC_PADDING, "tgt_key_padding_mask": TGT_PADDING}
    check_parity(_runner(ours, "transformer", "tl", dtype, arrays),
                 _runner(theirs, "transformer", "torch", dtype, arrays),
                 _layout((S, N, D), batch_first), _layout((T, N, D), batch_first),
                 dtype=dtype, atol=_tolerance(dtype), rtol=_tolerance(dtype))
    _assert_parameter_grads_match(ours, theirs, dtype)


@requires_torch
def test_unbatched_and_callable_activation_match_torch():
    dtype = numpy.float64
    ours, theirs = _pair("encoder layer", dtype)
    ours.activation, theirs.activation = F.silu, torch.nn.functional.silu
    check_parity(ours, theirs, (S, D), dtype=dtype, atol=1e-10, rtol=1e-9)
    _assert_parameter_grads_match(ours, theirs, dtype)
    ours, theirs = _pair("decoder layer", dtype, batch_first=True)
    check_parity(ours, theirs, (T, D), (S, D), dtype=dtype, atol=1e-10, rtol=1e-9)
    _assert_parameter_grads_match(ours, theirs, dtype)


@requires_torch
def test_state_dict_keys_and_initialisation_match_torch():
    ours, theirs = Transformer(D, HEADS, 2, 1, FF), torch.nn.Transformer(D, HEADS, 2, 1, FF)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    # Transformer re-initialises every matrix Xavier-uniform, as torch does.
    weight = Transformer(64, 4, 1, 1, 256).encoder.layers[0].linear1.weight.numpy(force=True)
    bound = math.sqrt(6 / (64 + 256))
    assert weight.max() <= bound and weight.max() > 0.95 * bound


@requires_torch
@pytest.mark.parametrize("layer", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
def test_layer_children_are_registered_in_torch_order(layer):
    # A Module activation is a child: PyTorch registers it last, after the norms and dropouts.
    ours = getattr(tl.nn, layer)(D, HEADS, FF, activation=tl.nn.GELU())
    theirs = getattr(torch.nn, layer)(D, HEADS, FF, activation=torch.nn.GELU())
    assert [name for name, _ in ours.named_children()] == [name for name, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_stacks_deep_copy_the_layer():
    layer = TransformerEncoderLayer(D, HEADS, FF)
    encoder = TransformerEncoder(layer, 3)
    weights = [block.linear1.weight for block in encoder.layers]
    assert len({id(w) for w in weights}) == 3 and all(w is not layer.linear1.weight for w in weights)
    numpy.testing.assert_array_equal(weights[2].numpy(force=True), layer.linear1.weight.numpy(force=True))
    assert "layers.2.self_attn.in_proj_weight" in encoder.state_dict()


def test_gradcheck_layers():
    tl.manual_seed(0)
    encoder_layer = TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=tl.float64)
    mask = tl.tensor(numpy.triu(numpy.full((3, 3), -math.inf), 1))
    check_gradcheck(lambda x: encoder_layer(x, src_mask=mask), (3, 2, 4))
    decoder_layer = TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True, activation="gelu",
                                            dtype=tl.float64)
    check_gradcheck(lambda x, memory: decoder_layer(x, memory, tgt_mask=mask), (3, 2, 4), (2, 2, 4))


@requires_torch
@pytest.mark.parametrize("dtype", [None, tl.float64])
def test_generate_square_subsequent_mask_matches_torch(dtype):
    ours = Transformer.generate_square_subsequent_mask(4, dtype=dtype)
    their_dtype = None if dtype is None else torch.float64
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=their_dtype)
    assert ours.dtype == (tl.float32 if dtype is None else dtype)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    numpy.testing.assert_array_equal(generate_square_subsequent_mask(2).numpy(), [[0, -math.inf], [0, 0]])


def test_is_causal_detection_gives_the_same_result():
    encoder = TransformerEncoder(TransformerEncoderLayer(D, HEADS, FF, dropout=0.0), 2).eval()
    x = tl.randn(S, N, D)
    mask = generate_square_subsequent_mask(S)
    detected = encoder(x, mask=mask).numpy(force=True)
    for hint in (True, False):
        numpy.testing.assert_allclose(encoder(x, mask=mask, is_causal=hint).numpy(force=True), detected,
                                      atol=1e-6)
    # The output at position 0 depends on nothing after it.
    changed = x.numpy().copy()
    changed[1:] += 1.0
    numpy.testing.assert_allclose(encoder(tl.tensor(changed), mask=mask).numpy(force=True)[0], detected[0],
                                  atol=1e-6)


def test_dropout_active_only_in_training():
    layer = TransformerEncoderLayer(D, HEADS, FF, dropout=0.5)
    x = tl.randn(S, N, D)
    first, second = layer(x).numpy(force=True), layer(x).numpy(force=True)
    assert not numpy.allclose(first, second)
    layer.eval()
    numpy.testing.assert_array_equal(layer(x).numpy(force=True), layer(x).numpy(force=True))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_dtype_and_device_are_kept(dtype, device):
    model = Transformer(D, HEADS, 1, 1, FF, batch_first=True, device=device, dtype=dtype)
    src, tgt = tl.randn(N, S, D, dtype=dtype, device=device), tl.randn(N, T, D, dtype=dtype, device=device)
    causal = Transformer.generate_square_subsequent_mask(T, device=device, dtype=dtype)
    output = model(src, tgt, tgt_mask=causal)
    assert output.shape == (N, T, D) and output.dtype == dtype and output.device == device


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        TransformerEncoderLayer(D, HEADS, activation="tanh")
    model = Transformer(D, HEADS, 1, 1, FF)
    with pytest.raises(RuntimeError, match="batch number"):
        model(tl.randn(S, 2, D), tl.randn(T, 3, D))
    with pytest.raises(RuntimeError, match="d_model=8"):
        model(tl.randn(S, 2, 6), tl.randn(T, 2, 6))
