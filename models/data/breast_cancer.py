"""scikit-learn's Wisconsin breast cancer data: 569 tumours, 30 features, malignant (0) or benign (1)."""
import numpy

from models.data.tabular import Split, load_table, split_train_test


def load_breast_cancer(path=None, test_fraction=0.2, seed=0):
    """A :class:`~models.data.tabular.Split` standardised with the training split's statistics only
    (the test set never leaks into the scaling). ``path`` loads the user's own table instead."""
    if path:
        features, labels = load_table(path)
    else:
        try:
            from sklearn.datasets import load_breast_cancer as sklearn_breast_cancer
        except ImportError:
            raise SystemExit("the breast cancer data ships with scikit-learn: pip install scikit-learn "
                             "(or pass --data your.npz / your.csv)") from None
        data = sklearn_breast_cancer()
        features, labels = data.data.astype(numpy.float32), data.target.astype(numpy.int64)
    split = split_train_test(features.reshape(len(features), -1), labels, test_fraction, seed)
    mean = split.x_train.mean(axis=0)
    scale = split.x_train.std(axis=0)
    scale[scale == 0] = 1.0
    return Split(((split.x_train - mean) / scale).astype(numpy.float32), split.y_train,
                 ((split.x_test - mean) / scale).astype(numpy.float32), split.y_test)
