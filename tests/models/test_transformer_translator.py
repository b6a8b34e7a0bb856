"""models/transformer_translator.py: shapes, padding that changes nothing, causality, the KV cache
and beam rows in incremental decoding, cross-attention weights, the loss, float64 gradients."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from models.training.seq2seq import decoder_over
from models.transformer_translator import TransformerTranslator

VOCAB = 13
# Sources of 4 and 2 characters and targets bos .. eos (ids 2 and 3) of 4 and 3 tokens, padded with 0.
SOURCE = numpy.array([[5, 6, 7, 8, 0], [9, 10, 0, 0, 0]], dtype=numpy.int64)
TARGET = numpy.array([[2, 5, 6, 3], [2, 11, 3, 0]], dtype=numpy.int64)


def tiny_model(dropout=0.0):
    tl.manual_seed(0)
    return TransformerTranslator(VOCAB, d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2,
                                 dim_feedforward=16, dropout=dropout, max_len=16)


def pad(ids, extra):
    return numpy.concatenate([ids, numpy.zeros((len(ids), extra), dtype=numpy.int64)], axis=1)


def logits_of(model, source, target):
    with tl.no_grad():
        return model(tl.tensor(source), tl.tensor(target)).numpy()


def test_shapes_of_logits_memory_and_padding():
    model = tiny_model()
    logits = model(tl.tensor(SOURCE), tl.tensor(TARGET))
    assert logits.shape == (2, 4, VOCAB) and logits.dtype == tl.float32
    memory, padding = model.encode(tl.tensor(SOURCE))
    assert memory.shape == (2, 5, 8)
    numpy.testing.assert_array_equal(padding.numpy(), SOURCE == 0)


def test_one_embedding_table_with_a_zero_padding_row_serves_source_and_target():
    model = tiny_model()
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "embedding.weight" and sum("embedding" in name for name in names) == 1
    assert not model.embedding.weight.numpy(force=True)[0].any()
    # N(0, 1/d_model): the sqrt(d_model)-scaled embeddings start at unit variance.
    tl.manual_seed(0)
    wide = TransformerTranslator(400, d_model=64, num_encoder_layers=1, num_decoder_layers=1)
    assert abs(wide.embedding.weight.numpy(force=True)[1:].std() * 8 - 1.0) < 0.03


def test_extra_source_and_target_padding_change_no_logit():
    model = tiny_model(dropout=0.3).eval()
    short = logits_of(model, SOURCE, TARGET)
    long = logits_of(model, pad(SOURCE, 3), pad(TARGET, 2))
    numpy.testing.assert_allclose(long[:, :4], short, rtol=1e-5, atol=1e-6)
    # and a source row alone gives the logits it gets in the batch
    alone = logits_of(model, SOURCE[1:, :2], TARGET[1:, :3])
    numpy.testing.assert_allclose(alone, short[1:, :3], rtol=1e-5, atol=1e-6)


def test_a_later_target_token_never_changes_earlier_logits():
    model = tiny_model()
    changed = TARGET.copy()
    changed[:, 2] = 12
    before, after = logits_of(model, SOURCE, TARGET), logits_of(model, SOURCE, changed)
    numpy.testing.assert_array_equal(before[:, :2], after[:, :2])
    assert numpy.abs(before[:, 2:] - after[:, 2:]).min() > 0


def test_kv_cache_decoding_one_token_at_a_time_gives_the_full_pass_logits():
    model = tiny_model().eval()
    target = TARGET.copy()
    target[1, 3] = 4  # no padding inside the decoded prefix
    full = logits_of(model, SOURCE, target)
    cache = nn.KVCache()
    with tl.no_grad():
        encoded = model.encode(tl.tensor(SOURCE))
        pieces = [model.decode_step(encoded, tl.tensor(target[:, step:step + 1]), kv_cache=cache).numpy()
                  for step in range(4)]
    assert cache.length == 4
    numpy.testing.assert_allclose(numpy.concatenate(pieces, axis=1), full, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("num_beams", [1, 3])
def test_generate_through_the_shared_decoder_gives_the_same_tokens_with_and_without_a_cache(num_beams):
    model = tiny_model().eval()
    with tl.no_grad():
        encoded = model.encode(tl.tensor(SOURCE))
    bos = tl.tensor(numpy.full((2, 1), 2))
    runs = [tl.text.generate(decoder_over(model, encoded, 2), bos, 6, num_beams=num_beams, eos_token_id=3,
                             use_cache=use_cache).numpy() for use_cache in (True, False)]
    numpy.testing.assert_array_equal(runs[0], runs[1])
    assert runs[0].shape[0] == 2 and (runs[0][:, 0] == 2).all()
    if num_beams == 1:  # greedy: each token is the argmax of the teacher-forced logits of the prefix
        logits = logits_of(model, SOURCE, runs[0][:, :-1])
        numpy.testing.assert_array_equal(logits.argmax(-1)[:, 0], runs[0][:, 1])


def test_cross_attention_rows_are_distributions_that_skip_source_padding():
    model = tiny_model()
    weights = model.cross_attention(tl.tensor(SOURCE), tl.tensor(TARGET))
    assert len(weights) == 2 and all(layer.shape == (2, 4, 5) for layer in weights)
    for layer in weights:
        numpy.testing.assert_allclose(layer.sum(-1), 1.0, rtol=1e-5)
        numpy.testing.assert_array_equal(layer[0, :, 4], 0.0)
        numpy.testing.assert_array_equal(layer[1, :, 2:], 0.0)
    # the hooks are gone afterwards
    assert all(not layer.multihead_attn._forward_hooks for layer in model.transformer.decoder.layers)


def test_loss_is_the_mean_cross_entropy_of_the_next_tokens_without_padding():
    model = tiny_model()
    logits = logits_of(model, SOURCE, TARGET[:, :-1]).astype(numpy.float64)
    log_probs = logits - numpy.log(numpy.exp(logits).sum(-1, keepdims=True))
    labels = TARGET[:, 1:]
    real = labels != 0
    expected = -log_probs[numpy.arange(2)[:, None], numpy.arange(3), labels][real].mean()
    assert model.loss(tl.tensor(SOURCE), tl.tensor(TARGET)).item() == pytest.approx(expected, rel=1e-5)
    smoothed = model.loss(tl.tensor(SOURCE), tl.tensor(TARGET), label_smoothing=0.1).item()
    uniform = -log_probs[:, :, :][real].mean()
    assert smoothed == pytest.approx(0.9 * expected + 0.1 * uniform, rel=1e-5)
    assert math.isfinite(smoothed)


def test_gradcheck_float64_every_parameter():
    model = TransformerTranslator(7, d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                  dim_feedforward=6, dropout=0.0, max_len=8).double()
    source, target = tl.tensor(SOURCE[:, :3] % 7), tl.tensor(TARGET[:, :3] % 7)
    parameters = list(model.parameters())
    assert tl.autograd.gradcheck(lambda *params: model.loss(source, target), parameters)
