"""``tl.cuda``: is a GPU usable through CuPy? Its random generators' state."""
from tinygrad_lite.backend import cuda_device_count, cuda_is_available
from tinygrad_lite.random import get_cuda_rng_state as get_rng_state
from tinygrad_lite.random import set_cuda_rng_state as set_rng_state


def is_available():
    """True when CuPy imports and sees at least one GPU."""
    return cuda_is_available()


def device_count():
    """Number of visible CUDA GPUs (0 without CuPy)."""
    return cuda_device_count()
