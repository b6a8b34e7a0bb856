"""scikit-learn's handwritten digits: 1,797 grey 8x8 images of the digits 0-9 (ships with it)."""
import numpy

from models.data.tabular import load_table, split_train_test


def load_digits(path=None, test_fraction=0.2, seed=0, side=8):
    """A :class:`~models.data.tabular.Split` of images (N, side, side) in [0, 1] and labels 0-9.

    ``side`` other than 8 resizes the images bilinearly (``side=32`` gives the 32x32 inputs of
    LeNet-style exercises). ``path`` loads the user's own table instead (see ``load_table``),
    kept as the file gives it.
    """
    if path:
        return split_train_test(*load_table(path), test_fraction=test_fraction, seed=seed)
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise SystemExit("the digits data ships with scikit-learn: pip install scikit-learn "
                         "(or pass --data your.npz / your.csv)") from None
    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(numpy.float32)
    if side != 8:
        images = resize_images(images, side)
    return split_train_test(images, digits.target.astype(numpy.int64), test_fraction, seed)


def resize_images(images, side):
    """Bilinear resize of (N, h, w) images to (N, side, side), pixel centres aligned, float32."""
    def axis_weights(old):
        position = numpy.clip((numpy.arange(side) + 0.5) * old / side - 0.5, 0, old - 1)
        low = numpy.floor(position).astype(int)
        high = numpy.minimum(low + 1, old - 1)
        weight = (position - low).astype(numpy.float32)
        return low, high, weight

    rows_low, rows_high, row_weight = axis_weights(images.shape[1])
    cols_low, cols_high, col_weight = axis_weights(images.shape[2])
    rows = (images[:, rows_low] * (1 - row_weight)[:, None] + images[:, rows_high] * row_weight[:, None])
    return (rows[:, :, cols_low] * (1 - col_weight) + rows[:, :, cols_high] * col_weight).astype(numpy.float32)
