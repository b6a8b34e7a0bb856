"""examples/forecast_series.py: beats the last-value baseline, run folder, the user's own series,
bad command lines."""
import json

import numpy
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from examples import forecast_series  # noqa: E402
from helpers import requires_cuda  # noqa: E402
from models.data.series import make_series, split_series  # noqa: E402


def test_cells_beat_the_naive_baseline_and_write_the_run_folder(tmp_path, capsys):
    # Reduced from the defaults (20 epochs, hidden 48, 3000 values: best <= 0.3 x naive for seeds
    # 0-2, about half a minute) to a few seconds; the cells must still clearly beat the baseline.
    results = forecast_series.main(["--epochs", "4", "--hidden", "16", "--length", "1500",
                                    "--out", str(tmp_path)])
    split = split_series(make_series(1500, seed=0), 32)
    naive = float(((split.x_test[:, -1] - split.y_test[:, 0]) ** 2).mean()) * split.std ** 2
    assert results["naive_mse"] == pytest.approx(naive, rel=1e-5)
    best = min(("rnn", "gru", "lstm"), key=lambda cell: results[f"{cell}_mse"])
    assert results["best_model"] == best
    assert results["best_mse_vs_naive"] == pytest.approx(results[f"{best}_mse"] / naive)
    assert results["best_mse_vs_naive"] <= 0.5
    folder = tmp_path / "forecast_series"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(results)
    history = json.loads((folder / "history.json").read_text())
    assert sorted(history) == ["gru", "lstm", "rnn"] and len(history["lstm"]) == 4
    for picture in ("loss.png", "forecast.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*")) and (folder / "model.ckpt").is_file()
    assert "x the naive baseline's" in capsys.readouterr().out


def test_same_seed_same_numbers(tmp_path):
    arguments = ["--epochs", "1", "--hidden", "4", "--length", "400", "--window", "8", "--seed", "5",
                 "--out", str(tmp_path)]
    assert forecast_series.main(arguments) == forecast_series.main(arguments)


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_users_own_series_with_a_multi_step_horizon(suffix, tmp_path):
    steps = numpy.arange(600)
    values = 10 + 3 * numpy.sin(2 * numpy.pi * steps / 12)  # own units: the MSEs are in them
    path = tmp_path / f"mine{suffix}"
    numpy.save(path, values) if suffix == ".npy" else numpy.savetxt(path, values)
    results = forecast_series.main(["--data", str(path), "--horizon", "3", "--window", "12", "--epochs", "3",
                                    "--hidden", "12", "--out", str(tmp_path)])
    split = split_series(values, 12, 3)
    naive = float(((split.x_test[:, -1:] - split.y_test) ** 2).mean()) * split.std ** 2
    assert results["naive_mse"] == pytest.approx(naive, rel=1e-5) and naive > 1
    assert results["best_mse_vs_naive"] < 0.5


@pytest.mark.parametrize("arguments, message", [
    (["--data", "missing.csv"], "--data missing.csv: no such file"),
    (["--window", "0"], "--window and --horizon must be at least 1"),
    (["--length", "20"], "too short"),
])
def test_bad_command_lines_exit_with_status_2_and_one_line(arguments, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        forecast_series.main([*arguments, "--out", str(tmp_path)])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_file_that_is_not_one_series_is_refused(tmp_path, capsys):
    (tmp_path / "table.csv").write_text("1,2\n3,4\n5,6\n")
    with pytest.raises(SystemExit) as stopped:
        forecast_series.main(["--data", str(tmp_path / "table.csv"), "--out", str(tmp_path)])
    assert stopped.value.code == 2
    assert "one number per line" in capsys.readouterr().err


@pytest.mark.cuda
@requires_cuda
def test_a_run_on_cuda_writes_the_same_keys(tmp_path):
    results = forecast_series.main(["--epochs", "1", "--hidden", "4", "--length", "400", "--window", "8",
                                    "--device", "cuda", "--out", str(tmp_path)])
    assert results["best_model"] in ("rnn", "gru", "lstm") and results["naive_mse"] > 0
