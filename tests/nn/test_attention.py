"""Tests for tinygrad_lite/nn/functional/attention.py: scaled_dot_product_attention."""
import math

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_cuda, requires_torch, torch
from tinygrad_lite.nn.functional.attention import _causal_bias

if torch is not None:
    import torch.nn.functional as torch_F

RNG = numpy.random.default_rng(11)
BOOL_MASK = RNG.random((3, 5)) > 0.3
BOOL_MASK[:, 0] = True  # every query keeps at least one key
BOOL_MASK_4D = RNG.random((2, 1, 3, 5)) > 0.4
BOOL_MASK_4D[..., 1] = True
PADDING_MASK = numpy.ones((2, 1, 1, 5), dtype=bool)  # key padding: batch 1 has 3 real keys
PADDING_MASK[1, ..., 3:] = False
FLOAT_MASK = RNG.standard_normal((2, 1, 3, 5))
INF_MASK = numpy.where(BOOL_MASK, RNG.standard_normal((3, 5)), -math.inf)


def _sdpa(**options):
    """A function of (q, k, v[, mask]) for either library; masks arrive as arrays per library."""
    def run(query, key, value, *mask):
        is_ours = isinstance(query, tl.Tensor)
        library = F if is_ours else torch_F
        extra = dict(options)
        if "mask" in extra:
            array = extra.pop("mask")
            extra["attn_mask"] = tl.tensor(array) if is_ours else torch.tensor(array)
        if mask:
            extra["attn_mask"] = mask[0]
        return library.scaled_dot_product_attention(query, key, value, **extra)

    return run


def _as_dtype(options, dtype):
    """Float masks follow the dtype under test (bool masks stay bool)."""
    mask = options.get("mask")
    if mask is not None and mask.dtype != bool:
        options = dict(options, mask=mask.astype(dtype))
    return options


# name -> (options, shapes of query, key, value)
CASES = {
    "plain": ({}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "2-d": ({}, (3, 4), (5, 4), (5, 2)),
    "heads": ({}, (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "broadcast batch": ({}, (2, 3, 4), (1, 5, 4), (1, 5, 6)),
    "scale": ({"scale": 0.3}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "dropout 0": ({"dropout_p": 0.0}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "causal": ({"is_causal": True}, (2, 4, 4), (2, 4, 4), (2, 4, 3)),
    "causal L < S": ({"is_causal": True}, (2, 3, 4), (2, 5, 4), (2, 5, 3)),
    "causal L > S": ({"is_causal": True}, (2, 5, 4), (2, 3, 4), (2, 3, 3)),
    "causal scale": ({"is_causal": True, "scale": 2.0}, (2, 4, 4), (2, 4, 4), (2, 4, 3)),
    "bool mask (L, S)": ({"mask": BOOL_MASK}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "bool mask (N, 1, L, S)": ({"mask": BOOL_MASK_4D}, (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "key padding (N, 1, 1, S)": ({"mask": PADDING_MASK}, (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "float mask": ({"mask": FLOAT_MASK}, (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "float mask with -inf": ({"mask": INF_MASK, "scale": 0.5}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "gqa": ({"enable_gqa": True}, (2, 6, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "gqa causal": ({"enable_gqa": True, "is_causal": True}, (1, 4, 3, 4), (1, 2, 3, 4), (1, 2, 3, 2)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gradcheck(case):
    options, *shapes = CASES[case]
    check_gradcheck(_sdpa(**_as_dtype(options, numpy.float64)), *shapes)


@requires_torch
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_parity(case, dtype):
    options, *shapes = CASES[case]
    check_parity(_sdpa(**_as_dtype(options, dtype)), _sdpa(**_as_dtype(options, dtype)), *shapes,
                 dtype=dtype)


@requires_torch
@pytest.mark.parametrize("mask_shape", [(3, 5), (2, 1, 5)])
def test_float_mask_gets_a_gradient(mask_shape):
    # A float mask that requires grad is an input like q/k/v: its gradient must match torch's.
    check_parity(_sdpa(), _sdpa(), (2, 3, 4), (2, 5, 4), (2, 5, 6), mask_shape)
    check_gradcheck(_sdpa(scale=0.7), (2, 3, 4), (2, 5, 4), (2, 5, 6), mask_shape)


def test_second_derivatives():
    # The fused masked softmax's backward is made of Tensor ops, so double backward works.
    query, key, value = (tl.tensor(RNG.standard_normal(shape), requires_grad=True)
                         for shape in ((1, 3, 4), (1, 4, 4), (1, 4, 2)))
    mask = tl.tensor(BOOL_MASK[:, :4])
    assert tl.autograd.gradgradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.8),
        (query, key, value))


@requires_torch
@pytest.mark.parametrize("kind", ["bool", "float -inf"])
def test_fully_masked_rows_give_zeros_like_torch(kind):
    mask = numpy.ones((3, 5), dtype=bool)
    mask[1] = False
    if kind == "float -inf":
        mask = numpy.where(mask, 0.0, -math.inf).astype(numpy.float32)
    check_parity(_sdpa(mask=mask), _sdpa(mask=mask), (2, 3, 4), (2, 5, 4), (2, 5, 6))
    query = tl.randn(2, 3, 4, requires_grad=True)
    out = _sdpa(mask=mask)(query, tl.randn(2, 5, 4), tl.randn(2, 5, 6))
    assert not out.numpy(force=True)[:, 1].any()
    out.sum().backward()
    assert numpy.isfinite(query.grad.numpy()).all() and not query.grad.numpy()[:, 1].any()


def test_padded_keys_are_excluded_exactly():
    # Keys masked off contribute nothing: the result equals attention over the real keys only,
    # whatever (even huge) values the padded positions hold.
    query, key, value = tl.randn(1, 3, 4), tl.randn(1, 5, 4), tl.randn(1, 5, 2)
    key.data[:, 3:] = 1e4
    value.data[:, 3:] = 1e6
    mask = tl.tensor(numpy.array([True, True, True, False, False]))
    padded = F.scaled_dot_product_attention(query, key, value, attn_mask=mask).numpy()
    alone = F.scaled_dot_product_attention(query, key[:, :3], value[:, :3]).numpy()
    numpy.testing.assert_allclose(padded, alone, rtol=1e-6, atol=1e-7)


def test_hand_computed_values():
    # Two keys with scores 0 and ln(3)/scale: weights 1/4 and 3/4.
    query = tl.tensor([[[1.0, 0.0]]])
    key = tl.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]]])
    value = tl.tensor([[[4.0], [8.0]]])
    out = F.scaled_dot_product_attention(query, key, value, scale=1.0)
    numpy.testing.assert_allclose(out.numpy(), [[[7.0]]], rtol=1e-6)
    causal = F.scaled_dot_product_attention(query, key, value, scale=1.0, is_causal=True)
    numpy.testing.assert_allclose(causal.numpy(), [[[4.0]]], rtol=1e-6)


def test_causal_is_top_left_aligned():
    # Query 0 may only see key 0, so its output is exactly value row 0 (even when S > L).
    value = tl.randn(1, 5, 3)
    out = F.scaled_dot_product_attention(tl.randn(1, 3, 4), tl.randn(1, 5, 4), value, is_causal=True)
    numpy.testing.assert_allclose(out.numpy()[0, 0], value.numpy()[0, 0], rtol=1e-6)


def test_causal_mask_is_built_once_per_size():
    first = _causal_bias(7, 9, tl.device("cpu"), numpy.dtype(numpy.float32))
    assert _causal_bias(7, 9, tl.device("cpu"), numpy.dtype(numpy.float32)) is first
    expected = numpy.where(numpy.tril(numpy.ones((7, 9), dtype=bool)), 0.0, -math.inf)
    numpy.testing.assert_array_equal(first, expected)
    assert first.dtype == numpy.float32


@requires_torch
def test_no_keys_gives_zeros_like_torch():
    check_parity(_sdpa(), _sdpa(), (2, 3, 4), (2, 0, 4), (2, 0, 6))


@requires_torch
@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"scale": 2.0}], ids=str)
def test_no_features_gives_uniform_weights_like_torch(options):
    # Embedding size E = 0 raised ZeroDivisionError (1 / sqrt(0)); the scores are empty sums.
    check_parity(_sdpa(**options), _sdpa(**options), (2, 3, 0), (2, 4, 0), (2, 4, 2))


def _weights_through_identity_values(dropout_p, batch=64, length=64):
    """Equal scores and value = identity, so the output *is* the (dropped) weight matrix."""
    query, key = tl.zeros(batch, length, 8), tl.zeros(batch, length, 8)
    value = tl.eye(length).expand(batch, length, length)
    return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p).numpy()


@pytest.mark.parametrize("dropout_p", [0.2, 0.5])
def test_dropout_statistics(dropout_p):
    weights = _weights_through_identity_values(dropout_p)
    kept = weights != 0
    # 262144 Bernoulli draws: the zero fraction is p to within ~5 standard deviations.
    assert abs(float(1.0 - kept.mean()) - dropout_p) < 0.005
    numpy.testing.assert_allclose(weights[kept], 1.0 / 64 / (1.0 - dropout_p), rtol=1e-6)
    assert abs(float(weights.sum(-1).mean()) - 1.0) < 0.01  # expected value preserved


def test_dropout_is_seeded():
    query, key, value = tl.randn(2, 4, 8), tl.randn(2, 6, 8), tl.randn(2, 6, 3)
    tl.manual_seed(3)
    first = F.scaled_dot_product_attention(query, key, value, dropout_p=0.5).numpy()
    tl.manual_seed(3)
    second = F.scaled_dot_product_attention(query, key, value, dropout_p=0.5).numpy()
    numpy.testing.assert_array_equal(first, second)
    plain = F.scaled_dot_product_attention(query, key, value).numpy()
    assert not numpy.allclose(first, plain)
    numpy.testing.assert_array_equal(_weights_through_identity_values(1.0, 2, 4), 0.0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("mask_kind", ["none", "bool", "float32", "causal"])
def test_dtype_and_device_preserved(device, dtype, mask_kind):
    query, key = tl.randn(2, 3, 4, device=device).to(dtype), tl.randn(2, 5, 4, device=device).to(dtype)
    options = {}
    if mask_kind == "bool":
        options["attn_mask"] = tl.tensor(BOOL_MASK, device=device)
    elif mask_kind == "float32":  # a float32 mask is accepted for any query dtype, like PyTorch
        options["attn_mask"] = tl.tensor(FLOAT_MASK[0, 0].astype(numpy.float32), device=device)
    elif mask_kind == "causal":
        options["is_causal"] = True
    out = F.scaled_dot_product_attention(query, key, key, **options)
    assert out.dtype == dtype and out.device == query.device and out.shape == (2, 3, 4)


def test_float16_query_with_float32_mask_stays_float16():
    query = tl.randn(2, 3, 4).half()
    out = F.scaled_dot_product_attention(query, query, query, attn_mask=tl.zeros(3, 3))
    assert out.dtype == tl.float16


@pytest.mark.parametrize("call, message", [
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.ones(3, 3, dtype=tl.bool),
                                              is_causal=True), "is_causal"),
    (lambda q: F.scaled_dot_product_attention(q, q.double(), q), "share one floating dtype"),
    (lambda q: F.scaled_dot_product_attention(q.long(), q.long(), q.long()), "share one floating dtype"),
    (lambda q: F.scaled_dot_product_attention(q, tl.randn(2, 3, 5), q), "do not fit"),
    (lambda q: F.scaled_dot_product_attention(q, q, tl.randn(2, 4, 4)), "do not fit"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(3, 3, dtype=tl.float64)),
     r"tl.bool, tl.float32 or to match the query dtype tl.float32, got tl.float64"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(3, 3, dtype=tl.int64)),
     "got tl.int64"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(4, 3, 3)),
     r"shape \[4, 3, 3\] does not broadcast to the attention scores of shape \[2, 3, 3\]"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(3, 4)), "does not broadcast"),
    (lambda q: F.scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0]), "at least 2-D"),
    (lambda q: F.scaled_dot_product_attention(q, tl.randn(3, 3, 4), tl.randn(3, 3, 4)),
     r"leading .* dims of query \[2, 3, 4\], key \[3, 3, 4\]"),
    (lambda q: F.scaled_dot_product_attention(tl.randn(1, 4, 3, 4), tl.randn(1, 2, 3, 4),
                                              tl.randn(1, 2, 3, 4)), "enable_gqa"),
    (lambda q: F.scaled_dot_product_attention(tl.randn(1, 3, 3, 4), tl.randn(1, 2, 3, 4),
                                              tl.randn(1, 2, 3, 4), enable_gqa=True), "must divide"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, dropout_p=1.5), "between 0 and 1, but got 1.5"),
])
def test_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(tl.randn(2, 3, 4))


def test_mask_must_be_a_tensor():
    query = tl.randn(2, 3, 4)
    with pytest.raises(TypeError, match="attn_mask must be a Tensor"):
        F.scaled_dot_product_attention(query, query, query, attn_mask=BOOL_MASK[:, :3])


@requires_cuda
@pytest.mark.cuda
def test_mask_on_another_device_raises():
    query = tl.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="attn_mask is on cuda:0 but query is on cpu"):
        F.scaled_dot_product_attention(query, query, query,
                                       attn_mask=tl.ones(3, 3, dtype=tl.bool, device="cuda"))
