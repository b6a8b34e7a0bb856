"""models/data/stdlib_corpus.py and docstring_packages.py: the standard library's docstrings as a
language-model corpus and as a package-classification task; the user's own text files."""
import sys

import numpy
import pytest

from models.data import docstring_packages, stdlib_corpus
from models.data.docstring_packages import (PACKAGE_FAMILIES, class_weights, labelled_docstrings,
                                            load_docstring_packages, load_labelled_text_file)
from models.data.stdlib_corpus import (SKIPPED_FOLDERS, extract_docstrings, load_corpus, load_docstrings,
                                       load_stdlib_corpus, load_text_file, module_docstrings, module_split)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One extraction for the whole file, cached where every test reads it."""
    folder = tmp_path_factory.mktemp("docstrings")
    load_docstrings(folder)
    return folder


@pytest.fixture(scope="module")
def docstrings(cache_dir):
    return load_docstrings(cache_dir)


def test_extraction_is_deterministic_and_a_second_run_reads_the_cache(cache_dir, docstrings, monkeypatch):
    assert list((cache_dir / "corpus").glob("stdlib_docstrings_py*.json"))
    assert extract_docstrings() == docstrings  # a fresh extraction gives the same list, same order
    monkeypatch.setattr(stdlib_corpus, "extract_docstrings", lambda folder=None: pytest.fail("cache not used"))
    assert load_docstrings(cache_dir) == docstrings


def test_extraction_parses_without_importing_and_skips_tests_and_tools(docstrings):
    assert "antigravity" not in sys.modules and "this" not in sys.modules  # importing them has effects
    modules = {docstring.module for docstring in docstrings}
    assert {"json", "email.mime.text", "asyncio.events", "xml.dom.minidom"} <= modules
    assert not any(set(module.split(".")) & SKIPPED_FOLDERS for module in modules)
    assert not {"numpy", "pip", "pytest"} & {module.split(".")[0] for module in modules}
    assert {docstring.kind for docstring in docstrings} == {"module", "class", "function"}
    json_doc = next(d for d in docstrings if d.module == "json" and d.kind == "module")
    assert json_doc.text.startswith("JSON (JavaScript Object Notation)")
    dumps = next(d for d in docstrings if d.module == "json" and d.name == "dumps")
    assert "\n    " not in dumps.text.split("\n", 1)[0] and not dumps.text.startswith(" ")


def test_module_docstrings_are_cleaned_in_source_order_including_nested_definitions():
    source = ('"""Module."""\nif True:\n    class A:\n        """Class A.\n\n        body\n            indented\n        """\n'
              '        async def run(self):\n            """Run."""\n\ndef plain():\n    pass\n')
    found = module_docstrings(source, "pkg.mod")
    assert [(d.kind, d.name, d.text) for d in found] == [
        ("module", "", "Module."), ("class", "A", "Class A.\n\nbody\n    indented"), ("function", "A.run", "Run.")]
    assert module_docstrings("def broken(:\n", "pkg.bad") == []


def test_corpus_is_split_by_module_with_no_module_in_two_splits(cache_dir, docstrings):
    corpus = load_stdlib_corpus(cache_dir)
    sizes = {name: len(getattr(corpus, name)) for name in corpus._fields}
    assert sum(sizes.values()) > 500_000  # ~1.6 MB on CPython 3.11
    assert 0.02 < sizes["valid"] / sum(sizes.values()) < 0.15 and 0.02 < sizes["test"] / sum(sizes.values()) < 0.15
    split_of = {}
    for docstring in docstrings:
        split_of.setdefault(docstring.module, set()).add(module_split(docstring.module))
    assert all(len(splits) == 1 for splits in split_of.values())
    by_split = {name: {m for m, s in split_of.items() if s == {name}} for name in corpus._fields}
    assert all(len(modules) >= 10 for modules in by_split.values())
    long_valid = next(d.text for d in docstrings if d.module in by_split["valid"] and len(d.text) > 200)
    assert long_valid in corpus.valid and long_valid not in corpus.train and long_valid not in corpus.test
    assert module_split("email.mime.text") == module_split("email.mime.text")


def test_user_text_file_is_split_in_reading_order_by_paragraphs_or_lines(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("\n\n".join(f"paragraph {i}\nsecond line {i}" for i in range(40)) + "\n")
    corpus = load_text_file(path)
    assert corpus.train.startswith("paragraph 0\n") and "paragraph 35\nsecond line 35\n" in corpus.train
    assert corpus.valid == "paragraph 36\nsecond line 36\n\nparagraph 37\nsecond line 37\n"
    assert corpus.test.startswith("paragraph 38") and load_corpus(str(path)) == corpus
    path.write_text("".join(f"line {i}\n" for i in range(10)))
    lines = load_text_file(path, valid_fraction=0.2, test_fraction=0.1)
    assert (lines.valid, lines.test) == ("line 7\nline 8\n", "line 9\n")
    path.write_text("only\n\ntwo lines\n")
    with pytest.raises(ValueError, match="at least 3"):
        load_text_file(path)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_text_file(tmp_path / "missing.txt")


def test_every_family_has_at_least_100_distinct_docstrings(cache_dir):
    texts, labels = labelled_docstrings(cache_dir)
    counts = numpy.bincount(labels, minlength=len(PACKAGE_FAMILIES))
    assert len(PACKAGE_FAMILIES) >= 8 and counts.min() >= 100, dict(zip(PACKAGE_FAMILIES, counts))
    assert labels.dtype == numpy.int64 and len({" ".join(t.split()) for t in texts}) == len(texts)


def test_classification_split_is_stratified_seeded_and_has_no_shared_texts(cache_dir):
    split = load_docstring_packages(cache_dir, seed=0)
    again, other = load_docstring_packages(cache_dir, seed=0), load_docstring_packages(cache_dir, seed=1)
    assert split.class_names == PACKAGE_FAMILIES and split.train_labels.dtype == numpy.int64
    assert split.test_texts == again.test_texts and split.test_texts != other.test_texts
    total = len(split.train_texts) + len(split.valid_texts) + len(split.test_texts)
    assert total == len(labelled_docstrings(cache_dir)[0])
    assert len(split.test_texts) == len(split.test_labels) and abs(len(split.test_texts) / total - 0.2) < 0.01
    all_counts = numpy.bincount(numpy.concatenate([split.train_labels, split.valid_labels, split.test_labels]))
    test_share = numpy.bincount(split.test_labels) / all_counts
    valid_share = numpy.bincount(split.valid_labels) / all_counts
    assert numpy.abs(test_share - 0.2).max() < 0.01 and numpy.abs(valid_share - 0.1).max() < 0.02
    sets = [{" ".join(t.split()) for t in texts} for texts in (split.train_texts, split.valid_texts, split.test_texts)]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])


def test_tfidf_logistic_regression_baseline_is_strong_but_not_perfect(cache_dir):
    """The honest baseline the neural classifiers are judged against (~0.86 macro F1 at seed 0)."""
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    split = load_docstring_packages(cache_dir, seed=0)
    vectorizer = TfidfVectorizer()
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    model.fit(vectorizer.fit_transform(split.train_texts), split.train_labels)
    predictions = model.predict(vectorizer.transform(split.test_texts))
    assert 0.78 < f1_score(split.test_labels, predictions, average="macro") < 0.97


def test_user_labelled_text_file_and_balanced_weights(tmp_path):
    path = tmp_path / "mine.tsv"
    rows = [f"{'spam' if i % 3 else 'ham'}\tmessage number {i}" for i in range(60)] + ["ham\tmessage number 1"]
    path.write_text("\n".join(rows) + "\n\n")
    split = load_labelled_text_file(path, seed=0)
    assert split.class_names == ("ham", "spam")
    assert len(split.train_texts) + len(split.valid_texts) + len(split.test_texts) == 59  # both copies dropped
    assert sorted(numpy.bincount(split.test_labels).tolist()) == [4, 8]
    weights = class_weights(numpy.array([0, 0, 0, 1]), 2)
    numpy.testing.assert_allclose(weights, [4 / 6, 2.0])
    assert weights.dtype == numpy.float32
    path.write_text("no tab here\n")
    with pytest.raises(ValueError, match="label<TAB>text"):
        load_labelled_text_file(path)
    assert docstring_packages.package_family("xml.dom.minidom") == "xml"
