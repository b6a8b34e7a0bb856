"""examples/train_gpt.py: a fast run on a small text file (run folder, metrics keys, checkpoint,
tokenizer, one sample per strategy within the block), BPE tokens, determinism, bad flags."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

import tinygrad_lite as tl  # noqa: E402
from examples import train_gpt  # noqa: E402
from models.training.language_model import STRATEGIES  # noqa: E402
from tests.examples.language_text import write_small_text  # noqa: E402

TINY = ["--epochs", "2", "--steps-per-epoch", "3", "--batch-size", "4", "--block-size", "16", "--layers", "1",
        "--heads", "2", "--embedding", "16", "--eval-tokens", "64", "--warmup", "2"]
KEYS = {"test_perplexity", "bigram_perplexity", "valid_perplexity", "epochs", "tokens_trained"}


def test_fast_run_writes_the_run_folder_and_a_sample_per_strategy(tmp_path, capsys):
    data = write_small_text(tmp_path / "small.txt")
    metrics = train_gpt.main([*TINY, "--data", str(data), "--out", str(tmp_path), "--sample-tokens", "100"])
    assert set(metrics) == KEYS
    assert metrics["epochs"] == 2 and metrics["tokens_trained"] == 2 * 3 * 4 * 16
    assert 1 < metrics["test_perplexity"] < 200 and 1 < metrics["bigram_perplexity"] < 200
    folder = tmp_path / "train_gpt"
    assert json.loads((folder / "metrics.json").read_text()) == pytest.approx(metrics)
    history = json.loads((folder / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2] and all(row["valid_perplexity"] > 1 for row in history)
    assert (folder / "perplexity.png").read_bytes().startswith(b"\x89PNG") and list(folder.glob("graph.*"))
    tokenizer = tl.text.CharTokenizer.load(str(folder / "tokenizer.json"))
    checkpoint = tl.load(str(folder / "checkpoint.ckpt"))
    assert checkpoint["epoch"] == 2 and checkpoint["config"]["vocab_size"] == tokenizer.vocab_size
    assert {"model", "optimizer", "scheduler"} <= set(checkpoint)
    samples = (folder / "samples.txt").read_text()
    printed = capsys.readouterr().out
    for name in STRATEGIES:
        assert f"=== {name} ===\nReturn the " in samples and f"--- {name} ---\nReturn the " in printed
    # 16 positions: the prompt's 11 characters and at most 5 new ones, whatever --sample-tokens asks
    for block in samples.split("=== ")[1:]:
        assert len(block.split("===\n", 1)[1].rstrip("\n")) <= 16
    assert printed.count("valid perplexity") == 2


def test_bpe_tokens_and_the_same_seed_gives_the_same_numbers(tmp_path):
    data = write_small_text(tmp_path / "small.txt")
    arguments = [*TINY, "--epochs", "1", "--tokenizer", "bpe", "--vocab-size", "300", "--data", str(data),
                 "--sample-tokens", "4"]
    first = train_gpt.main([*arguments, "--out", str(tmp_path / "a")])
    second = train_gpt.main([*arguments, "--out", str(tmp_path / "b")])
    assert first == second
    tokenizer = tl.text.BPETokenizer.load(str(tmp_path / "a" / "train_gpt" / "tokenizer.json"))
    assert 261 < tokenizer.vocab_size <= 300


def test_an_unknown_tokenizer_exits_with_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        train_gpt.main(["--tokenizer", "word", "--out", str(tmp_path)])
    assert stopped.value.code == 2 and "--tokenizer" in capsys.readouterr().err


def test_checkpoint_gives_the_same_numbers_and_amp_trains(tmp_path):
    data = write_small_text(tmp_path / "small.txt")
    arguments = [*TINY, "--epochs", "1", "--dropout", "0.1", "--data", str(data), "--sample-tokens", "4"]
    plain = train_gpt.main([*arguments, "--out", str(tmp_path / "plain")])
    recomputed = train_gpt.main([*arguments, "--out", str(tmp_path / "checkpoint"), "--checkpoint"])
    assert recomputed == plain  # identical gradients, dropout included: identical runs
    mixed = train_gpt.main([*arguments, "--out", str(tmp_path / "amp"), "--amp", "--checkpoint"])
    assert mixed["test_perplexity"] == pytest.approx(plain["test_perplexity"], rel=0.05)
    weights = tl.load(str(tmp_path / "amp" / "train_gpt" / "checkpoint.ckpt"))["model"]
    assert all(tensor.dtype == tl.float32 for tensor in weights.values())
