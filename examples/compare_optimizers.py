"""Compare SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW training one MLP on the digits.

    python -m examples.compare_optimizers              # results in out/compare_optimizers/
    python -m examples.compare_optimizers --epochs 30  # longer runs
    python -m examples.compare_optimizers --data my.csv  # your own data (last column = label)

Every optimizer starts from the same weights (the model is rebuilt after re-seeding) and sees the
same mini-batches in the same order, each with the learning rate it is usually run with; the
script prints a table, plots the training-loss curves on one chart and writes each optimizer's
final training loss and test accuracy to metrics.json (``sgd_final_loss``, ``sgd_test_accuracy``...).
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/compare_optimizers.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import optim
from models.data import load_digits
from models.mlp import MLP
from models.training import (RunFolder, evaluate_classifier, example_parser, plot_curves, report_classifier,
                             setup, split_loaders, train_classifier)

# name -> (learning rate, how to build the optimizer): SGD's step is lr * gradient, the adaptive
# methods divide by a running gradient scale, hence their much smaller learning rates.
OPTIMIZERS = {
    "sgd": (0.05, lambda params, lr: optim.SGD(params, lr=lr)),
    "momentum": (0.05, lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9)),
    "nesterov": (0.05, lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)),
    "adagrad": (0.05, lambda params, lr: optim.Adagrad(params, lr=lr)),
    "rmsprop": (1e-3, lambda params, lr: optim.RMSprop(params, lr=lr)),
    "adam": (1e-3, lambda params, lr: optim.Adam(params, lr=lr)),
    "adamw": (1e-3, lambda params, lr: optim.AdamW(params, lr=lr, weight_decay=1e-2)),
}


def main(argv=None):
    """Train the same MLP with each optimizer; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=30, batch_size=64)
    args = setup(parser, argv)
    run = RunFolder(args.out, "compare_optimizers")

    # Data: digits (or your file), split 80/20 with the seed.
    split = load_digits(args.data, seed=args.seed)
    features = int(numpy.prod(split.x_train.shape[1:]))
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1

    # One run per optimizer: same seed -> same initial weights and the same batch order.
    histories, models = {}, {}
    for name, (lr, make_optimizer) in OPTIMIZERS.items():
        tl.manual_seed(args.seed)
        model = MLP(features, (128, 128), classes).to(args.device)
        train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
        histories[name] = train_classifier(model, make_optimizer(model.parameters(), lr), train_loader,
                                           test_loader, args.epochs, args.device, description=name)
        models[name] = model
    run.write_history(histories)

    # The table and metrics.json: how soon each optimizer got the loss under 0.1, where it ended.
    print(f"\n{'optimizer':10s} {'lr':>7s} {'loss < 0.1 at':>14s} {'final loss':>11s} {'test acc':>9s}")
    results = {}
    for name, history in histories.items():
        losses = [row["train_loss"] for row in history]
        under = next((f"epoch {epoch}" for epoch, loss in enumerate(losses, 1) if loss < 0.1), "never")
        accuracy = history[-1]["test_accuracy"]
        print(f"{name:10s} {OPTIMIZERS[name][0]:7g} {under:>14s} {losses[-1]:11.4f} {accuracy:9.4f}")
        results.update({f"{name}_final_loss": losses[-1], f"{name}_test_accuracy": accuracy})
    best = max(histories, key=lambda name: results[f"{name}_test_accuracy"])
    _, labels, predictions = evaluate_classifier(models[best], test_loader, args.device)
    report_classifier(run, labels, predictions, f"{best}, the most accurate")
    results["best_optimizer"] = best
    run.write_metrics(results)

    # One chart of the training-loss curves, one of test accuracy, and a training step's graph.
    plot_curves(run.file("loss.png"), {name: [row["train_loss"] for row in history]
                                       for name, history in histories.items()},
                "Optimizers on the digits MLP: training loss", ylabel="cross-entropy", log_y=True)
    plot_curves(run.file("accuracy.png"), {name: [row["test_accuracy"] for row in history]
                                           for name, history in histories.items()},
                "Optimizers on the digits MLP: test accuracy", ylabel="accuracy")
    run.save_step_graph(models[best], train_loader, args.device)
    return results


if __name__ == "__main__":
    main()
