"""Tests for tinygrad_lite/backend.py and cuda.py: device objects, CuPy probing, default devices."""
import os
import pathlib
import subprocess
import sys

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import backend

REPO = pathlib.Path(__file__).resolve().parents[1]
no_gpu = pytest.mark.skipif(tl.cuda.is_available(), reason="checks the behaviour without a GPU")


def test_cpu_device_object():
    cpu = tl.device("cpu")
    assert cpu == "cpu" and cpu == tl.device("CPU") and cpu == tl.device(cpu) and cpu == "cpu:0"
    assert cpu is tl.device("cpu")
    assert str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')"
    assert cpu.type == "cpu" and cpu.xp is numpy
    assert cpu != "cuda:0" and cpu != "not a device"
    assert hash(cpu) == hash("cpu")
    assert tl.ones(1).device == "cpu" and tl.ones(1).device is cpu


@pytest.mark.parametrize("spec, message", [("gpu", "unknown device"), ("cuda:x", "cuda:N"),
                                           ("cuda:-1", "negative"), ("", "unknown device"),
                                           ("tpu:0", "unknown device"), ("cpu:1", "unknown device")])
def test_unknown_device_strings_raise_value_error(spec, message):
    with pytest.raises(ValueError, match=message):
        tl.device(spec)


def test_device_must_be_a_string():
    with pytest.raises(TypeError, match="string"):
        tl.device(3)


@no_gpu
@pytest.mark.parametrize("action", [
    lambda: tl.device("cuda"), lambda: tl.device("cuda:1"), lambda: tl.ones(2).cuda(),
    lambda: tl.zeros(2, device="cuda"), lambda: tl.tensor([1.0], device="cuda:0"),
    lambda: tl.ones(2).to("cuda"), lambda: tl.set_default_device("cuda"),
], ids=["device", "device:1", "tensor.cuda", "zeros", "tensor", "to", "set_default_device"])
def test_cuda_without_cupy_raises_one_clear_runtime_error(action):
    with pytest.raises(RuntimeError, match=r"pip install -e \"\.\[cuda12\]\"") as caught:
        action()
    assert "CuPy" in str(caught.value)
    # One error, not a chain of NumPy/CuPy tracebacks.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    assert tl.get_default_device() == "cpu"


@no_gpu
def test_cuda_is_not_available_here():
    assert tl.cuda.is_available() is False
    assert tl.cuda.device_count() == 0


def test_cuda_strings_parse_with_an_index():
    assert backend._parse_device("cuda:1", None) == ("cuda", 1)
    assert backend._parse_device("cuda", None) == ("cuda", 0)
    assert backend._parse_device("cuda", 2) == ("cuda", 2)
    assert backend._parse_device(" CUDA:3 ", None) == ("cuda", 3)
    assert backend._parse_device("cpu", None) == ("cpu", None)


def test_set_default_device_cpu_and_auto():
    previous = tl.get_default_device()
    try:
        tl.set_default_device("cpu")
        assert tl.zeros(1).device == "cpu"
        tl.set_default_device("auto")
        expected = "cuda:0" if tl.cuda.is_available() else "cpu"
        assert tl.get_default_device() == expected
        assert tl.tensor([1.0]).device == expected
    finally:
        tl.set_default_device(previous)


def _default_device_in_subprocess(value):
    env = dict(os.environ, TINYGRAD_LITE_DEVICE=value, PYTHONPATH=str(REPO))
    code = "import tinygrad_lite as tl; print(tl.get_default_device(), tl.zeros(1).device)"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("value, expected", [("cpu", "cpu cpu"), ("auto", None), ("", "cpu cpu")])
def test_env_variable_sets_the_default_device(value, expected):
    result = _default_device_in_subprocess(value)
    assert result.returncode == 0, result.stderr
    if expected is None:
        expected = "cuda:0 cuda:0" if tl.cuda.is_available() else "cpu cpu"
    assert result.stdout.strip() == expected


@no_gpu
def test_env_variable_cuda_without_gpu_fails_clearly():
    result = _default_device_in_subprocess("cuda")
    assert result.returncode != 0
    assert "pip install -e \".[cuda12]\"" in result.stderr


class _FakeDevice:
    """Stands in for a second device so mixing can be checked on a CPU-only machine."""

    type, index, xp = "cuda", 1, numpy

    def __str__(self):
        return "cuda:1"


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a @ b.reshape(3, 1),
    lambda a, b: tl.cat([a, b]), lambda a, b: tl.where(a > 0, a, b), lambda a, b: tl.maximum(a, b),
], ids=["add", "mul", "matmul", "cat", "where", "maximum"])
def test_mixing_devices_names_both(op):
    here = tl.ones(3, requires_grad=True)
    elsewhere = tl.Tensor._make(numpy.ones(3, dtype=numpy.float32), _FakeDevice(), False, None)
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:1|cuda:1.*cpu"):
        op(here, elsewhere)


def test_device_of_array_and_to_device_array_on_cpu():
    array = numpy.ones(2)
    assert backend.device_of_array(array) == "cpu"
    assert backend.to_device_array(array, tl.device("cpu")) is array


def test_index_add_accumulates_repeats():
    target = numpy.zeros(3)
    backend.index_add(numpy, target, (numpy.array([0, 0, 2]),), numpy.array([1.0, 2.0, 3.0]))
    assert target.tolist() == [3.0, 0.0, 3.0]


def test_cuda_synchronize_refuses_a_cpu_device_and_without_a_gpu_says_how_to_get_one():
    with pytest.raises(ValueError, match="expected a cuda device, got cpu"):
        tl.cuda.synchronize("cpu")
    if tl.cuda.is_available():
        tl.cuda.synchronize()
        tl.cuda.synchronize(0)
        return
    for spec in (None, 0, "cuda:0"):
        with pytest.raises(RuntimeError, match="CuPy is not usable"):
            tl.cuda.synchronize(spec)
