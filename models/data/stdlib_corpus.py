"""A corpus found on every machine: the docstrings of the Python standard library that ships with
the running interpreter (~0.8 MB of English with code on CPython 3.11), and the user's own text file.

Extraction reads the ``.py`` files as text and parses them with :mod:`ast` (no module is imported,
so nothing runs), in sorted path order, keeping module, class and function docstrings cleaned with
:func:`inspect.cleandoc`. The language-model corpus is split by module (a stable hash of the module
name), so no module has text in two splits; the extracted docstrings are cached as JSON under
``<cache_dir>/corpus/`` and a second run reads the cache.
"""
import ast
import hashlib
import inspect
import json
import os
import sys
import sysconfig
import tokenize
from typing import NamedTuple

from models.data.json_file import write_json

SKIPPED_FOLDERS = frozenset({"site-packages", "dist-packages", "test", "tests", "idlelib", "lib2to3",
                             "turtledemo", "__pycache__"})
_CACHE_FORMAT = 1


class Docstring(NamedTuple):
    """One docstring: ``module`` dotted name (``"email.mime.text"``), ``kind`` (``"module"``,
    ``"class"`` or ``"function"``), ``name`` qualified inside the module (``""`` for the module's own)
    and the cleaned ``text``."""

    module: str
    kind: str
    name: str
    text: str


class TextCorpus(NamedTuple):
    """The ``train``, ``valid`` and ``test`` text of a language-model corpus, one string each."""

    train: str
    valid: str
    test: str


def stdlib_folder():
    """The folder of the running interpreter's standard library (``sysconfig``'s ``stdlib`` path)."""
    return sysconfig.get_paths()["stdlib"]


def stdlib_modules(folder=None):
    """``[(module name, path), ...]`` of the library's ``.py`` files in sorted path order, without
    third-party packages, tests, idlelib, lib2to3 and turtledemo."""
    folder = folder or stdlib_folder()
    modules = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if name not in SKIPPED_FOLDERS and name.isidentifier())
        package = os.path.relpath(root, folder).replace(os.sep, ".").removeprefix(".")
        for name in sorted(files):
            stem = name[:-3]
            if name.endswith(".py") and stem.isidentifier():
                dotted = package if stem == "__init__" else f"{package}.{stem}".lstrip(".")
                modules.append((dotted, os.path.join(root, name)))
    return sorted(modules, key=lambda module: module[1])


def module_docstrings(source, module):
    """The :class:`Docstring` list of one module's source text, in source order. Source that this
    interpreter cannot parse gives an empty list."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    _collect(tree, module, "", found)
    return found


def _collect(node, module, prefix, found):
    kind = "module" if isinstance(node, ast.Module) else "class" if isinstance(node, ast.ClassDef) else "function"
    raw = ast.get_docstring(node, clean=False)
    text = inspect.cleandoc(raw) if raw else ""
    if text:
        found.append(Docstring(module, kind, prefix, text))
    for child in ast.iter_child_nodes(node):
        _collect_nested(child, module, prefix, found)


def _collect_nested(node, module, prefix, found):
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        _collect(node, module, f"{prefix}.{node.name}".lstrip("."), found)
        return
    for child in ast.iter_child_nodes(node):  # definitions inside if/try/with blocks
        _collect_nested(child, module, prefix, found)


def extract_docstrings(folder=None):
    """Every :class:`Docstring` of the standard library in ``folder`` (default: this interpreter's),
    module by module in sorted path order; files that cannot be decoded or parsed are skipped."""
    docstrings = []
    for module, path in stdlib_modules(folder):
        try:
            with tokenize.open(path) as file:  # honours a file's coding cookie
                source = file.read()
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        docstrings.extend(module_docstrings(source, module))
    return docstrings


def load_docstrings(cache_dir=None, folder=None):
    """:func:`extract_docstrings`, cached in ``<cache_dir>/corpus/`` (one JSON file per interpreter
    version) when ``cache_dir`` is given: a later call with the same folder reads the cache."""
    folder = os.path.abspath(folder or stdlib_folder())
    if cache_dir is None:
        return extract_docstrings(folder)
    version = ".".join(map(str, sys.version_info[:3]))
    path = os.path.join(cache_dir, "corpus", f"stdlib_docstrings_py{version}.json")
    cached = _read_cache(path, folder)
    if cached is not None:
        return cached
    docstrings = extract_docstrings(folder)
    _write_cache(path, folder, docstrings)
    return docstrings


def _read_cache(path, folder):
    try:
        with open(path, encoding="utf-8") as file:
            content = json.load(file)
    except (OSError, ValueError):
        return None
    if content.get("format") != _CACHE_FORMAT or content.get("stdlib") != folder:
        return None
    return [Docstring(*record) for record in content["docstrings"]]


def _write_cache(path, folder, docstrings):
    write_json(path, {"format": _CACHE_FORMAT, "python": sys.version.split()[0], "stdlib": folder,
                      "docstrings": [list(docstring) for docstring in docstrings]})


def module_split(module, valid_fraction=0.05, test_fraction=0.05):
    """``"train"``, ``"valid"`` or ``"test"`` for a module name, from a stable hash of the name
    (SHA-256, the same on every machine and run), so all of a module's text lands in one split."""
    position = int(hashlib.sha256(module.encode("utf-8")).hexdigest()[:12], 16) / 16 ** 12
    if position < 1.0 - valid_fraction - test_fraction:
        return "train"
    return "valid" if position < 1.0 - test_fraction else "test"


def load_stdlib_corpus(cache_dir=None, valid_fraction=0.05, test_fraction=0.05, folder=None):
    """The standard library's docstrings as a :class:`TextCorpus`: each split joins its modules'
    docstrings in extraction order, separated by blank lines (:func:`module_split` decides where
    each module goes; ``cache_dir`` as in :func:`load_docstrings`)."""
    parts = {"train": [], "valid": [], "test": []}
    for docstring in load_docstrings(cache_dir, folder):
        parts[module_split(docstring.module, valid_fraction, test_fraction)].append(docstring.text)
    return TextCorpus(*("\n\n".join(parts[name]) + "\n" for name in TextCorpus._fields))


def load_text_file(path, valid_fraction=0.05, test_fraction=0.05):
    """The user's own UTF-8 text file as a :class:`TextCorpus`, split in reading order: the first
    paragraphs (blocks separated by blank lines) train, the next ``valid_fraction`` validate and the
    last ``test_fraction`` test. A file with too few paragraphs is split by lines instead."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"text file {path!r} not found (expected a UTF-8 text file)")
    with open(path, encoding="utf-8", errors="replace") as file:
        text = file.read()
    pieces, separator = _paragraphs(text), "\n\n"
    if len(pieces) < 20:
        pieces, separator = [line for line in text.splitlines() if line.strip()], "\n"
    if len(pieces) < 3:
        raise ValueError(f"{path!r}: need at least 3 non-empty lines to make train, valid and test "
                         f"text, got {len(pieces)}")
    num_test = max(1, round(len(pieces) * test_fraction))
    num_valid = max(1, round(len(pieces) * valid_fraction))
    num_train = len(pieces) - num_valid - num_test
    bounds = [(0, num_train), (num_train, num_train + num_valid), (num_train + num_valid, len(pieces))]
    return TextCorpus(*(separator.join(pieces[start:stop]) + "\n" for start, stop in bounds))


def _paragraphs(text):
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    return blocks + (["\n".join(current)] if current else [])


def load_corpus(data=None, cache_dir=None, valid_fraction=0.05, test_fraction=0.05):
    """What a language-model example trains on: the user's text file ``data`` (``--data``) when
    given (:func:`load_text_file`), else the standard library's docstrings cached under
    ``cache_dir`` (:func:`load_stdlib_corpus`)."""
    if data:
        return load_text_file(data, valid_fraction, test_fraction)
    return load_stdlib_corpus(cache_dir, valid_fraction, test_fraction)
