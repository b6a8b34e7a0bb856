"""``autocast``: a cast policy that listed ops consult at their entry, as PyTorch's autocast.

Inside ``with tl.amp.autocast("cpu"):`` ops of the LOWER_PRECISION category (matmul, mm, bmm,
einsum, linear, conv, attention) cast their floating inputs to the autocast dtype (float16),
and ops of the FLOAT32 category (softmax, log_softmax, losses, norms, exp, log, pow, sum, prod,
logsumexp) cast them to float32: PyTorch's CUDA lists, used for both device types. Every other
op runs in its inputs' dtype. float64 tensors are never cast, as in PyTorch.

The casts are ordinary differentiable ``to(dtype)`` ops, so parameters and their gradients stay
float32. The state is thread-local and nests; a new thread starts with autocast off. Call
``backward()`` outside the region, as PyTorch recommends.
"""
import functools
import threading
import warnings

from tinygrad_lite import dtypes
from tinygrad_lite.tensor import Tensor

LOWER_PRECISION = "lower_precision"
FLOAT32 = "float32"
DEVICE_TYPES = ("cpu", "cuda")


class _ThreadState(threading.local):
    """This thread's autocast settings per device type, and its cache of cast parameters."""

    def __init__(self):
        self.enabled = dict.fromkeys(DEVICE_TYPES, False)
        self.dtype = dict.fromkeys(DEVICE_TYPES, dtypes.float16)
        self.cache_enabled = True
        self.depth = 0  # open autocast regions in this thread; the cache is freed at 0
        self.cache = {}


_state = _ThreadState()


class _EnabledAnywhere:
    """How many (thread, device type) pairs have autocast on: while 0, an op's check is one
    attribute read (the thread-local state is consulted only when some thread turned it on)."""

    count = 0
    lock = threading.Lock()


def _set_enabled(device_type, enabled):
    if _state.enabled[device_type] != enabled:
        with _EnabledAnywhere.lock:
            _EnabledAnywhere.count += 1 if enabled else -1
        _state.enabled[device_type] = enabled


def autocast_inputs(category, *tensors):
    """``tensors`` cast as an op of ``category`` needs under autocast; unchanged when it is off.

    Anything that is not an eligible tensor (None, a number, an integer or float64 tensor, a
    tensor of a device type whose autocast is off) passes through untouched.
    """
    if not _EnabledAnywhere.count:
        return tensors
    return tuple(_cast(category, tensor) for tensor in tensors)


def _cast(category, tensor):
    if not isinstance(tensor, Tensor) or not _state.enabled[tensor.device.type]:
        return tensor
    dtype = tensor.dtype
    if dtype.kind != "f" or dtype == dtypes.float64:
        return tensor
    target = _state.dtype[tensor.device.type] if category == LOWER_PRECISION else dtypes.float32
    if dtype == target:
        return tensor
    if category == LOWER_PRECISION and _state.cache_enabled and tensor.is_leaf and tensor.requires_grad:
        return _cached_cast(tensor, target)
    return tensor.to(target)


def _cached_cast(parameter, dtype):
    """One cast per parameter per region (an RNN reads its weights at every step), redone when
    the parameter was written in place or grad mode changed since."""
    from tinygrad_lite.autograd.grad_mode import GradMode  # noqa: PLC0415 - amp sits beside ops

    key = (id(parameter), dtype, GradMode.enabled)
    entry = _state.cache.get(key)
    if entry is not None and entry[0] is parameter and entry[1] == parameter._version:
        return entry[2]
    cast = parameter.to(dtype)
    _state.cache[key] = (parameter, parameter._version, cast)
    return cast


def is_autocast_enabled(device_type="cuda"):
    """True inside an enabled autocast region for ``device_type`` in this thread."""
    return _state.enabled[_checked_device_type(device_type)]


def get_autocast_dtype(device_type="cuda"):
    """The lower-precision dtype autocast uses for ``device_type`` in this thread."""
    return _state.dtype[_checked_device_type(device_type)]


def _checked_device_type(device_type):
    if device_type not in DEVICE_TYPES:
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}' "
                           f"(expected one of {', '.join(DEVICE_TYPES)})")
    return device_type


class autocast:
    """Context manager and decorator: listed ops run in ``dtype`` or float32 inside it.

    ``autocast(device_type="cpu"|"cuda", dtype=tl.float16, enabled=True, cache_enabled=True)``
    affects tensors on ``device_type`` only. Regions nest (an inner ``enabled=False`` turns it
    off, and the outer setting returns on exit) and belong to the thread that opened them.
    float16 is the only lower-precision dtype (NumPy has no bfloat16); another dtype warns and
    disables autocast, as PyTorch does for a dtype the device does not support.
    """

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        self.device_type = _checked_device_type(device_type)
        self.dtype = dtypes.float16 if dtype is None else dtypes.as_dtype(dtype)
        self.enabled = bool(enabled)
        if self.enabled and self.dtype != dtypes.float16:
            warnings.warn(f"In {device_type} autocast, but the target dtype {self.dtype} is not "
                          "supported (only tl.float16 is). Disabling autocast.", UserWarning,
                          stacklevel=2)
            self.enabled = False
        self.cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        self._saved = []

    def __enter__(self):
        device_type = self.device_type
        self._saved.append((_state.enabled[device_type], _state.dtype[device_type],
                            _state.cache_enabled))
        _set_enabled(device_type, self.enabled)
        _state.dtype[device_type] = self.dtype
        _state.cache_enabled = self.cache_enabled
        _state.depth += 1
        return self

    def __exit__(self, *exc_info):
        enabled, dtype, cache_enabled = self._saved.pop()
        _set_enabled(self.device_type, enabled)
        _state.dtype[self.device_type] = dtype
        _state.cache_enabled = cache_enabled
        _state.depth -= 1
        if _state.depth == 0:
            _state.cache.clear()
        return False

    def __call__(self, function):
        """Use as a decorator: each call of ``function`` runs inside a region like this one."""
        settings = (self.device_type, self.dtype, self.enabled, self.cache_enabled)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with autocast(*settings):
                return function(*args, **kwargs)

        return wrapper
