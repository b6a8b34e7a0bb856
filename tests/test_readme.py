"""The README's Python examples run as pasted, its commands are the two it promises, its pictures are fresh."""
import os
import pathlib
import re
import subprocess
import sys

import numpy
import pytest

import tinygrad_lite as tl

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_its_five_python_examples_and_two_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1).strip().splitlines()
    assert first_block[0].startswith('pip install -e ".[examples]" && python -m examples.train_mlp')
    assert first_block[1].startswith('pip install -e ".[test]" && python -m pytest')
    assert len(first_block) == 2
    assert len(python_blocks()) == 5


def test_autograd_example_runs_and_prints_the_gradient_shapes(capsys):
    exec(compile(python_blocks()[0], "README autograd example", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["(2, 2) (2, 3)", "True"]


def test_training_loop_example_is_fifteen_lines_and_learns(tmp_path, monkeypatch):
    source = python_blocks()[2]
    assert len(source.strip().splitlines()) == 15
    monkeypatch.chdir(tmp_path)
    tl.manual_seed(0)
    namespace = {}
    exec(compile(source, "README training loop", "exec"), namespace)
    assert (tmp_path / "model.ckpt").exists()
    restored = tl.load(tmp_path / "model.ckpt")
    assert set(restored) == {"model", "optimizer"}
    model, x, y = namespace["model"], namespace["x"], namespace["y"]
    with tl.no_grad():
        logits = model(x)
        full_loss = tl.nn.functional.cross_entropy(logits, y).item()
    assert full_loss < 0.2  # chance level would be log(3) = 1.0986
    assert (logits.argmax(1) == y).float().mean().item() > 0.97


def run_as_pasted(source, folder):
    """Run ``source`` in a fresh interpreter in ``folder``, as a user pasting it would."""
    completed = subprocess.run([sys.executable, "-c", source], cwd=folder, capture_output=True,
                               text=True, check=False, env={**os.environ, "PYTHONPATH": str(README.parent)})
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


@pytest.mark.parametrize("index", range(5))
def test_every_python_block_runs_as_pasted_into_a_fresh_interpreter(index, tmp_path):
    run_as_pasted(python_blocks()[index], tmp_path)


def test_devices_example_prints_where_things_are(tmp_path):
    printed = run_as_pasted(python_blocks()[1], tmp_path)
    expected = "cuda:0 cpu" if tl.cuda.is_available() else "cpu cpu"
    assert printed == [expected]


def test_kv_cache_example_shows_the_cached_step_equals_full_recomputation(tmp_path):
    assert run_as_pasted(python_blocks()[3], tmp_path) == ["17 True"]


def test_text_example_round_trips_and_generates_with_every_strategy(tmp_path):
    assert run_as_pasted(python_blocks()[4], tmp_path) == ["True ['cat', 'sat']", "(1, 13)", "(1, 13)", "(1, 13)"]


def test_the_readme_graph_picture_is_what_the_code_draws_today():
    from examples.render_graph import draw

    kept = README.parent / "examples" / "readme" / "mlp_graph.gv"
    assert (README.parent / "examples" / "readme" / "mlp_graph.png").exists()
    assert draw().source == kept.read_text(encoding="utf-8"), (
        "the README's graph is stale: python -m examples.render_graph --path examples/readme/mlp_graph.png")
