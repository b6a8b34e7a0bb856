"""Train a small residual CNN with BatchNorm on the 8x8 digits, next to the plain CNN as a baseline.

    python -m examples.train_resnet               # train both; results in out/train_resnet/
    python -m examples.train_resnet --seed 1      # another split, init and shuffle
    python -m examples.train_resnet --data my.csv # your own square images, flattened (label last)

Both models get the same data, optimizer (AdamW), cosine schedule and epochs; the script prints a
table of the two, the ResNet's accuracy, macro precision/recall/F1, and saves its confusion matrix,
the loss and accuracy curves of both, a checkpoint and the graph of a training step.
"""
import math
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_resnet.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import optim
from models.cnn import CNN
from models.data import load_digits
from models.resnet import ResNet
from models.training import (RunFolder, evaluate_classifier, example_parser, plot_curves, report_classifier,
                             setup, split_loaders, train_classifier)


def train(model, args, train_loader, test_loader, description):
    """AdamW + cosine decay for ``args.epochs``; returns the per-epoch history."""
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return train_classifier(model, optimizer, train_loader, test_loader, args.epochs, args.device,
                            scheduler, description=description)


def main(argv=None):
    """Train the ResNet and the plain CNN baseline; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=20, lr=3e-3, batch_size=64)
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_resnet")

    # Data: digits (or your square images), split 80/20 with the seed.
    split = load_digits(args.data, seed=args.seed)
    pixels = int(numpy.prod(split.x_train.shape[1:]))
    side = math.isqrt(pixels)
    if side * side != pixels or side < 4:
        parser.error(f"the ResNet needs square images of side >= 4, got {pixels} features per sample")
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1

    # Models: stem + two residual stages (16 and 32 channels) vs the plain conv-pool CNN.
    resnet = ResNet(side, classes).to(args.device)
    baseline = CNN(side, classes, dropout=0.1).to(args.device)
    print(resnet)

    # Training: the same recipe for both.
    resnet_history = train(resnet, args, train_loader, test_loader, "ResNet")
    baseline_history = train(baseline, args, train_loader, test_loader, "CNN baseline")
    tl.save({"model": resnet.state_dict()}, run.file("model.ckpt"))
    run.write_history({"resnet": resnet_history, "cnn": baseline_history})

    # Evaluation: the table, then the ResNet's full report and confusion matrix.
    test_loss, labels, predictions = evaluate_classifier(resnet, test_loader, args.device)
    rows = [("ResNet (BasicBlock + BatchNorm)", resnet, resnet_history),
            ("CNN baseline (models.CNN)", baseline, baseline_history)]
    print(f"\n{'model':34s} {'parameters':>10s} {'test acc':>9s} {'seconds':>8s}")
    for name, model, history in rows:
        parameters = sum(p.numel() for p in model.parameters())
        print(f"{name:34s} {parameters:10d} {history[-1]['test_accuracy']:9.4f} {history[-1]['seconds']:8.1f}")
    results = {"test_loss": test_loss, **report_classifier(run, labels, predictions, "ResNet test"),
               "cnn_test_accuracy": baseline_history[-1]["test_accuracy"]}
    run.write_metrics(results)

    # Curves and the graph of one training step (BatchNorm in train mode).
    plot_curves(run.file("loss.png"), {
        "ResNet train": [row["train_loss"] for row in resnet_history],
        "ResNet test": [row["test_loss"] for row in resnet_history],
        "CNN train": [row["train_loss"] for row in baseline_history],
        "CNN test": [row["test_loss"] for row in baseline_history]},
        "ResNet vs CNN on digits: cross-entropy", ylabel="loss", log_y=True)
    plot_curves(run.file("accuracy.png"), {
        "ResNet": [row["test_accuracy"] for row in resnet_history],
        "CNN": [row["test_accuracy"] for row in baseline_history]},
        "ResNet vs CNN on digits: test accuracy", ylabel="accuracy")
    run.save_step_graph(resnet, train_loader, args.device)
    return results


if __name__ == "__main__":
    main()
