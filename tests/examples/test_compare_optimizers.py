"""examples.compare_optimizers: seven optimizers from one initialisation, one flat metrics file."""
import json

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from examples import compare_optimizers  # noqa: E402

NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


def test_a_short_comparison_writes_every_optimizers_numbers_and_one_loss_chart(tmp_path, capsys):
    results = compare_optimizers.main(["--epochs", "8", "--out", str(tmp_path)])
    assert set(results) == {f"{name}_{key}" for name in NAMES for key in ("final_loss", "test_accuracy")} | {
        "best_optimizer"}
    # Plain SGD at the same step size is the slow one: momentum, Nesterov and the adaptive
    # methods all end 8 epochs lower (seed 0: SGD 1.2, the others 0.03-0.2).
    for name in NAMES[1:]:
        assert results[f"{name}_final_loss"] < 0.5 * results["sgd_final_loss"], name
        assert results[f"{name}_test_accuracy"] >= 0.9, name
    folder = tmp_path / "compare_optimizers"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(results)
    history = json.loads((folder / "history.json").read_text())
    assert list(history) == list(NAMES) and all(len(rows) == 8 for rows in history.values())
    for picture in ("loss.png", "accuracy.png", "confusion_matrix.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*"))
    assert "loss < 0.1 at" in capsys.readouterr().out
