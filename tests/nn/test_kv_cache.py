"""Tests for tinygrad_lite/nn/kv_cache.py and the ``kv_cache=`` argument of the attention layers.

The central property: decoding token by token (or block by block) with a cache gives the same
outputs as re-running the model on the whole sequence with the causal mask.
"""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn.kv_cache import KVCache
from tinygrad_lite.nn.multihead_attention import MultiheadAttention
from tinygrad_lite.nn.positional_encoding import SinusoidalPositionalEncoding
from tinygrad_lite.nn.transformer import (TransformerDecoder, TransformerEncoder,
                                          generate_square_subsequent_mask)
from tinygrad_lite.nn.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer

D, HEADS, FF, N, LENGTH, MEMORY = 8, 2, 16, 2, 7, 5
TOLERANCE = {tl.float32: 1e-5, tl.float64: 1e-10}
BLOCKS = [3, 1, 2, 1]  # a prompt, then single tokens and a block of two


def _time_slices(batch_first):
    start = 0
    for size in BLOCKS:
        yield (slice(None), slice(start, start + size)) if batch_first else (slice(start, start + size),)
        start += size


def _decode(step, x, batch_first):
    """Run ``step`` on successive blocks of ``x`` and join the outputs along time."""
    outputs = [step(x[index]) for index in _time_slices(batch_first)]
    return tl.cat(outputs, 1 if batch_first else 0)


def _sequence(batch_first, dtype, length=LENGTH, device="cpu"):
    shape = (N, length, D) if batch_first else (length, N, D)
    return tl.randn(*shape, dtype=dtype, device=device)


# ----- the cache object ---------------------------------------------------------------------------
def test_append_grows_past_capacity_and_keeps_earlier_views():
    cache = KVCache()
    keys = tl.randn(1, 2, 40, 3)
    values = tl.randn(1, 2, 40, 5)
    first_key, _ = cache.append(keys[:, :, :1], values[:, :, :1])
    first_snapshot = first_key.numpy().copy()
    for t in range(1, 40):
        key, value = cache.append(keys[:, :, t:t + 1], values[:, :, t:t + 1])
    assert cache.length == len(cache) == 40 and key.shape == (1, 2, 40, 3) and value.shape == (1, 2, 40, 5)
    numpy.testing.assert_array_equal(key.numpy(), keys.numpy())
    numpy.testing.assert_array_equal(value.numpy(), values.numpy())
    numpy.testing.assert_array_equal(first_key.numpy(), first_snapshot)


def test_static_entries_children_and_reset():
    cache = KVCache()
    layer = cache.child(0)
    memory = layer.child("multihead_attn", static=True)
    memory.set_static(tl.randn(1, 2, 5, 3), tl.randn(1, 2, 5, 3))
    layer.child("self_attn").append(tl.randn(1, 2, 4, 3), tl.randn(1, 2, 4, 3))
    assert cache.length == 4  # the memory length does not count as decoding progress
    assert cache.child(0) is layer and not cache.is_empty()
    with pytest.raises(RuntimeError, match="static"):
        memory.append(tl.randn(1, 2, 1, 3), tl.randn(1, 2, 1, 3))
    with pytest.raises(ValueError, match="static=True"):
        layer.child("multihead_attn")
    cache.reset()
    assert cache.length == 0 and cache.is_empty() and memory.key is None


def test_mismatched_blocks_raise():
    cache = KVCache()
    cache.append(tl.randn(1, 2, 3, 4), tl.randn(1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"\[1, 3, 1, 4\].*\[1, 2, 3, 4\]"):
        cache.append(tl.randn(1, 3, 1, 4), tl.randn(1, 3, 1, 4))
    with pytest.raises(ValueError, match="4-D"):
        cache.append(tl.randn(2, 1, 4), tl.randn(2, 1, 4))


def test_gradients_flow_through_the_cache_when_recording():
    cache = KVCache()
    first, second = tl.randn(1, 1, 2, 3, requires_grad=True), tl.randn(1, 1, 1, 3, requires_grad=True)
    cache.append(first, first * 2.0)
    key, value = cache.append(second, second * 2.0)
    (key.sum() + value.sum()).backward()
    numpy.testing.assert_allclose(first.grad.numpy(), 3.0)
    numpy.testing.assert_allclose(second.grad.numpy(), 3.0)


# ----- MultiheadAttention ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("batch_first", [False, True])
def test_attention_cache_matches_causal_recomputation(dtype, batch_first):
    layer = MultiheadAttention(D, HEADS, batch_first=batch_first, dtype=dtype)
    x = _sequence(batch_first, dtype)
    causal = generate_square_subsequent_mask(LENGTH, dtype=dtype)
    full = layer(x, x, x, attn_mask=causal, need_weights=False)[0]
    for need_weights in (False, True):
        cache = KVCache()
        with tl.no_grad():
            cached = _decode(lambda block: layer(block, block, block, need_weights=need_weights,
                                                 kv_cache=cache)[0], x, batch_first)
        numpy.testing.assert_allclose(cached.numpy(), full.detach().numpy(), atol=TOLERANCE[dtype], rtol=0)
        assert cache.key.shape == (N, HEADS, LENGTH, D // HEADS)


def test_attention_cache_honours_a_padding_mask_over_all_keys():
    layer = MultiheadAttention(D, HEADS, dtype=tl.float64)
    x = _sequence(False, tl.float64)
    padding = numpy.zeros((N, LENGTH), dtype=bool)
    padding[1, 1] = True  # a masked-out early token of sequence 1
    full = layer(x, x, x, attn_mask=generate_square_subsequent_mask(LENGTH, dtype=tl.float64),
                 key_padding_mask=tl.tensor(padding))[0]
    cache = KVCache()
    outputs, start = [], 0
    for size in BLOCKS:
        block = x[start:start + size]
        start += size
        outputs.append(layer(block, block, block, key_padding_mask=tl.tensor(padding[:, :start]),
                             kv_cache=cache)[0])
    numpy.testing.assert_allclose(tl.cat(outputs).detach().numpy(), full.detach().numpy(),
                                  atol=1e-10, rtol=1e-10)


def test_static_cache_projects_memory_once(monkeypatch):
    layer = MultiheadAttention(D, HEADS, dtype=tl.float64)
    query, memory = _sequence(False, tl.float64), _sequence(False, tl.float64, length=MEMORY)
    full = layer(query, memory, memory)[0]
    rows = _count_projected_rows(monkeypatch)
    cache = KVCache(static=True)
    first = layer(query[:3], memory, memory, kv_cache=cache)[0]
    rest = layer(query[3:], None, None, kv_cache=cache)[0]  # key/value no longer needed
    numpy.testing.assert_allclose(tl.cat([first, rest]).detach().numpy(), full.detach().numpy(),
                                  atol=1e-10, rtol=1e-10)
    # call 1: q (3 rows), k and v (5 rows each), out (3 rows); call 2: q (4 rows) and out only.
    assert rows == [3 * N, MEMORY * N, MEMORY * N, 3 * N, 4 * N, 4 * N]


def _count_projected_rows(monkeypatch):
    """Record how many rows (tokens x batch) each F.linear call projects from now on."""
    rows, linear = [], F.linear

    def counting(input, weight, bias=None):
        rows.append(input.numel() // input.shape[-1])
        return linear(input, weight, bias)

    monkeypatch.setattr(F, "linear", counting)
    return rows


def test_a_cached_step_projects_only_the_new_token(monkeypatch):
    encoder = TransformerEncoder(TransformerEncoderLayer(D, HEADS, FF, dropout=0.0), 2).eval()
    x = _sequence(False, tl.float32)
    cache = KVCache()
    with tl.no_grad():
        encoder(x[:6], kv_cache=cache)
        rows = _count_projected_rows(monkeypatch)
        encoder(x[6:], kv_cache=cache)
    # per layer: the packed q/k/v projection, out_proj, linear1, linear2, each over the new
    # token of the N sequences only (a full recomputation would project 7 * N rows each)
    assert rows == [N] * 8 and cache.length == LENGTH


def test_cache_rejects_a_mask_that_does_not_cover_the_cached_keys():
    layer = MultiheadAttention(D, HEADS)
    x = _sequence(False, tl.float32)
    cache = KVCache()
    layer(x[:3], x[:3], x[:3], kv_cache=cache)
    with pytest.raises(RuntimeError, match=r"should be \[1, 4\].*cached keys"):
        layer(x[3:4], x[3:4], x[3:4], attn_mask=tl.zeros(1, 1), kv_cache=cache)
    with pytest.raises(TypeError, match="KVCache"):
        layer(x, x, x, kv_cache=[])


# ----- layers and stacks -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_only_stack_matches_full_recomputation(dtype, batch_first, norm_first):
    layer = TransformerEncoderLayer(D, HEADS, FF, batch_first=batch_first, norm_first=norm_first, dtype=dtype)
    encoder = TransformerEncoder(layer, 2, tl.nn.LayerNorm(D, dtype=dtype)).eval()
    x = _sequence(batch_first, dtype)
    full = encoder(x, mask=generate_square_subsequent_mask(LENGTH, dtype=dtype))
    cache = KVCache()
    with tl.no_grad():
        cached = _decode(lambda block: encoder(block, kv_cache=cache), x, batch_first)
    numpy.testing.assert_allclose(cached.numpy(), full.detach().numpy(), atol=TOLERANCE[dtype], rtol=0)


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_with_memory_matches_full_recomputation(dtype, batch_first, norm_first):
    layer = TransformerDecoderLayer(D, HEADS, FF, batch_first=batch_first, norm_first=norm_first, dtype=dtype)
    decoder = TransformerDecoder(layer, 2, tl.nn.LayerNorm(D, dtype=dtype)).eval()
    x, memory = _sequence(batch_first, dtype), _sequence(batch_first, dtype, length=MEMORY)
    padding = numpy.zeros((N, MEMORY), dtype=bool)
    padding[0, -2:] = True
    masks = {"memory_key_padding_mask": tl.tensor(padding)}
    full = decoder(x, memory, tgt_mask=generate_square_subsequent_mask(LENGTH, dtype=dtype), **masks)
    cache = KVCache()
    with tl.no_grad():
        cached = _decode(lambda block: decoder(block, memory, kv_cache=cache, **masks), x, batch_first)
    numpy.testing.assert_allclose(cached.numpy(), full.detach().numpy(), atol=TOLERANCE[dtype], rtol=0)
    assert cache.child(1).child("multihead_attn", static=True).key.shape == (N, HEADS, MEMORY, D // HEADS)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_language_model_logits_match_with_positions_from_the_cache(dtype, device):
    embedding = tl.nn.Embedding(11, D, dtype=dtype, device=device)
    positions = SinusoidalPositionalEncoding(D, max_len=32, batch_first=True, dtype=dtype, device=device)
    layer = TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True, dtype=dtype, device=device)
    blocks = TransformerEncoder(layer, 2)
    head = tl.nn.Linear(D, 11, dtype=dtype, device=device)

    def logits(ids, **options):
        offset = options["kv_cache"].length if "kv_cache" in options else 0
        return head(blocks(positions(embedding(ids), offset=offset), **options))

    ids = tl.tensor(numpy.random.default_rng(0).integers(0, 11, (N, LENGTH)), device=device)
    full = logits(ids, mask=generate_square_subsequent_mask(LENGTH, dtype=dtype, device=device))
    cache = KVCache()
    with tl.no_grad():
        cached = _decode(lambda block: logits(block, kv_cache=cache), ids, batch_first=True)
    assert cached.dtype == dtype and cached.device == device
    numpy.testing.assert_allclose(cached.numpy(force=True), full.numpy(force=True), atol=TOLERANCE[dtype],
                                  rtol=0)


def test_gradients_through_cached_decoding_match_full_recomputation():
    encoder = TransformerEncoder(TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, dtype=tl.float64), 2)
    x = _sequence(False, tl.float64)
    encoder(x, mask=generate_square_subsequent_mask(LENGTH, dtype=tl.float64)).sum().backward()
    expected = {name: p.grad.numpy().copy() for name, p in encoder.named_parameters()}
    encoder.zero_grad()
    cache = KVCache()
    _decode(lambda block: encoder(block, kv_cache=cache), x, batch_first=False).sum().backward()
    for name, parameter in encoder.named_parameters():
        numpy.testing.assert_allclose(parameter.grad.numpy(), expected[name], atol=1e-10,
                                      rtol=1e-10, err_msg=name)


def test_reorder_cache_selects_batch_rows_in_every_entry_and_appends_continue():
    cache = tl.nn.KVCache()
    layer = cache.child(0)
    keys = tl.arange(3 * 2 * 2 * 1, dtype=tl.float32).reshape(3, 2, 2, 1)
    with tl.no_grad():
        layer.append(keys, keys * 10)
        cache.reorder_cache([2, 2, 0])
        assert layer.key[:, 0, :, 0].tolist() == [[8.0, 9.0], [8.0, 9.0], [0.0, 1.0]]
        assert layer.value[0, 0, 0, 0].item() == 80.0
        layer.append(keys[:, :, :1], keys[:, :, :1])
    assert layer.key.shape == (3, 2, 3, 1) and cache.length == 3
