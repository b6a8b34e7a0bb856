"""Read each 8x8 digit row by row (8 steps of 8 pixels) with an RNN, a GRU, an LSTM and a bidirectional LSTM.

One table compares them (test accuracy, macro F1, parameters, seconds); the best one gets the
confusion matrix, its checkpoint and its graph; one plot holds the loss curves of all four.

    python -m examples.train_sequence_digits                    # results in out/train_sequence_digits/
    python -m examples.train_sequence_digits --models lstm,bilstm --hidden 64
    python -m examples.train_sequence_digits --data my.npz      # your own sequences, see --help
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_sequence_digits.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import math

import tinygrad_lite as tl
from tinygrad_lite import optim
from models.data import load_digits
from models.sequence_classifier import SequenceClassifier
from models.training import (RunFolder, classification_metrics, evaluate_classifier, example_parser,
                             plot_curves, report_classifier, setup, split_loaders, train_classifier)

# name -> (cell, bidirectional)
MODELS = {"rnn": ("rnn", False), "gru": ("gru", False), "lstm": ("lstm", False), "bilstm": ("lstm", True)}


def as_sequences(split, parser):
    """Images (N, rows, columns) stay as they are (a row per step); flat rows of a square number
    of features become square images; anything else is refused with one line."""
    if split.x_train.ndim == 3:
        return split
    features = split.x_train.shape[1]
    side = math.isqrt(features)
    if split.x_train.ndim != 2 or side * side != features:
        parser.error(f"--data: expected sequences (N, steps, features) in an .npz or square images "
                     f"flattened per row, got samples of shape {split.x_train.shape[1:]}")
    return split._replace(x_train=split.x_train.reshape(-1, side, side),
                          x_test=split.x_test.reshape(-1, side, side))


def main(argv=None):
    """Train the four recurrent classifiers in turn; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=40, lr=5e-3, batch_size=64, data_help=(
        "your own .npz (x: sequences (N, steps, features), y: labels) or .csv (square images "
        "flattened, label last; image rows become steps)"))
    parser.add_argument("--hidden", type=int, default=128, help="hidden units per cell and direction")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated subset of {','.join(MODELS)}")
    args = setup(parser, argv)
    names = args.models.split(",")
    if not names or set(names) - set(MODELS):
        parser.error(f"--models: pick from {','.join(MODELS)}, got {args.models}")
    run = RunFolder(args.out, "train_sequence_digits")

    # Data: digits as sequences of 8 rows of 8 pixels, split 80/20 with the seed.
    split = as_sequences(load_digits(args.data, seed=args.seed), parser)
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    steps, features = split.x_train.shape[1:]
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1
    print(f"{len(split.x_train)} training and {len(split.x_test)} test sequences of {steps} steps x {features}")

    # Models: one recurrent classifier per cell, each from the same seed, same optimizer and epochs.
    results, histories, trained = {}, {}, {}
    for name in names:
        cell, bidirectional = MODELS[name]
        tl.manual_seed(args.seed)
        model = SequenceClassifier(features, args.hidden, classes, cell, bidirectional=bidirectional)
        model = model.to(args.device)
        optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
        start = time.perf_counter()
        histories[name] = train_classifier(model, optimizer, train_loader, test_loader, args.epochs,
                                           args.device, scheduler, description=name)
        seconds = time.perf_counter() - start
        _, labels, predictions = evaluate_classifier(model, test_loader, args.device)
        scores = classification_metrics(labels, predictions)
        parameters = sum(parameter.numel() for parameter in model.parameters())
        results.update({f"{name}_test_accuracy": scores["test_accuracy"], f"{name}_test_f1": scores["test_f1"],
                        f"{name}_params": parameters})
        trained[name] = (model, labels, predictions, seconds)

    # Evaluate: the table, then the best model's report, checkpoint and graph.
    print(f"\n{'model':<8}{'accuracy':>10}{'macro F1':>10}{'params':>9}{'seconds':>9}")
    for name in names:
        print(f"{name:<8}{results[f'{name}_test_accuracy']:>10.4f}{results[f'{name}_test_f1']:>10.4f}"
              f"{results[f'{name}_params']:>9}{trained[name][3]:>9.1f}")
    best = max(names, key=lambda name: results[f"{name}_test_accuracy"])
    model, labels, predictions, _ = trained[best]
    report_classifier(run, labels, predictions, f"{best} (best) on digit rows")
    results["best_model"] = best

    # Save: metrics, histories, loss curves of every model, the best checkpoint and its graph.
    run.write_metrics(results)
    run.write_history(histories)
    curves = {}
    for name in names:
        curves[f"{name} train"] = [row["train_loss"] for row in histories[name]]
        curves[f"{name} test"] = [row["test_loss"] for row in histories[name]]
    plot_curves(run.file("loss.png"), curves, "digits read row by row: cross-entropy", ylabel="loss", log_y=True)
    tl.save({"model": model.state_dict(), "name": best}, run.file("model.ckpt"))
    run.save_step_graph(model, train_loader, args.device)
    return results


if __name__ == "__main__":
    main()
