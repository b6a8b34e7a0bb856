"""glibc's ``malloc`` kept from handing array memory back to the kernel between training steps.

NumPy takes every array's memory from ``malloc``. glibc serves blocks above a (dynamic) size
threshold with a fresh ``mmap`` and trims freed memory at the top of the heap back to the
kernel, so a step that allocates and frees megabyte-sized temporaries in a varying pattern
faults in, and the kernel zeroes, every page of them again on the next step: measured on the
GPT-2-style benchmark step, 6,200 page faults and ~10 ms of kernel time per 60 ms step, and
2,500 faults per LSTM step. PyTorch's allocator keeps such memory, and so does this tuning:
blocks up to 32 MiB come from the heap, and up to 256 MiB of free heap is kept for reuse.

Applied once at import, on glibc only. It is skipped when the user tuned malloc already
(``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` set) or set
``TINYGRAD_LITE_MALLOC_TUNING=0``; the cost is that a process keeps up to 256 MiB of freed
memory instead of returning it at once.
"""
import ctypes
import os
import sys

__all__ = ["tune_malloc", "MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES"]

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest accepted value on 64-bit
TRIM_THRESHOLD_BYTES = 256 << 20
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def tune_malloc(environ=os.environ):
    """Raise glibc's mmap and trim thresholds; returns True when they were set."""
    if not sys.platform.startswith("linux") or environ.get("TINYGRAD_LITE_MALLOC_TUNING") == "0":
        return False
    if any(name in environ for name in _USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # absent from musl and other C libraries
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
