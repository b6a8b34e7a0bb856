"""examples.train_breast_cancer: the comparison table, the overfitting it shows, and the run folder."""
import json

import numpy
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from examples import train_breast_cancer  # noqa: E402

VARIANTS = ("plain", "l2", "l1", "dropout")


def test_a_shorter_run_shows_overfitting_sparsity_and_writes_its_folder(tmp_path, capsys):
    # The default run (200 epochs: test_accuracy 0.9735 on seeds 0, 1, 2) costs ~21 s of CPU: too long
    # for the suite. 60 epochs (~8 s) already show every effect the table is there for.
    results = train_breast_cancer.main(["--epochs", "60", "--out", str(tmp_path)])
    assert results["test_accuracy"] >= 0.95 and results["test_f1"] >= 0.95
    assert results["logistic_regression_test_accuracy"] >= 0.95
    # plain memorises: perfect on train, train loss ~1e-3, test loss above its own minimum
    assert results["plain_train_accuracy"] == 1.0 and results["plain_train_loss"] < 5e-3
    assert results["plain_test_loss"] > results["plain_best_test_loss"] * 1.2
    # weight decay keeps train and test loss alike; L1 zeroes most first-layer weights, the others few
    assert abs(results["l2_test_loss"] - results["l2_train_loss"]) < 0.02
    assert results["l1_weight_sparsity"] > 0.8
    assert max(results["plain_weight_sparsity"], results["dropout_weight_sparsity"]) < 0.05
    folder = tmp_path / "train_breast_cancer"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(results)
    history = json.loads((folder / "history.json").read_text())
    assert [len(history[name]) for name in VARIANTS] == [60] * 4
    for picture in ("train_loss.png", "test_loss.png", "sparsity.png", "confusion_matrix.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*")) and (folder / "model.ckpt").is_file()
    printed = capsys.readouterr().out
    assert "logistic regression" in printed and all(f"\n{name} " in printed for name in VARIANTS)


def test_it_trains_on_the_users_own_table(tmp_path):
    rng = numpy.random.default_rng(0)
    features = rng.standard_normal((120, 5))
    labels = (features[:, 0] + features[:, 1] > 0).astype(int)
    numpy.savetxt(tmp_path / "mine.csv", numpy.column_stack([features, labels]), delimiter=",")
    results = train_breast_cancer.main(["--data", str(tmp_path / "mine.csv"), "--epochs", "20", "--width", "16",
                                        "--out", str(tmp_path)])
    assert results["test_accuracy"] >= 0.85 and results["logistic_regression_test_accuracy"] >= 0.85
