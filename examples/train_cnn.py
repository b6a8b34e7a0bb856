"""Train a small CNN (conv + pool) on the 8x8 digits, print test metrics, save a checkpoint and draw the loss graph.

    python -m examples.train_cnn                  # train, evaluate, save out/cnn_digits.ckpt
    python -m examples.train_cnn --evaluate       # evaluate the saved checkpoint only
    python -m examples.train_cnn --data my.csv    # your own square images, flattened (label last)
"""
import math
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_cnn.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tinygrad_lite as tl
from tinygrad_lite import nn
from examples.classification import make_loaders, parse_args, run


class CNN(nn.Module):
    """conv3x3(1->16) -> ReLU -> maxpool2 -> conv3x3(16->32) -> ReLU -> maxpool2 -> Linear."""

    def __init__(self, side, classes, dropout):
        super().__init__()
        self.side = side
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(32 * (side // 4) ** 2, classes))

    def forward(self, x):
        """Logits (N, classes) for square images (N, side, side), (N, 1, side, side) or flat (N, side*side)."""
        return self.classifier(self.features(x.reshape(-1, 1, self.side, self.side)))


def main():
    """Train and evaluate the CNN from the command line."""
    args = parse_args(__doc__.splitlines()[0], epochs=30, lr=2e-3)
    tl.manual_seed(args.seed)
    train_loader, _, classes = make_loaders(args)
    pixels = train_loader.dataset[0][0].numel()
    side = math.isqrt(pixels)
    if side * side != pixels or side < 4:
        raise SystemExit(f"the CNN needs square images of side >= 4, got {pixels} features per sample")
    return run("cnn", CNN(side, classes, dropout=0.1), args)


if __name__ == "__main__":
    main()
