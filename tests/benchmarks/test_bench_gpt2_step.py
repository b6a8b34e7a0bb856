"""benchmarks/bench_gpt2_step.py (the GPT-2-style step) and the harness's peak-memory column."""
import math

import numpy

import tinygrad_lite as tl
from benchmarks import bench_gpt2_step as bench
from benchmarks import harness
from helpers import requires_torch, torch

TINY = dict(batch=2, seq=8, layers=1, d_model=16, vocab=11)


def test_weights_cover_every_parameter_with_gpt2_init():
    inputs, targets, weights = bench.make_data(numpy, **TINY)
    model = bench.build_model(tl, weights, heads=2)
    names = {name for name, _ in model.named_parameters()}
    assert names == set(weights)  # lm_head.weight is the tied token embedding
    assert model.lm_head.weight is model.token_embedding.weight
    assert weights["blocks.0.ln_1.weight"].tolist() == [1.0] * 16
    numpy.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])


@requires_torch
def test_both_frameworks_take_the_same_adamw_steps():
    data = bench.make_data(numpy, **TINY)
    ours, theirs = bench.framework_step(tl, *data, heads=2), bench.framework_step(torch, *data, heads=2)
    for _ in range(3):
        numpy.testing.assert_allclose(ours().item(), theirs().item(), rtol=1e-5)


def test_numpy_floor_is_the_same_forward_up_to_the_gelu_form():
    data = bench.make_data(numpy, **TINY)
    floor = bench.numpy_step(numpy, *data, heads=2)()
    with tl.no_grad():
        logits = bench.build_model(tl, data[2], heads=2)(tl.tensor(data[0]))
        loss = tl.nn.functional.cross_entropy(logits.reshape(-1, TINY["vocab"]),
                                              tl.tensor(data[1]).reshape(-1)).item()
    # the floor's tanh GELU differs from the exact one by < 1e-3 at these small activations
    assert abs(floor - loss) < 1e-3 and abs(loss - math.log(TINY["vocab"])) < 0.1


def test_peak_memory_of_a_fresh_process():
    peak = harness.peak_memory("benchmarks.bench_mlp_step", "numpy", steps=1)
    assert set(peak) == {"traced", "rss", "step"} and peak["traced"] > 1e5 and peak["rss"] >= 0


def test_a_steady_step_counts_only_the_memory_it_adds():
    kept = []

    def step():  # 8 MiB touched and freed, 1 MiB kept: the peak is ~8 MiB above the baseline
        numpy.ones(2 ** 21, numpy.float32).sum()
        kept.append(numpy.ones(2 ** 18, numpy.float32))

    step()
    peak = harness._steady_step_peak(step)
    if peak is None:
        return  # no glibc malloc_trim or /proc/self/clear_refs here: the column prints "-"
    assert 7 * 2 ** 20 < peak < 12 * 2 ** 20


def test_report_prints_the_memory_columns(capsys):
    timings = {"tinygrad_lite": [0.002, 0.003, 0.004], "pytorch": [0.001, 0.0015, 0.002]}
    memory = {"tinygrad_lite": {"traced": 3 * 2 ** 20, "rss": 5 * 2 ** 20, "step": 2 ** 20},
              "pytorch": {"traced": None, "rss": 7 * 2 ** 20, "step": None}}
    medians = harness.report("title", timings, 1e3, "ms", memory=memory)
    lines = capsys.readouterr().out.splitlines()
    assert "step MiB" in lines[2] and lines[3].split()[-3:] == ["3.0", "5.0", "1.0"]
    assert lines[4].split()[-3:] == ["-", "7.0", "-"] and medians["pytorch"] == 0.0015


class _FakeFramework:
    """Stands in for tinygrad_lite or torch: records default-device and synchronize calls."""

    def __init__(self, log, name):
        self.log, self.name, self.__version__ = log, name, "fake"
        self.cuda = self

    def set_default_device(self, device):
        self.log.append((self.name, "default", device))

    def is_available(self):
        return True

    def synchronize(self, device):
        self.log.append((self.name, "synchronize", device))


def test_device_flag_makes_the_gpu_the_default_and_times_each_step_to_its_end():
    log = []
    prepared = harness.on_device("cuda:1", _FakeFramework(log, "tl"), _FakeFramework(log, "torch"))
    assert log == [("tl", "default", "cuda:1"), ("torch", "default", "cuda:1")]
    step = prepared("pytorch", lambda: log.append("step") or 7)
    assert step() == 7 and log[-2:] == ["step", ("torch", "synchronize", "cuda:1")]
    unchanged = harness.on_device("cpu", None, None)("tinygrad_lite", len)
    assert unchanged is len


def test_device_flag_without_a_gpu_says_why_in_one_line():
    import subprocess
    import sys

    if tl.cuda.is_available():
        return  # a GPU is here: the flag works instead of refusing
    result = subprocess.run([sys.executable, "-m", "benchmarks.bench_mlp_step", "--device", "cuda",
                             "--repeats", "1"], capture_output=True, text=True,
                            cwd=harness.pathlib.Path(harness.__file__).resolve().parents[1])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("--device cuda: CUDA device requested but CuPy is not usable")
