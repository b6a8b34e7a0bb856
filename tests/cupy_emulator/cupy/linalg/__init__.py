"""Emulated ``cupy.linalg`` (the routines CuPy 13 has; device arrays only)."""
import numpy

from cupy._core.core import unwrap, wrap_result

_NAMES = ("qr", "norm", "inv", "pinv", "solve", "det", "slogdet", "svd", "eigh", "eigvalsh", "cholesky",
          "lstsq", "matrix_power", "matrix_rank", "tensorsolve", "tensorinv")


def _proxy(name):
    target = getattr(numpy.linalg, name)

    def function(*args, **kwargs):
        return wrap_result(target(*unwrap(args), **unwrap(kwargs)))

    function.__name__ = name
    function.__doc__ = f"``cupy.linalg.{name}`` (emulated with NumPy)."
    return function


for _name in _NAMES:
    globals()[_name] = _proxy(_name)

LinAlgError = numpy.linalg.LinAlgError
