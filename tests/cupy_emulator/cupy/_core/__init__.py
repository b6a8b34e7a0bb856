"""``cupy._core``: the emulated array class lives in :mod:`cupy._core.core`."""
from cupy._core.core import ndarray  # noqa: F401
