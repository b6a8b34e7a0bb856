"""Tests for tinygrad_lite/nn/functional/attention.py: scaled_dot_product_attention."""
import math

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F

RNG = numpy.random.default_rng(11)
BOOL_MASK = RNG.random((3, 5)) > 0.3
BOOL_MASK[:, 0] = True  # every query keeps at least one key
FLOAT_MASK = RNG.standard_normal((2, 1, 3, 5))


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


# name -> (options, shapes of query, key, value)
CASES = {
    "plain": ({}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "2-d": ({}, (3, 4), (5, 4), (5, 2)),
    "heads": ({}, (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "broadcast batch": ({}, (2, 3, 4), (1, 5, 4), (1, 5, 6)),
    "scale": ({"scale": 0.3}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "causal": ({"is_causal": True}, (2, 4, 4), (2, 4, 4), (2, 4, 3)),
    "causal L < S": ({"is_causal": True}, (2, 3, 4), (2, 5, 4), (2, 5, 3)),
    "causal L > S": ({"is_causal": True}, (2, 5, 4), (2, 3, 4), (2, 3, 3)),
    "bool mask": ({"mask": BOOL_MASK}, (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    "float mask": ({"mask": FLOAT_MASK}, (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    "gqa": ({"enable_gqa": True}, (2, 6, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gradcheck(case):
    options, *shapes = CASES[case]
    if "mask" in options and options["mask"].dtype != bool:
        options = dict(options, mask=options["mask"].astype(numpy.float64))
    check_gradcheck(_sdpa(**options), *shapes)


@requires_torch
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_parity(case, dtype):
    options, *shapes = CASES[case]
    if "mask" in options and options["mask"].dtype != bool:
        options = dict(options, mask=options["mask"].astype(dtype))
    check_parity(_sdpa(**options), _sdpa(**options), *shapes, dtype=dtype, atol=1e-5, rtol=1e-4)


@requires_torch
def test_float_mask_gets_a_gradient():
    # A float mask that requires grad is an input like q/k/v: its gradient must match torch's.
    check_parity(_sdpa(), _sdpa(), (2, 3, 4), (2, 5, 4), (2, 5, 6), (3, 5), atol=1e-5, rtol=1e-4)


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


def test_causal_is_top_left_aligned():
    # Query 0 may only see key 0, so its output is exactly value row 0 (even when S > L).
    value = tl.randn(1, 5, 3)
    out = F.scaled_dot_product_attention(tl.randn(1, 3, 4), tl.randn(1, 5, 4), value, is_causal=True)
    numpy.testing.assert_allclose(out.numpy()[0, 0], value.numpy()[0, 0], rtol=1e-6)


def test_dropout_is_seeded_and_scaled():
    query, key, value = tl.randn(2, 4, 8), tl.randn(2, 6, 8), tl.ones(2, 6, 1)
    tl.manual_seed(3)
    first = F.scaled_dot_product_attention(query, key, value, dropout_p=0.5).numpy()
    tl.manual_seed(3)
    second = F.scaled_dot_product_attention(query, key, value, dropout_p=0.5).numpy()
    numpy.testing.assert_array_equal(first, second)
    plain = F.scaled_dot_product_attention(query, key, value).numpy()
    numpy.testing.assert_allclose(plain, 1.0, rtol=1e-6)  # weights sum to one
    assert not numpy.allclose(first, plain)
    # Dropout of weights summing to 1 with scale 2 keeps the output mean close to 1.
    big = F.scaled_dot_product_attention(tl.zeros(64, 64, 8), tl.zeros(64, 64, 8), tl.ones(64, 64, 1),
                                         dropout_p=0.5).numpy()
    assert abs(float(big.mean()) - 1.0) < 0.02


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_dtype_and_device_preserved(device, dtype):
    query, key = tl.randn(2, 3, 4, device=device).to(dtype), tl.randn(2, 5, 4, device=device).to(dtype)
    mask = tl.tensor(BOOL_MASK, device=device)
    out = F.scaled_dot_product_attention(query, key, key, attn_mask=mask)
    assert out.dtype == dtype and out.device == query.device and out.shape == (2, 3, 4)


@pytest.mark.parametrize("call, message", [
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.ones(3, 3, dtype=tl.bool),
                                              is_causal=True), "is_causal"),
    (lambda q: F.scaled_dot_product_attention(q, q.double(), q), "same floating dtype|share one"),
    (lambda q: F.scaled_dot_product_attention(q, tl.randn(2, 3, 5), q), "do not fit"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(3, 3, dtype=tl.float64)),
     "bool or to match"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=tl.zeros(4, 3, 3)), "does not broadcast"),
    (lambda q: F.scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0]), "at least 2-D"),
    (lambda q: F.scaled_dot_product_attention(tl.randn(1, 3, 3, 4), tl.randn(1, 2, 3, 4),
                                              tl.randn(1, 2, 3, 4), enable_gqa=True), "must divide"),
])
def test_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(tl.randn(2, 3, 4))
