"""The command line every training example shares."""
import argparse
import sys

import tinygrad_lite as tl


def example_parser(description, epochs, lr=None, batch_size=None, data_help=None):
    """An ``ArgumentParser`` with ``--epochs --seed --device --out --data --threads`` (and ``--lr``,
    ``--batch-size`` when given defaults; ``data_help`` says what ``--data`` expects); add the
    example's own flags to it."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=epochs, help="training epochs")
    parser.add_argument("--seed", type=int, default=0, help="seed for data split, init and shuffling")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (CuPy)")
    parser.add_argument("--out", default="out", help="results go to <out>/<example name>/")
    parser.add_argument("--data", default=None,
                        help=data_help or "your own .npz (arrays x, y) or .csv (label in the last column)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (small models run fastest on one; 0 keeps the library default)")
    if lr is not None:
        parser.add_argument("--lr", type=float, default=lr, help="learning rate")
    if batch_size is not None:
        parser.add_argument("--batch-size", type=int, default=batch_size, help="mini-batch size")
    return parser


def setup(parser, argv=None):
    """Parse the command line, seed tinygrad_lite, check the device; return the arguments.

    Bad input (an unknown device, a missing ``--data`` file) ends the script with one line and
    exit status 2, as argparse does for a bad flag."""
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    try:
        args.device = tl.device(args.device)
        tl.zeros(1, device=args.device)
    except (ValueError, RuntimeError, ImportError) as error:
        parser.error(f"--device {args.device}: {error}")
    if args.data is not None:
        import os

        if not os.path.isfile(args.data):
            parser.error(f"--data {args.data}: no such file")
    if args.threads > 0:
        _limit_blas_threads(args.threads)
    tl.manual_seed(args.seed)
    return args


def _limit_blas_threads(count):
    """Cap NumPy's BLAS threads (threadpoolctl ships with scikit-learn; without it, no cap)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _limit_blas_threads.limits = threadpool_limits(count, user_api="blas")


def fail(message):
    """End an example with one line on stderr and exit status 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)
