"""Byte-level BPE training and encoding speed on ~1 MB of real text.

Run: python -m benchmarks.bench_bpe [--vocab-size 2000] [--megabytes 1.0] [--repeats 3]
Trains ``tinygrad_lite.text.BPETokenizer`` on (a) the first ``--megabytes`` of the standard
library's ``.py`` files (code and docstrings, read as text in sorted order) and (b) the
language-model corpus's training split (the standard library's docstrings, models/data), and
reports the median training time, the merges per second, encoding speed and bytes per token.
Training updates pair counts incrementally, so it takes about half a second here; recounting
every pair before each merge (~30 ms a merge on the 1 MB of sources) would take about a minute.
"""
import argparse
import pathlib
import statistics
import sysconfig
import time

from tinygrad_lite import text


def library_sources(megabytes):
    """The standard library's top-level ``.py`` files, in name order, until ``megabytes`` of text."""
    texts, total = [], 0
    for path in sorted(pathlib.Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
        total += len(texts[-1].encode("utf-8"))
        if total >= megabytes * 1e6:
            break
    return texts


def docstring_corpus():
    """The language-model corpus's training text, or None where models/data lacks it."""
    try:
        from models.data.stdlib_corpus import load_stdlib_corpus
    except ImportError:
        return None
    return [load_stdlib_corpus().train]


def measure(name, texts, vocab_size, repeats):
    """Print median training time, merges/s, encoding MB/s and bytes per token for ``texts``."""
    size = sum(len(sample.encode("utf-8")) for sample in texts)
    train_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tokenizer = text.BPETokenizer.train(texts, vocab_size=vocab_size)
        train_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    num_tokens = sum(len(tokenizer.encode(sample)) for sample in texts)
    encode_time = time.perf_counter() - start
    train_time = statistics.median(train_times)
    merges = tokenizer.vocab_size - 261
    print(f"{name:<28} {size / 1e6:6.2f} MB  vocab {tokenizer.vocab_size:5d}  "
          f"train {train_time:6.2f} s ({merges / train_time:7.0f} merges/s)  "
          f"encode {size / 1e6 / encode_time:5.2f} MB/s  {size / num_tokens:4.2f} bytes/token")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=2000)
    parser.add_argument("--megabytes", type=float, default=1.0, help="library source text to train on")
    parser.add_argument("--repeats", type=int, default=3, help="training runs (the median is shown)")
    args = parser.parse_args()
    measure("stdlib .py sources", library_sources(args.megabytes), args.vocab_size, args.repeats)
    corpus = docstring_corpus()
    if corpus is not None:
        measure("stdlib docstrings (train)", corpus, args.vocab_size, args.repeats)


if __name__ == "__main__":
    main()
