"""The digits examples reach their accuracy targets and their checkpoints reload (needs scikit-learn)."""
import sys

import pytest

pytest.importorskip("sklearn")

from examples import train_cnn, train_mlp  # noqa: E402


def run_example(module, monkeypatch, *arguments):
    monkeypatch.setattr(sys, "argv", [module.__name__, *arguments])
    return module.main()


@pytest.mark.parametrize("module, target", [(train_mlp, 0.96), (train_cnn, 0.97)])
def test_example_trains_past_its_target_and_its_checkpoint_evaluates_the_same(
        module, target, tmp_path, monkeypatch, capsys):
    trained = run_example(module, monkeypatch, "--out", str(tmp_path))
    assert trained["accuracy"] >= target
    assert 0 < trained["f1"] <= 1 and trained["loss"] < 0.2
    name = "mlp" if module is train_mlp else "cnn"
    assert (tmp_path / f"{name}_digits.ckpt").exists()
    assert (tmp_path / f"{name}_history.json").exists()
    assert list(tmp_path.glob(f"{name}_graph.*"))  # PNG, or DOT text where `dot` is missing
    evaluated = run_example(module, monkeypatch, "--out", str(tmp_path), "--evaluate")
    assert evaluated == trained
    assert "test: loss" in capsys.readouterr().out


def test_example_trains_on_the_users_own_csv(tmp_path, monkeypatch):
    import numpy

    rng = numpy.random.default_rng(0)
    features = rng.standard_normal((200, 16))
    labels = (features[:, 0] > 0).astype(int)
    numpy.savetxt(tmp_path / "mine.csv", numpy.column_stack([features, labels]), delimiter=",")
    results = run_example(train_mlp, monkeypatch, "--data", str(tmp_path / "mine.csv"),
                          "--epochs", "15", "--out", str(tmp_path))
    assert results["accuracy"] >= 0.85
