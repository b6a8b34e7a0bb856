"""Time series for forecasting: a seeded noisy multi-frequency generator, the user's own 1-D file,
and the windows (past values -> next values) a forecaster trains on, split in time order."""
import os
from typing import NamedTuple

import numpy
from numpy.lib.stride_tricks import sliding_window_view


class SeriesSplit(NamedTuple):
    """Standardised windows: ``x_*`` (N, window) past values, ``y_*`` (N, horizon) the values that
    follow, float32; ``mean`` and ``std`` (of the training part) map them back to the series' units."""

    x_train: numpy.ndarray
    y_train: numpy.ndarray
    x_test: numpy.ndarray
    y_test: numpy.ndarray
    mean: float
    std: float


def make_series(length=3000, num_waves=3, min_period=10.0, max_period=50.0, noise=0.1, seed=0):
    """A float32 series (length,): the sum of ``num_waves`` sines with random periods (uniform in
    [min_period, max_period] steps), amplitudes (0.5-1.5) and phases, plus Gaussian noise of std
    ``noise``. The same seed gives the same series."""
    rng = numpy.random.default_rng(seed)
    periods = rng.uniform(min_period, max_period, size=(num_waves, 1))
    amplitudes = rng.uniform(0.5, 1.5, size=(num_waves, 1))
    phases = rng.uniform(0, 2 * numpy.pi, size=(num_waves, 1))
    steps = numpy.arange(length)
    waves = amplitudes * numpy.sin(2 * numpy.pi * steps / periods + phases)
    return (waves.sum(0) + noise * rng.standard_normal(length)).astype(numpy.float32)


def load_series(path):
    """A float32 series (length,) from a ``.npy`` array or a text file (``.csv``/``.txt``) with one
    value per line. A missing or malformed file raises ValueError naming the path."""
    expected = "expected a 1-D .npy array or a .csv/.txt file with one number per line"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"series file {path!r} not found ({expected})")
    try:
        if str(path).endswith(".npy"):
            values = numpy.load(path, allow_pickle=False)
        else:
            values = numpy.loadtxt(path, delimiter=",", dtype=numpy.float64, ndmin=1)
    except (ValueError, OSError) as error:
        raise ValueError(f"cannot read {path!r}: {error} ({expected})") from None
    values = numpy.squeeze(values)
    if values.ndim != 1 or not numpy.issubdtype(values.dtype, numpy.number):
        raise ValueError(f"{path!r}: got an array of shape {values.shape} ({expected})")
    if not numpy.isfinite(values).all():
        raise ValueError(f"{path!r}: the series holds NaN or infinite values")
    return values.astype(numpy.float32)


def sliding_windows(series, window, horizon=1):
    """``(inputs (N, window), targets (N, horizon))``: every run of ``window`` consecutive values
    and the ``horizon`` values right after it, N = len(series) - window - horizon + 1."""
    runs = sliding_window_view(numpy.asarray(series), window + horizon)
    return runs[:, :window].copy(), runs[:, window:].copy()


def split_series(series, window, horizon=1, test_fraction=0.2):
    """A :class:`SeriesSplit` in time order: targets in the first ``1 - test_fraction`` of the
    series train, those in the rest test (their input windows may reach back into the training
    part, as a forecaster's would). Standardised with the training part's mean and std only."""
    series = numpy.asarray(series, dtype=numpy.float32)
    cut = len(series) - int(round(len(series) * test_fraction))
    if cut < window + horizon or len(series) - cut < horizon:
        raise ValueError(f"a series of {len(series)} values is too short for windows of {window} "
                         f"+ {horizon} with a test fraction of {test_fraction}")
    mean, std = float(series[:cut].mean()), float(series[:cut].std()) or 1.0
    scaled = (series - mean) / std
    x_train, y_train = sliding_windows(scaled[:cut], window, horizon)
    x_test, y_test = sliding_windows(scaled[cut - window:], window, horizon)
    return SeriesSplit(x_train, y_train, x_test, y_test, mean, std)
