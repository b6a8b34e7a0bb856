"""Tests for tinygrad_lite/text/generation.py and sampling.py (seed 000 #5, 004 #13).

Each strategy runs on a toy model whose right answer the test computes on its own: greedy is the
argmax chain, a beam as wide as all sequences is exhaustive search, top-k / top-p draws stay in
their sets, sampled frequencies match the softmax, and a KV-cached Transformer gives the same
tokens as the uncached one.
"""
import itertools

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES
from tinygrad_lite import nn
from tinygrad_lite.text import generate

EOS = 2


# ----- toy models -----------------------------------------------------------------------------------
class PrefixTableLM:
    """Next-token logits looked up by a hash of the whole prefix: any prefix can favour any token."""

    def __init__(self, vocab_size, seed=0, scale=2.0, table_size=4099):
        self.vocab_size, self.table_size = vocab_size, table_size
        self.table = numpy.random.default_rng(seed).normal(scale=scale, size=(table_size, vocab_size))

    def __call__(self, ids):
        ids = ids.numpy()
        powers = 31 ** numpy.arange(ids.shape[1]) % self.table_size
        prefix_hash = numpy.cumsum((ids + 1) * powers, axis=1) % self.table_size
        return tl.tensor(self.table[prefix_hash])


class FixedLogitsLM:
    """The same next-token logits after every prefix."""

    def __init__(self, logits):
        self.logits = numpy.asarray(logits, dtype=numpy.float64)

    def __call__(self, ids):
        return tl.tensor(numpy.broadcast_to(self.logits, ids.shape + self.logits.shape).copy())


class CountingLM:
    """Almost surely emits (last token + 1) mod V, so when a row reaches EOS is known in advance."""

    def __init__(self, vocab_size=6):
        self.vocab_size = vocab_size

    def __call__(self, ids):
        follower = (ids.numpy() + 1) % self.vocab_size
        return tl.tensor(10.0 * numpy.eye(self.vocab_size)[follower])


class TinyTransformerLM(nn.Module):
    """Token + position embeddings, a causal TransformerEncoder, a linear head; ``kv_cache=`` aware."""

    def __init__(self, vocab_size=7, d_model=16, num_heads=2, num_layers=2, max_length=32):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, d_model)
        self.positions = nn.Embedding(max_length, d_model)
        layer = nn.TransformerEncoderLayer(d_model, num_heads, dim_feedforward=32, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.head = nn.Linear(d_model, vocab_size)
        self.fed_lengths = []

    def forward(self, ids, kv_cache=None):
        length = ids.shape[1]
        self.fed_lengths.append(length)
        offset = 0 if kv_cache is None else kv_cache.length
        x = self.tokens(ids) + self.positions(tl.arange(offset, offset + length, device=ids.device))
        mask = None if kv_cache is not None else nn.Transformer.generate_square_subsequent_mask(
            length, dtype=x.dtype, device=x.device)
        return self.head(self.encoder(x, mask=mask, is_causal=mask is not None, kv_cache=kv_cache))


# ----- references computed by the test ----------------------------------------------------------------
def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True))


def _step_logits(model, output, prompt_length):
    """The logits each generated token was drawn from: (B, new, V)."""
    return model(tl.tensor(output[:, :-1])).numpy()[:, prompt_length - 1:]


def _allowed(logits, top_k=None, top_p=None):
    """Boolean (..., V): the tokens top-k then top-p leave, by sorting each distribution in a loop."""
    flat = logits.reshape(-1, logits.shape[-1])
    allowed = numpy.zeros(flat.shape, dtype=bool)
    for row, values in enumerate(flat):
        order = sorted(range(len(values)), key=lambda token: -values[token])
        if top_k:
            order = [token for token in order if values[token] >= values[order[top_k - 1]]]
        probs = numpy.exp(values[order] - values[order].max())
        probs /= probs.sum()
        kept, mass = [], 0.0
        for token, prob in zip(order, probs):
            if top_p is not None and mass >= top_p:
                break
            kept.append(token)
            mass += prob
        allowed[row, kept] = True
    return allowed.reshape(logits.shape)


def _expected_distribution(logits, temperature, top_k, top_p):
    scaled = numpy.asarray(logits) / temperature
    allowed = _allowed(scaled[None], top_k, top_p)[0]
    probs = numpy.where(allowed, numpy.exp(scaled - scaled.max()), 0.0)
    return probs / probs.sum()


def _exhaustive_best(model, prompt_row, max_new_tokens, length_penalty, eos):
    """The best continuation over every sequence of max_new_tokens tokens, each cut at its first eos."""
    vocab_size = model.vocab_size
    strings = numpy.array(list(itertools.product(range(vocab_size), repeat=max_new_tokens)))
    full = numpy.concatenate([numpy.tile(prompt_row, (len(strings), 1)), strings], axis=1)
    log_probs = _log_softmax(_step_logits(model, full, len(prompt_row)))
    token_log_probs = numpy.take_along_axis(log_probs, strings[:, :, None], axis=2)[:, :, 0]
    lengths = numpy.full(len(strings), max_new_tokens)
    if eos is not None:
        is_eos = strings == eos
        lengths = numpy.where(is_eos.any(axis=1), is_eos.argmax(axis=1) + 1, max_new_tokens)
    inside = numpy.arange(max_new_tokens) < lengths[:, None]
    scores = (token_log_probs * inside).sum(axis=1) / lengths ** length_penalty
    best = scores.argmax()
    return strings[best, :lengths[best]]


def _generated(output, prompt_length):
    return output.numpy()[:, prompt_length:]


# ----- greedy -------------------------------------------------------------------------------------------
def test_greedy_is_the_argmax_chain():
    model = PrefixTableLM(vocab_size=5)
    prompt = numpy.array([[0, 1], [3, 3], [4, 0]])
    output = generate(model, tl.tensor(prompt), 6)
    assert output.dtype == tl.int64 and output.shape == (3, 8)
    numpy.testing.assert_array_equal(output.numpy()[:, :2], prompt)
    chosen = _step_logits(model, output.numpy(), 2).argmax(axis=-1)
    numpy.testing.assert_array_equal(_generated(output, 2), chosen)


def test_zero_new_tokens_returns_the_prompt():
    prompt = tl.tensor([[1, 2, 0]])
    numpy.testing.assert_array_equal(generate(PrefixTableLM(3), prompt, 0).numpy(), prompt.numpy())
    numpy.testing.assert_array_equal(generate(PrefixTableLM(3), prompt, 0, num_beams=3).numpy(),
                                     prompt.numpy())


# ----- beam search ----------------------------------------------------------------------------------
@pytest.mark.parametrize("length_penalty", [0.0, 1.0, 2.0, -0.5])
def test_beam_as_wide_as_all_sequences_is_exhaustive_search(length_penalty):
    model, new = PrefixTableLM(vocab_size=3, seed=1), 4
    prompt = numpy.array(list(itertools.product(range(3), repeat=2)))  # all 9 two-token prompts
    output = generate(model, tl.tensor(prompt), new, num_beams=3 ** new, length_penalty=length_penalty,
                      eos_token_id=EOS, pad_token_id=0)
    for row, generated in zip(prompt, _generated(output, 2)):
        best = _exhaustive_best(model, row, new, length_penalty, EOS)
        numpy.testing.assert_array_equal(generated[:len(best)], best)
        assert (generated[len(best):] == 0).all()


def test_beam_without_eos_maximises_the_summed_log_probability():
    model, new = PrefixTableLM(vocab_size=3, seed=2), 3
    prompt = numpy.array([[0], [1], [2]])
    output = generate(model, tl.tensor(prompt), new, num_beams=3 ** new)
    assert output.shape == (3, 1 + new)
    for row, generated in zip(prompt, _generated(output, 1)):
        numpy.testing.assert_array_equal(generated, _exhaustive_best(model, row, new, 1.0, None))


class GreedyTrapLM:
    """First token: 0 (p=0.5) or 1 (p=0.4). After 0 the next token is a coin flip over 3; after 1,
    token 2 has p=0.9. Greedy takes 0 (best path 0.5 * 1/3); two beams find 1, 2 (0.4 * 0.9)."""

    vocab_size = 3

    def __call__(self, ids):
        ids = ids.numpy()
        first = numpy.log([0.5, 0.4, 0.1])
        after = {0: numpy.log([1 / 3] * 3), 1: numpy.log([0.05, 0.05, 0.9]), 2: numpy.log([1 / 3] * 3)}
        logits = numpy.array([[first if t == 0 else after[row[t]] for t in range(len(row))] for row in ids])
        return tl.tensor(logits)


def test_two_beams_escape_the_greedy_trap():
    prompt = tl.tensor([[2]])
    numpy.testing.assert_array_equal(generate(GreedyTrapLM(), prompt, 2).numpy(), [[2, 0, 0]])
    numpy.testing.assert_array_equal(generate(GreedyTrapLM(), prompt, 2, num_beams=2).numpy(), [[2, 1, 2]])


# ----- sampling -------------------------------------------------------------------------------------
LOGITS = [1.5, 0.2, -0.7, 2.1, 0.0, -2.0, 1.0]


@pytest.mark.parametrize("temperature, top_k, top_p", [
    (1.0, None, None), (0.6, None, None), (1.7, 3, None), (1.0, None, 0.75), (1.3, 5, 0.8),
])
def test_sampled_frequencies_match_the_softmax(temperature, top_k, top_p):
    draws = 20000
    output = generate(FixedLogitsLM(LOGITS), tl.zeros(draws, 1, dtype=tl.int64), 1, do_sample=True,
                      temperature=temperature, top_k=top_k, top_p=top_p, generator=0)
    counts = numpy.bincount(output.numpy()[:, 1], minlength=len(LOGITS))
    expected = draws * _expected_distribution(LOGITS, temperature, top_k, top_p)
    assert (counts[expected == 0] == 0).all()
    support = expected > 0
    chi_square = ((counts[support] - expected[support]) ** 2 / expected[support]).sum()
    assert chi_square < 25.0  # 6 degrees of freedom at most: p < 1e-3 for a correct sampler


@pytest.mark.parametrize("top_k, top_p", [(2, None), (None, 0.6), (3, 0.5)])
def test_top_k_and_top_p_never_emit_a_token_outside_their_set(top_k, top_p):
    model = PrefixTableLM(vocab_size=8, seed=3, scale=1.0)
    prompt = numpy.random.default_rng(0).integers(0, 8, size=(300, 2))
    output = generate(model, tl.tensor(prompt), 5, do_sample=True, temperature=1.5, top_k=top_k,
                      top_p=top_p, generator=1)
    allowed = _allowed(_step_logits(model, output.numpy(), 2) / 1.5, top_k, top_p)
    generated = _generated(output, 2)
    assert numpy.take_along_axis(allowed, generated[:, :, None], axis=2).all()
    assert len(numpy.unique(generated)) > 2  # the draws really vary


def test_a_tiny_top_p_keeps_only_the_most_likely_token():
    model, prompt = PrefixTableLM(vocab_size=6, seed=4), tl.tensor([[0, 1], [5, 2]])
    sampled = generate(model, prompt, 5, do_sample=True, top_p=1e-9, generator=3)
    numpy.testing.assert_array_equal(sampled.numpy(), generate(model, prompt, 5).numpy())


def test_the_same_seed_gives_the_same_tokens():
    model, prompt = PrefixTableLM(vocab_size=6, seed=5, scale=0.5), tl.zeros(8, 2, dtype=tl.int64)

    def sample(generator):
        return generate(model, prompt, 6, do_sample=True, generator=generator).numpy()

    numpy.testing.assert_array_equal(sample(7), sample(7))
    numpy.testing.assert_array_equal(sample(numpy.random.default_rng(7)), sample(7))
    assert (sample(7) != sample(8)).any()
    tl.manual_seed(11)
    first = sample(None)
    tl.manual_seed(11)
    numpy.testing.assert_array_equal(sample(None), first)


# ----- end of sequence --------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"do_sample": True, "generator": 0}, {"num_beams": 3}])
def test_ended_rows_are_padded_and_generation_stops_early(options):
    prompt = tl.tensor([[5, 0], [3, 1]])  # row 0 reaches EOS=2 after 3 tokens, row 1 after 1
    output = generate(CountingLM(), prompt, 10, eos_token_id=EOS, pad_token_id=4, **options)
    numpy.testing.assert_array_equal(output.numpy(), [[5, 0, 1, 2], [3, 1, 2, 4]])


def test_pad_defaults_to_eos_and_a_list_of_eos_ids_ends_rows():
    prompt = tl.tensor([[0], [3]])
    output = generate(CountingLM(), prompt, 10, eos_token_id=[2, 4])
    numpy.testing.assert_array_equal(output.numpy(), [[0, 1, 2], [3, 4, 2]])


def test_without_eos_every_row_gets_max_new_tokens():
    output = generate(CountingLM(), tl.tensor([[0]]), 7)
    numpy.testing.assert_array_equal(output.numpy(), [[0, 1, 2, 3, 4, 5, 0, 1]])


# ----- the KV cache -------------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    {},
    {"do_sample": True, "top_k": 4, "generator": 5},
    {"num_beams": 3},
    {"num_beams": 4, "eos_token_id": 3, "length_penalty": 0.5},
])
@pytest.mark.parametrize("device", DEVICES)
def test_the_kv_cache_gives_the_same_tokens_feeding_one_token_per_step(options, device):
    tl.manual_seed(0)
    model = TinyTransformerLM().double().to(device)
    model.eval()
    prompt = tl.tensor([[1, 2, 3], [4, 5, 6]], device=device)
    uncached = generate(model, prompt, 8, use_cache=False, **options)
    assert model.fed_lengths[1] > 3  # without the cache the whole sequence is fed again
    model.fed_lengths.clear()
    cached = generate(model, prompt, 8, use_cache=True, **options)
    assert cached.device == prompt.device
    cached, uncached = cached.cpu().numpy(), uncached.cpu().numpy()
    numpy.testing.assert_array_equal(cached, uncached)
    assert model.fed_lengths[0] == 3 and set(model.fed_lengths[1:]) == {1}
    assert len(numpy.unique(cached[:, 3:])) > 1


# ----- arguments ----------------------------------------------------------------------------------
PROMPT = tl.tensor([[0, 1]])


@pytest.mark.parametrize("arguments, error, message", [
    ({"top_p": 0.0}, ValueError, "top_p"),
    ({"top_p": 1.5}, ValueError, "top_p"),
    ({"top_k": -1}, ValueError, "top_k"),
    ({"num_beams": 0}, ValueError, "num_beams"),
    ({"num_beams": 2.0}, ValueError, "num_beams"),
    ({"num_beams": 2, "do_sample": True}, NotImplementedError, "beam sampling"),
    ({"do_sample": True, "temperature": 0.0}, ValueError, "temperature"),
    ({"max_new_tokens": -1}, ValueError, "max_new_tokens"),
    ({"input_ids": tl.tensor([0, 1])}, ValueError, "2-D"),
    ({"input_ids": tl.tensor([[0.0, 1.0]])}, TypeError, "integer"),
    ({"do_sample": True, "generator": "seed"}, TypeError, "generator"),
    ({"eos_token_id": 9}, ValueError, "vocabulary size 3"),
    ({"eos_token_id": 1, "pad_token_id": -1}, ValueError, "pad_token_id"),
])
def test_bad_arguments_raise_clear_errors(arguments, error, message):
    call = {"input_ids": PROMPT, "max_new_tokens": 2, **arguments}
    with pytest.raises(error, match=message):
        generate(PrefixTableLM(3), **call)


def test_a_model_returning_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"logits \(batch, length, vocab\)"):
        generate(lambda ids: tl.zeros(1, 5), PROMPT, 2)
