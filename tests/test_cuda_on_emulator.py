"""Every CUDA test, run without a GPU through the CPU CuPy emulator (tests/cupy_emulator).

The emulator keeps CuPy's rules that NumPy code breaks most often (no implicit conversion to
NumPy, no host operands, 0-d reductions, wrapped out-of-range indices, CuPy's dtype limits and
Generator methods), so the CuPy path of every op is exercised on each run. It is a stand-in:
numerics, speed and memory still need a real GPU (tests/test_cuda.py runs there). The run is a
subprocess: CuPy is looked up once per process, and this one has none.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import tinygrad_lite as tl

TESTS = pathlib.Path(__file__).resolve().parent
EMULATOR = TESTS / "cupy_emulator"


@pytest.mark.skipif(tl.cuda.is_available(), reason="a real GPU runs the CUDA tests themselves")
def test_every_cuda_test_passes_on_the_cupy_emulator():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(EMULATOR)] + [part for part in [os.environ.get("PYTHONPATH")] if part]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-m", "cuda", "-p", "no:cacheprovider",
         "-x", str(TESTS)],
        env=env, cwd=TESTS.parent, capture_output=True, text=True, timeout=900)
    tail = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    passed = re.search(r"(\d+) passed", result.stdout)
    # The op registry alone gives thousands of CUDA cases: far fewer means they were not collected.
    assert passed and int(passed.group(1)) > 10000, tail
    assert " failed" not in result.stdout, tail
