"""Magnitude pruning of the digits MLP: test accuracy against sparsity, with and without fine-tuning.

One-shot pruning of the trained float model at each sparsity from 0 to 95%: unstructured (the
smallest |w| of every Linear weight, ``l1_unstructured``) or structured (the hidden layers'
rows of smallest L2 norm, i.e. whole neurons, ``ln_structured``; the output layer keeps its
rows, one per class). Each pruned copy is evaluated as is, then fine-tuned for a few epochs with
its mask held fixed (gradients reach ``weight_orig`` through the mask) and evaluated again.

    python -m examples.prune                 # results in out/prune/ (accuracy_vs_sparsity.png)
"""
import copy
import os
import sys

if __package__ in (None, ""):  # allow `python examples/prune.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

from tinygrad_lite import nn, optim
from tinygrad_lite.nn.utils import prune
from models import MLP
from models.data import load_digits
from models.training import (RunFolder, evaluate_classifier, example_parser, plot_curves, setup,
                             split_loaders, train_classifier)

SPARSITIES = (0.0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95)


def main(argv=None):
    """Train, prune, fine-tune; returns metrics ``<kind>_<tuned>_<percent>`` -> test accuracy
    (kind ``unstructured``/``structured``, tuned ``oneshot``/``finetuned``) and ``dense_accuracy``."""
    parser = example_parser(__doc__.splitlines()[0], epochs=15, lr=5e-3, batch_size=64)
    parser.add_argument("--finetune-epochs", type=int, default=3, help="epochs of training after pruning")
    args = setup(parser, argv)
    run = RunFolder(args.out, "prune")

    # Data and the dense model, trained once.
    split = load_digits(args.data, seed=args.seed)
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    features = int(numpy.prod(split.x_train.shape[1:]))
    dense = MLP(features, (128, 128), 10).to(args.device)
    train_classifier(dense, optim.AdamW(dense.parameters(), lr=args.lr, weight_decay=1e-4),
                     train_loader, test_loader, args.epochs, args.device, description="dense MLP")
    metrics = {"dense_accuracy": accuracy(dense, test_loader, args.device)}

    # Prune a copy at each sparsity, evaluate, fine-tune with the mask fixed, evaluate again.
    curves = {}
    for kind in ("unstructured", "structured"):
        for sparsity in SPARSITIES:
            model = prune_copy(dense, kind, sparsity)
            results = {"oneshot": accuracy(model, test_loader, args.device)}
            optimizer = optim.AdamW(model.parameters(), lr=args.lr / 5, weight_decay=1e-4)
            train_classifier(model, optimizer, train_loader, test_loader, args.finetune_epochs,
                             args.device, description=f"{kind} {sparsity:.0%}")
            results["finetuned"] = accuracy(model, test_loader, args.device)
            for tuned, value in results.items():
                metrics[f"{kind}_{tuned}_{round(sparsity * 100)}"] = value
                curves.setdefault(f"{kind}, {tuned}", ([], []))
                curves[f"{kind}, {tuned}"][0].append(sparsity * 100)
                curves[f"{kind}, {tuned}"][1].append(value)
            print(f"{kind:>12} {sparsity:4.0%}: one-shot {results['oneshot']:.4f}  "
                  f"fine-tuned {results['finetuned']:.4f}")

    plot_curves(run.file("accuracy_vs_sparsity.png"), curves, "digits MLP: magnitude pruning",
                xlabel="sparsity of the pruned weights (%)", ylabel="test accuracy")
    run.write_history([{"kind": key, "sparsity": xs, "accuracy": ys} for key, (xs, ys) in curves.items()])
    run.write_metrics(metrics)
    return metrics


def prune_copy(model, kind, sparsity):
    """A copy of ``model`` with every Linear weight pruned (``structured``: hidden rows only)."""
    model = copy.deepcopy(model)
    layers = [module for module in model.modules() if isinstance(module, nn.Linear)]
    for layer in layers:
        if kind == "unstructured":
            prune.l1_unstructured(layer, "weight", amount=sparsity)
        elif layer is not layers[-1]:
            prune.ln_structured(layer, "weight", amount=sparsity, n=2, dim=0)
    return model


def accuracy(model, loader, device):
    _, labels, predictions = evaluate_classifier(model, loader, device)
    return float((labels == predictions).mean())


if __name__ == "__main__":
    main()
