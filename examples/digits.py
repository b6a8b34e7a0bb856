"""The digits data set for the examples: scikit-learn's 1,797 8x8 images, or your own file.

``load_split(path=None)`` returns float32 images scaled to [0, 1] and int64 labels, split
80/20 into train and test with a fixed seed. ``path`` may name your own data instead:
an ``.npz`` with arrays ``x`` (N, ...) and ``y`` (N,), or a ``.csv`` whose last column is the
label and whose other columns are the features.
"""
import numpy


def _from_file(path):
    if str(path).endswith(".npz"):
        with numpy.load(path, allow_pickle=False) as archive:
            return archive["x"].astype(numpy.float32), archive["y"].astype(numpy.int64)
    table = numpy.loadtxt(path, delimiter=",", dtype=numpy.float64, ndmin=2)
    return table[:, :-1].astype(numpy.float32), table[:, -1].astype(numpy.int64)


def _digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit(
            "the digits data ships with scikit-learn: pip install scikit-learn "
            "(or pass --data your.npz / your.csv)"
        ) from None
    digits = load_digits()
    return digits.images.astype(numpy.float32) / 16.0, digits.target.astype(numpy.int64)


def load_split(path=None, test_fraction=0.2, seed=0):
    """``(x_train, y_train, x_test, y_test)`` as NumPy arrays (images keep their 2-D shape)."""
    images, labels = _from_file(path) if path else _digits()
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} samples but {len(labels)} labels")
    order = numpy.random.default_rng(seed).permutation(len(labels))
    cut = int(round(len(labels) * (1 - test_fraction)))
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]

