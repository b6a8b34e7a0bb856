"""Sample inputs shared by many registry entries: seeded arrays, and the usual shape families.

Every generator takes the sample's main ``dtype`` and a seeded ``rng`` and yields
:class:`~ops.op_info.Sample` objects; entries with special needs write their own.
"""
import numpy

from ops.op_info import FLOAT64, Sample, strided, transposed

#: Values where an op's definition is special (and finite differences meaningless).
SPECIAL_VALUES = (-numpy.inf, -1.0, -0.0, 0.0, 1.0, numpy.inf, numpy.nan)


def make(rng, shape, dtype, low=None, high=None):
    """Seeded values of ``dtype``: floats standard normal (or uniform in [low, high)), integers
    in [low, high) (default [-4, 5)), bools at random."""
    dtype = numpy.dtype(dtype)
    if dtype.kind == "f":
        values = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    elif dtype.kind == "b":
        values = rng.random(shape) < 0.5
    else:
        low = -4 if low is None else int(numpy.ceil(low))
        high = 5 if high is None else int(numpy.ceil(high))
        values = rng.integers(low, max(high, low + 1), shape)
    return numpy.asarray(values, dtype=dtype)  # a 0-d array, never a NumPy scalar


def distinct(rng, shape, dtype):
    """Values without ties (a permutation of small steps), so max/min/sort have one answer."""
    count = int(numpy.prod(shape))
    values = (rng.permutation(count) - count // 2).astype(numpy.float64)
    if numpy.dtype(dtype).kind == "f":
        values = values * 0.37 + 0.1
    return values.reshape(shape).astype(dtype)


def indices(rng, high, shape):
    """int64 indices in [0, high)."""
    return rng.integers(0, high, shape).astype(numpy.int64)


def special(dtype):
    """inf, nan, signed zeros and +-1 in ``dtype`` (floats only)."""
    return numpy.array(SPECIAL_VALUES, dtype=dtype)


def unary_samples(low=None, high=None, with_special=True, kinks=()):
    """Elementwise-op samples: 0-d, 1-d, 2-d, 0-size, transposed, strided and special values.

    ``low``/``high`` bound the domain (e.g. 0.5..2 for log); ``kinks`` are points where the op
    is not differentiable: one sample hits them, without gradcheck.
    """

    def samples(dtype, rng):
        def values(shape):
            return make(rng, shape, dtype, low, high)

        yield Sample((values(()),), label="0-d")
        yield Sample((values((5,)),), label="1-d")
        yield Sample((values((2, 3)),), label="2-d")
        yield Sample((values((0, 3)),), label="0-size")
        yield Sample((transposed(values((2, 3))),), label="transposed")
        yield Sample((strided(values((2, 3))),), label="strided")
        if dtype.kind == "f" and with_special:
            yield Sample((special(dtype),), label="inf-nan-zeros", gradcheck=False)
        if dtype.kind == "f" and kinks:
            yield Sample((numpy.array(kinks, dtype=dtype),), label="kinks", gradcheck=False)

    return samples


def binary_samples(low=None, high=None, other_low=None, other_high=None, scalars=(2.5, -2),
                   with_special=False):
    """Two-operand samples: broadcasting, 0-d, 0-size, non-contiguous, Python scalars on either
    side, and a 0-d / integer operand of another dtype (PyTorch's promotion rules)."""

    def samples(dtype, rng):
        def left(shape):
            return make(rng, shape, dtype, low, high)

        def right(shape, other_dtype=dtype):
            return make(rng, shape, other_dtype, other_low, other_high)

        yield Sample((left((2, 3)), right((2, 3))), label="same shape")
        yield Sample((left((2, 3)), right((3,))), label="broadcast row")
        yield Sample((left((2, 1)), right((1, 3))), label="broadcast both")
        yield Sample((left(()), right((2, 3))), label="0-d with 2-d")
        yield Sample((left((0, 3)), right((3,))), label="0-size")
        yield Sample((transposed(left((2, 3))), strided(right((2, 3)))), label="non-contiguous")
        for scalar in scalars:
            # An integer tensor meets a float scalar (the result is float) and an int one.
            both = (int(scalar), scalar) if dtype.kind != "f" and isinstance(scalar, float) else (scalar,)
            for value in both:
                yield Sample((left((2, 3)), value), label=f"scalar {value}")
                yield Sample((value, right((2, 3))), label=f"reflected scalar {value}")
        if dtype.kind == "f":
            other = numpy.int64 if dtype == FLOAT64 else numpy.float64
            yield Sample((left((2, 3)), right((), other)), label=f"0-d {numpy.dtype(other).name}")
            yield Sample((left((2, 3)), right((3,), numpy.int32)), label="int32 tensor")
        if dtype.kind == "f" and with_special:
            values = special(dtype)
            yield Sample((values[:, None], values[None, :]), label="special x special",
                         gradcheck=False)

    return samples


def reduction_samples(low=None, high=None, dims=(None, 0, -1, (0, 2)), keepdims=(False, True),
                      empty_dims=(1,), distinct_values=False):
    """Reduction samples: ``op(x, dim=..., keepdim=...)`` over a (2, 3, 4) tensor for each dim,
    plus 0-d, 0-size (reducing an empty and a non-empty dim) and a transposed input."""

    def samples(dtype, rng):
        def values(shape):
            if distinct_values:
                return distinct(rng, shape, dtype)
            return make(rng, shape, dtype, low, high)

        for dim in dims:
            for keepdim in keepdims:
                kwargs = {"keepdim": keepdim} if dim is None else {"dim": dim, "keepdim": keepdim}
                yield Sample((values((2, 3, 4)),), kwargs, label=f"dim={dim} keepdim={keepdim}")
        yield Sample((values(()),), {} if dims[0] is None else {"dim": dims[-1] if dims[-1] in (0, -1) else 0},
                     label="0-d")
        for dim in empty_dims:
            yield Sample((values((2, 0, 3)),), {"dim": dim}, label=f"0-size dim={dim}")
        yield Sample((transposed(values((3, 4))),), {"dim": 1}, label="transposed")

    return samples
