"""Language-model metrics: ``perplexity``.

Perplexity is ``exp`` of the mean negative log-likelihood per token (in nats), i.e. the
effective number of equally likely choices the model hesitates between; a model that guesses
uniformly over ``V`` tokens scores ``V``.
"""
import numpy

from tinygrad_lite.metrics._inputs import as_labels, check_class_indices, to_numpy

__all__ = ["perplexity"]


def _token_nll(logits, targets, ignore_index):
    """Per-token ``-log softmax(logits)[target]`` in float64, ignored positions dropped."""
    scores = to_numpy(logits, "logits").astype(numpy.float64)
    truth = as_labels(to_numpy(targets, "targets"), "targets")
    if scores.ndim < 1 or scores.shape[:-1] != truth.shape:
        raise ValueError(f"perplexity expects logits or log-probabilities of shape (..., V) and "
                         f"targets of shape (...); got {list(scores.shape)} and "
                         f"{list(truth.shape)}")
    vocabulary = scores.shape[-1]
    scores, truth = scores.reshape(-1, vocabulary), truth.reshape(-1)
    if ignore_index is not None:
        keep = truth != ignore_index
        scores, truth = scores[keep], truth[keep]
    check_class_indices(truth, vocabulary, "targets")
    # log-softmax is the identity on log-probabilities, so logits and log-probs both work.
    peak = scores.max(axis=1, keepdims=True)
    log_normaliser = peak[:, 0] + numpy.log(numpy.exp(scores - peak).sum(axis=1))
    return log_normaliser - numpy.take_along_axis(scores, truth[:, None], axis=1)[:, 0]


def perplexity(values, targets=None, ignore_index=None):
    """``exp(mean negative log-likelihood)``, as a Python float.

    Without ``targets``, ``values`` is a mean cross-entropy loss in nats (a scalar, e.g.
    ``F.cross_entropy(...)``) or per-token NLL values of any shape. With ``targets`` (integer
    token ids of shape ``(...)``), ``values`` holds logits or log-probabilities of shape
    ``(..., V)`` and the NLL of each target is computed first; ``ignore_index`` drops padding.
    """
    if targets is not None:
        nll = _token_nll(values, targets, ignore_index)
    else:
        if ignore_index is not None:
            raise ValueError("ignore_index needs targets: pass logits and targets, or drop the "
                             "ignored positions from the NLL values yourself")
        nll = to_numpy(values, "values").astype(numpy.float64).reshape(-1)
        if numpy.any(nll < 0):
            raise ValueError(f"perplexity got a negative NLL value ({nll[nll < 0][0]}): pass "
                             f"losses (>= 0), or log-probabilities together with targets")
    if nll.size == 0:
        raise ValueError("perplexity needs at least one (non-ignored) token")
    with numpy.errstate(over="ignore"):
        return float(numpy.exp(nll.mean()))
