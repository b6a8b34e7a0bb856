"""models/word2vec.py: shapes, the loss against a hand computation, float64 gradients, pair
generation, subsampling and negative sampling, training and nearest neighbours."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from models.word2vec import (SkipGram, draw_negatives, heldout_pairs, keep_probabilities, nearest_neighbours,
                             negative_distribution, nsg_loss, pca_2d, skipgram_pairs, token_counts,
                             train_skipgram, word_sentences)
from tinygrad_lite import text


def ids(*values):
    return tl.tensor(numpy.array(values, dtype=numpy.int64))


def set_weights(model, inputs, outputs):
    model.input_embeddings.weight.data[...] = inputs
    model.output_embeddings.weight.data[...] = outputs


def test_shapes_and_word2vec_init():
    model = SkipGram(11, 6)
    centres, contexts = ids(1, 2, 3), ids(4, 5, 6)
    negatives = tl.tensor(numpy.arange(12, dtype=numpy.int64).reshape(3, 4) % 11)
    losses = model(centres, contexts, negatives)
    assert losses.shape == (3,) and model.loss(centres, contexts, negatives).shape == ()
    assert model.embeddings().shape == (11, 6) and model.embeddings().dtype == numpy.float32
    # Output vectors start at zero, so every score is 0 and each pair costs (K + 1) log 2.
    numpy.testing.assert_allclose(losses.numpy(force=True), 5 * math.log(2), rtol=1e-6)
    assert numpy.abs(model.embeddings()).max() <= 0.5 / 6


def test_loss_matches_a_hand_computation():
    rng = numpy.random.default_rng(0)
    model = SkipGram(5, 3)
    inputs, outputs = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    set_weights(model, inputs, outputs)
    centres, contexts, negatives = [0, 3], [1, 1], [[2, 4], [0, 3]]
    losses = model(ids(*centres), ids(*contexts), tl.tensor(numpy.array(negatives))).numpy(force=True)

    def log_sigmoid(x):
        return -math.log1p(math.exp(-x))

    for row, (c, o, noise) in enumerate(zip(centres, contexts, negatives)):
        expected = -log_sigmoid(outputs[o] @ inputs[c]) - sum(log_sigmoid(-outputs[k] @ inputs[c]) for k in noise)
        assert losses[row] == pytest.approx(expected, rel=1e-5)


def test_gradcheck_float64_both_embeddings():
    model = SkipGram(6, 3).double()
    rng = numpy.random.default_rng(1)
    set_weights(model, rng.normal(size=(6, 3)), rng.normal(size=(6, 3)))
    # Repeated ids (1 twice among the centres, 2 in context and negatives) must sum their gradients.
    centres, contexts = ids(1, 1, 4), ids(2, 0, 5)
    negatives = tl.tensor(numpy.array([[2, 3], [5, 2], [1, 1]]))
    assert model.loss(centres, contexts, negatives).dtype == tl.float64
    assert tl.autograd.gradcheck(lambda *params: model(centres, contexts, negatives), list(model.parameters()))


def test_pairs_with_the_full_window_are_every_neighbour_in_the_same_sentence():
    sentences = [[10, 11, 12, 13], [20, 21]]

    class WidestWindow:  # every token draws the largest width
        def integers(self, low, high, size):
            return numpy.full(size, high - 1)

    centres, contexts = skipgram_pairs(sentences, 2, WidestWindow())
    expected = {(a, b) for sentence in sentences for i, a in enumerate(sentence) for j, b in enumerate(sentence)
                if i != j and abs(i - j) <= 2}
    assert sorted(zip(centres.tolist(), contexts.tolist())) == sorted(expected)
    assert centres.dtype == contexts.dtype == numpy.int64


def test_dynamic_window_and_subsampling_follow_their_draws():
    sentence = numpy.arange(100, 400)
    centres, contexts = skipgram_pairs([sentence], 4, numpy.random.default_rng(0))
    distance = numpy.abs(contexts - centres)
    assert distance.min() == 1 and distance.max() == 4
    # A width b in 1..4 drawn uniformly keeps distance d with probability (5 - d) / 4.
    shares = numpy.bincount(distance, minlength=5)[1:] / numpy.bincount(distance)[1]
    numpy.testing.assert_allclose(shares, [1, 0.75, 0.5, 0.25], atol=0.08)
    keep = numpy.ones(400)
    keep[100:200] = 0.0  # ids 100..199 always dropped: the window then spans the gap
    centres, contexts = skipgram_pairs([sentence], 1, numpy.random.default_rng(0), keep)
    assert centres.min() >= 200 and (199, 200) not in set(zip(centres.tolist(), contexts.tolist()))


def test_keep_probabilities_are_word2vecs_formula():
    counts = numpy.array([0, 1, 10, 1000, 8989])
    keep = keep_probabilities(counts, 1e-3)
    frequency = counts / counts.sum()
    expected = numpy.minimum((numpy.sqrt(frequency[1:] / 1e-3) + 1) * 1e-3 / frequency[1:], 1)
    numpy.testing.assert_allclose(keep[1:], expected)
    assert keep[0] == 1 and keep[1] == keep[2] == 1 and keep[4] < keep[3] < 1
    assert keep[4] == pytest.approx((math.sqrt(0.8989 / 1e-3) + 1) * 1e-3 / 0.8989)
    numpy.testing.assert_array_equal(keep_probabilities(counts, 0), numpy.ones(5))


def test_negatives_follow_the_three_quarter_power_of_the_counts():
    counts = numpy.array([0, 16, 81, 0, 1])
    distribution = negative_distribution(counts)
    numpy.testing.assert_allclose(distribution, numpy.array([0, 8, 27, 0, 1]) / 36)
    draws = draw_negatives(distribution, (20000, 5), numpy.random.default_rng(0))
    assert draws.shape == (20000, 5) and draws.dtype == numpy.int64
    numpy.testing.assert_allclose(numpy.bincount(draws.ravel(), minlength=5) / draws.size, distribution, atol=0.01)
    assert token_counts([[1, 2, 2], numpy.array([4])], 5).tolist() == [0, 1, 2, 0, 1]


def test_word_sentences_keep_words_of_each_paragraph():
    tokenizer = text.WordTokenizer.train("the cat sat. the cat ran, the dog sat!", min_freq=2)
    sentences = word_sentences(tokenizer, "The cat sat.\n\nA dog ran the cat!\n\nzebra")
    words = [[tokenizer.id_to_token(int(i)) for i in sentence] for sentence in sentences]
    assert words == [["the", "cat", "sat"], ["the", "cat"]]  # unknown words, punctuation, 1-word paragraphs out


def test_training_separates_two_topics_and_lowers_the_heldout_loss():
    rng = numpy.random.default_rng(0)
    topics = [numpy.arange(5, 15), numpy.arange(15, 25)]  # words co-occur only within their topic
    sentences = [rng.choice(topics[i % 2], size=12) for i in range(300)]
    model = train_skipgram(sentences, 25, embedding_dim=8, window=3, epochs=3, lr=0.05, batch_size=256,
                           subsample=0, progress=False)
    counts = token_counts(sentences, 25)
    pairs = heldout_pairs(sentences[:50], counts, window=3, negatives=5, subsample=0, seed=1)
    untrained = SkipGram(25, 8)
    assert nsg_loss(model, *pairs) < 0.8 * nsg_loss(untrained, *pairs)
    neighbours, similarity = nearest_neighbours(model, [5, 20], k=4)
    assert neighbours.shape == similarity.shape == (2, 4)
    assert numpy.all(neighbours[0] < 15) and numpy.all(neighbours[1] >= 15)
    assert 5 not in neighbours[0] and numpy.all(numpy.diff(similarity, axis=1) <= 0)


def test_training_is_deterministic_for_a_seed():
    sentences = [numpy.arange(5, 12)] * 20
    first, second = (train_skipgram(sentences, 12, embedding_dim=4, epochs=1, seed=3, progress=False)
                     for _ in range(2))
    numpy.testing.assert_array_equal(first.embeddings(), second.embeddings())


def test_pca_keeps_the_two_widest_directions():
    rng = numpy.random.default_rng(0)
    points = rng.normal(size=(200, 5)) * numpy.array([10.0, 0.1, 3.0, 0.1, 0.1])
    projected = pca_2d(points)
    assert projected.shape == (200, 2)
    numpy.testing.assert_allclose(projected.std(axis=0), points[:, [0, 2]].std(axis=0), rtol=0.02)
