"""tinygrad_lite keeps glibc from returning array memory to the kernel between steps."""
import os
import subprocess
import sys
import textwrap

import pytest

from tinygrad_lite.malloc_tuning import tune_malloc

# A step's pattern: megabyte temporaries of varying sizes alive together, then freed. Without the
# tuning each repetition faults in thousands of fresh pages (measured: ~2,300 per repetition).
FAULTS_PER_STEP = textwrap.dedent("""
    import os, resource, sys
    import numpy as np
    import tinygrad_lite  # noqa: F401 - the import applies the tuning

    def step():
        a = np.ones(1 << 20, np.float32); b = np.ones(3 << 19, np.float32); c = a[: 1 << 19] * 2
        d = np.ones(1 << 21, np.float32); del a; e = np.ones(5 << 18, np.float32)
        return b.sum() + c.sum() + d.sum() + e.sum()

    for _ in range(3):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        step()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
""")


def _faults_per_step(**environ):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    env.update(environ)
    result = subprocess.run([sys.executable, "-c", FAULTS_PER_STEP], env=env, capture_output=True,
                            text=True, check=True)
    return float(result.stdout)


glibc_only = pytest.mark.skipif(not tune_malloc({}), reason="needs Linux with glibc's mallopt")


@glibc_only
def test_a_repeated_step_faults_in_no_fresh_pages():
    assert _faults_per_step() < 50


@glibc_only
def test_opting_out_leaves_glibc_alone_and_the_pages_fault_again():
    assert _faults_per_step(TINYGRAD_LITE_MALLOC_TUNING="0") > 500


def test_the_users_own_malloc_settings_are_kept():
    assert tune_malloc({"MALLOC_TRIM_THRESHOLD_": "0"}) is False
    assert tune_malloc({"MALLOC_MMAP_THRESHOLD_": "65536"}) is False
    assert tune_malloc({"TINYGRAD_LITE_MALLOC_TUNING": "0"}) is False
