"""examples.compare_schedules: the learning rate each schedule produced, and what decay buys."""
import json
import math

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from examples import compare_schedules  # noqa: E402

NAMES = ("constant", "step", "exponential", "cosine_warmup", "plateau")


def test_a_short_comparison_records_each_schedules_rates_losses_and_plots(tmp_path):
    results = compare_schedules.main(["--epochs", "10", "--out", str(tmp_path)])
    assert set(results) == {f"{name}_{key}" for name in NAMES for key in ("final_loss", "test_accuracy")} | {
        "lowest_loss_schedule"}
    folder = tmp_path / "compare_schedules"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(results)
    history = json.loads((folder / "history.json").read_text())
    rates = {name: [row["lr"] for row in rows] for name, rows in history.items()}
    assert rates["constant"] == [0.3] * 10
    assert rates["step"] == pytest.approx([0.3] * 3 + [0.03] * 3 + [0.003] * 3 + [0.0003])
    assert rates["exponential"] == pytest.approx([0.3 * 0.01 ** (epoch / 10) for epoch in range(10)])
    assert rates["cosine_warmup"][:3] == pytest.approx([0.03, 0.3, 0.3 * (1 + math.cos(math.pi / 9)) / 2])
    # At lr 0.3 the constant rate cannot settle: every decaying schedule ends with a lower loss
    # (seed 0, 10 epochs: constant 0.068, step 0.025, exponential 0.023, cosine 0.009).
    for name in ("step", "exponential", "cosine_warmup"):
        assert results[f"{name}_final_loss"] < 0.5 * results["constant_final_loss"], name
        assert results[f"{name}_test_accuracy"] >= 0.94, name
    for picture in ("lr.png", "loss.png", "confusion_matrix.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*"))

