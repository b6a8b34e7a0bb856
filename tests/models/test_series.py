"""models/data/series.py: the generated series, the user's file, windows and the time-ordered split."""
import numpy
import pytest

from models.data.series import load_series, make_series, sliding_windows, split_series


def test_generated_series_is_seeded_float32_and_noisy_around_its_sines():
    first, again, other = make_series(500, seed=3), make_series(500, seed=3), make_series(500, seed=4)
    assert first.dtype == numpy.float32 and first.shape == (500,)
    numpy.testing.assert_array_equal(first, again)
    assert not numpy.allclose(first, other)
    clean, noisy = make_series(4000, noise=0.0, seed=1), make_series(4000, noise=0.1, seed=1)
    assert numpy.std(noisy - clean) == pytest.approx(0.1, rel=0.05)
    assert 0.5 < numpy.std(clean) < 2.5  # three waves of amplitude 0.5-1.5


def test_generated_series_holds_the_chosen_periods():
    series = make_series(4096, num_waves=1, min_period=32, max_period=32, noise=0.0, seed=0)
    spectrum = numpy.abs(numpy.fft.rfft(series))
    assert numpy.argmax(spectrum) == 4096 // 32


def test_windows_are_consecutive_values_and_what_follows():
    inputs, targets = sliding_windows(numpy.arange(10.0), window=3, horizon=2)
    assert inputs.shape == (6, 3) and targets.shape == (6, 2)
    numpy.testing.assert_array_equal(inputs[2], [2, 3, 4])
    numpy.testing.assert_array_equal(targets[2], [5, 6])
    numpy.testing.assert_array_equal(targets[-1], [8, 9])


def test_split_keeps_time_order_and_uses_training_statistics_only():
    series = numpy.arange(100, dtype=numpy.float32)
    split = split_series(series, window=5, horizon=1, test_fraction=0.2)
    assert split.mean == pytest.approx(39.5) and split.std == pytest.approx(numpy.arange(80).std())
    back = lambda values: values * split.std + split.mean  # noqa: E731
    numpy.testing.assert_allclose(back(split.y_train[[0, -1], 0]), [5, 79], atol=1e-4)
    numpy.testing.assert_allclose(back(split.y_test[[0, -1], 0]), [80, 99], atol=1e-4)
    numpy.testing.assert_allclose(back(split.x_test[0]), [75, 76, 77, 78, 79], atol=1e-4)
    assert split.x_train.dtype == numpy.float32 and len(split.x_test) == 20


def test_too_short_a_series_is_refused():
    with pytest.raises(ValueError, match="too short"):
        split_series(numpy.zeros(10), window=8)


@pytest.mark.parametrize("name", ["series.csv", "series.txt", "series.npy"])
def test_users_file_loads_as_float32(name, tmp_path):
    values = numpy.linspace(-1, 1, 7)
    path = tmp_path / name
    numpy.save(path, values) if name.endswith(".npy") else numpy.savetxt(path, values)
    loaded = load_series(str(path))
    assert loaded.dtype == numpy.float32
    numpy.testing.assert_allclose(loaded, values, rtol=1e-6)


def test_users_bad_files_are_refused_with_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_series(str(tmp_path / "missing.csv"))
    (tmp_path / "table.csv").write_text("1,2\n3,4\n")
    with pytest.raises(ValueError, match="one number per line"):
        load_series(str(tmp_path / "table.csv"))
    (tmp_path / "words.txt").write_text("one\ntwo\n")
    with pytest.raises(ValueError, match="words.txt"):
        load_series(str(tmp_path / "words.txt"))
