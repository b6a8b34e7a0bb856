"""Train an MLP on the 8x8 digits: test metrics, curves, confusion matrix, checkpoint and graph.

    python -m examples.train_mlp                  # train; results in out/train_mlp/
    python -m examples.train_mlp --evaluate       # evaluate the saved checkpoint only
    python -m examples.train_mlp --resume         # continue an interrupted run (same result)
    python -m examples.train_mlp --data my.csv    # your own data (last column = label)
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_mlp.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

from models import MLP
from models.data import load_digits
from models.training import RunFolder, example_parser, fit_and_report, setup, split_loaders


def main(argv=None):
    """Train (or, with --evaluate, reload) the MLP; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=40, lr=5e-3, batch_size=64)
    parser.add_argument("--evaluate", action="store_true", help="only evaluate the saved checkpoint")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_mlp")

    # Data: digits (or your file), split 80/20 with the seed.
    split = load_digits(args.data, seed=args.seed)
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    features = int(numpy.prod(split.x_train.shape[1:]))
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1

    # Model: two hidden layers of 128 with ReLU and dropout.
    model = MLP(features, (128, 128), classes, dropout=0.1).to(args.device)
    print(model)

    return fit_and_report(model, args, parser, run, train_loader, test_loader, "MLP on digits")


if __name__ == "__main__":
    main()
