"""examples.train_pipeline: the GPT in two stages on two MPI processes has the unsplit gradients."""
import json

import pytest

from tests.distributed.mpi_launch import requires_mpi, run_mpi

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


@requires_mpi
@pytest.mark.parametrize("micro_batches", [1, 4])
def test_pipeline_gradients_equal_the_unsplit_models(tmp_path, micro_batches):
    output = run_mpi(["-m", "examples.train_pipeline", "--epochs", "2", "--steps-per-epoch", "2",
                      "--batch-size", "8", "--micro-batches", str(micro_batches), "--out", str(tmp_path)])
    metrics = json.loads((tmp_path / "train_pipeline" / "metrics.json").read_text())
    assert metrics["stages"] == 2 and metrics["micro_batches"] == micro_batches
    assert metrics["max_gradient_difference"] < 1e-5
    assert f"= {metrics['max_gradient_difference']:.3g}" in output
    assert metrics["final_train_loss"] < 5.6  # ln(256) = 5.55 at the start
