"""models/gallery.py: every architecture of models/ is catalogued, builds tiny, runs and trains; the
residual lesson shows what it claims (the plain net's gradient vanishes, the residual net's does not)."""
import ast
import math
import pathlib
import re

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from models.gallery import GALLERY, NOT_NETWORKS, exhibit, residual_pair

MODELS = pathlib.Path(__file__).resolve().parents[2] / "models"
OUTPUT_SHAPES = {
    "mlp": [(2, 10)], "feedforward": [(2, 1)], "cnn": [(2, 10)], "lenet": [(2, 10)], "resnet": [(2, 10)],
    "residual_mlp": [(2, 10)], "plain_mlp": [(2, 10)], "sequence_classifier": [(2, 10)],
    "forecaster": [(2, 3)], "gan_generator": [(2, 1, 8, 8)], "gan_discriminator": [(2,)],
    "gpt": [(2, 5, 12)], "lstm_lm": [(2, 5, 12)], "word2vec": [(2,)], "mean_embedding_classifier": [(2, 3)],
    "recurrent_text_classifier": [(2, 3)], "text_cnn": [(2, 3)], "seq2seq": [(2, 3, 12), (2, 3, 5)],
    "transformer_translator": [(2, 4, 12)], "bert_mlm": [(2, 5, 12)], "bert_classifier": [(2, 3)],
    "span_qa": [(2, 5), (2, 5)], "tagger": [(2, 5, 5)],
}


def module_classes_defined_in_models():
    """``{class name: file}`` of every nn.Module subclass defined at the top of a models/*.py file."""
    found = {}
    for path in sorted(MODELS.glob("*.py")):
        if path.stem in ("__init__", "gallery"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = path.name
    return found


def test_every_class_in_models_is_drawn_or_declared_not_a_network():
    drawn = set()
    for entry in GALLERY:
        model, _ = entry.build()
        drawn |= {type(module).__name__ for module in model.modules()}
    missing = {name: file for name, file in module_classes_defined_in_models().items()
               if name not in drawn and name not in NOT_NETWORKS}
    assert not missing, f"add a tiny instance of these to models/gallery.py: {missing}"


def test_names_are_unique_file_names_and_descriptions_one_sentence():
    names = [entry.name for entry in GALLERY]
    assert len(set(names)) == len(names) == len(OUTPUT_SHAPES)
    for entry in GALLERY:
        assert re.fullmatch(r"[a-z0-9_]+", entry.name)
        assert "\n" not in entry.description and entry.description.endswith(".")
        assert len(entry.description) <= 130, entry.name
        assert (MODELS.parent / entry.source).exists()


@pytest.mark.parametrize("entry", GALLERY, ids=lambda entry: entry.name)
def test_each_exhibit_runs_on_its_input_and_its_loss_reaches_the_parameters(entry):
    model, inputs = entry.build()
    assert isinstance(model, nn.Module) and not model.training
    outputs = entry.outputs(model, inputs)
    assert [tuple(output.shape) for output in outputs] == OUTPUT_SHAPES[entry.name]
    loss = entry.loss(model, inputs)
    assert loss.shape == () and math.isfinite(loss.item())
    loss.backward()
    reached = [parameter for parameter in model.parameters() if parameter.grad is not None]
    assert len(reached) >= len(list(model.parameters())) // 2


def test_build_is_seeded():
    entry = exhibit("gpt")
    first, second = (entry.outputs(*entry.build(seed=3))[0].detach().numpy() for _ in range(2))
    numpy.testing.assert_array_equal(first, second)
    assert not numpy.array_equal(first, entry.outputs(*entry.build(seed=4))[0].detach().numpy())
    with pytest.raises(KeyError, match="gallery has"):
        exhibit("nope")


def test_residual_pair_shows_the_plain_gradient_vanishing_and_the_residual_one_not():
    pair, images, labels = residual_pair(depth=12)
    residual_logits, plain_logits = pair(images)
    loss = (tl.nn.functional.cross_entropy(residual_logits, labels)
            + tl.nn.functional.cross_entropy(plain_logits, labels))
    loss.backward()

    def first_over_last(net):
        norms = [block.linear.weight.grad.norm().item() for block in net.blocks]
        return norms[0] / norms[-1]

    assert first_over_last(pair.plain) < 1e-2      # ~sqrt(3) lost per tanh layer
    assert first_over_last(pair.residual) > 0.3    # the identity path carries it back
