"""Emulated ``cupy.random``: ``default_rng`` and a ``Generator`` with only CuPy 13's methods.

The draws come from NumPy's PCG64 seeded with the same ``SeedSequence``, so streams repeat for a
seed but do NOT match real CuPy's cuRAND (XORWOW) values.
"""
import numpy

from cupy._core.core import ndarray, unsupported, wrap_array


class BitGenerator:
    """Seed holder: ``None``, an int, a sequence of ints or a ``numpy.random.SeedSequence``."""

    def __init__(self, seed=None):
        if isinstance(seed, ndarray):
            seed = seed.get()
        self._seed_seq = seed if isinstance(seed, numpy.random.SeedSequence) else numpy.random.SeedSequence(seed)
        self._numpy = numpy.random.Generator(numpy.random.PCG64(self._seed_seq))


class XORWOW(BitGenerator):
    """CuPy's default bit generator (emulated by PCG64)."""


MRG32k3a = Philox4x3210 = XORWOW


def _shape(size):
    return () if size is None else size


def _param(value, name):
    if isinstance(value, ndarray):
        return value._a
    if type(value) in (float, int):
        return value
    raise TypeError(f"{name} is required to be a cupy.ndarray or a scalar")


def _float_dtype(dtype, what):
    dtype = numpy.dtype(dtype)
    if dtype.char not in "fd":
        raise TypeError(f"Unsupported dtype {dtype.name} for {what}")
    return dtype


class Generator:
    """CuPy's ``Generator``: random, uniform, integers, standard_normal, ... (no normal/permutation/choice)."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator
        self._rng = bit_generator._numpy

    def random(self, size=None, dtype=numpy.float64, out=None):
        """Uniform floats in [0, 1)."""
        draw = numpy.float64 if numpy.dtype(dtype).char == "d" else numpy.float32  # then cast, as CuPy
        values = self._rng.random(_shape(size), dtype=draw).astype(dtype, copy=False)
        return _into(values, out)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=numpy.float64):
        """Uniform floats in [low, high)."""
        low, high = _param(low, "low"), _param(high, "high")
        shape = numpy.broadcast_shapes(numpy.shape(low), numpy.shape(high)) if size is None else size
        unit = self._rng.random(shape)
        return wrap_array(numpy.asarray(low + (high - low) * unit).astype(dtype, copy=False))

    def integers(self, low, high=None, size=None, dtype=numpy.int64, endpoint=False):
        """Uniform integers in [low, high) (``endpoint`` includes high); low/high are Python ints."""
        low, high = (0, int(low)) if high is None else (int(low), int(high))
        values = self._rng.integers(low, high, size=_shape(size), dtype=numpy.int64, endpoint=endpoint)
        return wrap_array(numpy.asarray(values).astype(dtype))

    def standard_normal(self, size=None, dtype=numpy.float64, out=None):
        """Standard normal floats (float32 or float64 only)."""
        values = self._rng.standard_normal(_shape(size), dtype=_float_dtype(dtype, "standard_normal"))
        return _into(values, out)

    def standard_exponential(self, size=None, dtype=numpy.float64, method="inv", out=None):
        """Standard exponential floats."""
        if method == "zig":
            raise NotImplementedError("Ziggurat method is not supported")
        values = self._rng.standard_exponential(_shape(size)).astype(_float_dtype(dtype, "exponential"))
        return _into(values, out)

    def exponential(self, scale=1.0, size=None):
        """Exponential floats."""
        return self.standard_exponential(size) * scale

    def standard_gamma(self, shape, size=None, dtype=numpy.float64, out=None):
        """Standard gamma floats."""
        values = self._rng.standard_gamma(_param(shape, "shape"), size).astype(_float_dtype(dtype, "gamma"))
        return _into(values, out)

    def gamma(self, shape, scale=1.0, size=None):
        """Gamma floats."""
        return wrap_array(numpy.asarray(self._rng.gamma(_param(shape, "shape"), _param(scale, "scale"), size)))

    def beta(self, a, b, size=None, dtype=numpy.float64):
        """Beta floats."""
        return wrap_array(numpy.asarray(self._rng.beta(_param(a, "a"), _param(b, "b"), size)).astype(dtype))

    def binomial(self, n, p, size=None):
        """Binomial int64 samples."""
        return wrap_array(numpy.asarray(self._rng.binomial(_param(n, "n"), _param(p, "p"), size)))

    def poisson(self, lam=1.0, size=None):
        """Poisson int64 samples."""
        return wrap_array(numpy.asarray(self._rng.poisson(_param(lam, "lam"), size)))

    def geometric(self, p, size=None):
        """Geometric int64 samples."""
        return wrap_array(numpy.asarray(self._rng.geometric(_param(p, "p"), size)))

    def chisquare(self, df, size=None):
        """Chi-square floats."""
        return wrap_array(numpy.asarray(self._rng.chisquare(_param(df, "df"), size)))

    def dirichlet(self, alpha, size=None):
        """Dirichlet floats."""
        return wrap_array(numpy.asarray(self._rng.dirichlet(_param(alpha, "alpha"), size)))


def _into(values, out):
    values = numpy.asarray(values)
    if out is None:
        return wrap_array(values)
    if not isinstance(out, ndarray):
        raise unsupported(out)
    out._a[...] = values
    return out


def default_rng(seed=None):
    """A ``Generator`` over an ``XORWOW`` bit generator seeded with ``seed``."""
    return Generator(XORWOW(seed))
