"""Train word2vec (skip-gram with negative sampling) on the standard library's docstrings.

It prints the nearest neighbours of a few words, maps the frequent words in 2-D (PCA) and scores
the held-out loss.

    python -m examples.train_word2vec                 # results in out/train_word2vec/
    python -m examples.train_word2vec --epochs 5 --dim 100
    python -m examples.train_word2vec --data my.txt   # your own text (paragraphs split by blank lines)

The score: the negative-sampling loss on (centre, context) pairs of the test modules with fixed
negatives, next to the same loss for untrained vectors (word2vec's init scores every pair 0, so
that loss is (K + 1) log 2 = 4.16 for K = 5 negatives).
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_word2vec.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import text
from models.data import load_corpus
from models.training import RunFolder, example_parser, plot_curves, setup
from models.word2vec import (SkipGram, heldout_pairs, nearest_neighbours, nsg_loss, pca_2d, token_counts,
                             train_skipgram, word_sentences)

QUERY_WORDS = ("file", "string", "list", "error", "socket", "thread", "return", "class")
EVALUATION_SEED = 1234  # the same held-out pairs and negatives whatever --seed trains with


def main(argv=None):
    """Train the skip-gram model; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=3, lr=0.01, batch_size=1024,
                            data_help="your own UTF-8 text file (paragraphs separated by blank lines; the "
                                      "first 90%% train, the last 5%% test); default: the standard "
                                      "library's docstrings")
    parser.add_argument("--dim", type=int, default=64, help="embedding size")
    parser.add_argument("--window", type=int, default=4, help="largest distance of a context word")
    parser.add_argument("--negatives", type=int, default=5, help="noise words per pair")
    parser.add_argument("--min-freq", type=int, default=5, help="rarer words are dropped")
    parser.add_argument("--subsample", type=float, default=1e-3,
                        help="word2vec's t: a word of frequency f is kept with (sqrt(f/t) + 1) t/f (0: off)")
    parser.add_argument("--plot-words", type=int, default=300, help="most frequent words in the PCA map")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_word2vec")

    # Data: lower-cased words of each paragraph; the vocabulary comes from the train split only.
    corpus = load_corpus(args.data, cache_dir=args.out)
    tokenizer = text.WordTokenizer.train(corpus.train, lowercase=True, min_freq=args.min_freq)
    train_sentences = word_sentences(tokenizer, corpus.train)
    test_sentences = word_sentences(tokenizer, corpus.test)
    counts = token_counts(train_sentences, tokenizer.vocab_size)
    print(f"vocabulary {tokenizer.vocab_size} words; {counts.sum()} train words in {len(train_sentences)} "
          f"paragraphs, {sum(map(len, test_sentences))} test words")

    # Model and loop: train_skipgram draws pairs, negatives and batches each epoch.
    history = []
    model = train_skipgram(train_sentences, tokenizer.vocab_size, embedding_dim=args.dim, window=args.window,
                           negatives=args.negatives, epochs=args.epochs, lr=args.lr,
                           batch_size=args.batch_size, seed=args.seed, device=args.device,
                           subsample=args.subsample, history=history)
    print(model)

    # Evaluate: held-out pairs of the test modules, against untrained vectors with the same init.
    centres, contexts, negatives = heldout_pairs(test_sentences, counts, args.window, args.negatives,
                                                 args.subsample, EVALUATION_SEED)
    tl.manual_seed(args.seed)
    untrained = SkipGram(tokenizer.vocab_size, args.dim).to(args.device)
    metrics = {"test_nsg_loss": nsg_loss(model, centres, contexts, negatives, args.device),
               "random_nsg_loss": nsg_loss(untrained, centres, contexts, negatives, args.device),
               "train_nsg_loss": history[-1]["train_loss"], "test_pairs": len(centres),
               "vocab_size": tokenizer.vocab_size}
    print(f"held-out negative-sampling loss: word2vec {metrics['test_nsg_loss']:.4f}, "
          f"untrained vectors {metrics['random_nsg_loss']:.4f} ({len(centres)} pairs)")
    print_neighbours(model, tokenizer)

    # Save: metrics, history, loss curve, PCA map, vectors and tokenizer, and the graph of one loss.
    run.write_metrics(metrics)
    run.write_history(history)
    plot_curves(run.file("loss.png"), {"train": [record["train_loss"] for record in history]},
                "skip-gram negative-sampling loss", ylabel="loss")
    plot_word_map(run.file("pca.png"), model, tokenizer, counts, args.plot_words)
    tl.save(model.state_dict(), run.file("word2vec.ckpt"))
    tokenizer.save(run.file("tokenizer.json"))
    sample = [tl.tensor(array[:8], device=args.device) for array in (centres, contexts, negatives)]
    run.save_graph(model.loss(*sample), model)
    print(f"results in {run.path}")
    return metrics


def print_neighbours(model, tokenizer, k=6):
    """Print the ``k`` nearest words (cosine) of each query word in the vocabulary."""
    queries = [word for word in QUERY_WORDS if tokenizer.token_to_id(word) != tokenizer.unk_id]
    ids = [tokenizer.token_to_id(word) for word in queries]
    if not ids:
        return
    neighbours, similarities = nearest_neighbours(model, ids, k)
    print("nearest neighbours (cosine similarity of the input vectors):")
    for word, row, scores in zip(queries, neighbours, similarities):
        found = ", ".join(f"{tokenizer.id_to_token(int(i))} {score:.2f}" for i, score in zip(row, scores))
        print(f"  {word:>8} -> {found}")


def plot_word_map(path, model, tokenizer, counts, num_words, num_labels=60):
    """Scatter the ``num_words`` most frequent words' unit-length vectors on their 2 principal
    axes, naming the 20 most frequent and the words farthest out; saves ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    ids = numpy.argsort(-counts, kind="stable")[:num_words]
    ids = ids[counts[ids] > 0]
    vectors = model.embeddings()[ids]
    points = pca_2d(vectors / numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-12))
    farthest = numpy.argsort(-numpy.linalg.norm(points, axis=1), kind="stable")[:num_labels - 20]
    labelled = numpy.union1d(numpy.arange(min(20, len(ids))), farthest)
    figure, axes = pyplot.subplots(figsize=(9, 8))
    axes.scatter(points[:, 0], points[:, 1], s=6, alpha=0.5)
    for index in labelled:
        axes.annotate(tokenizer.id_to_token(int(ids[index])), points[index], fontsize=7)
    axes.set(title=f"word2vec: the {len(ids)} most frequent words (PCA of unit vectors)",
             xlabel="PC 1", ylabel="PC 2")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


if __name__ == "__main__":
    main()
