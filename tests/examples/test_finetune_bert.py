"""examples/finetune_bert.py: a tiny run on the user's labelled file from a tiny pretrained
checkpoint writes both arms' keys and the run folder; without a checkpoint it pretrains first;
the labelled subset is stratified and seeded."""
import argparse
import json

import numpy
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

import tinygrad_lite as tl  # noqa: E402
from examples import finetune_bert, pretrain_bert  # noqa: E402
from models.bert import BERT, save_pretrained  # noqa: E402
from tinygrad_lite import text  # noqa: E402
from tests.examples.language_text import SENTENCES, write_small_text  # noqa: E402
from tests.examples.test_pretrain_bert import TINY  # noqa: E402

FAST = ["--epochs", "2", "--lrs", "3e-3", "--poolings", "cls,mean", "--batch-size", "8", "--max-len", "16",
        "--label-fraction", "0.2"]


def write_labelled(path, lines_per_class=40, seed=0):
    """Three classes, each writing two of the SENTENCES in a random order, as label<TAB>text lines."""
    rng = numpy.random.default_rng(seed)
    lines = []
    for label in range(3):
        for _ in range(lines_per_class):
            first, second = rng.permutation([SENTENCES[2 * label], SENTENCES[2 * label + 1]])
            lines.append(f"class{label}\t{first} {second} Item {len(lines)}.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A tiny pretraining checkpoint in the module's output folder."""
    out = tmp_path_factory.mktemp("finetune_bert")
    data = write_small_text(out / "small.txt")
    pretrain_bert.main(["--data", str(data), "--out", str(out), "--epochs", "1", *TINY])
    return out


def test_fast_run_writes_both_arms_and_the_run_folder(folder, capsys):
    data = write_labelled(folder / "labelled.tsv")
    results = finetune_bert.main(["--data", str(data), "--out", str(folder), *FAST])
    for arm in ("pretrained", "scratch"):
        assert 0.0 <= results[f"{arm}_macro_f1"] <= 1.0 and results[f"{arm}_lr"] == 3e-3
        assert results[f"{arm}_pooling"] in ("cls", "mean")
        assert (folder / "finetune_bert" / f"{arm}_confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    assert results["macro_f1_gain"] == pytest.approx(results["pretrained_macro_f1"] - results["scratch_macro_f1"])
    assert results["labelled_examples"] == 18  # 20% of each class's 30 training lines
    run = folder / "finetune_bert"
    assert json.loads((run / "metrics.json").read_text()) == pytest.approx(results)
    history = json.loads((run / "history.json").read_text())
    assert sorted(history) == ["pretrained", "scratch"] and len(history["scratch"]) == 2
    for picture in ("accuracy.png", "loss.png"):
        assert (run / picture).read_bytes().startswith(b"\x89PNG")
    assert list(run.glob("graph.*")) and tl.load(str(run / "model.ckpt"))["num_classes"] == 3
    printed = capsys.readouterr().out
    assert "pretrained" in printed and "scratch" in printed and "gain" in printed


def test_missing_checkpoint_pretrains_first(tmp_path, monkeypatch, capsys):
    data = write_labelled(tmp_path / "labelled.tsv")
    text = write_small_text(tmp_path / "small.txt")
    real_pretrain = pretrain_bert.main
    monkeypatch.setattr(pretrain_bert, "main",
                        lambda argv: real_pretrain([*argv, "--data", str(text), "--epochs", "1", *TINY]))
    results = finetune_bert.main(["--data", str(data), "--out", str(tmp_path), *FAST, "--epochs", "1",
                                  "--poolings", "mean"])
    assert "running examples.pretrain_bert first" in capsys.readouterr().out
    assert (tmp_path / "pretrain_bert" / "bert.ckpt").is_file() and "pretrained_macro_f1" in results
    with pytest.raises(SystemExit) as stopped:
        finetune_bert.main(["--data", str(data), "--out", str(tmp_path), "--pretrained", str(tmp_path / "none.ckpt")])
    assert stopped.value.code == 2 and "none.ckpt: no such file" in capsys.readouterr().err


def test_a_checkpoint_that_read_another_seeds_split_is_refused_or_pretrained_again(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "pretrain_bert"
    folder.mkdir()
    path = str(folder / "bert.ckpt")
    bert = BERT(vocab_size=8, max_len=4, d_model=4, n_layer=1, n_head=1, d_ff=4)
    save_pretrained(path, bert, text.CharTokenizer.train(["abc"]), {"text": "stdlib docstrings", "task_split_seed": 1})
    args = argparse.Namespace(pretrained=None, out=str(tmp_path), seed=1, data=None, device="cpu", threads=1)
    calls = []
    monkeypatch.setattr(pretrain_bert, "main", calls.append)
    assert finetune_bert.pretrained_checkpoint(args) == path and not calls  # its own seed's split
    assert finetune_bert.pretrained_checkpoint(argparse.Namespace(**{**vars(args), "seed": 0, "data": "x.tsv"})) == path
    assert not calls  # the user's own task never read the docstrings
    args.seed = 2
    assert finetune_bert.pretrained_checkpoint(args) == path
    assert calls[0][calls[0].index("--seed") + 1] == "2" and "pretraining again for seed 2" in capsys.readouterr().out
    args.pretrained = path
    with pytest.raises(SystemExit) as stopped:
        finetune_bert.pretrained_checkpoint(args)
    assert stopped.value.code == 2 and "split of seed 1" in capsys.readouterr().err


def test_labelled_subset_is_stratified_and_seeded():
    labels = numpy.repeat(numpy.arange(3), [50, 30, 20])
    texts = [f"text {index}" for index in range(100)]
    kept, kept_labels = finetune_bert.labelled_subset(texts, labels, 0.1, seed=4)
    assert numpy.bincount(kept_labels).tolist() == [5, 3, 2]
    assert all(labels[int(one.split()[1])] == label for one, label in zip(kept, kept_labels))
    assert finetune_bert.labelled_subset(texts, labels, 0.1, seed=4)[0] == kept
    assert finetune_bert.labelled_subset(texts, labels, 0.1, seed=5)[0] != kept
    with pytest.raises(ValueError, match="without a label"):
        finetune_bert.labelled_subset(texts, labels, 0.01, seed=0)
