"""The standard normal CDF ``Phi(x) = (1 + erf(x / sqrt(2))) / 2`` on raw arrays (the exact GELU's).

NumPy has no erf, so erfc is evaluated here. float64 uses a Chebyshev interpolant of
``log(erfc(z)) + z**2`` (~1e-13 relative over the whole half-line). float32 (and float16, computed
in float32) only needs erf to float32's absolute resolution, which a degree-6 polynomial in
``t = 1 / (1 + p z)`` times ``exp(-z**2)`` gives in a third of the passes.

``1 + erf`` is rounded as PyTorch rounds it: it cancels in the far negative tail, so float32
``Phi(-7)`` is 0 (not 1e-12), as PyTorch's. NumPy runs the ~25 elementwise passes block by block
(``blockwise``), so each block's temporaries stay in cache between passes.
"""
import functools
import math

import numpy

__all__ = []

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
BLOCK = 65536  # elements: a block's few temporaries (256 KiB each in float32) stay in the L2 cache

# erfc(z) ~= t * P(t) * exp(-z**2), t = 1 / (1 + p z): a minimax fit of erfc(z) * exp(z**2) on
# z >= 0 (Abramowitz-Stegun 7.1.26's form, one degree higher) with absolute error 1.7e-8 in
# exact arithmetic, below float32's half ulp of 1; p is folded with 1/sqrt(2) to take x itself.
_FLOAT32_P = 0.5496875468657111 * _SQRT_HALF
_FLOAT32_COEFFICIENTS = (0.10721010215609045, -0.5181978224792281, 0.7613830275707407,
                         -0.04290946976130807, 0.3911789497511632, 0.3013352269455782)
# Halved (exactly: a power of two), Horner's rule gives erfc / 2 with erfc's own roundings.
_HALF_FLOAT32_COEFFICIENTS = tuple(coefficient / 2 for coefficient in _FLOAT32_COEFFICIENTS)


def blockwise(xp, compute, outputs, inputs):
    """``compute(xp, *output_blocks, *input_blocks)`` over flat 1-D blocks of ``BLOCK`` elements.

    ``outputs`` are fresh C-contiguous arrays of the inputs' (common) shape. CuPy arrays are
    one block (a GPU gains nothing from cache blocking).
    """
    size = outputs[0].size
    block = BLOCK if xp is numpy else max(size, 1)
    flat_outputs = [array.reshape(-1) for array in outputs]
    flat_inputs = [xp.ascontiguousarray(array).reshape(-1) for array in inputs]
    for start in range(0, size, block):
        part = slice(start, start + block)
        compute(xp, *(array[part] for array in flat_outputs), *(array[part] for array in flat_inputs))


def _erfc_log_correction(t):
    """``h(t) = log(erfc(z)) + z**2 - log(t)`` with ``t = 2 / (2 + z)``, for scalar ``t`` in [0, 1]."""
    if t <= 0.0:
        return math.log(0.5 / math.sqrt(math.pi))
    z = 2.0 / t - 2.0
    if z < 25.0:
        return math.log(math.erfc(z)) + z * z - math.log(t)
    # Near z = 25 erfc starts to underflow; from there its asymptotic series
    # erfc(z) * exp(z**2) * z * sqrt(pi) = sum_k (-1)**k (2k - 1)!! / (2 z**2)**k
    # is exact to double precision with eight terms.
    term, series = 1.0, 1.0
    for k in range(1, 8):
        term *= -(2 * k - 1) / (2.0 * z * z)
        series += term
    return math.log(series / (z * math.sqrt(math.pi))) - math.log(t)


@functools.lru_cache(maxsize=None)
def _erfc_coefficients(degree):
    """Power-series coefficients (highest first) of ``h`` in ``y = 2t - 1``.

    ``h`` is smooth on the whole half-line ``z >= 0``, so one Chebyshev interpolant of degree 24
    gives erfc to ~1e-13 relative; the coefficients stay small, so Horner's rule in the power
    basis loses nothing.
    """
    from numpy.polynomial import chebyshev

    nodes = numpy.cos(numpy.pi * (numpy.arange(degree + 1) + 0.5) / (degree + 1))
    values = [_erfc_log_correction((node + 1.0) / 2.0) for node in nodes]
    series = chebyshev.cheb2poly(chebyshev.chebfit(nodes, values, degree))
    return tuple(float(c) for c in series[::-1])


def _erfc_float64(xp, out, x):
    """``out = erfc(|x| / sqrt(2)) / 2`` for float64 ``x`` (~1e-13 relative)."""
    z = xp.abs(x)
    z *= _SQRT_HALF
    t = 1.0 / (2.0 + z)  # exactly half the fit's t = 2 / (2 + z) (a power of two)
    y = 4.0 * t - 1.0
    coefficients = _erfc_coefficients(24)
    out[...] = coefficients[0]
    for coefficient in coefficients[1:]:
        out *= y
        out += coefficient
    out -= z * z
    xp.exp(out, out=out)
    out *= t


def _erfc_float32(xp, out, x):
    """``out = erfc(|x| / sqrt(2)) / 2`` for float32 ``x`` (~1e-7 absolute, as float32 allows);
    returns ``exp(-x**2 / 2)``, which it computed on the way."""
    t = xp.abs(x)
    t *= _FLOAT32_P
    t += 1.0
    xp.reciprocal(t, out=t)
    xp.multiply(t, _HALF_FLOAT32_COEFFICIENTS[0], out=out)
    for coefficient in _HALF_FLOAT32_COEFFICIENTS[1:]:
        out += coefficient
        out *= t
    gaussian = xp.multiply(x, x)
    gaussian *= -0.5
    out *= xp.exp(gaussian, out=gaussian)
    return gaussian


def _cdf_from_erfc(xp, out, x):
    """``out``: erfc(|x| / sqrt(2)) / 2 -> Phi(x), with PyTorch's rounding of ``(1 + erf) / 2``.

    erf is odd: ``1 - erfc`` is negated where ``x``'s sign bit is set, by flipping the sign bit
    (``where`` stalls on random signs, and ``copysign`` would flip a slightly negative
    ``1 - erfc`` at small positive ``x`` instead of keeping it). Everything is halved, which
    is exact in binary floating point: ``0.5 + (0.5 - erfc / 2)`` rounds as ``(1 + (1 - erfc)) / 2``
    does, one pass fewer.
    """
    xp.subtract(0.5, out, out=out)
    unsigned = numpy.dtype(f"u{x.dtype.itemsize}")
    sign_bits = x.view(unsigned) & (1 << (8 * x.dtype.itemsize - 1))
    out_bits = out.view(unsigned)
    out_bits ^= sign_bits
    out += 0.5


def _gelu_block(xp, slope, gelu, x):
    """``slope = Phi(x) + x phi(x)`` (gelu's derivative) and ``gelu = x * Phi(x)`` for one
    block, the slope made here while the block is in cache (backward then reads it once)."""
    cdf = gelu  # holds Phi(x) until the product
    if x.dtype == numpy.float64:
        _erfc_float64(xp, cdf, x)
        # float64 erfc(0) is 1 + 1e-15: -0.0 + 0.0 = 0.0 keeps Phi(-0.0) = Phi(0.0), as ever.
        _cdf_from_erfc(xp, cdf, x + 0.0)
        _gelu_slope_block(xp, slope, x, cdf)
    else:
        gaussian = _erfc_float32(xp, cdf, x)  # exactly 1 at 0
        _cdf_from_erfc(xp, cdf, x)
        # the slope's phi(x) from the same exp(-x**2 / 2), rounded as _gelu_slope_block rounds
        density = xp.multiply(gaussian, _INV_SQRT_2PI, out=slope)
        density *= x
        density += cdf
    xp.multiply(x, cdf, out=gelu)


def gelu_and_slope(xp, x):
    """``(x * Phi(x), Phi(x) + x phi(x))`` of a float32 or float64 array: gelu and its
    derivative, two arrays of its shape."""
    slope, gelu = xp.empty(x.shape, x.dtype), xp.empty(x.shape, x.dtype)
    blockwise(xp, _gelu_block, (slope, gelu), (x,))
    return gelu, slope


def _gelu_slope_block(xp, slope, x, cdf):
    """``slope = cdf + x phi(x)`` for one block."""
    density = xp.multiply(x, x, out=slope)
    density *= -0.5
    xp.exp(density, out=density)
    density *= _INV_SQRT_2PI
    density *= x
    density += cdf
