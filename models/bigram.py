"""A count-based bigram language model with add-one (Laplace) smoothing: the honest baseline a
trained language model must beat (seed 004 #11: what a language model is; an n-gram model with
n = 2 is the simplest one that reads any context at all).

Training counts how often token b follows token a in the training ids; the model then predicts
P(b | a) = (count(a, b) + 1) / (count(a) + V), so a pair never seen still gets probability
1 / (count(a) + V) and every row sums to one. There are no parameters to learn by gradient:
``fit`` is one pass of counting, vectorised with ``numpy.bincount``.

Shapes: ids are a 1-D sequence of int token ids in ``0 .. vocab_size - 1``; ``log_probs`` is
(V, V) with row a the log-distribution of the token after a; ``perplexity`` scores the
len(ids) - 1 transitions of a sequence (the first token has no predecessor to condition on).
"""
import numpy


class BigramModel:
    """Add-one-smoothed bigram counts over a vocabulary of ``vocab_size`` ids."""

    def __init__(self, vocab_size):
        if vocab_size < 1:
            raise ValueError(f"BigramModel: vocab_size must be at least 1, got {vocab_size}")
        self.vocab_size = vocab_size
        self.counts = numpy.zeros((vocab_size, vocab_size), dtype=numpy.int64)

    def fit(self, ids):
        """Add the (previous, next) pairs of the 1-D id sequence ``ids`` to the counts; returns self."""
        ids = self._check_ids(ids)
        pairs = ids[:-1] * self.vocab_size + ids[1:]
        self.counts += numpy.bincount(pairs, minlength=self.vocab_size ** 2).reshape(self.counts.shape)
        return self

    def log_probs(self):
        """(V, V) float64: entry [a, b] is log P(b | a) with add-one smoothing."""
        smoothed = self.counts + 1.0
        return numpy.log(smoothed) - numpy.log(smoothed.sum(axis=1, keepdims=True))

    def perplexity(self, ids):
        """exp of the mean negative log-likelihood of each token of ``ids`` after the first."""
        ids = self._check_ids(ids)
        log_probs = self.log_probs()
        return float(numpy.exp(-log_probs[ids[:-1], ids[1:]].mean()))

    def _check_ids(self, ids):
        ids = numpy.asarray(ids, dtype=numpy.int64)
        if ids.ndim != 1 or ids.size < 2:
            raise ValueError(f"BigramModel: expected a 1-D sequence of at least 2 ids, got shape {list(ids.shape)}")
        if ids.min() < 0 or ids.max() >= self.vocab_size:
            raise ValueError(f"BigramModel: ids must lie in 0..{self.vocab_size - 1}, got "
                             f"{ids.min()}..{ids.max()}")
        return ids
