"""A CPU-only emulator of CuPy 13, backed by NumPy, for running CUDA code paths without a GPU.

Use: ``PYTHONPATH=tests/cupy_emulator python -m pytest tests/test_cuda.py``. The directory is off
the default path, so a normal run never imports it.

What is emulated (checked against CuPy's source/docs):

* ``cupy.ndarray`` is its own class (not a ``numpy.ndarray`` subclass) wrapping a private NumPy
  array. ``numpy.asarray(x)``/``numpy.array(x)`` raise ``TypeError`` ("Implicit conversion to a
  NumPy array is not allowed. Please use `.get()` ..."). NumPy ufuncs on device arrays dispatch to
  CuPy's ufuncs (NEP 13); NumPy functions dispatch (NEP 18) only where CuPy has the name.
* Ufuncs and operators take device arrays and Python/NumPy scalars only; host arrays (0-d too),
  lists and other objects raise ``TypeError: Unsupported type ...`` (CuPy ``_scalar.pyx``).
  Module functions refuse host arrays likewise, except the converters ``array``/``asarray``/
  ``asanyarray`` (which always copy host data). ``ascontiguousarray`` takes device arrays only.
* Reductions and integer indexing return 0-d device arrays, never scalars. ``base`` returns the
  same wrapper object for the same owning array. ``flags`` has only c_contiguous, f_contiguous,
  owndata (no ``writeable``). Indices may be host arrays or lists (CuPy converts them). Assigning
  through a basic index (``x[...] = v``) goes through ``fill``: a non-0-d host array raises
  ``ValueError: non-scalar numpy.ndarray cannot be used for fill``; through an advanced index a
  host value is converted.
* ``cupyx.scatter_add`` with an integer-array index refuses dtypes other than int32, float16,
  float32, float64, uint32, uint64 (CuPy ``_routines_indexing.pyx``).
* ``cupy.random.default_rng`` -> ``Generator`` with only CuPy's methods (random, uniform, integers,
  standard_normal, standard_exponential, exponential, gamma, standard_gamma, beta, binomial,
  poisson, geometric, chisquare, dirichlet): no ``normal``, ``permutation``, ``choice``,
  ``shuffle``, ``bit_generator.state``. Seeds: None, int, sequences, ``SeedSequence``.
* ``cupy.cuda``: ``Device`` (context manager, ``id``, ``use``, ``synchronize``),
  ``runtime.getDeviceCount() == 1``, ``Stream``, ``get_current_stream``. No ``nccl``.
* Ufunc methods: ``reduce``/``accumulate`` for add, multiply, maximum, minimum, logical and
  bitwise ops; ``at`` for add, subtract, maximum, minimum, bitwise ops; ``reduceat`` for add only;
  others raise ``NotImplementedError``.

Known divergences (may hide or fake failures):

* Values: NumPy computes everything, so numerics, NaN handling, summation order and error
  messages are NumPy's; random streams repeat per seed but differ from cuRAND's values.
* Type promotion is NumPy 2 (NEP 50) everywhere; CuPy 13's rules for Python scalars can differ.
* Out-of-bounds integer-array indices wrap around, as CuPy documents; where NumPy code relies on
  an ``IndexError`` the framework has to check bounds itself, as it must on a GPU.
* Everything is synchronous; there is one device; streams and memory pointers are fake
  (``data.ptr`` is a host address). No memory pools, kernels (Elementwise/Raw), fft, sparse.
* Module functions refuse host arrays by a generic rule; a few CuPy functions convert array-likes
  internally (e.g. ``take_along_axis`` indexes with its ``indices``), where the emulator is
  stricter. Non-ufunc functions accept Python lists where CuPy might not.
* The allow-lists (functions, ufunc methods, ``lib.stride_tricks``: ``as_strided`` only, linalg)
  follow CuPy 13 to the best of the checks made; names missing here raise ``AttributeError``.
"""
import numpy

from cupy import _functions, _ufuncs, cuda, lib, linalg, random  # noqa: F401
from cupy._core.core import ndarray  # noqa: F401
from cupy._ufuncs import ufunc  # noqa: F401

__version__ = "13.0.0+cpu-emulator"

_NUMPY_NAMES = (
    "e", "euler_gamma", "inf", "nan", "newaxis", "pi",
    "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
    "float32", "float64", "complex64", "complex128", "byte", "short", "intc", "int_", "longlong", "intp",
    "ubyte", "ushort", "uintc", "uint", "ulonglong", "uintp", "half", "single", "double", "csingle",
    "cdouble", "generic", "number", "integer", "signedinteger", "unsignedinteger", "inexact", "floating",
    "complexfloating", "dtype", "finfo", "iinfo", "issubdtype", "promote_types", "min_scalar_type",
    "AxisError", "ComplexWarning", "broadcast_shapes", "index_exp", "s_", "ndindex", "ndenumerate",
)
for _name in _NUMPY_NAMES:
    if hasattr(numpy, _name):
        globals()[_name] = getattr(numpy, _name)
    elif hasattr(numpy.exceptions, _name):
        globals()[_name] = getattr(numpy.exceptions, _name)
bool = numpy.bool_  # noqa: A001 - CuPy re-exports NumPy's names

for _name in _ufuncs.UFUNC_NAMES + ("abs", "matmul"):
    globals()[_name] = getattr(_ufuncs, _name)
globals().update(_functions.FUNCTIONS)


def is_available():
    """Always True in the emulator."""
    return True


def __getattr__(name):
    raise AttributeError(f"module 'cupy' has no attribute {name!r} (not in the CuPy emulator's allow-list)")
