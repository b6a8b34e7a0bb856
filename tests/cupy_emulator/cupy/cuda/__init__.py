"""Emulated ``cupy.cuda``: one visible device (id 0), streams that have nothing to wait for."""
import threading

from cupy.cuda import runtime  # noqa: F401

_local = threading.local()


def get_device_id():
    """The current device's id."""
    return getattr(_local, "device", 0)


def is_available():
    """Always True in the emulator."""
    return True


class Device:
    """A CUDA device; as a context manager it makes itself current (CuPy semantics)."""

    def __init__(self, device=None):
        self.id = get_device_id() if device is None else int(device)
        self._previous = []

    def _check(self):
        if not 0 <= self.id < runtime.getDeviceCount():
            raise runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def use(self):
        """Make this device current."""
        self._check()
        _local.device = self.id

    def synchronize(self):
        """Wait for the device (nothing is ever pending here)."""
        self._check()

    def __enter__(self):
        self._check()
        self._previous.append(get_device_id())
        _local.device = self.id
        return self

    def __exit__(self, *exc):
        _local.device = self._previous.pop()

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("cupy.cuda.Device", self.id))

    def __int__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    """A CUDA stream; work is synchronous in the emulator."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptr=0):
        self.ptr = 0 if null else id(self)

    def synchronize(self):
        """Wait for the stream's work (none pending)."""

    def use(self):
        """Make this the current stream."""
        _local.stream = self
        return self

    def __enter__(self):
        self._previous = get_current_stream()
        return self.use()

    def __exit__(self, *exc):
        _local.stream = self._previous

    def done(self):
        """Always True."""
        return True


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    """The current stream (the null stream unless one is in use)."""
    return getattr(_local, "stream", Stream.null)
