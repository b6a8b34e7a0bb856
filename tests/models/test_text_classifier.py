"""models/text_classifier.py: shapes, padding that changes nothing, embeddings from an array, which
states feed the head, float64 gradients."""
import numpy
import pytest

import tinygrad_lite as tl
from models.text_classifier import MeanEmbeddingClassifier, RecurrentTextClassifier

# Three texts of 3, 1 and 0 words, padded with id 0 to 5 steps.
IDS = numpy.array([[5, 6, 7, 0, 0], [3, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=numpy.int64)


def more_padding(ids, extra):
    return numpy.concatenate([ids, numpy.zeros((len(ids), extra), dtype=numpy.int64)], axis=1)


def build(kind, **options):
    if kind == "mean":
        return MeanEmbeddingClassifier(10, 4, 3, padding_id=0, **options)
    return RecurrentTextClassifier(10, 4, 5, 3, padding_id=0, bidirectional=kind == "bilstm", **options)


@pytest.mark.parametrize("kind", ["mean", "lstm", "bilstm"])
def test_logits_shape_dtype_and_feature_width(kind):
    model = build(kind)
    logits = model(tl.tensor(IDS))
    assert logits.shape == (3, 3) and logits.dtype == tl.float32
    width = {"mean": 4, "lstm": 5, "bilstm": 10}[kind]
    assert model.features(tl.tensor(IDS)).shape == (3, width)


@pytest.mark.parametrize("kind", ["mean", "lstm", "bilstm"])
def test_extra_padding_does_not_change_the_logits(kind):
    model = build(kind, dropout=0.3)
    model.eval()
    short = model(tl.tensor(IDS)).numpy(force=True)
    long = model(tl.tensor(more_padding(IDS, 6))).numpy(force=True)
    numpy.testing.assert_allclose(long, short, rtol=1e-6, atol=1e-7)
    assert numpy.isfinite(short).all()  # the all-padding text included


def test_mean_features_are_the_average_of_each_texts_word_vectors():
    model = build("mean")
    table = model.embedding.weight.numpy(force=True)
    features = model.features(tl.tensor(IDS)).numpy(force=True)
    numpy.testing.assert_allclose(features[0], table[[5, 6, 7]].mean(0), rtol=1e-6)
    numpy.testing.assert_allclose(features[1], table[3], rtol=1e-6)
    numpy.testing.assert_allclose(features[2], 0.0)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_bilstm_reads_each_text_from_its_own_last_word_backwards(num_layers):
    # The backward direction's final state must equal running the LSTM on the unpadded text alone.
    model = build("bilstm", num_layers=num_layers)
    model.eval()
    batch = model.features(tl.tensor(IDS[:2])).numpy(force=True)
    alone = model.features(tl.tensor(IDS[:1, :3])).numpy(force=True)
    numpy.testing.assert_allclose(batch[:1], alone, rtol=1e-5, atol=1e-6)


def test_embeddings_start_from_the_given_array_with_a_zero_padding_row():
    vectors = numpy.arange(40, dtype=numpy.float64).reshape(10, 4)
    model = build("mean", embeddings=vectors)
    table = model.embedding.weight.numpy(force=True)
    assert table.dtype == numpy.float32 and model.embedding.weight.requires_grad
    numpy.testing.assert_array_equal(table[1:], vectors[1:])
    numpy.testing.assert_array_equal(table[0], 0.0)
    with pytest.raises(ValueError, match=r"embeddings must be \(10, 4\)"):
        build("lstm", embeddings=numpy.zeros((9, 4)))


@pytest.mark.parametrize("kind", ["mean", "lstm", "bilstm"])
def test_gradcheck_float64_every_parameter(kind):
    model = build(kind).double()
    ids = tl.tensor(IDS[:2, :4])
    parameters = [p for p in model.parameters()]
    assert tl.autograd.gradcheck(lambda *params: model(ids), parameters)
