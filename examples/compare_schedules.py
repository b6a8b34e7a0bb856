"""Compare learning-rate schedules (constant, step, exponential, cosine with warm-up, plateau) on one MLP.

    python -m examples.compare_schedules               # results in out/compare_schedules/
    python -m examples.compare_schedules --lr 0.05     # another peak learning rate
    python -m examples.compare_schedules --data my.csv # your own data (last column = label)

Every schedule drives SGD with momentum from the same initial weights over the same mini-batches;
the scheduler steps once per epoch, after the optimizer's steps, and ReduceLROnPlateau is handed
the epoch's mean training loss (the test set never steers training). The script prints a table,
plots the learning rate and the training loss of each schedule, and writes each one's final
training loss and test accuracy to metrics.json (``constant_final_loss``, ``constant_test_accuracy``...).
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/compare_schedules.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import optim
from tinygrad_lite.optim import lr_scheduler
from models.data import load_digits
from models.mlp import MLP
from models.training import (RunFolder, evaluate_classifier, example_parser, plot_curves,
                             report_classifier, setup, split_loaders, train_classifier)


def make_schedule(name, optimizer, epochs):
    """The scheduler called ``name`` for ``epochs`` epochs (None: the learning rate stays put)."""
    warmup = max(1, epochs // 10)
    if name == "constant":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.01 ** (1 / epochs))  # 100x lower at the end
    if name == "cosine_warmup":
        return lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs - warmup))], milestones=[warmup])
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.3, patience=1, threshold=0.05)
    raise ValueError(f"unknown schedule {name!r}")


SCHEDULES = ("constant", "step", "exponential", "cosine_warmup", "plateau")


def main(argv=None):
    """Train the same MLP under each schedule; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=30, lr=0.3, batch_size=64)
    args = setup(parser, argv)
    run = RunFolder(args.out, "compare_schedules")

    # Data: digits (or your file), split 80/20 with the seed.
    split = load_digits(args.data, seed=args.seed)
    features = int(numpy.prod(split.x_train.shape[1:]))
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1

    histories, models = {}, {}
    for name in SCHEDULES:
        # Same seed -> same initial weights and the same batch order for every schedule.
        tl.manual_seed(args.seed)
        model = MLP(features, (128, 128), classes).to(args.device)
        train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
        scheduler = make_schedule(name, optimizer, args.epochs)

        # train_classifier steps the scheduler once per epoch (ReduceLROnPlateau on the epoch's
        # training loss) and records the rate each epoch trained with.
        history = train_classifier(model, optimizer, train_loader, test_loader, args.epochs, args.device,
                                   scheduler, description=name)
        histories[name], models[name] = history, model
    run.write_history(histories)

    # The table and metrics.json: each schedule's peak and last rate, final loss and accuracy.
    print(f"\n{'schedule':14s} {'peak lr':>8s} {'last lr':>9s} {'final loss':>11s} {'test acc':>9s}")
    results = {}
    for name, history in histories.items():
        rates, last = [row["lr"] for row in history], history[-1]
        print(f"{name:14s} {max(rates):8.3g} {rates[-1]:9.2e} {last['train_loss']:11.4f} "
              f"{last['test_accuracy']:9.4f}")
        results[f"{name}_final_loss"], results[f"{name}_test_accuracy"] = last["train_loss"], last["test_accuracy"]
    lowest = min(histories, key=lambda name: results[f"{name}_final_loss"])
    _, labels, predictions = evaluate_classifier(models[lowest], test_loader, args.device)
    report_classifier(run, labels, predictions, f"{lowest}, the lowest final loss")
    results["lowest_loss_schedule"] = lowest
    run.write_metrics(results)

    # The learning rate and the training loss of each schedule, and a training step's graph.
    plot_curves(run.file("lr.png"), {name: [row["lr"] for row in history] for name, history in histories.items()},
                "Learning-rate schedules (SGD + momentum)", ylabel="learning rate", log_y=True)
    plot_curves(run.file("loss.png"), {name: [row["train_loss"] for row in history]
                                       for name, history in histories.items()},
                "Schedules on the digits MLP: training loss", ylabel="cross-entropy", log_y=True)
    run.save_step_graph(models[lowest], train_loader, args.device)
    return results


if __name__ == "__main__":
    main()
