"""Tests for tinygrad_lite/metrics/classification.py: hand-computed numbers and scikit-learn."""
import warnings

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES
from tinygrad_lite.metrics.classification import (UndefinedMetricWarning, accuracy,
                                                  classification_report, confusion_matrix,
                                                  f1_score, fbeta_score, precision,
                                                  precision_recall_fscore_support, recall,
                                                  top_k_accuracy)

try:
    from sklearn import metrics as sk
except ImportError:  # scikit-learn is an optional reference
    sk = None

requires_sklearn = pytest.mark.skipif(sk is None, reason="scikit-learn is not installed")

# Three classes. Confusion matrix (rows true, columns predicted): [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
Y_TRUE = [0, 1, 2, 2, 1, 0]
Y_PRED = [0, 2, 2, 2, 1, 1]
# Binary: tp = 3, fp = 2, fn = 1, tn = 1
B_TRUE = [1, 0, 1, 1, 0, 0, 1]
B_PRED = [1, 1, 0, 1, 0, 1, 1]


def _logits_for(labels, num_classes=3):
    """Scores whose argmax is ``labels`` (float32, shape (N, C))."""
    scores = numpy.full((len(labels), num_classes), -1.0, dtype=numpy.float32)
    scores[numpy.arange(len(labels)), labels] = 2.0
    return scores


@pytest.mark.parametrize("convert", [list, numpy.array, tl.tensor], ids=["list", "numpy", "tensor"])
def test_accuracy_hand_computed(convert):
    assert accuracy(convert(Y_TRUE), convert(Y_PRED)) == pytest.approx(4 / 6)
    assert accuracy(convert(Y_TRUE), convert(Y_PRED), normalize=False) == 4
    assert accuracy(convert(B_TRUE), convert(B_PRED)) == pytest.approx(4 / 7)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_accuracy_from_logits_on_device(device, dtype):
    logits = tl.tensor(_logits_for(Y_PRED), dtype=dtype, device=device, requires_grad=True)
    targets = tl.tensor(Y_TRUE, device=device)
    assert accuracy(targets, logits) == pytest.approx(4 / 6)
    assert isinstance(accuracy(targets, logits), float)


def test_accuracy_sequences_and_ignore_index():
    targets = numpy.array([[1, 2, -100], [0, -100, -100]])
    predicted = numpy.array([[1, 0, 2], [0, 1, 1]])
    assert accuracy(targets, predicted, ignore_index=-100) == pytest.approx(2 / 3)
    logits = numpy.eye(3)[predicted]  # (2, 3, 3) one-hot scores
    assert accuracy(targets, logits, ignore_index=-100) == pytest.approx(2 / 3)


def test_top_k_accuracy_hand_computed():
    logits = [[0.1, 0.5, 0.4], [0.8, 0.15, 0.05], [0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
    targets = [2, 0, 0, 1]  # ranks of the true class: 1, 0, 2, 2
    assert top_k_accuracy(logits, targets, k=1) == pytest.approx(0.25)
    assert top_k_accuracy(logits, targets, k=2) == pytest.approx(0.5)
    assert top_k_accuracy(logits, targets, k=3) == pytest.approx(1.0)
    assert top_k_accuracy(tl.tensor(logits), tl.tensor(targets), k=2, normalize=False) == 2
    assert top_k_accuracy([[[0.1, 0.9]], [[0.7, 0.3]]], [[1], [-1]], k=1, ignore_index=-1) == 1.0


@requires_sklearn
def test_top_k_accuracy_matches_sklearn():
    rng = numpy.random.default_rng(0)
    scores = rng.standard_normal((40, 6))
    targets = rng.integers(0, 6, 40)
    for k in (1, 2, 4):
        expected = sk.top_k_accuracy_score(targets, scores, k=k, labels=numpy.arange(6))
        assert top_k_accuracy(scores, targets, k=k) == pytest.approx(expected)


@pytest.mark.parametrize("k, message", [(0, "between 1 and"), (4, r"classes \(3\)"),
                                        (1.5, "between 1")])
def test_top_k_accuracy_bad_k(k, message):
    with pytest.raises(ValueError, match=message):
        top_k_accuracy(_logits_for([0, 1]), [0, 1], k=k)


def test_top_k_accuracy_target_out_of_range():
    with pytest.raises(IndexError, match="class index 3, out of range for 3 classes"):
        top_k_accuracy(_logits_for([0, 1]), [0, 3], k=1)


def test_confusion_matrix_hand_computed():
    expected = [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
    matrix = confusion_matrix(Y_TRUE, Y_PRED)
    assert matrix.dtype == numpy.int64 and matrix.tolist() == expected
    assert confusion_matrix(Y_TRUE, _logits_for(Y_PRED, 4)).tolist() == [
        row + [0] for row in expected] + [[0, 0, 0, 0]]
    assert confusion_matrix([0, 1], [1, 1], num_classes=3).tolist() == [[0, 1, 0], [0, 1, 0],
                                                                        [0, 0, 0]]
    numpy.testing.assert_allclose(confusion_matrix([0, 0, 1], [0, 1, 1], normalize="true"),
                                  [[0.5, 0.5], [0.0, 1.0]])
    numpy.testing.assert_allclose(confusion_matrix([0, 0, 1], [0, 1, 1], normalize="pred"),
                                  [[1.0, 0.5], [0.0, 0.5]])
    numpy.testing.assert_allclose(confusion_matrix([0, 0, 1], [0, 1, 1], num_classes=3,
                                                   normalize="all"),
                                  [[1 / 3, 1 / 3, 0], [0, 1 / 3, 0], [0, 0, 0]])


@requires_sklearn
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_matches_sklearn(normalize):
    rng = numpy.random.default_rng(1)
    truth, predicted = rng.integers(0, 5, 60), rng.integers(0, 5, 60)
    numpy.testing.assert_allclose(confusion_matrix(truth, predicted, normalize=normalize),
                                  sk.confusion_matrix(truth, predicted, normalize=normalize))


@pytest.mark.parametrize("y_true, y_pred, kwargs, error, message", [
    ([0, 3], [0, 1], {"num_classes": 3}, IndexError, "y_true holds class index 3, out of range"),
    ([0, 1], [0, -1], {}, IndexError, "y_pred holds class index -1"),
    ([0, 1], [0, 1, 1], {}, ValueError, r"shape \[2\] and y_pred of shape \[3\]"),
    ([0, 1], [0.2, 0.9], {}, ValueError, "looks like scores or probabilities"),
    ([0, 1], [0, 1], {"normalize": "rows"}, ValueError, "normalize"),
    ([], [], {}, ValueError, "at least one sample"),
])
def test_confusion_matrix_errors(y_true, y_pred, kwargs, error, message):
    with pytest.raises(error, match=message):
        confusion_matrix(y_true, y_pred, **kwargs)


MULTICLASS_EXPECTED = {
    None: ([1.0, 0.5, 2 / 3], [0.5, 0.5, 1.0], [2 / 3, 0.5, 0.8]),
    "macro": ((1.0 + 0.5 + 2 / 3) / 3, 2 / 3, (2 / 3 + 0.5 + 0.8) / 3),
    "weighted": ((1.0 + 0.5 + 2 / 3) / 3, 2 / 3, (2 / 3 + 0.5 + 0.8) / 3),
    "micro": (4 / 6, 4 / 6, 4 / 6),
}


@pytest.mark.parametrize("average", [None, "macro", "weighted", "micro"])
def test_multiclass_scores_hand_computed(average):
    expected_precision, expected_recall, expected_f1 = MULTICLASS_EXPECTED[average]
    numpy.testing.assert_allclose(precision(Y_TRUE, Y_PRED, average=average), expected_precision)
    numpy.testing.assert_allclose(recall(Y_TRUE, Y_PRED, average=average), expected_recall)
    numpy.testing.assert_allclose(f1_score(Y_TRUE, _logits_for(Y_PRED), average=average),
                                  expected_f1)


def test_weighted_average_uses_support():
    # class 0: support 3, precision 1, recall 1/3; class 1: support 1, precision 1/3, recall 1
    truth, predicted = [0, 0, 0, 1], [0, 1, 1, 1]
    assert precision(truth, predicted, average="weighted") == pytest.approx(0.75 + 0.25 / 3)
    assert recall(truth, predicted, average="weighted") == pytest.approx(0.5)
    _, _, _, support = precision_recall_fscore_support(truth, predicted)
    assert support.tolist() == [3, 1]


def test_binary_scores_hand_computed():
    assert precision(B_TRUE, B_PRED) == pytest.approx(0.6)
    assert recall(B_TRUE, B_PRED) == pytest.approx(0.75)
    assert f1_score(B_TRUE, B_PRED) == pytest.approx(2 / 3)
    assert fbeta_score(B_TRUE, B_PRED, beta=2.0) == pytest.approx(5 * 3 / (5 * 3 + 4 * 1 + 2))
    assert precision(B_TRUE, B_PRED, pos_label=0) == pytest.approx(0.5)
    assert recall(B_TRUE, B_PRED, pos_label=0) == pytest.approx(1 / 3)
    assert f1_score(B_TRUE, B_PRED, pos_label=0) == pytest.approx(0.4)
    assert precision(tl.tensor(B_TRUE), tl.tensor(B_PRED, dtype=tl.bool)) == pytest.approx(0.6)


def test_binary_average_refuses_multiclass_and_bad_pos_label():
    with pytest.raises(ValueError, match="multiclass"):
        precision(Y_TRUE, Y_PRED)
    with pytest.raises(ValueError, match="pos_label=2 is not a valid label"):
        recall(B_TRUE, B_PRED, pos_label=2)
    with pytest.raises(ValueError, match="average must be one of"):
        f1_score(Y_TRUE, Y_PRED, average="samples")
    with pytest.raises(ValueError, match="zero_division"):
        f1_score(B_TRUE, B_PRED, zero_division=2)


@pytest.mark.parametrize("zero_division, expected", [("warn", 0.0), (0, 0.0), (1, 1.0),
                                                     (numpy.nan, numpy.nan)])
def test_zero_division_binary(zero_division, expected):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = precision([0, 0, 1], [0, 0, 0], zero_division=zero_division)
    numpy.testing.assert_equal(value, expected)
    warned = [w for w in caught if issubclass(w.category, UndefinedMetricWarning)]
    assert len(warned) == (1 if zero_division == "warn" else 0)
    assert recall([0, 0, 1], [0, 0, 0], zero_division=zero_division) == 0.0  # defined: 0 / 1


@pytest.mark.parametrize("zero_division, expected", [(0, 0.5), (1, (1 + 0.5 + 1) / 3),
                                                     (numpy.nan, 0.75)])
def test_zero_division_macro(zero_division, expected):
    # class 2 is never predicted: its precision is 0/0
    value = precision([0, 1, 2], [0, 1, 1], average="macro", zero_division=zero_division)
    assert value == pytest.approx(expected)


def test_labels_and_num_classes_select_classes():
    assert precision(Y_TRUE, Y_PRED, average=None, labels=[2, 0]).tolist() == pytest.approx(
        [2 / 3, 1.0])
    scores = recall([0, 1], [0, 1], average=None, num_classes=3, zero_division=0)
    assert scores.tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(IndexError, match="class index 5, out of range for 3"):
        recall([0, 5], [0, 1], average="macro", num_classes=3)


@requires_sklearn
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("zero_division", [0, 1, numpy.nan])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_precision_recall_f1_match_sklearn(average, zero_division, seed):
    rng = numpy.random.default_rng(seed)
    truth, predicted = rng.integers(0, 5, 30), rng.integers(0, 4, 30)  # class 4 never predicted
    for ours, theirs in [(precision, sk.precision_score), (recall, sk.recall_score),
                         (f1_score, sk.f1_score)]:
        numpy.testing.assert_allclose(
            ours(truth, predicted, average=average, zero_division=zero_division),
            theirs(truth, predicted, average=average, zero_division=zero_division))
    numpy.testing.assert_allclose(
        fbeta_score(truth, predicted, beta=0.5, average=average, zero_division=zero_division),
        sk.fbeta_score(truth, predicted, beta=0.5, average=average, zero_division=zero_division))


@requires_sklearn
@pytest.mark.parametrize("pos_label", [0, 1])
def test_binary_matches_sklearn(pos_label):
    rng = numpy.random.default_rng(3)
    truth, predicted = rng.integers(0, 2, 25), rng.integers(0, 2, 25)
    assert precision(truth, predicted, pos_label=pos_label) == pytest.approx(
        sk.precision_score(truth, predicted, pos_label=pos_label))
    assert f1_score(truth, predicted, pos_label=pos_label) == pytest.approx(
        sk.f1_score(truth, predicted, pos_label=pos_label))


def test_classification_report_hand_computed():
    report = classification_report(Y_TRUE, Y_PRED, target_names=["cat", "dog", "eel"])
    assert list(report) == ["cat", "dog", "eel", "accuracy", "macro avg", "weighted avg"]
    assert report["eel"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1-score": 0.8,
                                           "support": 2})
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["macro avg"]["f1-score"] == pytest.approx((2 / 3 + 0.5 + 0.8) / 3)
    assert report["weighted avg"]["support"] == 6
    partial = classification_report(Y_TRUE, Y_PRED, labels=[0, 1])
    assert "micro avg" in partial and "accuracy" not in partial
    with pytest.raises(ValueError, match="target_names has 2 names but there are 3 labels"):
        classification_report(Y_TRUE, Y_PRED, target_names=["a", "b"])


@requires_sklearn
@pytest.mark.parametrize("labels", [None, [0, 2, 3]])
def test_classification_report_matches_sklearn(labels):
    rng = numpy.random.default_rng(4)
    truth, predicted = rng.integers(0, 4, 40), rng.integers(0, 4, 40)
    mine = classification_report(truth, predicted, labels=labels, zero_division=0)
    theirs = sk.classification_report(truth, predicted, labels=labels, zero_division=0,
                                      output_dict=True)
    assert list(mine) == list(theirs)
    for key, value in theirs.items():
        assert mine[key] == pytest.approx(value), key
