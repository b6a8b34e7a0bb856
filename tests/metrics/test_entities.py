"""Tests for tinygrad_lite/metrics/entities.py: seqeval's documented examples and hand-counted edge cases."""
import math
import warnings

import pytest

from tinygrad_lite import metrics
from tinygrad_lite.metrics import UndefinedMetricWarning
from tinygrad_lite.metrics.entities import (entity_classification_report, entity_f1_score,
                                            entity_precision_recall_fscore, get_entities)

# seqeval's README: MISC's predicted span starts one token early, PER is right.
README_TRUE = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
README_PRED = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]


def test_exported_from_tl_metrics():
    assert metrics.entity_f1_score is entity_f1_score and metrics.get_entities is get_entities


@pytest.mark.parametrize("tags, entities", [
    (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 1), ("LOC", 3, 3)]),  # seqeval's docstring
    (["O", "I-PER", "I-PER", "O"], [("PER", 1, 2)]),                     # I- without B- starts one
    (["O", "O", "B-LOC"], [("LOC", 2, 2)]),                              # entity at the end
    (["B-ORG", "I-ORG", "I-ORG"], [("ORG", 0, 2)]),
    (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 0), ("LOC", 1, 2)]),       # type change mid-span
    (["B-PER", "B-PER", "I-PER"], [("PER", 0, 0), ("PER", 1, 2)]),       # B- after B- splits
    (["I-PER", "B-LOC", "I-PER"], [("PER", 0, 0), ("LOC", 1, 1), ("PER", 2, 2)]),
    (["O", "O"], []),
    ([], []),
    (["S-PER", "B-LOC", "E-LOC", "O"], [("PER", 0, 0), ("LOC", 1, 2)]),  # IOBES read too
])
def test_get_entities_follows_the_conlleval_rules(tags, entities):
    assert get_entities(tags) == entities


def test_get_entities_of_sentences_joins_them_with_an_o_like_seqeval():
    assert get_entities([["B-PER", "I-PER"], ["I-PER", "O"]]) == [("PER", 0, 1), ("PER", 3, 3)]


def test_seqeval_readme_example():
    precision, recall, f1 = entity_precision_recall_fscore(README_TRUE, README_PRED)
    assert (precision, recall, f1) == pytest.approx((0.5, 0.5, 0.5))
    report = entity_classification_report(README_TRUE, README_PRED, output_dict=True)
    assert report["MISC"] == {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1}
    assert report["PER"] == {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 1}
    for average in ("micro avg", "macro avg", "weighted avg"):
        assert report[average] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1-score": 0.5,
                                                 "support": 2})
    text = entity_classification_report(README_TRUE, README_PRED)
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert rows["MISC"] == ["0.00", "0.00", "0.00", "1"] and rows["PER"] == ["1.00", "1.00", "1.00", "1"]
    assert text.splitlines()[0].split() == ["precision", "recall", "f1-score", "support"]
    assert "weighted avg       0.50      0.50      0.50         2" in text


def test_hand_counted_micro_scores_and_per_type_report():
    y_true = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-DATE", "I-DATE"],
              ["B-ORG", "I-ORG", "O", "B-PER"]]
    # PER(0,0-1) right, LOC predicted as ORG, DATE cut short, ORG right, PER at the end missed,
    # and an extra LOC predicted on an O token.
    y_pred = [["B-PER", "I-PER", "O", "B-ORG", "B-LOC", "B-DATE", "O"],
              ["B-ORG", "I-ORG", "O", "O"]]
    # true: PER, LOC, DATE, ORG, PER = 5; predicted: PER, ORG, LOC, DATE, ORG = 5; correct: PER, ORG
    assert entity_precision_recall_fscore(y_true, y_pred) == pytest.approx((2 / 5, 2 / 5, 2 / 5))
    report = entity_classification_report(y_true, y_pred, output_dict=True)
    assert report["PER"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1-score": 2 / 3, "support": 2})
    assert report["ORG"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1-score": 2 / 3, "support": 1})
    assert report["LOC"]["f1-score"] == 0.0 and report["DATE"]["support"] == 1
    assert report["macro avg"]["f1-score"] == pytest.approx((2 / 3 + 2 / 3) / 4)
    assert report["weighted avg"]["recall"] == pytest.approx((0.5 * 2 + 1.0 * 1) / 5)
    assert entity_f1_score(y_true[:1], y_pred[:1]) == pytest.approx(2 * 1 / (4 + 3))


def test_a_span_must_match_exactly_in_type_start_and_end():
    y_true = [["B-PER", "I-PER", "I-PER"]]
    for wrong in (["B-PER", "I-PER", "O"], ["O", "B-PER", "I-PER"], ["B-LOC", "I-LOC", "I-LOC"]):
        assert entity_f1_score(y_true, [wrong]) == 0.0
    assert entity_f1_score(y_true, [["I-PER", "I-PER", "I-PER"]]) == 1.0  # conlleval's reading of I-


def test_empty_inputs_score_zero_with_a_warning_or_zero_division():
    with pytest.warns(UndefinedMetricWarning):
        assert entity_precision_recall_fscore([["O", "O"]], [["O", "O"]]) == (0.0, 0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert entity_f1_score([["B-PER"]], [["O"]], zero_division=0) == 0.0
        assert entity_precision_recall_fscore([["O"]], [["O"]], zero_division=1) == (1.0, 1.0, 1.0)
        assert math.isnan(entity_f1_score([], [], zero_division=float("nan")))
        assert entity_classification_report([["O"]], [["O"]], output_dict=True, zero_division=0)[
            "macro avg"]["f1-score"] == 0.0


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="2 sentences"):
        entity_f1_score([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 0: 2 true tags but 1"):
        entity_f1_score([["O", "O"]], [["O"]])
    with pytest.raises(TypeError, match="wrap a single sentence"):
        entity_f1_score(["O", "B-PER"], ["O", "B-PER"])
    with pytest.raises(ValueError, match="zero_division"):
        entity_f1_score([["O"]], [["O"]], zero_division=2)
