"""models/bigram.py: add-one-smoothed counts and perplexity checked against a hand computation."""
import math

import numpy
import pytest

from models.bigram import BigramModel


def test_counts_and_smoothed_probabilities_match_a_hand_count():
    # pairs of 0 1 0 1 1 2: (0,1) x2, (1,0), (1,1), (1,2)
    model = BigramModel(3).fit([0, 1, 0, 1, 1, 2])
    assert model.counts.tolist() == [[0, 2, 0], [1, 1, 1], [0, 0, 0]]
    probabilities = numpy.exp(model.log_probs())
    # P(b | a) = (count(a, b) + 1) / (count(a) + V)
    assert probabilities[0] == pytest.approx([1 / 5, 3 / 5, 1 / 5])
    assert probabilities[1] == pytest.approx([2 / 6, 2 / 6, 2 / 6])
    assert probabilities[2] == pytest.approx([1 / 3, 1 / 3, 1 / 3])  # never seen: uniform
    assert probabilities.sum(axis=1) == pytest.approx(numpy.ones(3))


def test_perplexity_is_the_exp_of_the_mean_negative_log_likelihood_of_each_transition():
    model = BigramModel(3).fit([0, 1, 0, 1, 1, 2])
    # transitions of 0 1 2 2: P(1|0) = 3/5, P(2|1) = 2/6, P(2|2) = 1/3
    expected = math.exp(-(math.log(3 / 5) + math.log(2 / 6) + math.log(1 / 3)) / 3)
    assert model.perplexity([0, 1, 2, 2]) == pytest.approx(expected, rel=1e-12)


def test_an_untrained_model_is_uniform_and_fit_accumulates():
    assert BigramModel(7).perplexity([3, 1, 4, 1, 5]) == pytest.approx(7.0)
    twice = BigramModel(4).fit([0, 1, 2]).fit([0, 1, 2])
    assert twice.counts.tolist() == (2 * BigramModel(4).fit([0, 1, 2]).counts).tolist()


def test_a_deterministic_sequence_gets_low_perplexity_and_a_shuffled_one_high():
    cycle = numpy.tile(numpy.arange(10), 1000)
    model = BigramModel(10).fit(cycle)
    assert model.perplexity(cycle[:500]) < 1.01
    assert model.perplexity(numpy.random.default_rng(0).integers(0, 10, 500)) > 50


@pytest.mark.parametrize("ids, message", [([3], "at least 2 ids"), ([[0, 1]], "1-D"), ([0, 5], "ids must lie in 0..3")])
def test_bad_ids_are_refused_with_a_clear_message(ids, message):
    with pytest.raises(ValueError, match=message):
        BigramModel(4).fit(ids)
