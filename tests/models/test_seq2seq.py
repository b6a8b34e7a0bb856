"""models/seq2seq.py and models/training/seq2seq.py: shapes, attention weights, padding, causality,
float64 gradients for each attention kind, the loss by hand, beam rows over the memory, exact match."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, text
from models.seq2seq import ATTENTION_KINDS, Seq2Seq
from models.training.seq2seq import decoder_over, exact_match, shuffled_batches, translate, trim_padding

VOCAB = 9
SOURCE = numpy.array([[5, 6, 7, 8], [6, 5, 0, 0], [8, 0, 0, 0]])  # 0 = padding
TARGET = numpy.array([[2, 5, 6, 3], [2, 7, 3, 0], [2, 3, 0, 0]])  # bos=2 ... eos=3, then padding


def build(attention, dtype=tl.float32, vocab_size=VOCAB, size=5):
    tl.manual_seed(0)
    return Seq2Seq(vocab_size, embedding_dim=size - 1, hidden_size=size, attention=attention,
                   attention_size=size - 2).to(dtype)


@pytest.mark.parametrize("attention", ATTENTION_KINDS)
def test_logits_and_attention_weights_shapes(attention):
    logits, weights = build(attention)(tl.tensor(SOURCE), tl.tensor(TARGET))
    assert logits.shape == (3, 4, VOCAB) and logits.dtype == tl.float32
    if attention is None:
        assert weights is None
        return
    weights = weights.numpy(force=True)
    assert weights.shape == (3, 4, 4)
    numpy.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)
    assert (weights[1, :, 2:] == 0).all() and (weights[2, :, 1:] == 0).all()  # padding gets none


@pytest.mark.parametrize("attention", ATTENTION_KINDS)
def test_extra_source_padding_and_later_target_tokens_change_nothing(attention):
    model = build(attention)
    logits = model(tl.tensor(SOURCE), tl.tensor(TARGET))[0].numpy(force=True)
    padded = numpy.pad(SOURCE, ((0, 0), (0, 3)))
    numpy.testing.assert_allclose(model(tl.tensor(padded), tl.tensor(TARGET))[0].numpy(force=True), logits,
                                  rtol=1e-5, atol=1e-6)
    changed = TARGET.copy()
    changed[:, 2:] = 4  # logits at steps 0-1 must not see the tokens from step 2 on (teacher forcing is causal)
    numpy.testing.assert_allclose(model(tl.tensor(SOURCE), tl.tensor(changed))[0].numpy(force=True)[:, :2],
                                  logits[:, :2], rtol=1e-6, atol=1e-7)
    alone = model(tl.tensor(SOURCE[1:2, :2]), tl.tensor(TARGET[1:2]))[0].numpy(force=True)
    numpy.testing.assert_allclose(alone, logits[1:2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("attention", ATTENTION_KINDS)
def test_gradcheck_float64_every_parameter(attention):
    model = build(attention, tl.float64, vocab_size=6, size=3)  # ~200 parameters: a few seconds
    source, target = tl.tensor([[4, 5, 3], [5, 4, 0]]), tl.tensor([[2, 4, 5], [2, 5, 3]])
    assert tl.autograd.gradcheck(lambda *params: model(source, target)[0], list(model.parameters()))


def test_loss_is_the_cross_entropy_of_the_next_target_token_without_padding():
    model = build("luong")
    logits, _ = model(tl.tensor(SOURCE), tl.tensor(TARGET[:, :-1]))
    logits, targets = logits.numpy(force=True), TARGET[:, 1:]
    log_probs = logits - numpy.log(numpy.exp(logits).sum(-1, keepdims=True))
    real = targets != 0
    expected = -log_probs[real, targets[real]].mean()
    assert model.loss(tl.tensor(SOURCE), tl.tensor(TARGET)).item() == pytest.approx(expected, rel=1e-5)


def test_unknown_attention_is_refused():
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(VOCAB, attention="dot")


class CopyFirstToken(nn.Module):
    """A fake encoder-decoder: it always predicts its source's first token, then eos (3)."""

    def encode(self, source_ids):
        return F.one_hot(source_ids[:, 0], VOCAB).to(tl.float32) * 10.0, source_ids != 0

    def decode_step(self, memory, target_ids):
        wanted, _ = memory
        ended = F.one_hot(tl.full((target_ids.shape[0],), 3, dtype=tl.int64), VOCAB).to(tl.float32) * 10.0
        last = (target_ids[:, -1:] != 2).to(tl.float32)  # after the first generated token: eos
        logits = wanted.unsqueeze(1) * (1 - last.unsqueeze(2)) + ended.unsqueeze(1) * last.unsqueeze(2)
        return logits.expand(-1, target_ids.shape[1], -1)  # only the last step is read


@pytest.mark.parametrize("num_beams", [1, 3])
def test_decoding_repeats_the_memory_per_beam_row_by_row(num_beams):
    tokenizer = text.CharTokenizer("abcd")  # ids 5-8
    sources = numpy.array([[5, 6], [8, 0], [7, 5], [6, 6]])
    assert translate(CopyFirstToken(), tokenizer, sources, 5, "cpu", num_beams=num_beams, batch_size=3) == \
        ["a", "d", "c", "b"]


def test_the_decoder_callable_takes_kv_cache_only_when_the_model_does():
    class Cached(CopyFirstToken):
        def decode_step(self, memory, target_ids, kv_cache=None):
            return super().decode_step(memory, target_ids)

    memory = CopyFirstToken().encode(tl.tensor(SOURCE))
    plain, cached = decoder_over(CopyFirstToken(), memory, 3), decoder_over(Cached(), memory, 3)
    assert plain(tl.tensor(TARGET[:, :1])).shape == (3, 1, VOCAB)
    assert cached(tl.tensor(numpy.repeat(TARGET[:, :1], 2, axis=0)), kv_cache=nn.KVCache()).shape == (6, 1, VOCAB)
    with pytest.raises(TypeError):
        plain(tl.tensor(TARGET[:, :1]), kv_cache=nn.KVCache())


def test_exact_match_batches_and_padding_trim():
    assert exact_match(["1998-03-03", "2001-01-01"], ["1998-03-03", "2001-01-02"]) == 0.5
    with pytest.raises(ValueError):
        exact_match(["a"], [])
    numpy.testing.assert_array_equal(trim_padding(SOURCE, 0), SOURCE)
    numpy.testing.assert_array_equal(trim_padding(TARGET[1:], 0), TARGET[1:, :3])
    batches = list(shuffled_batches(SOURCE, TARGET, 2, numpy.random.default_rng(0), 0))
    assert [len(batch[0]) for batch in batches] == [2, 1]
    rows = sorted(tuple(row[:4]) for batch in batches for row in numpy.pad(batch[1], ((0, 0), (0, 4)))[:, :4])
    assert rows == sorted(map(tuple, TARGET))
