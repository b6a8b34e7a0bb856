"""examples/train_seq2seq.py: a fast run of all three variants (run folder, metrics keys, heat map,
checkpoints), the user's TSV file, a bad --variants, and a reduced run that learns dates."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

import tinygrad_lite as tl  # noqa: E402
from examples import train_seq2seq  # noqa: E402
from models.seq2seq import Seq2Seq  # noqa: E402

TINY = ["--epochs", "1", "--num-train", "120", "--num-test", "12", "--hidden", "8", "--embedding-dim", "4",
        "--beams", "2", "--heatmaps", "2"]


def test_fast_run_writes_the_run_folder_for_all_three_variants(tmp_path, capsys):
    metrics = train_seq2seq.main([*TINY, "--out", str(tmp_path)])
    names = ("no_attention", "bahdanau", "luong")
    assert set(metrics) == {f"{prefix}_{name}" for name in names
                            for prefix in ("exact_match", "beam_exact_match", "train_cpu_seconds")}
    assert all(0.0 <= metrics[f"exact_match_{name}"] <= 1.0 for name in names)
    folder = tmp_path / "train_seq2seq"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(metrics)
    history = json.loads((folder / "history.json").read_text())
    assert set(history) == set(names) and {"train_loss", "test_exact_match"} <= set(history["luong"][0])
    for picture in ("attention.png", "exact_match.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*"))
    checkpoint = tl.load(str(folder / "bahdanau.ckpt"))
    model = Seq2Seq(**checkpoint["config"])
    model.load_state_dict(checkpoint["model"])
    tokenizer = tl.text.CharTokenizer.load(str(folder / "tokenizer.json"))
    assert model.config["vocab_size"] == tokenizer.vocab_size and model.attention_kind == "bahdanau"
    printed = capsys.readouterr().out
    assert "greedy EM" in printed and "beam-2 EM" in printed and "luong" in printed


def test_the_users_pairs_and_a_bad_variant(tmp_path):
    data = tmp_path / "pairs.tsv"
    data.write_text("".join(f"{word}\t{word[::-1]}\n" for word in ("abc", "cab", "bca", "aab", "bba", "cca")))
    metrics = train_seq2seq.main([*TINY, "--variants", "luong", "--data", str(data), "--out", str(tmp_path)])
    assert set(metrics) == {"exact_match_luong", "beam_exact_match_luong", "train_cpu_seconds_luong"}
    with pytest.raises(SystemExit) as stopped:
        train_seq2seq.main(["--variants", "luong,transformer", "--out", str(tmp_path)])
    assert stopped.value.code == 2


def test_a_reduced_run_learns_to_read_unseen_dates(tmp_path):
    # The target (>= 0.99 for both attention kinds) takes 5 epochs of 10,000 dates; 3 epochs of
    # 4,000 already put half the unseen test dates exactly right.
    metrics = train_seq2seq.main(["--variants", "luong", "--num-train", "4000", "--num-test", "200", "--epochs",
                                  "3", "--batch-size", "32", "--beams", "2", "--heatmaps", "0",
                                  "--out", str(tmp_path)])
    assert metrics["exact_match_luong"] >= 0.4
