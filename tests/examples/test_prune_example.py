"""examples/prune.py: a fast run writes the accuracy-vs-sparsity plot and one metric per point."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")
pytest.importorskip("sklearn")

from examples import prune  # noqa: E402


def test_fast_run_writes_every_point_and_the_plot(tmp_path):
    metrics = prune.main(["--epochs", "2", "--finetune-epochs", "1", "--out", str(tmp_path)])
    points = [f"{kind}_{tuned}_{round(s * 100)}" for kind in ("unstructured", "structured")
              for tuned in ("oneshot", "finetuned") for s in prune.SPARSITIES]
    assert set(metrics) == {"dense_accuracy", *points}
    assert metrics["dense_accuracy"] > 0.8
    assert metrics["unstructured_oneshot_0"] == metrics["dense_accuracy"]  # 0% prunes nothing
    assert metrics["unstructured_oneshot_95"] < metrics["dense_accuracy"]
    folder = tmp_path / "prune"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(metrics)
    assert (folder / "accuracy_vs_sparsity.png").read_bytes().startswith(b"\x89PNG")
