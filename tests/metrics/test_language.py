"""Tests for tinygrad_lite/metrics/language.py: perplexity."""
import math

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, requires_torch, torch
from tinygrad_lite.metrics.language import perplexity


def test_perplexity_of_mean_loss_and_token_nll():
    assert perplexity(2.0) == pytest.approx(math.exp(2.0))
    assert perplexity(0.0) == 1.0
    # per-token NLL ln 2 and ln 4: exp of their mean is 2 ** 1.5
    assert perplexity([math.log(2.0), math.log(4.0)]) == pytest.approx(2.0 ** 1.5)
    assert perplexity(numpy.log(numpy.array([[2.0, 4.0], [4.0, 2.0]]))) == pytest.approx(2.0 ** 1.5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_perplexity_of_cross_entropy_tensor(device, dtype):
    logits = tl.zeros(5, 7, dtype=dtype, device=device, requires_grad=True)  # uniform over 7
    targets = tl.tensor([0, 3, 6, 2, 1], device=device)
    loss = F.cross_entropy(logits, targets)
    assert perplexity(loss) == pytest.approx(7.0, rel=1e-6)
    assert perplexity(logits, targets) == pytest.approx(7.0, rel=1e-12)
    assert isinstance(perplexity(loss), float)


def test_perplexity_from_log_probs_and_logits_agree():
    probabilities = numpy.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    targets = [0, 1]
    expected = math.sqrt(2.0 * 1.25)  # NLL ln 2 and ln 1.25
    assert perplexity(numpy.log(probabilities), targets) == pytest.approx(expected)
    shifted_logits = numpy.log(probabilities) + numpy.array([[3.0], [-7.0]])
    assert perplexity(shifted_logits, targets) == pytest.approx(expected)


def test_perplexity_ignore_index_and_sequences():
    logits = numpy.zeros((2, 3, 4))
    logits[0, 0, 1] = math.log(3.0)  # p(target 1) = 3 / 6 = 0.5
    targets = numpy.array([[1, 2, -100], [0, -100, -100]])
    # kept NLLs: ln 2, then ln 4 twice (uniform rows) -> exp(mean) = (2 * 4 * 4) ** (1 / 3)
    assert perplexity(logits, targets, ignore_index=-100) == pytest.approx(32.0 ** (1 / 3))


@requires_torch
def test_perplexity_matches_torch_cross_entropy():
    rng = numpy.random.default_rng(0)
    logits = rng.standard_normal((6, 9, 11)).astype(numpy.float32) * 3.0
    targets = rng.integers(0, 11, (6, 9))
    targets[0, :4] = -1
    reference = torch.nn.functional.cross_entropy(torch.tensor(logits).reshape(-1, 11),
                                                  torch.tensor(targets).reshape(-1),
                                                  ignore_index=-1)
    assert perplexity(logits, targets, ignore_index=-1) == pytest.approx(
        math.exp(reference.item()), rel=1e-5)


@pytest.mark.parametrize("args, kwargs, error, message", [
    (([0.5, -0.1],), {}, ValueError, "negative NLL"),
    (([],), {}, ValueError, "at least one"),
    ((numpy.zeros((2, 3)), [0, 3]), {}, IndexError, "class index 3, out of range for 3"),
    ((numpy.zeros((2, 3)), [0, 1, 2]), {}, ValueError, r"\[2, 3\] and \[3\]"),
    ((numpy.zeros((1, 3)), [-1]), {"ignore_index": -1}, ValueError, "at least one"),
    ((1.0,), {"ignore_index": 0}, ValueError, "ignore_index needs targets"),
])
def test_perplexity_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        perplexity(*args, **kwargs)
