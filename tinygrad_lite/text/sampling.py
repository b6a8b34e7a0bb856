"""Next-token logits filters for sampling (seed 000 #5, 004 #13): temperature, top-k, top-p.

Each takes NumPy logits (N, V) and returns a new (N, V) array in which a token that may not be
drawn holds -inf, so its softmax probability is exactly 0 (Hugging Face's logits warpers).
``generate`` applies them in Hugging Face's order: temperature, then top-k, then top-p.
"""
import numpy

__all__ = ["apply_temperature", "log_softmax", "sample_tokens", "top_k_filter", "top_p_filter"]


def apply_temperature(logits, temperature):
    """logits / temperature: below 1 sharpens the distribution, above 1 flattens it."""
    return logits / temperature


def top_k_filter(logits, top_k):
    """Keep each row's ``top_k`` largest logits (ties with the k-th kept too); -inf elsewhere."""
    vocab_size = logits.shape[-1]
    if top_k >= vocab_size:
        return logits
    kth_largest = numpy.partition(logits, vocab_size - top_k, axis=-1)[:, vocab_size - top_k, None]
    return numpy.where(logits < kth_largest, -numpy.inf, logits)


def top_p_filter(logits, top_p):
    """Nucleus filter: keep the smallest set of most likely tokens whose probability reaches ``top_p``.

    A token is kept when the tokens more likely than it hold less than ``top_p`` of the mass, so
    the most likely token (which has none before it) is always kept.
    """
    if top_p >= 1.0:
        return logits
    order = numpy.argsort(-logits, axis=-1, kind="stable")
    sorted_probs = numpy.exp(log_softmax(numpy.take_along_axis(logits, order, axis=-1)))
    mass_before = numpy.cumsum(sorted_probs, axis=-1) - sorted_probs
    mass_before[:, 0] = 0.0  # exact: the rounding of p - p must not drop the top token
    dropped = numpy.empty_like(mass_before, dtype=bool)
    numpy.put_along_axis(dropped, order, mass_before >= top_p, axis=-1)
    return numpy.where(dropped, -numpy.inf, logits)


def log_softmax(logits):
    """Row-wise log-softmax (N, V) -> (N, V), stable for large logits and -inf entries."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True))


def sample_tokens(logits, rng):
    """One token per row drawn from softmax(logits) (N, V) -> int64 (N,), by inverting the CDF.

    One uniform draw per row from ``rng`` (a ``numpy.random.Generator``), so a seed fixes the tokens.
    """
    cumulative = numpy.cumsum(numpy.exp(log_softmax(logits)), axis=-1)
    # Scaling by the row total keeps the draw inside the CDF despite rounding in the sum.
    threshold = rng.random(logits.shape[0])[:, None] * cumulative[:, -1:]
    return (cumulative <= threshold).sum(axis=-1).astype(numpy.int64)
