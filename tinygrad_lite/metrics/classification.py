"""Classification metrics: accuracy, top-k accuracy, confusion matrix, precision / recall / F-score.

Inputs are Tensors (any device), NumPy arrays or lists. ``y_true`` holds class labels of shape
``(N,)`` (or any shape, flattened); ``y_pred`` holds labels of the same shape, or logits /
probabilities with one extra trailing axis of ``C`` classes, reduced by argmax. Results are
computed in NumPy on the host and follow scikit-learn's definitions, ``zero_division``
included: ``precision``, ``recall`` and ``f1_score`` take ``average='binary' | 'micro' |
'macro' | 'weighted' | None``.
"""
import math
import numbers
import warnings

import numpy

from tinygrad_lite.metrics._inputs import as_labels, check_class_indices, label_pair, to_numpy

__all__ = ["accuracy", "top_k_accuracy", "confusion_matrix", "precision_recall_fscore_support",
           "precision", "recall", "f1_score", "fbeta_score", "classification_report",
           "UndefinedMetricWarning"]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


class UndefinedMetricWarning(UserWarning):
    """A score divided by zero (no predicted or no true samples) and was set to 0."""


def accuracy(y_true, y_pred, normalize=True, ignore_index=None):
    """Fraction (``normalize=True``) or count of samples whose predicted label equals the true one.

    ``y_true (N,)``; ``y_pred (N,)`` labels or ``(N, C)`` scores; positions where ``y_true ==
    ignore_index`` (e.g. padding tokens) are left out. Returns a Python float (or int count).
    """
    truth, predicted, _ = label_pair(y_true, y_pred)
    if ignore_index is not None:
        keep = truth != ignore_index
        truth, predicted = truth[keep], predicted[keep]
        if truth.size == 0 and normalize:
            raise ValueError(f"accuracy: every target equals ignore_index={ignore_index}")
    correct = int(numpy.count_nonzero(truth == predicted))
    return correct / truth.size if normalize else correct


def top_k_accuracy(logits, targets, k=5, normalize=True, ignore_index=None):
    """Fraction of samples whose true class is among the ``k`` highest scores.

    ``logits (N, C)`` (or ``(..., C)``) scores, ``targets (N,)`` (or ``(...)``) class indices.
    A true class tied with the k-th score counts as a hit (its rank is the number of classes
    scoring strictly higher). Returns a Python float (or int count).
    """
    scores = to_numpy(logits, "logits")
    truth = as_labels(to_numpy(targets, "targets"), "targets")
    if scores.ndim < 2 or scores.shape[:-1] != truth.shape:
        raise ValueError(f"top_k_accuracy expects logits of shape (..., C) and targets of shape "
                         f"(...); got logits {list(scores.shape)} and targets {list(truth.shape)}")
    num_classes = scores.shape[-1]
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= num_classes:
        raise ValueError(f"k must be an integer between 1 and the number of classes "
                         f"({num_classes}), got {k!r}")
    scores, truth = scores.reshape(-1, num_classes), truth.reshape(-1)
    if ignore_index is not None:
        keep = truth != ignore_index
        scores, truth = scores[keep], truth[keep]
    if truth.size == 0:
        raise ValueError("top_k_accuracy needs at least one (non-ignored) target")
    check_class_indices(truth, num_classes, "targets")
    true_scores = numpy.take_along_axis(scores, truth[:, None], axis=1)
    rank = numpy.count_nonzero(scores > true_scores, axis=1)
    hits = int(numpy.count_nonzero(rank < k))
    return hits / truth.size if normalize else hits


def confusion_matrix(y_true, y_pred, num_classes=None, normalize=None):
    """``(C, C)`` int64 counts: entry ``[i, j]`` is the number of samples of true class ``i``
    predicted as class ``j`` (rows = true, columns = predicted).

    Labels are class indices in ``[0, C)``; ``C`` is ``num_classes``, else the number of score
    columns of ``y_pred``, else the largest label + 1. ``normalize='true' | 'pred' | 'all'``
    divides by row sums, column sums or the total (float64; empty rows/columns give 0).
    """
    truth, predicted, num_columns = label_pair(y_true, y_pred)
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all', got {normalize!r}")
    if num_classes is None:
        num_classes = num_columns
    if num_classes is None:
        for name, labels in (("y_true", truth), ("y_pred", predicted)):
            if labels.dtype.kind not in "iu":
                raise TypeError(f"{name} must hold integer class indices, got dtype {labels.dtype}")
            if numpy.any(labels < 0):
                raise IndexError(f"{name} holds class index {labels[labels < 0][0]}; class "
                                 f"indices must be non-negative")
        num_classes = int(max(truth.max(), predicted.max())) + 1
    check_class_indices(truth, num_classes, "y_true")
    check_class_indices(predicted, num_classes, "y_pred")
    flat = truth.astype(numpy.int64) * num_classes + predicted
    counts = numpy.bincount(flat, minlength=num_classes * num_classes)
    matrix = counts.reshape(num_classes, num_classes).astype(numpy.int64)
    if normalize is None:
        return matrix
    if normalize == "all":
        totals = matrix.sum()
    else:
        totals = matrix.sum(axis=1 if normalize == "true" else 0, keepdims=True)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return numpy.nan_to_num(matrix / totals)


def _zero_division_value(zero_division):
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")
        return 0.0
    if isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool) and (
            zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")


def _divide(numerator, denominator, zero_division, metric, missing, warn):
    """``numerator / denominator`` with 0/0 entries set to ``zero_division`` (warned if 'warn')."""
    undefined = denominator == 0
    result = numerator / numpy.where(undefined, 1.0, denominator)
    if numpy.any(undefined):
        result[undefined] = _zero_division_value(zero_division)
        if zero_division == "warn" and warn:
            warnings.warn(f"{metric} is ill-defined and being set to 0.0 for "
                          f"{int(undefined.sum())} label(s) with no {missing} samples; use the "
                          f"zero_division parameter to control this behavior.",
                          UndefinedMetricWarning, stacklevel=4)
    return result


def _label_statistics(truth, predicted, labels):
    """Per label in ``labels``: true positives, predicted counts and true counts."""
    every = numpy.union1d(numpy.union1d(truth, predicted), labels)
    true_slot = numpy.searchsorted(every, truth)
    pred_slot = numpy.searchsorted(every, predicted)
    size = len(every)
    true_counts = numpy.bincount(true_slot, minlength=size)
    pred_counts = numpy.bincount(pred_slot, minlength=size)
    hits = numpy.bincount(true_slot[true_slot == pred_slot], minlength=size)
    chosen = numpy.searchsorted(every, labels)
    return hits[chosen], pred_counts[chosen], true_counts[chosen]


def _nan_average(values, weights=None):
    """Mean of the non-NaN values (weighted when the kept weights are not all zero)."""
    keep = ~numpy.isnan(values)
    if not numpy.any(keep):
        return float("nan")
    values = values[keep]
    if weights is not None:
        weights = weights[keep].astype(numpy.float64)
        if weights.sum() > 0:
            return float(numpy.sum(values * weights) / weights.sum())
    return float(values.mean())


def _select_labels(truth, predicted, average, labels, pos_label, num_classes):
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    present = numpy.union1d(truth, predicted)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"Target is multiclass (labels {present.tolist()}) but "
                             f"average='binary'; choose another average setting, one of "
                             f"[None, 'micro', 'macro', 'weighted']")
        if pos_label not in present and len(present) >= 2:
            raise ValueError(f"pos_label={pos_label!r} is not a valid label: it should be one of "
                             f"{present.tolist()}")
        return numpy.asarray([pos_label])
    if labels is not None:
        return numpy.asarray(labels)
    if num_classes is not None:
        check_class_indices(truth, num_classes, "y_true")
        check_class_indices(predicted, num_classes, "y_pred")
        return numpy.arange(num_classes)
    return present


def precision_recall_fscore_support(y_true, y_pred, beta=1.0, labels=None, pos_label=1,
                                    average=None, zero_division="warn", num_classes=None,
                                    warn_for=("precision", "recall", "f-score")):
    """Precision, recall, F-beta and support per label, or averaged (scikit-learn's definitions).

    Per label: precision = tp / predicted, recall = tp / true, F-beta =
    (1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp); a 0/0 takes ``zero_division`` (0 with
    a warning for 'warn', 0, 1 or nan). Labels are ``labels``, else ``range(num_classes)``,
    else the sorted labels present in either input. ``average=None`` returns four ``(L,)``
    arrays; otherwise three Python floats and None: 'binary' scores ``pos_label`` only,
    'micro' pools counts, 'macro' is the unweighted mean (NaN scores skipped), 'weighted'
    weighs by support.
    """
    truth, predicted, _ = label_pair(y_true, y_pred)
    if not isinstance(beta, numbers.Real) or beta < 0:
        raise ValueError(f"beta should be >= 0 in the F-beta score, got {beta!r}")
    _zero_division_value(zero_division)
    chosen = _select_labels(truth, predicted, average, labels, pos_label, num_classes)
    hits, pred_counts, true_counts = _label_statistics(truth, predicted, chosen)
    if average == "micro":
        hits, pred_counts, true_counts = (numpy.array([values.sum()])
                                          for values in (hits, pred_counts, true_counts))
    hits = hits.astype(numpy.float64)
    precision_values = _divide(hits, pred_counts, zero_division, "Precision",
                               "predicted", "precision" in warn_for)
    recall_values = _divide(hits, true_counts, zero_division, "Recall", "true",
                            "recall" in warn_for)
    if math.isinf(beta):
        f_values = recall_values
    elif beta == 0:
        f_values = precision_values
    else:
        beta2 = float(beta) ** 2
        f_values = _divide((1.0 + beta2) * hits, beta2 * true_counts + pred_counts,
                           zero_division, "F-score", "true nor predicted",
                           "f-score" in warn_for)
    if average is None:
        return precision_values, recall_values, f_values, true_counts.astype(numpy.int64)
    weights = true_counts if average == "weighted" else None
    return (_nan_average(precision_values, weights), _nan_average(recall_values, weights),
            _nan_average(f_values, weights), None)


def precision(y_true, y_pred, labels=None, pos_label=1, average="binary", zero_division="warn",
              num_classes=None):
    """Precision ``tp / (tp + fp)``: a Python float, or an ``(L,)`` array for ``average=None``.

    See :func:`precision_recall_fscore_support` for ``labels``, ``average`` and ``zero_division``.
    """
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, zero_division=zero_division,
                                           num_classes=num_classes, warn_for=("precision",))[0]


def recall(y_true, y_pred, labels=None, pos_label=1, average="binary", zero_division="warn",
           num_classes=None):
    """Recall ``tp / (tp + fn)``: a Python float, or an ``(L,)`` array for ``average=None``.

    See :func:`precision_recall_fscore_support` for ``labels``, ``average`` and ``zero_division``.
    """
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, zero_division=zero_division,
                                           num_classes=num_classes, warn_for=("recall",))[1]


def fbeta_score(y_true, y_pred, beta, labels=None, pos_label=1, average="binary",
                zero_division="warn", num_classes=None):
    """F-beta score (recall counts ``beta`` times as much as precision); float or ``(L,)``."""
    return precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels,
                                           pos_label=pos_label, average=average,
                                           zero_division=zero_division, num_classes=num_classes,
                                           warn_for=("f-score",))[2]


def f1_score(y_true, y_pred, labels=None, pos_label=1, average="binary", zero_division="warn",
             num_classes=None):
    """F1 ``2 tp / (2 tp + fp + fn)``: a Python float, or an ``(L,)`` array for ``average=None``."""
    return fbeta_score(y_true, y_pred, 1.0, labels=labels, pos_label=pos_label, average=average,
                       zero_division=zero_division, num_classes=num_classes)


def classification_report(y_true, y_pred, labels=None, target_names=None, zero_division="warn",
                          num_classes=None):
    """Per-class and averaged scores as a dict, shaped like scikit-learn's ``output_dict=True``.

    ``{name: {'precision', 'recall', 'f1-score', 'support'}, 'accuracy': float, 'macro avg':
    {...}, 'weighted avg': {...}}``; 'micro avg' replaces 'accuracy' when ``labels`` leaves some
    present label out. Names are ``target_names`` or ``str(label)``.
    """
    truth, predicted, _ = label_pair(y_true, y_pred)
    chosen = _select_labels(truth, predicted, None, labels, 1, num_classes)
    if target_names is not None and len(target_names) != len(chosen):
        raise ValueError(f"target_names has {len(target_names)} names but there are "
                         f"{len(chosen)} labels {chosen.tolist()}")
    names = list(target_names) if target_names is not None else [str(label) for label in
                                                                  chosen.tolist()]
    per_label = precision_recall_fscore_support(truth, predicted, labels=chosen, average=None,
                                                zero_division=zero_division)
    report = {}
    keys = ("precision", "recall", "f1-score")
    for position, name in enumerate(names):
        entry = {key: float(values[position]) for key, values in zip(keys, per_label)}
        entry["support"] = int(per_label[3][position])
        report[name] = entry
    total = int(per_label[3].sum())
    covers_all = bool(numpy.all(numpy.isin(numpy.union1d(truth, predicted), chosen)))
    if covers_all:
        report["accuracy"] = accuracy(truth, predicted)
    averages = (["micro"] if not covers_all else []) + ["macro", "weighted"]
    for average in averages:
        scores = precision_recall_fscore_support(truth, predicted, labels=chosen, average=average,
                                                 zero_division=zero_division)
        report[f"{average} avg"] = dict(zip(keys, scores[:3]), support=total)
    return report
