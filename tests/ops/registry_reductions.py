"""Registry entries for reductions (sum ... norm, max/min with indices) and softmax/log_softmax."""
import math

import numpy

import tinygrad_lite as tl
from ops.op_info import (ALL_DTYPES, FLOAT32, FLOAT64, FLOATS, INT64, NUMERIC, OpInfo,
                         Sample, torch_function, transposed)
from ops.op_samples import distinct, make, special

SHAPE = (2, 3, 4)
VARIANCE_DIMS = (None, 0, -1, (0, 2))


def reduction_samples(dims=(None, 0, -1, (0, 2), ()), low=None, high=None, ties=True,
                      empty_dim_raises=None, one_element_defined=True, extra=None):
    """``op(x, dim=d, keepdim=k)`` for each dim and keepdim on a (2, 3, 4) tensor, then 0-d,
    0-size (reducing the empty dim and a non-empty one), a transposed input, and ties.

    ``empty_dim_raises``: PyTorch's exception when the reduced dim is empty (amax: no identity).
    ``one_element_defined=False`` (var, std): a 0-d input gives NaN, so no gradcheck there.
    ``extra(dtype, rng)`` yields further samples (special values, arguments of one op).
    """

    def samples(dtype, rng):
        def values(shape):
            return make(rng, shape, dtype, low, high) if ties else distinct(rng, shape, dtype)

        single = next((d for d in dims if isinstance(d, int)), None)
        for dim in dims:
            for keepdim in (False, True):
                yield Sample((values(SHAPE),), {"dim": dim, "keepdim": keepdim},
                             label=f"dim={dim} keepdim={keepdim}")
        yield Sample((values(()),), {"dim": single if single is not None else dims[0]}, label="0-d",
                     gradcheck=one_element_defined)
        yield Sample((values(()),), {"dim": 1}, label="0-d, dim=1", raises=IndexError)
        yield Sample((values((2, 0, 3)),), {"dim": 1}, label="0-size, empty dim", raises=empty_dim_raises)
        yield Sample((values((2, 0, 3)),), {"dim": 2 if single is not None else (0, 2)},
                     label="0-size, non-empty dim")
        yield Sample((transposed(values((3, 4))),), {"dim": single if single is not None else dims[0]},
                     label="transposed")
        if ties and dtype.kind == "f":
            yield Sample((numpy.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]], dtype),),
                         {"dim": single if single is not None else dims[0]}, label="ties", gradcheck=False)
        if extra is not None:
            yield from extra(dtype, rng)

    return samples


def reduction(name, samples, dtypes=NUMERIC, **fields):
    """``tl.NAME(x, ...)`` against ``torch.NAME(x, ...)``."""
    return OpInfo(name, getattr(tl, name), samples, ref=torch_function(name), dtypes=dtypes, **fields)


def _sum_extras(dtype, rng):
    if dtype.kind in "iub":
        yield Sample((make(rng, (2, 3), dtype),), {"dtype": numpy.float32}, label="dtype=float32")
    if dtype == FLOAT64:
        yield Sample((make(rng, (2, 3), FLOAT32),), {"dtype": numpy.float64}, label="float32 summed as float64")
    if dtype.kind == "f":
        yield Sample((special(dtype)[None, :],), {"dim": 1}, label="inf nan", gradcheck=False)


def _mean_extras(dtype, rng):
    if dtype.kind == "f":
        yield Sample((special(dtype)[None, :],), {"dim": 1}, label="inf nan", gradcheck=False)
    if dtype == FLOAT64:
        ints = make(rng, (2, 3), INT64)
        yield Sample((ints,), {"dim": 0, "dtype": numpy.float32}, label="ints with dtype")
        yield Sample((ints,), {"dim": 0}, label="ints", raises=RuntimeError)


def _prod_samples(dtype, rng):
    def values(shape):
        return make(rng, shape, dtype, -2, 2) if dtype.kind == "f" else make(rng, shape, dtype, -2, 3)

    for dim in (0, -1, 1):
        for keepdim in (False, True):
            yield Sample((values(SHAPE),), {"dim": dim, "keepdim": keepdim}, label=f"dim={dim} keepdim={keepdim}")
    yield Sample((values(SHAPE),), label="all")
    yield Sample((values(()),), {"dim": 0}, label="0-d")
    yield Sample((values(()),), {"dim": 1}, label="0-d, dim=1", raises=IndexError)
    yield Sample((values((2, 0, 3)),), {"dim": 1}, label="0-size, empty dim")
    yield Sample((values((2, 0, 3)),), {"dim": 2}, label="0-size, non-empty dim")
    yield Sample((transposed(values((3, 4))),), {"dim": 1}, label="transposed")
    if dtype.kind == "f":
        yield Sample((numpy.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5]], dtype),), {"dim": 1}, label="zeros")
        yield Sample((numpy.array([2.0, 0.0, 3.0], dtype),), label="one zero, all")
        yield Sample((numpy.array([2.0, 0.0, 0.0], dtype),), label="two zeros, all")
    if dtype == INT64:
        yield Sample((make(rng, (2, 3), dtype),), {"dtype": numpy.float32}, label="dtype=float32")


def _extremum_extras(dtype, rng):
    if dtype.kind == "f":
        yield Sample((numpy.array([[1.0, numpy.nan, 0.0], [2.0, 5.0, -numpy.inf]], dtype),), {"dim": 1},
                     label="nan and -inf", gradcheck=False)


def _max_samples(dtype, rng):
    """``max()``, ``max(dim)`` -> (values, indices), ``max(dim, keepdim)`` and ``max(other)``."""
    def values(shape):
        return distinct(rng, shape, dtype)

    yield Sample((values(SHAPE),), label="all")
    for dim in (0, -1):
        for keepdim in (False, True):
            yield Sample((values(SHAPE), dim), {"keepdim": keepdim}, label=f"dim={dim} keepdim={keepdim}")
    yield Sample((values(()), 0), label="0-d, dim=0")
    yield Sample((values(()), 1), label="0-d, dim=1", raises=IndexError)
    yield Sample((values(()),), label="0-d")
    yield Sample((values((2, 0, 3)), 2), label="0-size, non-empty dim")
    yield Sample((transposed(values((3, 4))), 1), label="transposed")
    yield Sample((values((2, 3)), values((2, 3))), label="other")
    if dtype.kind == "f":
        ties = numpy.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]], dtype)
        yield Sample((ties,), label="ties, all", gradcheck=False)
        yield Sample((numpy.array([1.0, numpy.nan, 0.0], dtype),), label="nan, all", gradcheck=False)
        yield Sample((numpy.array([[1.0, numpy.nan, 0.0]], dtype), 1), label="nan, dim", gradcheck=False)
        yield Sample((values((2, 0, 3)), 1), label="0-size, empty dim", raises=IndexError)


def _arg_samples(dtype, rng):
    def values(shape):
        return distinct(rng, shape, dtype)

    for dim in (None, 0, -1):
        for keepdim in (False, True):
            yield Sample((values(SHAPE),), {"dim": dim, "keepdim": keepdim}, label=f"dim={dim} keepdim={keepdim}")
    yield Sample((values(()),), {"dim": 0}, label="0-d")
    yield Sample((values(()),), {"dim": 1}, label="0-d, dim=1", raises=IndexError)
    yield Sample((values((2, 0, 3)),), {"dim": 2}, label="0-size, non-empty dim")
    yield Sample((transposed(values((3, 4))),), {"dim": 1}, label="transposed")
    if dtype.kind == "f":
        yield Sample((numpy.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]], dtype),), {"dim": 1}, label="ties")
        yield Sample((numpy.array([[1.0, numpy.nan, 0.0]], dtype),), {"dim": 1}, label="nan")
        yield Sample((values((2, 0, 3)),), {"dim": 1}, label="0-size, empty dim", raises=IndexError)


def _logsumexp_samples(dtype, rng):
    def values(shape):
        return make(rng, shape, dtype)

    for dim in (0, -1, (0, 2)):
        for keepdim in (False, True):
            yield Sample((values(SHAPE), dim), {"keepdim": keepdim}, label=f"dim={dim} keepdim={keepdim}")
    yield Sample((values(()), 0), label="0-d")
    yield Sample((values(()), 1), label="0-d, dim=1", raises=IndexError)
    yield Sample((values((2, 0, 3)), 1), label="0-size, empty dim")
    yield Sample((values((2, 0, 3)), 2), label="0-size, non-empty dim")
    yield Sample((numpy.zeros(0, dtype), 0), label="zeros(0)")
    yield Sample((transposed(values((3, 4))), 1), label="transposed")
    if dtype.kind == "f":
        yield Sample((numpy.array([[-numpy.inf, -numpy.inf], [numpy.inf, 1.0], [1000.0, 1000.0]], dtype), 1),
                     label="infinite and huge", gradcheck=False)


def _variance_extras(dtype, rng):
    values = make(rng, SHAPE, dtype)
    for correction in (0, 2):
        yield Sample((values,), {"dim": 1, "correction": correction}, label=f"correction={correction}")
    yield Sample((values, 1, False), label="unbiased=False positional")
    yield Sample((values,), {"unbiased": False}, label="unbiased=False")
    yield Sample((numpy.full((2, 3), 1.5, dtype),), {"dim": 1}, label="constant", gradcheck=False)
    yield Sample((numpy.array([1.0, 2.0], dtype),), {"correction": 2}, label="correction=2 on 2", gradcheck=False)
    yield Sample((numpy.array([1.0], dtype),), {}, label="one element", gradcheck=False)
    if dtype == FLOAT64:
        yield Sample((make(rng, (3,), INT64),), {}, label="integers", raises=RuntimeError)


def _norm_samples(dtype, rng):
    values = make(rng, SHAPE, dtype)
    for p in ("fro", 2, 1, 3, math.inf, -math.inf, 0.5):
        for dim in (None, 1, (0, 2), ()):
            yield Sample((values, p, dim), label=f"p={p} dim={dim}")
    yield Sample((values, 2, 1, True), label="keepdim")
    yield Sample((make(rng, (), dtype),), label="0-d")
    yield Sample((make(rng, (), dtype), 2, 1), label="0-d, dim=1", raises=IndexError)
    yield Sample((make(rng, (2, 0, 3), dtype), 2, 1), label="0-size")
    yield Sample((transposed(make(rng, (3, 4), dtype)), 2, 1), label="transposed")
    yield Sample((values, 0, 1), label="p=0", gradcheck=False)
    if dtype == FLOAT64:
        yield Sample((make(rng, (3,), INT64),), label="integers", raises=RuntimeError)
    with_zero = numpy.array([[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]], dtype)
    for p in (2, 1, 3, 0.5, math.inf):
        yield Sample((with_zero, p, 1), label=f"zeros p={p}", gradcheck=False)


def _sum_to_size_samples(dtype, rng):
    yield Sample((make(rng, SHAPE, dtype), 3, 1), label="(3, 1)")
    yield Sample((make(rng, SHAPE, dtype), (1, 3, 1)), label="tuple (1, 3, 1)")
    yield Sample((make(rng, SHAPE, dtype), SHAPE), label="same size")
    yield Sample((make(rng, SHAPE, dtype), 1), label="(1,)")


REDUCTIONS = [
    reduction("sum", reduction_samples(extra=_sum_extras), dtypes=ALL_DTYPES),
    reduction("mean", reduction_samples(extra=_mean_extras), dtypes=FLOATS),
    reduction("prod", _prod_samples, dtypes=ALL_DTYPES),
    reduction("amax", reduction_samples(empty_dim_raises=IndexError, extra=_extremum_extras),
              dtypes=ALL_DTYPES),
    reduction("amin", reduction_samples(empty_dim_raises=IndexError, extra=_extremum_extras),
              dtypes=ALL_DTYPES),
    reduction("max", _max_samples),
    reduction("min", _max_samples),
    reduction("argmax", _arg_samples, differentiable=False),
    reduction("argmin", _arg_samples, differentiable=False),
    reduction("logsumexp", _logsumexp_samples),
    # No dim=() here: PyTorch 2.13 reduces every dim forward but its backward divides by
    # N - correction with N = 1 (gradients of +-inf), so it is no reference there.
    reduction("var", reduction_samples(dims=VARIANCE_DIMS, one_element_defined=False, extra=_variance_extras),
              dtypes=FLOATS),
    reduction("std", reduction_samples(dims=VARIANCE_DIMS, one_element_defined=False, extra=_variance_extras),
              dtypes=FLOATS),
    OpInfo("norm", lambda x, *args: x.norm(*args), _norm_samples),
    OpInfo("sum_to_size", lambda x, *size: x.sum_to_size(*size), _sum_to_size_samples, dtypes=NUMERIC),
]


def _softmax_samples(dtype, rng):
    def values(shape):
        return make(rng, shape, dtype)

    for shape, dim in (((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 3, 4), 1), ((), 0)):
        yield Sample((values(shape), dim), label=f"{shape} dim={dim}")
    yield Sample((values(()), 1), label="0-d, dim=1", raises=IndexError)
    yield Sample((values((0, 3)), 0), label="0-size, empty dim")
    yield Sample((values((0, 3)), 1), label="0-size, non-empty dim")
    yield Sample((transposed(values((3, 4))), 1), label="transposed")
    yield Sample((numpy.array([[1000.0, 0.0, -1000.0], [-numpy.inf, 0.0, 1.0]], dtype), 1),
                 label="huge and -inf", gradcheck=False)
    if dtype == FLOAT64:
        yield Sample((make(rng, (2, 3), FLOAT32), 1), {"dtype": numpy.float64}, label="float32 with dtype=float64")


SOFTMAX = [
    OpInfo("softmax", tl.softmax, _softmax_samples, ref=torch_function("softmax")),
    OpInfo("log_softmax", tl.log_softmax, _softmax_samples, ref=torch_function("log_softmax")),
    OpInfo("Tensor.softmax", lambda x, dim, **k: x.softmax(dim, **k), _softmax_samples),
    OpInfo("Tensor.log_softmax", lambda x, dim, **k: x.log_softmax(dim, **k), _softmax_samples),
]

ENTRIES = REDUCTIONS + SOFTMAX
