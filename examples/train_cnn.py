"""Train a small CNN (conv + pool) on the 8x8 digits: test metrics, curves, confusion matrix, graph.

    python -m examples.train_cnn                  # train; results in out/train_cnn/
    python -m examples.train_cnn --evaluate       # evaluate the saved checkpoint only
    python -m examples.train_cnn --resume         # continue an interrupted run (same result)
    python -m examples.train_cnn --data my.csv    # your own square images, flattened (label last)
    python -m examples.train_cnn --amp            # mixed precision: convolutions in float16
"""
import math
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_cnn.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from models import CNN
from models.data import load_digits
from models.training import RunFolder, example_parser, fit_and_report, setup, split_loaders


def main(argv=None):
    """Train (or, with --evaluate, reload) the CNN; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=30, lr=2e-3, batch_size=64)
    parser.add_argument("--evaluate", action="store_true", help="only evaluate the saved checkpoint")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    parser.add_argument("--amp", action="store_true",
                        help="mixed precision: convolutions and linear layers in float16 under tl.amp.autocast")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_cnn")

    # Data: digits (or your square images), split 80/20 with the seed.
    split = load_digits(args.data, seed=args.seed)
    pixels = int(numpy.prod(split.x_train.shape[1:]))
    side = math.isqrt(pixels)
    if side * side != pixels or side < 4:
        parser.error(f"the CNN needs square images of side >= 4, got {pixels} features per sample")
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1

    # Model: two conv3x3 + ReLU + maxpool stages, then a linear classifier.
    model = CNN(side, classes, dropout=0.1).to(args.device)
    if args.amp:  # PyTorch's pattern: autocast decorating forward; weights and grads stay float32
        model.forward = tl.amp.autocast(tl.device(args.device).type)(model.forward)
    print(model)

    return fit_and_report(model, args, parser, run, train_loader, test_loader, "CNN on digits")


if __name__ == "__main__":
    main()
