"""Emulated ``cupy.cuda.runtime``: one device."""


class CUDARuntimeError(RuntimeError):
    """Raised for CUDA runtime failures (bad device ordinal here)."""


def getDeviceCount():  # noqa: N802 - CuPy's name
    """Number of visible devices (1 in the emulator)."""
    return 1


def deviceSynchronize():  # noqa: N802
    """Nothing to wait for."""


def runtimeGetVersion():  # noqa: N802
    """A CUDA 12.x runtime version number."""
    return 12040


is_hip = False
