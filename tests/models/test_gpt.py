"""models/gpt.py: shapes, weight tying, causality, the KV cache, float64 gradients and PyTorch parity."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from helpers import requires_torch
from language_model_parity import assert_same_training, token_batches
from benchmarks.torch_gpt import torch_gpt
from models.gpt import GPT


def tiny_gpt(dropout=0.0, bias=True, n_layer=2):
    return GPT(vocab_size=11, block_size=8, n_layer=n_layer, n_head=2, n_embd=8, dropout=dropout, bias=bias)


def random_ids(batch, length, vocab_size=11, seed=0):
    return tl.tensor(numpy.random.default_rng(seed).integers(0, vocab_size, (batch, length)))


def test_logits_shape_and_loss_at_init_is_about_log_vocab():
    model = tiny_gpt()
    ids = random_ids(3, 8)
    logits = model(ids)
    assert logits.shape == (3, 8, 11) and logits.dtype == tl.float32
    # Small init: nearly uniform predictions, so the cross-entropy starts near log V.
    assert abs(model.loss(ids[:, :-1], ids[:, 1:]).item() - math.log(11)) < 0.05


def test_lm_head_is_the_token_embedding_and_counts_once():
    model = tiny_gpt()
    assert model.lm_head.weight is model.token_embedding.weight
    names = [name for name, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and names[0] == "token_embedding.weight"
    per_block = 2 * 8 * 2 + (8 * 24 + 24) + (8 * 8 + 8) + (8 * 32 + 32) + (32 * 8 + 8)
    assert sum(p.numel() for p in model.parameters()) == 11 * 8 + 8 * 8 + 2 * per_block + 2 * 8


def test_bias_false_drops_every_bias():
    names = [name for name, _ in tiny_gpt(bias=False).named_parameters()]
    assert not any(name.endswith("bias") for name in names) and len(names) == 2 + 2 * 6 + 1


def test_gpt2_init_scales_the_residual_projections():
    tl.manual_seed(0)
    model = GPT(vocab_size=64, block_size=64, n_layer=8, n_head=4, n_embd=64)
    block = model.blocks[0]
    assert abs(block.attn.qkv.weight.detach().numpy().std() - 0.02) < 0.002
    for projection in (block.attn.proj, block.mlp.proj):
        assert abs(projection.weight.detach().numpy().std() - 0.02 / 4) < 0.0005
        assert not projection.bias.detach().numpy().any()


def test_a_future_token_never_changes_earlier_logits():
    model = tiny_gpt()
    ids = random_ids(2, 8)
    changed = ids.numpy().copy()
    changed[:, 5] = (changed[:, 5] + 1) % 11
    before, after = model(ids).detach().numpy(), model(tl.tensor(changed)).detach().numpy()
    numpy.testing.assert_array_equal(before[:, :5], after[:, :5])
    assert numpy.abs(before[:, 5:] - after[:, 5:]).min() > 0


@pytest.mark.parametrize("grad_enabled", [False, True])  # in-place buffers, or concatenation in the graph
def test_kv_cache_feeding_pieces_gives_the_full_pass_logits(grad_enabled):
    model = tiny_gpt().eval()
    ids = random_ids(3, 8)
    full = model(ids).detach().numpy()
    cache = nn.KVCache()
    with tl.set_grad_enabled(grad_enabled):
        # a prompt, one token, then several at once (their mask is causal, aligned to the end)
        pieces = [model(ids[:, start:stop], kv_cache=cache) for start, stop in ((0, 3), (3, 4), (4, 8))]
    assert cache.length == 8
    incremental = numpy.concatenate([piece.detach().numpy() for piece in pieces], axis=1)
    numpy.testing.assert_allclose(incremental, full, rtol=1e-5, atol=1e-6)


def test_positions_past_block_size_are_refused_with_or_without_a_cache():
    model = tiny_gpt()
    with pytest.raises(ValueError, match="exceed block_size=8"):
        model(random_ids(1, 9))
    cache = nn.KVCache()
    model(random_ids(1, 8), kv_cache=cache)
    with pytest.raises(ValueError, match="8 cached"):
        model(random_ids(1, 1), kv_cache=cache)


def test_dropout_only_while_training():
    model = tiny_gpt(dropout=0.5)
    ids = random_ids(2, 8)
    assert not numpy.allclose(model(ids).detach().numpy(), model(ids).detach().numpy())
    model.eval()
    numpy.testing.assert_array_equal(model(ids).detach().numpy(), model(ids).detach().numpy())


def test_gradcheck_float64_every_parameter():
    model = GPT(vocab_size=5, block_size=4, n_layer=1, n_head=2, n_embd=4).double()
    ids = random_ids(2, 3, vocab_size=5)
    assert model(ids).dtype == tl.float64
    assert tl.autograd.gradcheck(lambda *params: model(ids), list(model.parameters()))


@requires_torch
def test_fifty_adam_steps_match_pytorch_at_every_step():
    config = dict(vocab_size=13, block_size=16, n_layer=2, n_head=2, n_embd=16)
    ours = GPT(**config, dropout=0.0)
    batches = token_batches(13, batch_size=4, length=16, steps=50)
    losses = assert_same_training(ours, torch_gpt(**config), batches, lr=1e-2)
    assert losses[-1] < 0.5 * losses[0]  # it learned: the curves are not two flat lines
