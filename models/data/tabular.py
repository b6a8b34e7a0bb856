"""Feature/label tables: the user's own files (``--data``) and a seeded train/test split."""
import os
from typing import NamedTuple

import numpy


class Split(NamedTuple):
    """Train and test arrays: ``x_*`` float32 features (N, ...), ``y_*`` int64 labels (N,)."""

    x_train: numpy.ndarray
    y_train: numpy.ndarray
    x_test: numpy.ndarray
    y_test: numpy.ndarray


def load_table(path):
    """``(features float32 (N, ...), labels int64 (N,))`` from an ``.npz`` with arrays ``x`` and ``y``,
    or a ``.csv`` whose last column is the label. A missing or malformed file raises ValueError
    naming the path and what was expected."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file {path!r} not found (expected an .npz with arrays x and y, "
                                "or a .csv with the label in the last column)")
    try:
        if str(path).endswith(".npz"):
            with numpy.load(path, allow_pickle=False) as archive:
                features, labels = archive["x"], archive["y"]
        else:
            table = numpy.loadtxt(path, delimiter=",", dtype=numpy.float64, ndmin=2)
            features, labels = table[:, :-1], table[:, -1]
    except (KeyError, ValueError, OSError) as error:
        raise ValueError(f"cannot read {path!r}: {error} (expected an .npz with arrays x and y, "
                         "or a numeric .csv with the label in the last column)") from None
    if len(features) != len(labels):
        raise ValueError(f"{path!r}: {len(features)} samples but {len(labels)} labels")
    return features.astype(numpy.float32), _integer_labels(labels, path)


def _integer_labels(labels, path):
    as_int = labels.astype(numpy.int64)
    if not numpy.array_equal(as_int, labels) or (len(as_int) and as_int.min() < 0):
        raise ValueError(f"{path!r}: labels must be class indices 0, 1, 2, ... (got {labels[:5]}...)")
    return as_int


def split_train_test(features, labels, test_fraction=0.2, seed=0, stratify=True):
    """A seeded :class:`Split`; stratified by class so every class keeps its share in the test set."""
    rng = numpy.random.default_rng(seed)
    if stratify:
        test = numpy.concatenate([
            _take_fraction(rng.permutation(numpy.flatnonzero(labels == label)), test_fraction)
            for label in numpy.unique(labels)])
    else:
        test = _take_fraction(rng.permutation(len(labels)), test_fraction)
    is_test = numpy.zeros(len(labels), dtype=bool)
    is_test[test] = True
    train, test = rng.permutation(numpy.flatnonzero(~is_test)), rng.permutation(numpy.flatnonzero(is_test))
    return Split(features[train], labels[train], features[test], labels[test])


def _take_fraction(indices, fraction):
    return indices[:int(round(len(indices) * fraction))]
