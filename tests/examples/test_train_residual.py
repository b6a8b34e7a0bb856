"""examples.train_residual: the run folder in a fast mode, and the residual net beating the plain one."""
import json

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from examples import train_residual  # noqa: E402


def test_a_short_run_writes_its_folder_and_the_plain_deep_net_does_not_learn(tmp_path, capsys):
    # The default run (20 epochs: residual 0.975 / 0.983 / 0.978 on seeds 0, 1, 2, plain 0.10-0.16)
    # costs ~21 s of CPU: too long for the suite. 4 epochs (~6 s) already show the whole lesson.
    results = train_residual.main(["--epochs", "4", "--out", str(tmp_path)])
    assert results["residual_test_accuracy"] >= 0.95
    assert results["plain_test_accuracy"] <= 0.2
    assert results["residual_test_accuracy"] - results["plain_test_accuracy"] >= 0.05
    assert results["plain_first_block_grad_norm"] < 1e-6 < 0.1 < results["residual_first_block_grad_norm"]
    assert 0 < results["residual_test_f1"] <= 1 and results["residual_test_loss"] < 0.3
    folder = tmp_path / "train_residual"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(results)
    history = json.loads((folder / "history.json").read_text())
    assert [len(history[name]) for name in ("residual", "plain")] == [4, 4]
    assert [len(history["grad_norms_at_init"][name]) for name in ("residual", "plain")] == [32, 32]
    for picture in ("grad_norms_at_init.png", "loss.png", "accuracy.png", "residual_confusion_matrix.png",
                    "plain_confusion_matrix.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*")) and (folder / "model.ckpt").is_file()
    printed = capsys.readouterr().out
    assert "residual, 32 blocks: accuracy" in printed and "plain, 32 blocks: accuracy" in printed
