"""Entity-level scores for sequence labelling (named-entity recognition), as seqeval scores them.

Inputs are lists of sentences, each a list of tag strings: ``"O"``, or a prefix and a type such
as ``"B-PER"`` / ``"I-PER"`` (BIO; the IOBES prefixes ``E-`` and ``S-`` are read too). An entity
is a maximal span of tags that :func:`get_entities` groups under the conlleval rules seqeval
follows by default: ``I-X`` after ``O`` or after a tag of another type starts a new entity (it is
not dropped), and a change of type ends one. A predicted entity counts as correct only if its
type, first and last token all equal a true entity's; scores are micro-averaged over entities.

    y_true = [["O", "B-PER", "I-PER", "O"], ["B-LOC"]]
    y_pred = [["O", "B-PER", "O", "O"], ["B-LOC"]]
    entity_f1_score(y_true, y_pred)   # 0.5: LOC is right, PER's span is cut short
"""
import collections

import numpy

from tinygrad_lite.metrics.classification import _divide, _zero_division_value

__all__ = ["get_entities", "entity_precision_recall_fscore", "entity_f1_score",
           "entity_classification_report"]


def _split_tag(tag):
    """``(prefix, type)`` of one tag: ``"B-PER"`` -> ``("B", "PER")``, ``"O"`` -> ``("O", "_")``."""
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"tags must be non-empty strings such as 'O' or 'B-PER', got {tag!r}")
    return tag[0], tag[1:].split("-", 1)[-1] or "_"


def _boundaries(previous_prefix, prefix, previous_type, kind):
    """``(ends, starts)``: whether the previous tag ends an entity and this tag starts one."""
    type_changes = previous_type != kind
    ends = (previous_prefix in "ES" or (previous_prefix in "BI" and prefix in "BSO")
            or (previous_prefix not in "O." and type_changes))
    starts = (prefix in "BS" or (previous_prefix in "ESO" and prefix in "EI")
              or (prefix not in "O." and type_changes))
    return ends, starts


def get_entities(tags):
    """The entities of one sentence's tags, ``[(type, start, end_inclusive), ...]`` in order.

    ``get_entities(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 1), ("LOC", 3, 3)]``. A list
    of sentences is read as seqeval reads it: joined with an ``"O"`` between sentences, positions
    counted in the joined sequence.
    """
    tags = list(tags)
    if any(isinstance(tag, (list, tuple)) for tag in tags):
        tags = [tag for sentence in tags for tag in list(sentence) + ["O"]]
    entities = []
    previous_prefix, previous_type, start = "O", "", 0
    for position, tag in enumerate(tags + ["O"]):
        prefix, kind = _split_tag(tag)
        ends, starts = _boundaries(previous_prefix, prefix, previous_type, kind)
        if ends:
            entities.append((previous_type, start, position - 1))
        if starts:
            start = position
        previous_prefix, previous_type = prefix, kind
    return entities


def _entity_sets(y_true, y_pred):
    """``(true, predicted)`` sets of ``(sentence, type, start, end)`` after checking the shapes."""
    y_true, y_pred = list(y_true), list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} sentences but y_pred has {len(y_pred)}")
    true_entities, predicted_entities = set(), set()
    for index, (truth, predicted) in enumerate(zip(y_true, y_pred)):
        if isinstance(truth, str) or isinstance(predicted, str):
            raise TypeError("y_true and y_pred are lists of sentences, each a list of tags; "
                            "wrap a single sentence in a list")
        truth, predicted = list(truth), list(predicted)
        if len(truth) != len(predicted):
            raise ValueError(f"sentence {index}: {len(truth)} true tags but {len(predicted)} "
                             f"predicted tags")
        true_entities.update((index, *entity) for entity in get_entities(truth))
        predicted_entities.update((index, *entity) for entity in get_entities(predicted))
    return true_entities, predicted_entities


def _counts_by_type(y_true, y_pred):
    """``(types, hits, predicted, true)``: sorted entity types and int64 count arrays per type."""
    true_entities, predicted_entities = _entity_sets(y_true, y_pred)
    per_set = [collections.Counter(entity[1] for entity in entities)
               for entities in (true_entities & predicted_entities, predicted_entities, true_entities)]
    types = sorted(set(per_set[1]) | set(per_set[2]))
    return (types, *(numpy.array([counts[kind] for kind in types], dtype=numpy.int64)
                     for counts in per_set))


def _scores(hits, predicted, true, zero_division):
    hits = numpy.asarray(hits, dtype=numpy.float64)
    predicted, true = numpy.asarray(predicted), numpy.asarray(true)
    precision = _divide(hits, predicted, zero_division, "Precision", "predicted", True)
    recall = _divide(hits, true, zero_division, "Recall", "true", True)
    f1 = _divide(2.0 * hits, predicted + true, zero_division, "F-score", "true nor predicted", True)
    return precision, recall, f1


def entity_precision_recall_fscore(y_true, y_pred, zero_division="warn"):
    """``(precision, recall, f1)`` Python floats, micro-averaged over every entity of every
    sentence: precision = correct / predicted entities, recall = correct / true entities. With no
    predicted (or no true) entity the undefined score is ``zero_division`` (0 with a warning for
    'warn', 0, 1 or nan), as in seqeval."""
    _zero_division_value(zero_division)
    _, hits, predicted, true = _counts_by_type(y_true, y_pred)
    scores = _scores([hits.sum()], [predicted.sum()], [true.sum()], zero_division)
    return tuple(float(values[0]) for values in scores)


def entity_f1_score(y_true, y_pred, zero_division="warn"):
    """Micro-averaged entity F1 (a Python float); see :func:`entity_precision_recall_fscore`."""
    return entity_precision_recall_fscore(y_true, y_pred, zero_division)[2]


def entity_classification_report(y_true, y_pred, digits=2, output_dict=False, zero_division="warn"):
    """Per-type precision, recall, F1 and support (true entities), then micro, macro and weighted
    averages, as seqeval's report: a text table, or with ``output_dict=True`` a dict ``{type or
    'micro avg' ...: {'precision', 'recall', 'f1-score', 'support'}}``."""
    _zero_division_value(zero_division)
    types, hits, predicted, true = _counts_by_type(y_true, y_pred)
    per_type = _scores(hits, predicted, true, zero_division)
    keys = ("precision", "recall", "f1-score")
    report = {kind: {**{key: float(values[index]) for key, values in zip(keys, per_type)},
                     "support": int(true[index])} for index, kind in enumerate(types)}
    micro = _scores([hits.sum()], [predicted.sum()], [true.sum()], zero_division)
    report["micro avg"] = {**{key: float(values[0]) for key, values in zip(keys, micro)},
                           "support": int(true.sum())}
    for name, weights in (("macro avg", None), ("weighted avg", true)):
        usable = weights is not None and weights.sum() > 0
        report[name] = {key: float(numpy.average(values, weights=weights if usable else None))
                        if len(types) else 0.0 for key, values in zip(keys, per_type)}
        report[name]["support"] = int(true.sum())
    return report if output_dict else _format_report(report, types, digits)


def _format_report(report, types, digits):
    width = max([len(name) for name in types] + [len("weighted avg")])
    header = f"{'':>{width}}  {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}"
    lines = [header, ""]
    for name in list(types) + [""] + ["micro avg", "macro avg", "weighted avg"]:
        if not name:
            lines.append("")
            continue
        row = report[name]
        numbers = " ".join(f"{row[key]:>9.{digits}f}" for key in ("precision", "recall", "f1-score"))
        lines.append(f"{name:>{width}}  {numbers} {row['support']:>9}")
    return "\n".join(lines) + "\n"
