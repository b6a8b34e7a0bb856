"""benchmarks/bench_nanogpt_recipe.py: nanoGPT's schedule, and a 3-step run of both frameworks."""
import json
import math
import pathlib

import numpy
import pytest

from benchmarks import bench_nanogpt_recipe as bench
from helpers import requires_torch

README = pathlib.Path(__file__).parents[2] / "README.md"


def test_learning_rate_is_nanogpts_warmup_then_cosine():
    assert bench.learning_rate(0, 2000) == pytest.approx(1e-3 / 101)
    assert bench.learning_rate(99, 2000) == pytest.approx(1e-3 * 100 / 101)
    assert bench.learning_rate(100, 2000) == pytest.approx(1e-3)
    assert bench.learning_rate(1050, 2000) == pytest.approx(1e-4 + 0.5 * 9e-4)  # halfway down
    assert bench.learning_rate(2000, 2000) == pytest.approx(1e-4)
    assert bench.learning_rate(2500, 2000) == 1e-4


def test_windows_are_inputs_and_targets_shifted_by_one():
    tokens = numpy.arange(1000, dtype=numpy.int64)
    starts = bench.window_starts(tokens, 5, numpy.random.default_rng(0))
    assert starts.shape == (5, 12) and starts.max() < 1000 - 64
    inputs, targets = bench.windows(tokens, starts[0])
    assert inputs.shape == targets.shape == (12, 64)
    numpy.testing.assert_array_equal(inputs[:, 0], starts[0])
    numpy.testing.assert_array_equal(targets, inputs + 1)


@requires_torch
def test_three_steps_of_both_frameworks_agree_and_write_the_json(tmp_path):
    # The repository's README as the text (--data): extracting the docstring corpus costs seconds.
    out = tmp_path / "recipe.json"
    results = bench.main(["--iters", "3", "--eval-iters", "2", "--eval-interval", "2",
                          "--data", str(README), "--out", str(out)])
    assert json.loads(out.read_text()) == results
    ours, theirs = results["results"]["tinygrad_lite"], results["results"]["pytorch"]
    # same weights and batches: the same losses at every step, within float32 rounding
    numpy.testing.assert_allclose(ours["train_losses"], theirs["train_losses"], rtol=1e-4)
    assert list(ours["val_curve"]) == ["0", "2", "3"]
    # a near-uniform start: loss about log(vocab), and three small warmup steps move it little
    assert abs(ours["val_curve"]["0"] - math.log(results["config"]["vocab_size"])) < 0.1
    assert results["val_loss_within_2_percent"] and results["val_loss_relative_difference"] < 1e-4
    assert results["wall_ratio"] > 0 and results["cpu_ratio"] > 0
    assert results["config"]["n_layer"] == 4 and results["config"]["bias"] is False
