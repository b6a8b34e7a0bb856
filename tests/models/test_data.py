"""models/data: the offline datasets and the user's own tables, deterministic per seed."""
import numpy
import pytest

from models.data import load_breast_cancer, load_digits, load_table, split_train_test
from models.data.digits import resize_images

pytest.importorskip("sklearn")


def test_digits_split_is_stratified_deterministic_and_float32():
    first, again, other = load_digits(seed=1), load_digits(seed=1), load_digits(seed=2)
    assert first.x_train.shape == (1438, 8, 8) and first.x_test.shape == (359, 8, 8)
    assert first.x_train.dtype == numpy.float32 and first.y_train.dtype == numpy.int64
    assert numpy.array_equal(first.y_test, again.y_test) and not numpy.array_equal(first.y_test, other.y_test)
    assert 0.0 <= first.x_train.min() and first.x_train.max() <= 1.0
    assert numpy.bincount(first.y_test).min() >= 35  # every class keeps its ~20% share


def test_digits_at_32x32_keep_the_picture():
    split = load_digits(side=32)
    assert split.x_train.shape[1:] == (32, 32)
    small = load_digits().x_train[:5]
    restored = resize_images(resize_images(small, 32), 8)
    assert numpy.abs(restored - small).mean() < 0.05


def test_breast_cancer_is_standardised_with_training_statistics_only():
    split = load_breast_cancer(seed=0)
    assert split.x_train.shape[1] == 30 and split.x_train.dtype == numpy.float32
    numpy.testing.assert_allclose(split.x_train.mean(0), 0, atol=1e-5)
    numpy.testing.assert_allclose(split.x_train.std(0), 1, atol=1e-4)
    assert abs(split.x_test.mean()) > 1e-4  # the test set was not used to fit the scaling


def test_user_tables_load_from_csv_and_npz(tmp_path):
    table = numpy.column_stack([numpy.arange(12.0).reshape(6, 2), [0, 1, 0, 1, 2, 2]])
    numpy.savetxt(tmp_path / "mine.csv", table, delimiter=",")
    numpy.savez(tmp_path / "mine.npz", x=table[:, :2], y=table[:, 2].astype(int))
    for name in ("mine.csv", "mine.npz"):
        features, labels = load_table(tmp_path / name)
        assert features.dtype == numpy.float32 and labels.tolist() == [0, 1, 0, 1, 2, 2]
    split = split_train_test(features, labels, test_fraction=0.5, seed=0)
    assert sorted(split.y_test.tolist()) == [0, 1, 2]


@pytest.mark.parametrize("content, message", [(None, "not found"), ("1,2,0.5\n", "class indices"),
                                              ("a,b\n", "cannot read")])
def test_bad_user_tables_say_which_file_and_what_was_expected(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises((FileNotFoundError, ValueError), match=message):
        load_table(str(path))
