"""Offline datasets and task generators shared by the examples (nothing is downloaded).

Every loader is deterministic for a given seed and returns NumPy arrays (float32 features,
int64 labels), so a script turns them into tensors on the device it trains on.
"""
from models.data.tabular import Split, load_table, split_train_test
from models.data.digits import load_digits
from models.data.breast_cancer import load_breast_cancer
from models.data.stdlib_corpus import load_corpus, load_stdlib_corpus, load_text_file
from models.data.docstring_packages import TextSplit, load_docstring_packages

__all__ = ["Split", "load_table", "split_train_test", "load_digits", "load_breast_cancer", "load_corpus",
           "load_stdlib_corpus", "load_text_file", "TextSplit", "load_docstring_packages"]
