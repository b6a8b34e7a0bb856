"""Pytest configuration: markers, a fixed seed before every test, examples' progress bars off."""
import os

import pytest

import tinygrad_lite as tl


def pytest_configure(config):
    os.environ.setdefault("TL_PROGRESS", "0")
    _one_blas_thread()
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU with CuPy (skipped without one)")
    config.addinivalue_line("markers", "slow: longer end-to-end checks")


def _one_blas_thread():
    """BLAS at one thread: the suite's matmuls are small, and two spinning threads on a busy
    2-core machine slow them many times over."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _one_blas_thread.limits = threadpool_limits(1, user_api="blas")


@pytest.fixture(autouse=True)
def _seed():
    tl.manual_seed(0)
    yield


_HOW_TO_ENABLE = {
    "PyTorch is not installed": "pip install torch==2.13.0  (the CPU build: pip install torch==2.13.0 "
                                "--index-url https://download.pytorch.org/whl/cpu)",
    "no CUDA GPU / CuPy": 'a machine with an NVIDIA GPU and pip install -e ".[cuda12]" (or cuda13)',
}


def pytest_terminal_summary(terminalreporter):
    """One line per skip reason at the end of a run, with the command that enables those tests."""
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        hint = _HOW_TO_ENABLE.get(reason)
        terminalreporter.write_line(f"{count} skipped: {reason}" + (f" -> enable with: {hint}" if hint else ""))
