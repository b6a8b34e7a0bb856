"""examples.train_ddp on two MPI processes: DDP's weights equal one process at the global batch."""
import json

import pytest

from tests.distributed.mpi_launch import requires_mpi, run_mpi

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


@requires_mpi
def test_two_processes_end_with_the_single_process_weights(tmp_path):
    output = run_mpi(["-m", "examples.train_ddp", "--epochs", "2", "--train-samples", "300",
                      "--batch-size", "32", "--out", str(tmp_path)])
    metrics = json.loads((tmp_path / "train_ddp" / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["global_batch_size"] == 32
    assert metrics["max_weight_difference"] < 1e-5
    assert metrics["samples_per_second"] > 0 and metrics["single_process_samples_per_second"] > 0
    assert f"= {metrics['max_weight_difference']:.3g}" in output
    history = json.loads((tmp_path / "train_ddp" / "history.json").read_text())
    assert len(history["train_loss"]) == 2 and history["train_loss"][1] < history["train_loss"][0]
    assert (tmp_path / "train_ddp" / "loss.png").read_bytes().startswith(b"\x89PNG")
