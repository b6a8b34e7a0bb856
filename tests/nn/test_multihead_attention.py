"""Tests for tinygrad_lite/nn/multihead_attention.py: MultiheadAttention.

Parity runs torch.nn.MultiheadAttention and ours on the same weights (loaded through
``load_state_dict``) and compares outputs, attention weights, input gradients (check_parity)
and then every parameter's gradient.
"""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite.nn.multihead_attention import MultiheadAttention

E, HEADS, L, S, N = 8, 2, 3, 5, 2
# torch notes about its own deprecations and fast paths, not about our results
pytestmark = pytest.mark.filterwarnings("ignore:.*(mismatched|enable_nested_tensor).*:UserWarning")
RNG = numpy.random.default_rng(3)
BOOL_ATTN = RNG.random((L, S)) > 0.6
BOOL_ATTN[:, 0] = False  # every query keeps a key (a fully masked row is NaN in torch's weights)
FLOAT_ATTN = RNG.standard_normal((L, S))
MASK_3D = RNG.standard_normal((N * HEADS, L, S))
BOOL_KPM = numpy.zeros((N, S), dtype=bool)
BOOL_KPM[1, 3:] = True
FLOAT_KPM = numpy.where(BOOL_KPM, -math.inf, 0.0)
CAUSAL = numpy.triu(numpy.full((L, L), -math.inf), 1)


def _load_from_torch(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return ours


def _assert_parameter_grads_match(ours, theirs, atol, rtol):
    their_params = dict(theirs.named_parameters())
    for name, mine in ours.named_parameters():
        reference = their_params[name]
        assert mine.grad is not None, f"{name} got no gradient"
        numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=atol, rtol=rtol,
                                      err_msg=f"gradient of {name}")


def _pair(dtype, **options):
    """Our layer and torch's, with identical (randomised, non-zero bias) weights."""
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, HEADS, **options).to(getattr(torch, numpy.dtype(dtype).name))
    with torch.no_grad():
        for parameter in theirs.parameters():
            if parameter.ndim == 1:
                parameter.uniform_(-0.5, 0.5)
    return _load_from_torch(MultiheadAttention(E, HEADS, **options, dtype=dtype), theirs), theirs


def _masks(library, dtype, attn=None, kpm=None):
    def convert(array):
        if array is None:
            return None
        array = array if array.dtype == bool else array.astype(dtype)
        return tl.tensor(array) if library == "tl" else torch.tensor(array)

    return {"attn_mask": convert(attn), "key_padding_mask": convert(kpm)}


def _call(module, library, dtype, self_attention, mask_arrays, **options):
    masks = _masks(library, dtype, **mask_arrays)

    def run(query, *key_value):
        key, value = (query, query) if self_attention else key_value
        output, weights = module(query, key, value, **masks, **options)
        return output if weights is None else (output, weights)

    return run


# name -> (constructor options, forward options, masks, self-attention?, query/key/value shapes)
CASES = {
    "self": ({}, {}, {}, True, [(L, N, E)]),
    "cross": ({}, {}, {}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "batch_first": ({"batch_first": True}, {}, {}, False, [(N, L, E), (N, S, E), (N, S, E)]),
    "unbatched": ({}, {}, {}, False, [(L, E), (S, E), (S, E)]),
    "kdim vdim": ({"kdim": 3, "vdim": 6}, {}, {}, False, [(L, N, E), (S, N, 3), (S, N, 6)]),
    "no bias": ({"bias": False}, {}, {}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "bool attn_mask": ({}, {}, {"attn": BOOL_ATTN}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "float attn_mask": ({}, {}, {"attn": FLOAT_ATTN}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "3-d attn_mask": ({}, {}, {"attn": MASK_3D}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "bool padding": ({}, {}, {"kpm": BOOL_KPM}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "float padding": ({}, {}, {"kpm": FLOAT_KPM}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "bool both": ({"batch_first": True}, {}, {"attn": BOOL_ATTN, "kpm": BOOL_KPM}, False,
                  [(N, L, E), (N, S, E), (N, S, E)]),
    "float + bool": ({}, {}, {"attn": FLOAT_ATTN, "kpm": BOOL_KPM}, False, [(L, N, E), (S, N, E), (S, N, E)]),
    "unbatched padding": ({}, {}, {"kpm": BOOL_KPM[1]}, False, [(L, E), (S, E), (S, E)]),
    "per-head weights": ({}, {"average_attn_weights": False}, {"attn": FLOAT_ATTN}, False,
                         [(L, N, E), (S, N, E), (S, N, E)]),
    "no weights": ({}, {"need_weights": False}, {"attn": BOOL_ATTN, "kpm": BOOL_KPM}, False,
                   [(L, N, E), (S, N, E), (S, N, E)]),
    "causal hint": ({"batch_first": True}, {"need_weights": False, "is_causal": True}, {"attn": CAUSAL},
                    True, [(N, L, E)]),
}


@requires_torch
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_matches_torch_outputs_weights_and_gradients(case, dtype):
    constructor, options, masks, self_attention, shapes = CASES[case]
    ours, theirs = _pair(dtype, **constructor)
    tolerance = 1e-5 if dtype == numpy.float32 else 1e-10
    check_parity(_call(ours, "tl", dtype, self_attention, masks, **options),
                 _call(theirs, "torch", dtype, self_attention, masks, **options),
                 *shapes, dtype=dtype, atol=tolerance, rtol=tolerance)
    _assert_parameter_grads_match(ours, theirs, atol=tolerance, rtol=tolerance)


@requires_torch
def test_parameter_names_order_and_init_match_torch():
    for options in ({}, {"kdim": 3, "vdim": 6}, {"bias": False}):
        ours = MultiheadAttention(E, HEADS, **options)
        theirs = torch.nn.MultiheadAttention(E, HEADS, **options)
        assert [(k, tuple(v.shape)) for k, v in ours.named_parameters()] == \
               [(k, tuple(v.shape)) for k, v in theirs.named_parameters()]
    layer = MultiheadAttention(64, 4)
    bound = math.sqrt(6.0 / (64 + 3 * 64))  # xavier_uniform_ on the stacked (3E, E) weight
    weight = layer.in_proj_weight.numpy(force=True)
    assert weight.max() <= bound and weight.min() >= -bound and weight.max() > 0.95 * bound
    assert not layer.in_proj_bias.numpy(force=True).any() and not layer.out_proj.bias.numpy(force=True).any()
    out_bound = 1 / math.sqrt(64)  # out_proj keeps Linear's default init
    out_weight = layer.out_proj.weight.numpy(force=True)
    assert out_weight.max() <= out_bound and out_weight.max() > 0.9 * out_bound


@pytest.mark.parametrize("options", [{}, {"kdim": 3, "vdim": 6}], ids=["packed", "separate"])
def test_gradcheck(options):
    layer = MultiheadAttention(4, 2, **options, dtype=tl.float64)
    kdim, vdim = options.get("kdim", 4), options.get("vdim", 4)
    mask = tl.tensor(BOOL_ATTN[:2, :3])
    check_gradcheck(lambda q, k, v: layer(q, k, v, attn_mask=mask)[0], (2, 2, 4), (3, 2, kdim), (3, 2, vdim))
    check_gradcheck(lambda q, k, v: layer(q, k, v, need_weights=False)[0],
                    (2, 2, 4), (3, 2, kdim), (3, 2, vdim))


@requires_torch
def test_fully_masked_query_gives_zero_attention_like_torch_sdpa_path():
    ours, theirs = _pair(numpy.float64)
    mask = numpy.zeros((L, L), dtype=bool)
    mask[1] = True  # query 1 may attend to nothing
    x = RNG.standard_normal((L, N, E))
    mine = ours(tl.tensor(x), tl.tensor(x), tl.tensor(x), attn_mask=tl.tensor(mask), need_weights=False)[0]
    reference = theirs(torch.tensor(x), torch.tensor(x), torch.tensor(x), attn_mask=torch.tensor(mask),
                       need_weights=False)[0]
    numpy.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), atol=1e-12,
                                  rtol=1e-10)
    # With weights requested torch returns NaN there; we return zero weights (README difference).
    output, weights = ours(tl.tensor(x), tl.tensor(x), tl.tensor(x), attn_mask=tl.tensor(mask))
    assert not weights.numpy(force=True)[:, 1].any() and numpy.isfinite(output.numpy(force=True)).all()
    out_bias = ours.out_proj.bias.numpy(force=True)
    numpy.testing.assert_allclose(output.numpy(force=True)[1], numpy.broadcast_to(out_bias, (N, E)),
                                  rtol=1e-10)


def test_padding_mask_excludes_padded_keys_exactly():
    layer = MultiheadAttention(E, HEADS, dtype=tl.float64)
    query, key = tl.randn(L, 1, E, dtype=tl.float64), tl.randn(S, 1, E, dtype=tl.float64)
    padding = tl.tensor([[False, False, False, True, True]])
    garbage = key.detach().numpy().copy()
    garbage[3:] = 1e3 * RNG.standard_normal((2, 1, E))
    padded, weights = layer(query, tl.tensor(garbage), tl.tensor(garbage), key_padding_mask=padding)
    trimmed, _ = layer(query, key[:3], key[:3])
    numpy.testing.assert_allclose(padded.numpy(force=True), trimmed.numpy(force=True), atol=1e-12,
                                  rtol=1e-10)
    assert not weights.numpy(force=True)[..., 3:].any()


def test_dropout_only_in_training():
    layer = MultiheadAttention(E, HEADS, dropout=0.5)
    x = tl.randn(L, N, E)
    dropped = layer(x, x, x, average_attn_weights=False)[1].numpy(force=True)
    layer.eval()
    evaluated = layer(x, x, x, average_attn_weights=False)[1].numpy(force=True)
    numpy.testing.assert_allclose(evaluated.sum(-1), 1.0, rtol=1e-6)
    kept = dropped != 0
    assert 0.2 < kept.mean() < 0.8  # about half the weights dropped, the rest scaled by 1 / (1 - p)
    numpy.testing.assert_allclose(dropped[kept], 2 * evaluated[kept], rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_output_dtype_and_device_follow_the_input(dtype, device):
    layer = MultiheadAttention(E, HEADS, batch_first=True, dtype=dtype, device=device)
    x = tl.randn(N, L, E, dtype=dtype, device=device)
    output, weights = layer(x, x, x, key_padding_mask=tl.tensor(BOOL_KPM[:, :L], device=device))
    assert output.dtype == dtype and weights.dtype == dtype and output.device == device
    assert output.shape == (N, L, E) and weights.shape == (N, L, L)
    assert layer(x, x, x, average_attn_weights=False)[1].shape == (N, HEADS, L, L)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="divisible"):
        MultiheadAttention(6, 4)
    with pytest.raises(NotImplementedError, match="add_bias_kv"):
        MultiheadAttention(E, HEADS, add_bias_kv=True)
    with pytest.raises(NotImplementedError, match="add_zero_attn"):
        MultiheadAttention(E, HEADS, add_zero_attn=True)
    layer = MultiheadAttention(E, HEADS)
    x = tl.randn(L, N, E)
    with pytest.raises(ValueError, match=r"\[3, 2, 5\].*embed_dim=8"):
        layer(tl.randn(L, N, 5), x, x)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \[3, 4\] should be \[3, 3\]"):
        layer(x, x, x, attn_mask=tl.zeros(L, 4))
    with pytest.raises(RuntimeError, match=r"key_padding_mask of shape \[3, 3\] should be \[2, 3\]"):
        layer(x, x, x, key_padding_mask=tl.zeros(3, 3, dtype=tl.bool))
    with pytest.raises(RuntimeError, match="float64"):
        layer(x, x, x, attn_mask=tl.zeros(L, L, dtype=tl.float64))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        layer(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="batch sizes"):
        layer(x, tl.randn(S, 3, E), tl.randn(S, 3, E))
