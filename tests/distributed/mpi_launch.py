"""Run a script under ``mpirun -n N`` from a test, or say clearly why that is impossible here."""
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_mpirun():
    """``mpirun`` next to this Python (the mpich wheel puts it in the venv), else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpirun")
    return beside if os.access(beside, os.X_OK) else shutil.which("mpirun")


def skip_reason():
    """Why multi-process tests cannot run here, or None when they can."""
    if importlib.util.find_spec("mpi4py") is None:
        return 'mpi4py is not installed: pip install -e ".[distributed]" (mpi4py + mpich runtime)'
    if find_mpirun() is None:
        return 'no mpirun next to Python or on PATH: pip install -e ".[distributed]" brings one'
    return None


requires_mpi = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def run_mpi(arguments, processes=2, timeout=120):
    """``mpirun -n processes python arguments...`` from the repository root; returns stdout and
    fails the test with both output streams when the run fails."""
    environment = dict(os.environ, PYTHONPATH=REPO, TL_PROGRESS="0", OMP_NUM_THREADS="1",
                       OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [find_mpirun(), "-n", str(processes), sys.executable, *arguments]
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {done.returncode}\n"
                    f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done.stdout
