"""Which package does a docstring come from? Word-level text classifiers against TF-IDF + logistic regression.

The task (``models.data.docstring_packages``): the standard library's docstrings of nine package
families (asyncio, email, http, importlib, logging, multiprocessing, unittest, urllib, xml),
duplicates removed, split train/valid/test stratified by family. Four models read the words of a
docstring: the mean of its word embeddings, an LSTM, a bidirectional LSTM and a TextCNN; each can
start from random embeddings or from word2vec vectors (skip-gram trained here on the library's
docstrings, the valid and test docstrings left out), and can keep or drop stop words. All train
with AdamW and cosine decay (the bag of words at 3x --lr), classes weighted ("balanced"); the
variant with the best validation macro F1 is the one reported (``best_macro_f1``), and
scikit-learn's TF-IDF + logistic regression on the same split is the honest baseline.

    python -m examples.train_text_classifier                        # all 16 variants; out/train_text_classifier/
    python -m examples.train_text_classifier --variants quick       # 10 variants, ~30% faster
    python -m examples.train_text_classifier --variants cnn_word2vec,mean_random_nostop
    python -m examples.train_text_classifier --data labelled.tsv    # your own label<TAB>text lines
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_text_classifier.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import optim, text
from models.data.docstring_packages import class_weights, load_docstring_packages, load_labelled_text_file
from models.data.stdlib_corpus import load_docstrings
from models.text_classifier import MeanEmbeddingClassifier, RecurrentTextClassifier
from models.text_cnn import TextCNN
from models.training import (RunFolder, classification_metrics, evaluate_classifier, example_parser,
                             plot_curves, report_classifier, setup, train_classifier)
from models.training.text_batches import LengthBatches, padded_ids
from models.word2vec import train_skipgram, word_sentences

MODELS = ("mean", "lstm", "bilstm", "cnn")
# The bag of words is one embedding lookup and a Linear: it trains best with a larger step (fastText's
# recipe); the LSTMs and the CNN use --lr itself.
LR_SCALE = {"mean": 3.0, "lstm": 1.0, "bilstm": 1.0, "cnn": 1.0}
INITS = ("random", "word2vec")
VARIANTS_HELP = """which variants to train: a comma-separated list of MODEL_INIT or MODEL_INIT_nostop
(MODEL in mean, lstm, bilstm, cnn; INIT in random, word2vec; _nostop drops stop words), 'all' (the
default: every model with and without stop words, random and word2vec-initialised: 16 variants,
~190 s of CPU on an idle 2-core machine, word2vec included), or 'quick': the 4 models x {random,
word2vec} with stop words kept, then the two with the best validation macro F1 again without stop
words (10 variants, ~130 s of CPU)"""


def build_model(name, vocab_size, num_classes, padding_id, args, embeddings=None):
    """One of MODELS with the command line's sizes; ``embeddings`` (vocab, dim) start its table."""
    if name == "mean":
        return MeanEmbeddingClassifier(vocab_size, args.embedding_dim, num_classes, padding_id,
                                       dropout=0.2, embeddings=embeddings)
    if name == "cnn":
        return TextCNN(vocab_size, args.embedding_dim, num_classes, padding_id, num_filters=args.hidden,
                       dropout=0.5, embeddings=embeddings)
    return RecurrentTextClassifier(vocab_size, args.embedding_dim, args.hidden, num_classes, padding_id,
                                   bidirectional=name == "bilstm", dropout=0.3, embeddings=embeddings)


def parse_variants(spec, parser):
    """``[(model, init, drop_stop_words), ...]`` of ``--variants`` ('quick' returns None)."""
    if spec == "quick":
        return None
    known = {variant_name(model, init, drop): (model, init, drop)
             for drop in (False, True) for model in MODELS for init in INITS}
    if spec == "all":
        return list(known.values())
    for item in spec.split(","):
        if item not in known:
            parser.error(f"--variants: {item!r} is not MODEL_INIT[_nostop] (see --help)")
    return [known[item] for item in spec.split(",")]


def variant_name(model, init, drop_stop_words):
    """The variant's name in the table and in metrics.json keys, e.g. ``cnn_word2vec_nostop``."""
    return f"{model}_{init}" + ("_nostop" if drop_stop_words else "")


def word2vec_vectors(tokenizer, texts, args):
    """(vocab, embedding_dim) float32 word2vec vectors for ``tokenizer``'s ids, skip-gram trained on
    ``texts``; words it never saw (punctuation, specials, words too rare) get random vectors of the
    same scale."""
    start = time.process_time()
    sentences = word_sentences(tokenizer, "\n\n".join(texts))
    model = train_skipgram(sentences, tokenizer.vocab_size, args.embedding_dim, epochs=args.word2vec_epochs,
                           seed=args.seed, device=args.device, progress=True)
    vectors = model.embeddings()
    print(f"word2vec: {sum(map(len, sentences))} words, {args.word2vec_epochs} epochs, "
          f"{time.process_time() - start:.1f} s CPU")
    seen = numpy.bincount(numpy.concatenate(sentences), minlength=tokenizer.vocab_size) > 0
    scale = vectors[seen].std()
    rng = numpy.random.default_rng(args.seed)
    vectors[~seen] = rng.standard_normal((int((~seen).sum()), vectors.shape[1])) * scale
    return (vectors / scale).astype(numpy.float32)  # unit scale, like nn.Embedding's N(0, 1) start


def tfidf_baseline(split):
    """scikit-learn's TF-IDF + class-balanced logistic regression: test accuracy and macro F1."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer()
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    model.fit(vectorizer.fit_transform(split.train_texts), split.train_labels)
    scores = classification_metrics(split.test_labels, model.predict(vectorizer.transform(split.test_texts)))
    return scores["test_accuracy"], scores["test_f1"]


def main(argv=None):
    """Train the chosen variants, compare them with TF-IDF; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=15, lr=1e-2, batch_size=32, data_help=(
        "your own UTF-8 text file of label<TAB>text lines (split 70/10/20 by class; word2vec then "
        "trains on its training texts)"))
    parser.add_argument("--variants", default="all", help=VARIANTS_HELP)
    parser.add_argument("--embedding-dim", type=int, default=64, help="word vector size (word2vec's too)")
    parser.add_argument("--hidden", type=int, default=64, help="LSTM units per direction; TextCNN filters per width")
    parser.add_argument("--max-length", type=int, default=256, help="words kept from the start of each text")
    parser.add_argument("--min-freq", type=int, default=1, help="words seen fewer times in training become <unk>")
    parser.add_argument("--word2vec-epochs", type=int, default=3, help="skip-gram epochs")
    args = setup(parser, argv)
    variants = parse_variants(args.variants, parser)
    run = RunFolder(args.out, "train_text_classifier")

    # Data: docstrings labelled by package family (or the user's file), and the baseline on them.
    if args.data:
        split = load_labelled_text_file(args.data, seed=args.seed)
    else:
        split = load_docstring_packages(cache_dir=args.out, seed=args.seed)
    held_out = {" ".join(one.split()) for one in split.valid_texts + split.test_texts}
    unlabelled = split.train_texts if args.data else [
        doc.text for doc in load_docstrings(args.out) if " ".join(doc.text.split()) not in held_out]
    num_classes = len(split.class_names)
    weights = tl.tensor(class_weights(split.train_labels, num_classes), device=args.device)
    print(f"{len(split.train_texts)} train, {len(split.valid_texts)} valid, {len(split.test_texts)} test "
          f"texts of {num_classes} classes; word2vec corpus: {len(unlabelled)} texts")
    tfidf_accuracy, tfidf_f1 = tfidf_baseline(split)

    # Words: a tokenizer per stop-word choice, trained on the training texts only.
    prepared = {}

    def words(drop_stop_words, init):
        """Tokenizer, padded splits and (with word2vec) initial vectors, made once per choice."""
        if drop_stop_words not in prepared:
            tokenizer = text.WordTokenizer.train(split.train_texts, min_freq=args.min_freq,
                                                 stop_words=text.STOP_WORDS if drop_stop_words else None)
            arrays = [padded_ids(tokenizer, texts, args.max_length)
                      for texts in (split.train_texts, split.valid_texts, split.test_texts)]
            prepared[drop_stop_words] = {"tokenizer": tokenizer, "arrays": arrays}
        entry = prepared[drop_stop_words]
        if init == "word2vec" and "vectors" not in entry:
            entry["vectors"] = word2vec_vectors(entry["tokenizer"], unlabelled, args)
        return entry

    def train_variant(model_name, init, drop_stop_words):
        """Train one variant from the seed; returns its scores, history, model and test predictions."""
        entry = words(drop_stop_words, init)
        tokenizer, (train, valid, test) = entry["tokenizer"], entry["arrays"]
        train_loader = LengthBatches(*train, split.train_labels, args.batch_size, shuffle=True, seed=args.seed)
        valid_loader = LengthBatches(*valid, split.valid_labels, 256)
        test_loader = LengthBatches(*test, split.test_labels, 256)
        tl.manual_seed(args.seed)
        model = build_model(model_name, tokenizer.vocab_size, num_classes, tokenizer.pad_id, args,
                            entry.get("vectors") if init == "word2vec" else None).to(args.device)
        optimizer = optim.AdamW(model.parameters(), lr=args.lr * LR_SCALE[model_name], weight_decay=1e-4)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
        name = variant_name(model_name, init, drop_stop_words)
        start, cpu_start = time.perf_counter(), time.process_time()
        history = train_classifier(model, optimizer, train_loader, valid_loader, args.epochs, args.device,
                                   scheduler, loss_fn=lambda logits, y, _: F.cross_entropy(logits, y, weight=weights),
                                   description=name)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        _, valid_labels, valid_predictions = evaluate_classifier(model, valid_loader, args.device)
        _, labels, predictions = evaluate_classifier(model, test_loader, args.device)
        scores = {"valid_f1": classification_metrics(valid_labels, valid_predictions)["test_f1"],
                  **classification_metrics(labels, predictions), "seconds": seconds,
                  "cpu_seconds": cpu_seconds}
        return {"variant": (model_name, init, drop_stop_words), "scores": scores, "history": history,
                "model": model, "loader": train_loader, "labels": labels, "predictions": predictions}

    # Models: every chosen variant, each from the same seed, optimizer and epochs.
    trained = {}
    plan = variants or [(model, init, False) for model in MODELS for init in INITS]
    for model_name, init, drop in plan:
        trained[variant_name(model_name, init, drop)] = train_variant(model_name, init, drop)
    if variants is None:  # quick: the two best (by validation) again without stop words
        ranked = sorted(trained, key=lambda name: -trained[name]["scores"]["valid_f1"])
        for name in ranked[:2]:
            model_name, init, _ = trained[name]["variant"]
            trained[variant_name(model_name, init, True)] = train_variant(model_name, init, True)

    # Evaluate: one table, the baseline beside it; the best variant by validation F1 is reported.
    results = {"tfidf_accuracy": tfidf_accuracy, "tfidf_macro_f1": tfidf_f1}
    print(f"\n{'variant':<24}{'accuracy':>10}{'macro F1':>10}{'valid F1':>10}{'seconds':>9}{'CPU s':>8}")
    for name, outcome in trained.items():
        scores = outcome["scores"]
        results.update({f"{name}_accuracy": scores["test_accuracy"], f"{name}_macro_f1": scores["test_f1"]})
        print(f"{name:<24}{scores['test_accuracy']:>10.4f}{scores['test_f1']:>10.4f}"
              f"{scores['valid_f1']:>10.4f}{scores['seconds']:>9.1f}{scores['cpu_seconds']:>8.1f}")
    print(f"{'TF-IDF + logistic reg.':<24}{tfidf_accuracy:>10.4f}{tfidf_f1:>10.4f}")
    best = max(trained, key=lambda name: trained[name]["scores"]["valid_f1"])
    outcome = trained[best]
    report_classifier(run, outcome["labels"], outcome["predictions"], best, split.class_names)
    results.update({"best_variant": best, "best_accuracy": outcome["scores"]["test_accuracy"],
                    "best_macro_f1": outcome["scores"]["test_f1"]})
    print(f"best {best}: macro F1 {results['best_macro_f1']:.4f} against TF-IDF's {tfidf_f1:.4f}")

    # Save: metrics, histories, validation curves of every variant, the best checkpoint and its graph.
    run.write_metrics(results)
    run.write_history({name: entry["history"] for name, entry in trained.items()})
    plot_curves(run.file("loss.png"), {name: [row["test_loss"] for row in entry["history"]]
                                       for name, entry in trained.items()},
                "docstring packages: validation cross-entropy", ylabel="loss", log_y=True)
    plot_curves(run.file("accuracy.png"), {name: [row["test_accuracy"] for row in entry["history"]]
                                           for name, entry in trained.items()},
                "docstring packages: validation accuracy", ylabel="accuracy")
    tl.save({"model": outcome["model"].state_dict(), "variant": best}, run.file("model.ckpt"))
    prepared[outcome["variant"][2]]["tokenizer"].save(run.file("tokenizer.json"))
    run.save_step_graph(outcome["model"], outcome["loader"], args.device)
    return results


if __name__ == "__main__":
    main()
