"""Text classification on the standard library: which package family does a docstring come from?

The nine families are the standard library's packages named in the issue (seed 004 #12, #28,
000 #7): ``asyncio, email, http, importlib, logging, multiprocessing, unittest, urllib, xml``. A
docstring belongs to the top-level package of its module (``email.mime.text`` -> ``email``). They
are fixed rather than chosen per interpreter so every machine trains the same task, and each one
keeps at least 100 distinct docstrings (tests and ``test/`` folders excluded) on every CPython from
3.9 to 3.13: counted there, the smallest are urllib (105-107) and http (139-144). Larger families
were left out on purpose: ``tkinter`` (~700, so easy it says little), ``distutils`` (removed in
3.12), ``encodings`` (codec boilerplate), single modules (``_pydecimal``, ``turtle``, ``mailbox``)
and ``concurrent`` (under 60).

Duplicates are removed (texts equal up to whitespace keep their first copy; a text found in two
families is dropped, its label being ambiguous), then a seeded split stratified by family gives
train, valid and test sets. The classes are imbalanced (asyncio ~340 docstrings, urllib ~105), so a
classifier should weight or balance them (:func:`class_weights`).
"""
import os
from typing import NamedTuple

import numpy

from models.data.stdlib_corpus import load_docstrings
from models.data.tabular import split_train_test

PACKAGE_FAMILIES = ("asyncio", "email", "http", "importlib", "logging", "multiprocessing", "unittest",
                    "urllib", "xml")


class TextSplit(NamedTuple):
    """``*_texts`` lists of strings, ``*_labels`` int64 arrays (N,) indexing ``class_names``."""

    train_texts: list
    train_labels: numpy.ndarray
    valid_texts: list
    valid_labels: numpy.ndarray
    test_texts: list
    test_labels: numpy.ndarray
    class_names: tuple


def package_family(module):
    """The family of a dotted module name: its top-level package (``"xml.dom.minidom"`` -> ``"xml"``)."""
    return module.split(".", 1)[0]


def labelled_docstrings(cache_dir=None, families=PACKAGE_FAMILIES):
    """``(texts, labels int64 (N,))`` of the distinct docstrings of ``families`` in extraction order
    (``cache_dir`` caches the extraction, as in :func:`~models.data.stdlib_corpus.load_docstrings`)."""
    index = {family: label for label, family in enumerate(families)}
    pairs = [(docstring.text, index[package_family(docstring.module)])
             for docstring in load_docstrings(cache_dir) if package_family(docstring.module) in index]
    return deduplicate(pairs)


def text_key(text):
    """``text`` with its whitespace runs made single spaces: texts with equal keys are duplicates."""
    return " ".join(text.split())


def deduplicate(pairs):
    """``(texts, labels int64)`` from ``(text, label)`` pairs: texts equal up to whitespace keep
    their first copy, and a text that carries two different labels is dropped altogether."""
    labels_of, first = {}, {}
    for text, label in pairs:
        key = text_key(text)
        labels_of.setdefault(key, set()).add(label)
        first.setdefault(key, (text, label))
    kept = [first[key] for key, labels in labels_of.items() if len(labels) == 1]
    return [text for text, _ in kept], numpy.array([label for _, label in kept], dtype=numpy.int64)


def split_texts(texts, labels, class_names, valid_fraction=0.1, test_fraction=0.2, seed=0):
    """A :class:`TextSplit` of ``texts`` (strings) and ``labels`` (ints), seeded and stratified by
    class: every class keeps about ``test_fraction`` of its texts in test and ``valid_fraction`` in
    valid (both fractions of the whole)."""
    texts = numpy.array(texts, dtype=object)
    labels = numpy.asarray(labels, dtype=numpy.int64)
    rest = split_train_test(texts, labels, test_fraction, seed)
    train = split_train_test(rest.x_train, rest.y_train, valid_fraction / (1.0 - test_fraction), seed + 1)
    return TextSplit(train.x_train.tolist(), train.y_train, train.x_test.tolist(), train.y_test,
                     rest.x_test.tolist(), rest.y_test, tuple(class_names))


def load_docstring_packages(cache_dir=None, valid_fraction=0.1, test_fraction=0.2, seed=0,
                            families=PACKAGE_FAMILIES):
    """The docstring classification task as a :class:`TextSplit` (~2,400 docstrings of nine
    families on CPython 3.11: ~1,700 train, ~240 valid, ~480 test)."""
    texts, labels = labelled_docstrings(cache_dir, families)
    return split_texts(texts, labels, families, valid_fraction, test_fraction, seed)


def load_labelled_text_file(path, valid_fraction=0.1, test_fraction=0.2, seed=0):
    """The user's own classification data as a :class:`TextSplit`: a UTF-8 file with one
    ``label<TAB>text`` per line (blank lines skipped); class names are the labels, sorted.
    Duplicates are removed as for the docstrings."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"text file {path!r} not found (expected lines of label<TAB>text)")
    with open(path, encoding="utf-8", errors="replace") as file:
        rows = [line.rstrip("\n").split("\t", 1) for line in file if line.strip()]
    if any(len(row) != 2 or not row[0].strip() or not row[1].strip() for row in rows):
        raise ValueError(f"{path!r}: every non-empty line must be label<TAB>text")
    class_names = sorted({label.strip() for label, _ in rows})
    if len(class_names) < 2:
        raise ValueError(f"{path!r}: need at least 2 different labels, got {class_names}")
    index = {name: label for label, name in enumerate(class_names)}
    texts, labels = deduplicate([(text.strip(), index[label.strip()]) for label, text in rows])
    return split_texts(texts, labels, class_names, valid_fraction, test_fraction, seed)


def class_weights(labels, num_classes):
    """float32 (num_classes,) weights ``N / (num_classes * count)`` (scikit-learn's "balanced"):
    a weighted loss then counts every class as much as the others."""
    counts = numpy.bincount(labels, minlength=num_classes).astype(numpy.float64)
    return (len(labels) / (num_classes * numpy.maximum(counts, 1))).astype(numpy.float32)
