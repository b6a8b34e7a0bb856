"""Every runnable example answers --help, and each writes into its own folder (no shared files)."""
import importlib
import pathlib
import re

import pytest

NOT_TRAINING = {"render_graph", "visualize"}  # drawing examples: no epochs, data or run folder of their own
EXAMPLES = sorted(path.stem for path in (pathlib.Path(__file__).resolve().parents[2] / "examples").glob("*.py")
                  if path.stem != "__init__")


@pytest.mark.parametrize("name", EXAMPLES)
def test_help_prints_usage_and_exits_0(name, capsys):
    module = importlib.import_module(f"examples.{name}")
    with pytest.raises(SystemExit) as stopped:
        module.main(["--help"])
    assert stopped.value.code == 0
    printed = capsys.readouterr().out
    assert "usage:" in printed
    if name not in NOT_TRAINING:  # every training example takes the shared flags
        for flag in ("--epochs", "--seed", "--device", "--out", "--data"):
            assert flag in printed, flag


@pytest.mark.parametrize("name", [name for name in EXAMPLES if name not in NOT_TRAINING])
def test_training_examples_write_into_a_folder_named_after_themselves(name):
    source = (pathlib.Path(__file__).resolve().parents[2] / "examples" / f"{name}.py").read_text()
    assert re.findall(r'RunFolder\(args\.out, "(\w+)"\)', source) == [name]
