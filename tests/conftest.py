"""Pytest configuration: markers, a fixed seed before every test, examples' progress bars off."""
import os

import pytest

import tinygrad_lite as tl


def pytest_configure(config):
    os.environ.setdefault("TL_PROGRESS", "0")
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU with CuPy (skipped without one)")
    config.addinivalue_line("markers", "slow: longer end-to-end checks")


@pytest.fixture(autouse=True)
def _seed():
    tl.manual_seed(0)
    yield
