"""The digits examples reach their accuracy targets, write their run folder, and reload (needs scikit-learn)."""
import json

import numpy
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from examples import train_cnn, train_mlp  # noqa: E402


@pytest.mark.parametrize("module, name, target", [(train_mlp, "train_mlp", 0.96), (train_cnn, "train_cnn", 0.955)])
def test_example_trains_past_its_target_and_its_checkpoint_evaluates_the_same(module, name, target, tmp_path, capsys):
    trained = module.main(["--out", str(tmp_path)])
    assert trained["test_accuracy"] >= target
    assert 0 < trained["test_f1"] <= 1 and trained["test_loss"] < 0.2
    folder = tmp_path / name
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(trained)
    history = json.loads((folder / "history.json").read_text())
    assert len(history) == (40 if module is train_mlp else 30)
    for picture in ("loss.png", "confusion_matrix.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*"))  # PNG, or DOT text where `dot` is missing
    evaluated = module.main(["--out", str(tmp_path), "--evaluate"])
    assert evaluated == trained
    assert "test: accuracy" in capsys.readouterr().out


def test_example_trains_on_the_users_own_csv(tmp_path):
    rng = numpy.random.default_rng(0)
    features = rng.standard_normal((200, 16))
    labels = (features[:, 0] > 0).astype(int)
    numpy.savetxt(tmp_path / "mine.csv", numpy.column_stack([features, labels]), delimiter=",")
    results = train_mlp.main(["--data", str(tmp_path / "mine.csv"), "--epochs", "15", "--out", str(tmp_path)])
    assert results["test_accuracy"] >= 0.85


@pytest.mark.parametrize("arguments, message", [
    (["--data", "missing.csv"], "--data missing.csv: no such file"),
    (["--evaluate"], "no checkpoint at"),
    (["--device", "tpu"], "--device tpu"),
])
def test_bad_command_lines_exit_with_status_2_and_one_line(arguments, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        train_mlp.main([*arguments, "--out", str(tmp_path)])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_an_interrupted_run_resumed_equals_the_uninterrupted_one_bit_for_bit(tmp_path, monkeypatch):
    import models.training.classifier as harness
    import tinygrad_lite as tl

    whole = train_mlp.main(["--out", str(tmp_path / "whole"), "--epochs", "4"])
    saves, save = [], harness._save_run_state

    def interrupt_after_two_epochs(*arguments):
        save(*arguments)
        saves.append(1)
        if len(saves) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(harness, "_save_run_state", interrupt_after_two_epochs)
    with pytest.raises(KeyboardInterrupt):
        train_mlp.main(["--out", str(tmp_path / "split"), "--epochs", "4"])
    monkeypatch.setattr(harness, "_save_run_state", save)
    tl.manual_seed(12345)  # the resumed process starts from another random state
    resumed = train_mlp.main(["--out", str(tmp_path / "split"), "--epochs", "4", "--resume"])
    assert resumed == whole
    weights = [tl.load(tmp_path / run / "train_mlp" / "model.ckpt")["model"] for run in ("whole", "split")]
    for name, value in weights[0].items():
        assert numpy.array_equal(value.numpy(), weights[1][name].numpy()), name


def test_cnn_with_amp_trains_in_float16_and_keeps_float32_weights(tmp_path):
    rng = numpy.random.default_rng(0)
    labels = rng.integers(0, 2, 160)
    images = rng.standard_normal((160, 8, 8))
    images[:, :4] += 1.5 * (2 * labels[:, None, None] - 1)  # the class brightens or darkens the top half
    numpy.savetxt(tmp_path / "images.csv", numpy.column_stack([images.reshape(160, 64), labels]), delimiter=",")
    results = train_cnn.main(["--data", str(tmp_path / "images.csv"), "--epochs", "4", "--amp",
                              "--out", str(tmp_path)])
    assert results["test_accuracy"] >= 0.8
    import tinygrad_lite as tl

    weights = tl.load(str(tmp_path / "train_cnn" / "model.ckpt"))["model"]
    assert weights and all(tensor.dtype == tl.float32 for tensor in weights.values())
