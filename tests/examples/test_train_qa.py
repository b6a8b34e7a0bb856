"""examples/train_qa.py: the run folder in a fast run, the baseline's exact number and a loss that
falls at a reduced setting, the user's JSON-lines file, and a start from a pretrain_bert checkpoint."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

import tinygrad_lite as tl  # noqa: E402
from tinygrad_lite import text  # noqa: E402
from examples import train_qa  # noqa: E402
from models.bert import BERT  # noqa: E402

FAST = ["--epochs", "2", "--num-train", "96", "--num-test", "24", "--d-model", "16", "--layers", "1",
        "--heads", "2", "--vocab-size", "300", "--warmup", "2", "--batch-size", "16", "--num-valid", "24"]


def test_fast_run_writes_the_metrics_and_the_run_folder(tmp_path, capsys):
    results = train_qa.main([*FAST, "--out", str(tmp_path)])
    folder = tmp_path / "train_qa"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(results)
    assert 0.0 <= results["exact_match"] <= results["f1"] <= 1.0 and results["init"] == "random"
    history = json.loads((folder / "history.json").read_text())
    assert len(history) == 2 and history[1]["train_loss"] < history[0]["train_loss"]
    assert results["valid_exact_match"] == history[1]["valid_exact_match"]
    assert 0.0 <= results["valid_exact_match"] <= 1.0
    for picture in ("exact_match.png", "loss.png"):
        assert (folder / picture).read_bytes().startswith(b"\x89PNG")
    assert list(folder.glob("graph.*")) and (folder / "model.ckpt").is_file()
    assert text.WordTokenizer.load(folder / "tokenizer.json").vocab_size > 100  # word tokens by default
    assert "first entity of kind" in capsys.readouterr().out


def test_the_baseline_on_seed_0_the_bpe_tokenizer_and_word_shapes(tmp_path):
    # 24 generated test questions of seed 0: the first entity of the asked kind is right for 11
    # (the number follows models.data.entities' name lists).
    results = train_qa.main([*FAST, "--epochs", "1", "--tokenizer", "bpe", "--word-shapes", "1",
                             "--out", str(tmp_path)])
    assert results["baseline_exact_match"] == pytest.approx(11 / 24)
    assert results["baseline_f1"] >= results["baseline_exact_match"]
    assert text.BPETokenizer.load(tmp_path / "train_qa" / "tokenizer.json").vocab_size == 300
    config = tl.load(tmp_path / "train_qa" / "model.ckpt")["config"]
    assert config["n_segments"] == 15  # (question, context, matched) x 5 word shapes


def test_the_users_file_and_a_pretrained_checkpoint(tmp_path):
    rows = [{"context": f"The {colour} box holds item {n}.", "question": f"Which box holds item {n}?",
             "answer": f"{colour} box"} for n, colour in enumerate(["red", "blue", "green", "grey"] * 5)]
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    tokenizer = text.BPETokenizer.train([row["context"] for row in rows], vocab_size=280)
    tokenizer.save(tmp_path / "tokenizer.json")
    bert = BERT(tokenizer.vocab_size, max_len=32, d_model=8, n_layer=1, n_head=2, d_ff=16)
    tl.save({"config": bert.config, "bert": bert.state_dict(), "tokenizer": "tokenizer.json"}, tmp_path / "bert.ckpt")
    results = train_qa.main(["--epochs", "1", "--data", str(data), "--pretrained", str(tmp_path / "bert.ckpt"),
                             "--out", str(tmp_path)])
    assert results["init"] == "pretrained" and 0.0 <= results["exact_match"] <= 1.0
    assert results["baseline_exact_match"] == 0.0  # no entity annotations in the file: the rule has nothing
    assert "valid_exact_match" not in results  # a user's file is split in two, train and test
