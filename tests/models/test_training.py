"""models/training: the examples' command line, run folder and classifier report."""
import json

import numpy
import pytest

import tinygrad_lite as tl
from models.training import RunFolder, classification_metrics, example_parser, setup


def test_metrics_json_is_flat_and_written_atomically(tmp_path):
    run = RunFolder(tmp_path, "demo")
    run.write_metrics({"test_accuracy": numpy.float32(0.5), "epochs": numpy.int64(3), "best": "gru",
                       "nan_loss": float("nan")})
    assert json.loads((tmp_path / "demo" / "metrics.json").read_text()) == {
        "test_accuracy": 0.5, "epochs": 3, "best": "gru", "nan_loss": None}
    with pytest.raises(TypeError, match="flat"):
        run.write_metrics({"table": [1, 2]})
    assert sorted(path.name for path in (tmp_path / "demo").iterdir()) == ["metrics.json"]


def test_history_and_graph_are_written(tmp_path):
    run = RunFolder(tmp_path, "demo")
    run.write_history([{"epoch": 1, "loss": numpy.float64(0.25)}])
    assert json.loads(open(run.file("history.json")).read()) == [{"epoch": 1, "loss": 0.25}]
    model = tl.nn.Linear(3, 2)
    written = run.save_graph(model(tl.randn(4, 3)).sum(), model)
    assert written.endswith((".png", ".gv"))


@pytest.mark.parametrize("arguments, message", [(["--epochs", "0"], "--epochs must be at least 1"),
                                                (["--device", "gpu9"], "--device gpu9"),
                                                (["--data", "absent.csv"], "--data absent.csv: no such file")])
def test_bad_command_lines_exit_with_status_2_and_say_why(arguments, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        setup(example_parser("demo", epochs=3), arguments)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_setup_seeds_and_keeps_the_shared_flags():
    args = setup(example_parser("demo", epochs=3, lr=0.1, batch_size=8), ["--seed", "5"])
    first = tl.rand(2).tolist()
    setup(example_parser("demo", epochs=3), ["--seed", "5"])
    assert tl.rand(2).tolist() == first
    assert (args.epochs, args.lr, args.batch_size, args.device, args.threads) == (3, 0.1, 8, "cpu", 1)


def test_classification_metrics_are_macro_averages():
    labels, predictions = numpy.array([0, 0, 1, 2]), numpy.array([0, 1, 1, 2])
    assert classification_metrics(labels, predictions) == pytest.approx({
        "test_accuracy": 0.75, "test_precision": (1 + 0.5 + 1) / 3, "test_recall": (0.5 + 1 + 1) / 3,
        "test_f1": (2 / 3 + 2 / 3 + 1) / 3})
