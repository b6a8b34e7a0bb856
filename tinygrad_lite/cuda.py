"""``tl.cuda``: is a GPU usable through CuPy?"""
from tinygrad_lite.backend import cuda_device_count, cuda_is_available


def is_available():
    """True when CuPy imports and sees at least one GPU."""
    return cuda_is_available()


def device_count():
    """Number of visible CUDA GPUs (0 without CuPy)."""
    return cuda_device_count()
