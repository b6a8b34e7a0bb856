"""``tl.cuda``: is a GPU usable through CuPy? Its random generators' state; waiting for it."""
from tinygrad_lite.backend import _cupy_for, cuda_device_count, cuda_is_available, device
from tinygrad_lite.random import get_cuda_rng_state as get_rng_state
from tinygrad_lite.random import set_cuda_rng_state as set_rng_state


def is_available():
    """True when CuPy imports and sees at least one GPU."""
    return cuda_is_available()


def device_count():
    """Number of visible CUDA GPUs (0 without CuPy)."""
    return cuda_device_count()


def synchronize(device_spec=None):
    """Wait until every kernel queued on a GPU has finished, as ``torch.cuda.synchronize``
    (``"cuda:N"``, an index or a ``tl.device``; default the current GPU). GPU work runs
    asynchronously, so a timing synchronizes before reading the clock. RuntimeError saying how
    to install CuPy when no GPU is usable."""
    if device_spec is None:
        _cupy_for(0).cuda.Device().synchronize()
        return
    target = device("cuda", device_spec) if isinstance(device_spec, int) else device(device_spec)
    if target.type != "cuda":
        raise ValueError(f"synchronize: expected a cuda device, got {target}")
    target.xp.cuda.Device(target.index).synchronize()
