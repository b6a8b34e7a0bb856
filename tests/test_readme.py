"""The README's Python examples run as written (the CUDA one only where a GPU is present)."""
import pathlib
import re

import numpy
import pytest

import tinygrad_lite as tl

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_its_four_python_examples_and_two_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1).strip().splitlines()
    assert first_block[0].startswith('pip install -e ".[examples]" && python -m examples.train_mlp')
    assert first_block[1].startswith('pip install -e ".[test]" && python -m pytest')
    assert len(first_block) == 2
    assert len(python_blocks()) == 4


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


@pytest.fixture
def restore_default_device():
    """The example changes the default device; put it back even when the test fails."""
    previous = tl.get_default_device()
    yield
    tl.set_default_device(previous)


@pytest.mark.cuda
def test_device_example_runs_on_a_gpu(restore_default_device):
    if not tl.cuda.is_available():
        pytest.skip("needs CuPy and a GPU")
    model = tl.nn.Linear(4, 4)
    namespace = {"tl": tl, "model": model}
    exec(compile(python_blocks()[1], "README devices example", "exec"), namespace)
    assert namespace["x"].device == "cuda:0" and namespace["x"].shape == (4, 4)
    assert [parameter.device for parameter in model.parameters()] == ["cuda:0", "cuda:0"]
    assert tl.get_default_device() == "cuda:0" and tl.zeros(1).device == "cuda:0"
    assert namespace["x"].cpu().device == "cpu"



def test_sequence_example_cached_step_equals_full_recomputation():
    prompt = tl.randn(1, 5, 128)
    next_token = tl.randn(1, 1, 128)
    namespace = {"tl": tl, "nn": tl.nn, "prompt_embeddings": prompt,
                 "next_token_embedding": next_token}
    exec(compile(python_blocks()[3], "README sequence example", "exec"), namespace)
    assert namespace["hidden"].shape == (1, 5, 128) and namespace["step"].shape == (1, 1, 128)
    decoder = namespace["decoder"].eval()
    full = tl.cat([prompt, next_token], dim=1)
    mask = tl.nn.Transformer.generate_square_subsequent_mask(6)
    with tl.no_grad():
        expected = decoder(full, mask=mask)[:, -1:]
    numpy.testing.assert_allclose(namespace["step"].numpy(), expected.numpy(), atol=1e-5)
