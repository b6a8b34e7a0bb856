"""Devices and array modules: the one place that decides between NumPy and CuPy.

A :class:`device` is a small object holding the device name and its array module ``xp``
(``numpy`` for ``"cpu"``, ``cupy`` for ``"cuda:N"``). CuPy is imported lazily, only when a
CUDA device is first asked for, so a CPU-only install never touches it.
"""
import contextlib
import os

import numpy

_INSTALL_HINT = (
    "CUDA device requested but CuPy is not usable: {reason}. Install the CuPy build for your "
    "CUDA version (`nvidia-smi` shows it): `pip install -e \".[cuda12]\"` or `\".[cuda13]\"`, "
    "and make sure an NVIDIA GPU and driver are visible."
)


class device:
    """A compute device, printed as ``cpu`` or ``cuda:N``; compares equal to that string."""

    __slots__ = ("type", "index", "xp", "_name")
    _cache = {}

    def __new__(cls, spec="cpu", index=None):
        if isinstance(spec, device):
            return spec
        key = (spec, index)
        cached = cls._cache.get(key)
        if cached is not None:
            return cached
        kind, idx = _parse_device(spec, index)
        name = f"{kind}:{idx}" if kind == "cuda" else "cpu"
        cached = cls._cache.get((name, None))
        if cached is None:
            cached = object.__new__(cls)
            cached.type, cached.index, cached._name = kind, idx, name
            cached.xp = numpy if kind == "cpu" else _cupy_for(idx)
            cls._cache[(name, None)] = cached
        cls._cache[key] = cached
        return cached

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.type == "cuda" else ")")

    def __str__(self):
        return self._name

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (ValueError, RuntimeError):
                return False
        return self is other

    def __hash__(self):
        return hash(self._name)

    def __reduce__(self):
        return (device, (self._name,))


def _parse_device(spec, index):
    if not isinstance(spec, str):
        raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {type(spec).__name__}")
    text = spec.strip().lower()
    if text == "cpu:0":  # PyTorch accepts the explicit index of the one CPU device
        text = "cpu"
    if text == "cpu":
        if index not in (None, 0):
            raise ValueError(f"device 'cpu' takes no index, got {index}")
        return "cpu", None
    if text == "cuda" or text.startswith("cuda:"):
        if ":" in text:
            try:
                idx = int(text.split(":", 1)[1])
            except ValueError:
                raise ValueError(f"invalid device string {spec!r}: expected 'cuda:N'") from None
        else:
            idx = 0 if index is None else int(index)
        if idx < 0:
            raise ValueError(f"invalid device string {spec!r}: negative index")
        return "cuda", idx
    raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")


_cupy_state = {}


def _load_cupy():
    """Import CuPy once; return the module or raise RuntimeError saying how to install it."""
    if "module" in _cupy_state:
        return _cupy_state["module"]
    if "error" in _cupy_state:
        raise RuntimeError(_INSTALL_HINT.format(reason=_cupy_state["error"]))
    try:
        import cupy  # noqa: PLC0415 - lazy by design

        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA GPU found")
    except Exception as exc:  # ImportError, CUDARuntimeError, ...
        _cupy_state["error"] = f"{type(exc).__name__}: {exc}"
        raise RuntimeError(_INSTALL_HINT.format(reason=_cupy_state["error"])) from None
    _cupy_state["module"] = cupy
    return cupy


def _cupy_for(index):
    cupy = _load_cupy()
    count = cupy.cuda.runtime.getDeviceCount()
    if index >= count:
        raise RuntimeError(f"cuda:{index} requested but only {count} CUDA device(s) are visible")
    return cupy


def cuda_is_available():
    """True when CuPy imports and at least one GPU is visible."""
    try:
        _load_cupy()
    except RuntimeError:
        return False
    return True


def cuda_device_count():
    """Number of visible CUDA devices (0 without CuPy)."""
    return _load_cupy().cuda.runtime.getDeviceCount() if cuda_is_available() else 0


CPU = device("cpu")
_default = {"device": None}


def _device_from_env():
    value = os.environ.get("TINYGRAD_LITE_DEVICE", "cpu").strip().lower() or "cpu"
    if value == "auto":
        return device("cuda") if cuda_is_available() else CPU
    return device(value)


def get_default_device():
    """The device new tensors go to when none is given (env ``TINYGRAD_LITE_DEVICE`` at first use)."""
    if _default["device"] is None:
        _default["device"] = _device_from_env()
    return _default["device"]


def set_default_device(spec):
    """Set the device new tensors are created on (``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``)."""
    if isinstance(spec, str) and spec.strip().lower() == "auto":
        _default["device"] = device("cuda") if cuda_is_available() else CPU
    else:
        _default["device"] = device(spec)


_ON_CPU = contextlib.nullcontext()


def on_device(target):
    """Context in which new arrays land on ``target``: CuPy allocates on the *current* GPU, so
    code making arrays for a ``cuda:N`` tensor outside an op's forward must enter this."""
    if target.xp is numpy:
        return _ON_CPU
    return target.xp.cuda.Device(target.index)


def device_of_array(array):
    """The device an array lives on (NumPy arrays and scalars are cpu)."""
    if isinstance(array, numpy.ndarray) or numpy.isscalar(array):
        return CPU
    module = type(array).__module__
    if module.startswith("cupy"):
        return device("cuda", int(array.device.id))
    return CPU


def to_device_array(array, target):
    """Copy ``array`` to ``target`` device (no copy when it is already there)."""
    source = device_of_array(array)
    if source is target:
        return array
    if target.type == "cpu":
        return array.get()
    with on_device(target):
        return target.xp.asarray(array)


def _row_index(index):
    """The integer array when ``index`` selects whole rows (``x[ids]`` or ``x[(ids,)]``), else None."""
    if isinstance(index, tuple) and len(index) == 1:
        index = index[0]
    if isinstance(index, numpy.ndarray) and index.dtype.kind in "iu" and index.size > 0:
        return index
    return None


def _add_rows(target, index, values):
    """``target[index] += values`` for whole rows: sort the rows by index and sum each run.

    ``numpy.add.at`` handles one element at a time (an embedding backward spent ~7x longer
    there); a stable sort plus ``add.reduceat`` does the same sums vectorised, in a fixed order.
    """
    if index.min() < 0:  # -1 and n-1 name the same row: they must land in the same run
        index = numpy.where(index < 0, index + target.shape[0], index)
    order = numpy.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = numpy.flatnonzero(numpy.concatenate(([True], sorted_index[1:] != sorted_index[:-1])))
    target[sorted_index[starts]] += numpy.add.reduceat(values[order], starts, axis=0)


def index_add(xp, target, index, values):
    """``target[index] += values`` in place, accumulating repeated indices (NumPy or CuPy kernel)."""
    if values.size == 0:  # nothing to add (and a 0-size row can't be reshaped with -1)
        return
    if xp is numpy:
        rows = _row_index(index)
        if rows is not None and target.ndim > 1 and values.shape == rows.shape + target.shape[1:]:
            _add_rows(target, rows.reshape(-1), values.reshape((-1,) + target.shape[1:]))
        else:
            numpy.add.at(target, index, values)
    else:
        _scatter_add_on_gpu(xp, target, index, values)


# The dtypes cupyx.scatter_add has atomic adds for; the other integer and bool dtypes go through
# one of these (an integer sum wraps the same in any width of the same sign, a bool sum is an or).
_GPU_SCATTER_DTYPES = frozenset("int32 uint32 uint64 float16 float32 float64".split())


def _scatter_add_on_gpu(xp, target, index, values):
    """``cupyx.scatter_add`` for every dtype: int64 as uint64 (two's complement adds alike), the
    narrower integers and bool widened to 32 bits and written back."""
    import cupyx  # noqa: PLC0415 - only reached with CuPy arrays

    dtype = target.dtype
    if dtype.name in _GPU_SCATTER_DTYPES:
        cupyx.scatter_add(target, index, values)
    elif dtype.kind == "i" and dtype.itemsize == 8:
        cupyx.scatter_add(target.view(xp.uint64), index, values.astype(dtype, copy=False).view(xp.uint64))
    else:
        wide = xp.int32 if dtype.kind == "i" else xp.uint32
        total = target.astype(wide)
        cupyx.scatter_add(total, index, values.astype(wide))
        target[...] = total != 0 if dtype.kind == "b" else total.astype(dtype)
