"""``generate``: continue token sequences with a language model (seed 000 #5, 004 #13).

Hugging Face's ``generate`` argument names and meaning: greedy decoding, sampling (temperature,
top-k, top-p) and beam search, with end-of-sequence padding and, for a model whose forward takes
``kv_cache=``, incremental decoding that feeds only the new token at each step. Every strategy
works on the whole batch (and all its beams) at once; only the generated steps are a loop.
"""
import inspect
import numbers

import numpy

from tinygrad_lite import random as tl_random
from tinygrad_lite.autograd import no_grad
from tinygrad_lite.backend import device as Device
from tinygrad_lite.backend import get_default_device
from tinygrad_lite.creation import tensor
from tinygrad_lite.dtypes import int64
from tinygrad_lite.nn.kv_cache import KVCache
from tinygrad_lite.tensor import Tensor
from tinygrad_lite.text.sampling import (apply_temperature, log_softmax, sample_tokens,
                                         top_k_filter, top_p_filter)

__all__ = ["generate"]


def generate(model, input_ids, max_new_tokens, *, do_sample=False, temperature=1.0, top_k=None,
             top_p=None, num_beams=1, length_penalty=1.0, eos_token_id=None, pad_token_id=None,
             use_cache=True, generator=None):
    """Append up to ``max_new_tokens`` tokens to each row of ``input_ids`` (B, T) -> int64 (B, T + new).

    ``model``: any callable mapping int64 ids (B, T) to logits (B, T, V); evaluation mode (dropout
    off) is the caller's choice, and it runs under ``no_grad``.
    Strategy: greedy (argmax) when ``do_sample=False`` and ``num_beams == 1``; sampling when
    ``do_sample=True``, the logits divided by ``temperature``, then cut to the ``top_k`` most
    likely tokens, then to the nucleus of ``top_p`` (the smallest set of most likely tokens whose
    probability reaches it; the most likely token is always kept); beam search when
    ``num_beams > 1``: ``num_beams`` hypotheses per row, the result the one with the best summed
    log-probability / (generated length ** ``length_penalty``), where the length counts the
    generated tokens including the final ``eos_token_id``. Every beam's ending is considered at
    every step, and a row's search stops only when no live beam can still beat its best ended
    hypothesis, so a beam as wide as the number of possible sequences finds the exhaustive optimum.
    ``eos_token_id`` (an id or a list of ids): a row that emitted it is padded with
    ``pad_token_id`` (default: the first ``eos_token_id``); generation stops once every row has
    ended, so ``new`` may be below ``max_new_tokens``.
    ``use_cache``: if the model's forward accepts ``kv_cache=``, one ``nn.KVCache`` is passed at
    every step and only the tokens it has not seen are fed (the model reads its position offset
    from ``kv_cache.length``); the tokens are the same as without it.
    ``generator``: a ``numpy.random.Generator`` or an int seed (the same seed gives the same
    tokens); None draws from tinygrad_lite's CPU generator (``tl.manual_seed``).
    """
    prompt, device = _prompt_array(input_ids)
    _check_strategy(max_new_tokens, do_sample, temperature, top_k, top_p, num_beams)
    eos_ids = _eos_ids(eos_token_id)
    pad_id = _pad_id(pad_token_id, eos_ids)
    rng = _random_generator(generator) if do_sample else None
    with no_grad():
        source = _NextTokenLogProbs(model, device, use_cache, eos_ids, pad_id)
        if num_beams == 1:
            sequences = _sample_or_greedy(source, prompt, max_new_tokens, rng, temperature, top_k,
                                          top_p, eos_ids, pad_id)
        else:
            sequences = _beam_search(source, prompt, max_new_tokens, num_beams, length_penalty,
                                     eos_ids, pad_id)
    return tensor(sequences, dtype=int64, device=device)


# ----- arguments ------------------------------------------------------------------------------------
def _prompt_array(input_ids):
    """The prompt as an int64 NumPy array (B, T) and the device the output goes to."""
    device = input_ids.device if isinstance(input_ids, Tensor) else get_default_device()
    array = input_ids.numpy(force=True) if isinstance(input_ids, Tensor) else numpy.asarray(input_ids)
    if array.ndim != 2:
        raise ValueError(f"generate: input_ids must be 2-D (batch, length), got shape {list(array.shape)}")
    if array.dtype.kind not in "iu":
        raise TypeError(f"generate: input_ids must hold integer token ids, got dtype {array.dtype}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"generate: input_ids must hold at least one token per row, got shape "
                         f"{list(array.shape)}")
    return array.astype(numpy.int64), device


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_strategy(max_new_tokens, do_sample, temperature, top_k, top_p, num_beams):
    if not _is_int(max_new_tokens) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if not _is_int(num_beams) or num_beams < 1:
        raise ValueError(f"generate: num_beams must be an int >= 1, got {num_beams!r}")
    if do_sample and num_beams > 1:
        raise NotImplementedError("generate: beam sampling (do_sample=True with num_beams > 1) is not "
                                  "supported; use num_beams=1 to sample or do_sample=False for beam search")
    if top_k is not None and (not _is_int(top_k) or top_k < 0):
        raise ValueError(f"generate: top_k must be an int >= 0 (0 or None: no top-k), got {top_k!r}")
    if top_p is not None and not (isinstance(top_p, numbers.Real) and 0.0 < top_p <= 1.0):
        raise ValueError(f"generate: top_p must be in (0, 1], got {top_p!r}")
    if do_sample and not (isinstance(temperature, numbers.Real) and temperature > 0.0):
        raise ValueError(f"generate: temperature must be > 0 when sampling, got {temperature!r}")


def _eos_ids(eos_token_id):
    if eos_token_id is None:
        return numpy.zeros(0, dtype=numpy.int64)
    ids = [eos_token_id] if _is_int(eos_token_id) else list(eos_token_id)
    if not ids or not all(_is_int(token) and token >= 0 for token in ids):
        raise ValueError(f"generate: eos_token_id must be a token id or a list of them, got {eos_token_id!r}")
    return numpy.array(ids, dtype=numpy.int64)


def _pad_id(pad_token_id, eos_ids):
    if pad_token_id is None:
        return int(eos_ids[0]) if eos_ids.size else 0
    if not _is_int(pad_token_id) or pad_token_id < 0:
        raise ValueError(f"generate: pad_token_id must be a token id (int >= 0), got {pad_token_id!r}")
    return pad_token_id


def _random_generator(generator):
    if generator is None:
        return tl_random.generator(Device("cpu"))
    if isinstance(generator, numpy.random.Generator):
        return generator
    if _is_int(generator):
        return numpy.random.default_rng(generator)
    raise TypeError(f"generate: generator must be a numpy.random.Generator or an int seed, "
                    f"got {type(generator).__name__}")


# ----- the model ------------------------------------------------------------------------------------
def _accepts_kv_cache(model):
    try:
        parameters = inspect.signature(getattr(model, "forward", model)).parameters
    except (TypeError, ValueError):  # a builtin or C callable: no signature to read
        return False
    return "kv_cache" in parameters


class _NextTokenLogProbs:
    """Calls the model for each row's next-token log-probabilities, feeding a KV cache only unseen tokens."""

    def __init__(self, model, device, use_cache, eos_ids, pad_id):
        self.model, self.device = model, device
        self.cache = KVCache() if use_cache and _accepts_kv_cache(model) else None
        self.special_ids = numpy.append(eos_ids, pad_id)

    def __call__(self, sequences):
        """sequences (N, t) int64 -> float64 log-probabilities of the next token (N, V)."""
        seen = 0 if self.cache is None else self.cache.length
        fed = tensor(sequences[:, seen:], dtype=int64, device=self.device)
        logits = self.model(fed) if self.cache is None else self.model(fed, kv_cache=self.cache)
        if not isinstance(logits, Tensor) or logits.ndim != 3 or logits.shape[:2] != fed.shape:
            shape = list(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
            raise ValueError(f"generate: the model must map ids {list(fed.shape)} to logits "
                             f"(batch, length, vocab) {list(fed.shape)} + [V], got {shape}")
        last = logits[:, -1].numpy(force=True).astype(numpy.float64)
        self._check_special_ids(last.shape[-1])
        return log_softmax(last)

    def _check_special_ids(self, vocab_size):
        if self.special_ids.max() >= vocab_size:
            raise ValueError(f"generate: eos_token_id / pad_token_id {self.special_ids.tolist()} must be "
                             f"below the model's vocabulary size {vocab_size}")

    def reorder(self, rows):
        """Make cache row i hold what row ``rows[i]`` held (beam search keeps, drops, copies beams)."""
        if self.cache is not None:
            self.cache.reorder_cache(rows)


# ----- greedy and sampling --------------------------------------------------------------------------
def _sample_or_greedy(next_log_probs, prompt, max_new_tokens, rng, temperature, top_k, top_p,
                      eos_ids, pad_id):
    """Greedy (rng None) or sampled decoding of all rows at once; (B, T) -> (B, T + new)."""
    sequences = prompt
    ended = numpy.zeros(prompt.shape[0], dtype=bool)
    for _ in range(max_new_tokens):
        log_probs = next_log_probs(sequences)
        if rng is None:
            tokens = log_probs.argmax(axis=-1)
        else:
            tokens = sample_tokens(_warp(log_probs, temperature, top_k, top_p), rng)
        tokens = numpy.where(ended, pad_id, tokens)
        ended |= numpy.isin(tokens, eos_ids)
        sequences = numpy.concatenate([sequences, tokens[:, None]], axis=1)
        if eos_ids.size and ended.all():
            break
    return sequences


def _warp(logits, temperature, top_k, top_p):
    logits = apply_temperature(logits, temperature)
    if top_k:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return logits


# ----- beam search ----------------------------------------------------------------------------------
class _BestEnded:
    """Each row's best ended hypothesis so far: normalised score (B,) and tokens (B, T_max)."""

    def __init__(self, prompt, max_length, pad_id):
        self.scores = numpy.full(prompt.shape[0], -numpy.inf)
        self.tokens = numpy.full((prompt.shape[0], max_length), pad_id, dtype=numpy.int64)
        self.tokens[:, :prompt.shape[1]] = prompt
        self.pad_id = pad_id

    def add(self, scores, tokens):
        """Offer candidates (B, C) with tokens (B, C, t <= T_max); a -inf score offers nothing."""
        best = scores.argmax(axis=1)
        rows = numpy.arange(scores.shape[0])
        better = scores[rows, best] > self.scores
        self.scores = numpy.where(better, scores[rows, best], self.scores)
        self.tokens[better] = self.pad_id
        self.tokens[better, :tokens.shape[-1]] = tokens[rows, best][better]


def _beam_search(next_log_probs, prompt, max_new_tokens, num_beams, length_penalty, eos_ids, pad_id):
    """Beam search over all rows and beams at once; (B, T) -> (B, T + new).

    At each step every beam's ending (its extension by an eos id) is offered to the row's best
    ended hypothesis, and the ``num_beams`` best non-ending extensions become the live beams.
    """
    batch_size, prompt_length = prompt.shape
    if max_new_tokens == 0:
        return prompt
    rows = numpy.arange(batch_size)[:, None]
    ended = _BestEnded(prompt, prompt_length + max_new_tokens, pad_id)
    done = numpy.zeros(batch_size, dtype=bool)
    # The prompt is run once per row, then copied into every beam; beams 1.. start at -inf so
    # the first step expands beam 0 only instead of num_beams identical copies.
    log_probs = next_log_probs(prompt)[:, None, :].repeat(num_beams, axis=1)
    next_log_probs.reorder(numpy.repeat(numpy.arange(batch_size), num_beams))
    beams = numpy.repeat(prompt[:, None, :], num_beams, axis=1)
    beam_scores = numpy.full((batch_size, num_beams), -numpy.inf)
    beam_scores[:, 0] = 0.0
    for step in range(1, max_new_tokens + 1):
        if step > 1:
            flat = beams.reshape(batch_size * num_beams, -1)
            log_probs = next_log_probs(flat).reshape(batch_size, num_beams, -1)
        extended = beam_scores[:, :, None] + log_probs
        if eos_ids.size:
            _offer_endings(ended, extended, beams, eos_ids, step ** length_penalty, done)
            extended[:, :, eos_ids] = -numpy.inf
        beam_scores, origin, tokens = _best_extensions(extended, num_beams)
        beams = numpy.concatenate([beams[rows, origin], tokens[:, :, None]], axis=2)
        next_log_probs.reorder((rows * num_beams + origin).reshape(-1))
        if eos_ids.size:
            done |= ended.scores >= _best_reachable(beam_scores, step, max_new_tokens, length_penalty)
            if done.all():
                break
    live = numpy.where(done[:, None], -numpy.inf, beam_scores / step ** length_penalty)
    ended.add(live, beams)
    return ended.tokens[:, :prompt_length + step]


def _offer_endings(ended, extended, beams, eos_ids, length_factor, done):
    """Offer every beam's extension by each eos id (scores normalised) to rows not yet done."""
    batch_size, num_beams, _ = extended.shape
    scores = extended[:, :, eos_ids].reshape(batch_size, -1) / length_factor
    origin = numpy.repeat(numpy.arange(num_beams), eos_ids.size)
    tokens = numpy.broadcast_to(numpy.tile(eos_ids, num_beams), scores.shape)
    hypotheses = numpy.concatenate([beams[:, origin], tokens[:, :, None]], axis=2)
    ended.add(numpy.where(done[:, None], -numpy.inf, scores), hypotheses)


def _best_extensions(extended, num_beams):
    """The ``num_beams`` highest (B, K, V) extension scores of each row: scores, source beam, token (B, K)."""
    batch_size, _, vocab_size = extended.shape
    flat = extended.reshape(batch_size, -1)
    top = numpy.argsort(-flat, axis=1, kind="stable")[:, :num_beams]
    origin, tokens = numpy.divmod(top, vocab_size)
    return numpy.take_along_axis(flat, top, axis=1), origin, tokens


def _best_reachable(beam_scores, step, max_new_tokens, length_penalty):
    """(B,) an upper bound on the normalised score any live beam can still reach.

    Log-probabilities are <= 0, so a beam's sum only falls; dividing by length ** penalty is
    largest at the longest length for a positive penalty and at the next length otherwise.
    """
    best_sum = beam_scores.max(axis=1)
    length = max_new_tokens if length_penalty > 0 else min(step + 1, max_new_tokens)
    return best_sum / length ** length_penalty
