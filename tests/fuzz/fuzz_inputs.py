"""Random input tensors for fuzz programs: shapes (0-d, 0-size and size-1 dims), dtypes, values.

Float values are short decimals (so reproducers print short literals), sometimes small integers
(ties for max/min/sort-like ops), and with some probability special values: 0, -0, inf, -inf,
nan, huge and tiny for the dtype.
"""
import numpy

from fuzz_program import InputTensor

FLOAT_DTYPES = ("float16", "float32", "float64")
INTEGER_DTYPES = ("int64", "int32", "int16", "int8", "uint8")
DTYPE_WEIGHTS = {"float32": 45, "float64": 12, "float16": 8, "int64": 12, "int32": 6,
                 "uint8": 4, "int8": 4, "bool": 9}
NDIM_WEIGHTS = {0: 10, 1: 28, 2: 32, 3: 20, 4: 10}
SIZE_WEIGHTS = {0: 5, 1: 22, 2: 32, 3: 28, 4: 13}
# Huge values whose products overflow but whose sums of a few do not: whether a result then
# overflows does not hinge on the order of operations.
HUGE = {"float16": 1000.0, "float32": 1e30, "float64": 1e300}
TINY = {"float16": 1e-7, "float32": 1e-40, "float64": 1e-310}
SPECIAL_TENSOR_PROBABILITY = 0.25
SPECIAL_ELEMENT_PROBABILITY = 0.2
INTEGER_VALUED_PROBABILITY = 0.2
FLOAT_REQUIRES_GRAD_PROBABILITY = 0.7


def weighted_choice(rng, weights):
    """A key of ``weights`` drawn with probability proportional to its value."""
    keys = list(weights)
    probabilities = numpy.array([weights[key] for key in keys], dtype=float)
    return keys[rng.choice(len(keys), p=probabilities / probabilities.sum())]


def random_shape(rng, max_ndim=4, allow_zero=True):
    """A shape of up to ``max_ndim`` dims, sizes 0-4 (0 only when ``allow_zero``)."""
    ndim = weighted_choice(rng, {k: v for k, v in NDIM_WEIGHTS.items() if k <= max_ndim})
    sizes = {k: v for k, v in SIZE_WEIGHTS.items() if allow_zero or k > 0}
    return tuple(int(weighted_choice(rng, sizes)) for _ in range(ndim))


def random_dtype(rng, allowed=None):
    """A dtype name, weighted towards float32; ``allowed`` restricts the choice."""
    weights = {k: v for k, v in DTYPE_WEIGHTS.items() if allowed is None or k in allowed}
    return weighted_choice(rng, weights)


def random_values(rng, shape, dtype, kind="normal", upper=None):
    """Nested Python lists of ``shape`` (a number for 0-d), or None for a 0-size shape.

    ``kind``: ``"normal"`` (anything, special values included), ``"probability"`` (floats in
    [0, 1]) or ``"index"`` (integers in ``[0, upper)``).
    """
    if 0 in shape:
        return None
    if kind == "index":
        array = rng.integers(0, max(upper, 1), size=shape)
    elif kind == "probability":
        array = numpy.round(rng.random(size=shape), 2)
    elif dtype == "bool":
        array = rng.random(size=shape) < 0.5
    elif dtype in INTEGER_DTYPES:
        array = _integer_values(rng, shape, dtype)
    else:
        array = _float_values(rng, shape, dtype)
    return array.tolist()


def _integer_values(rng, shape, dtype):
    low, high = (0, 11) if dtype == "uint8" else (-5, 6)
    array = rng.integers(low, high, size=shape)
    if rng.random() < 0.1:  # values near the dtype's limits, for overflow behaviour
        extreme = {"uint8": 250, "int8": 120, "int16": 32000, "int32": 2**31 - 3, "int64": 2**62}[dtype]
        array = numpy.where(rng.random(size=shape) < 0.3, extreme, array)
    return array


def _float_values(rng, shape, dtype):
    if rng.random() < INTEGER_VALUED_PROBABILITY:
        array = rng.integers(-3, 4, size=shape).astype(float)
    else:
        array = numpy.round(rng.standard_normal(size=shape) * 2, 2)
    if rng.random() < SPECIAL_TENSOR_PROBABILITY:
        specials = numpy.array([0.0, -0.0, numpy.inf, -numpy.inf, numpy.nan, HUGE[dtype], TINY[dtype],
                                -HUGE[dtype]])
        chosen = specials[rng.integers(0, len(specials), size=shape)]
        array = numpy.where(rng.random(size=shape) < SPECIAL_ELEMENT_PROBABILITY, chosen, array)
    return array


def random_input(rng, name, shape=None, dtype=None, requires_grad=None, kind="normal", upper=None):
    """An InputTensor; unspecified shape/dtype/requires_grad are drawn at random."""
    shape = random_shape(rng) if shape is None else tuple(shape)
    dtype = random_dtype(rng) if dtype is None else dtype
    if dtype not in FLOAT_DTYPES:
        requires_grad = False
    elif requires_grad is None:
        requires_grad = bool(rng.random() < FLOAT_REQUIRES_GRAD_PROBABILITY)
    values = random_values(rng, shape, dtype, kind, upper)
    return InputTensor(name, shape, dtype, values, requires_grad)
