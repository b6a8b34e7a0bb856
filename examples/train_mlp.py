"""Train an MLP on the 8x8 digits, print test metrics, save a checkpoint and draw the loss graph.

    python -m examples.train_mlp                  # train, evaluate, save out/mlp_digits.ckpt
    python -m examples.train_mlp --evaluate       # evaluate the saved checkpoint only
    python -m examples.train_mlp --data my.csv    # your own data (last column = label)
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_mlp.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import nn
from examples.classification import make_loaders, parse_args, run


class MLP(nn.Module):
    """Flatten -> Linear -> ReLU -> Dropout -> Linear -> ReLU -> Linear (logits)."""

    def __init__(self, in_features, hidden, classes, dropout):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, classes),
        )

    def forward(self, x):
        """Logits (N, classes) for inputs (N, ...)."""
        return self.net(x)


def main():
    """Train and evaluate the MLP from the command line."""
    args = parse_args(__doc__.splitlines()[0], epochs=40, lr=2e-3)
    tl.manual_seed(args.seed)
    train_loader, _, classes = make_loaders(args)
    features = int(numpy.prod(train_loader.dataset[0][0].shape))
    return run("mlp", MLP(features, 128, classes, dropout=0.1), args)


if __name__ == "__main__":
    main()
