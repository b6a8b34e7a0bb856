"""models/text_cnn.py: shapes, padding that changes nothing, max over time of word windows, float64 gradients."""
import numpy
import pytest

import tinygrad_lite as tl
from models.text_cnn import TextCNN

IDS = numpy.array([[5, 6, 7, 8, 9, 0], [3, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=numpy.int64)


def test_logits_shape_and_one_pooled_feature_per_filter_and_width():
    model = TextCNN(10, 4, 3, widths=(2, 3, 5), num_filters=6)
    assert model(tl.tensor(IDS)).shape == (3, 3)
    assert model.features(tl.tensor(IDS)).shape == (3, 18)
    assert [conv.weight.shape for conv in model.convs] == [(6, 4, 2), (6, 4, 3), (6, 4, 5)]


def test_extra_padding_does_not_change_the_logits():
    model = TextCNN(10, 4, 3, num_filters=5)
    model.eval()
    short = model(tl.tensor(IDS)).numpy(force=True)
    longer = numpy.concatenate([IDS, numpy.zeros((3, 7), dtype=numpy.int64)], axis=1)
    numpy.testing.assert_allclose(model(tl.tensor(longer)).numpy(force=True), short, rtol=1e-6, atol=1e-7)
    assert numpy.isfinite(short).all()


def test_a_text_shorter_than_the_widest_window_and_its_word_order():
    # One word fills every window with zeros after it; reversing a text changes what the filters see.
    model = TextCNN(10, 4, 3, num_filters=5)
    model.eval()
    one_word = model.features(tl.tensor(IDS[1:2, :1])).numpy(force=True)
    numpy.testing.assert_allclose(model.features(tl.tensor(IDS[1:2])).numpy(force=True), one_word, rtol=1e-6)
    reversed_ids = IDS[:1].copy()
    reversed_ids[0, :5] = reversed_ids[0, :5][::-1]
    assert not numpy.allclose(model(tl.tensor(reversed_ids)).numpy(force=True),
                              model(tl.tensor(IDS[:1])).numpy(force=True))


def test_features_are_the_best_window_of_each_filter():
    model = TextCNN(10, 4, 3, widths=(2,), num_filters=3)
    table = model.embedding.weight.numpy(force=True)
    weight, bias = model.convs[0].weight.numpy(force=True), model.convs[0].bias.numpy(force=True)
    words = table[IDS[0, :5]]                                              # (5, 4)
    padded = numpy.concatenate([words, numpy.zeros((1, 4))])               # the window after the last word
    windows = numpy.stack([padded[i:i + 2] for i in range(5)])             # (5, 2, 4)
    responses = numpy.maximum(numpy.einsum("wkd,fdk->wf", windows, weight) + bias, 0)
    numpy.testing.assert_allclose(model.features(tl.tensor(IDS[:1])).numpy(force=True)[0],
                                  responses.max(0), rtol=1e-5, atol=1e-6)


def test_embeddings_from_an_array():
    vectors = numpy.random.default_rng(0).standard_normal((10, 4))
    model = TextCNN(10, 4, 3, num_filters=2, embeddings=vectors)
    numpy.testing.assert_allclose(model.embedding.weight.numpy(force=True)[1:], vectors[1:], rtol=1e-6)


def test_gradcheck_float64_every_parameter():
    model = TextCNN(8, 3, 2, widths=(2, 3), num_filters=2, dropout=0.0).double()
    ids = tl.tensor(IDS[:2, :5] % 8)
    assert tl.autograd.gradcheck(lambda *params: model(ids), list(model.parameters()))
