"""Registry entries for the elementwise ops: arithmetic, unary math, comparisons, selections.

Methods and operators share one callable with PyTorch (``lambda a, b: a + b`` runs on both);
``tl.NAME`` functions are paired with ``torch.NAME``. Samples include the cases PyTorch defines
specially (0-d, 0-size, broadcasting, non-contiguous inputs, inf/nan, ties, dtype promotion).
"""
import dataclasses

import numpy

import tinygrad_lite as tl
from ops.op_info import (ALL_DTYPES, BOOL, FLOAT32, FLOATS, INT64, INTEGERS, NUMERIC, OpInfo, Sample,
                         torch_function, transposed)
from ops.op_samples import binary_samples, make, special, unary_samples

NO_BOOL_SCALARS = (2.5, -2)


def joined(*generators):
    """One sample generator yielding every sample of ``generators`` in turn."""

    def samples(dtype, rng):
        for generator in generators:
            yield from generator(dtype, rng)

    return samples


def function_pair(name, **fields):
    """An entry for ``tl.NAME`` checked against ``torch.NAME``."""
    return OpInfo(name, getattr(tl, name), ref=torch_function(name), **fields)


def _sqrt_of(result):
    return result.sqrt()


# ----- arithmetic ------------------------------------------------------------------------------
def _add_extras(dtype, rng):
    if dtype.kind == "f":
        yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), dtype)), {"alpha": 0.5}, "alpha=0.5")
    if dtype.kind in "iu":
        yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), dtype)), {"alpha": 2}, "alpha=2")
        yield Sample((make(rng, (3,), dtype), make(rng, (3,), BOOL)), {"alpha": 2}, "with bool alpha=2")
        yield Sample((make(rng, (3,), dtype), 1), {"alpha": 0.5}, "float alpha on ints",
                     raises=RuntimeError)
    if dtype == FLOAT32:
        half, int32 = numpy.array(1.5, numpy.float16), numpy.array(3, numpy.int32)
        yield Sample((half, int32), {"alpha": 0.5}, "0-d f16 + 0-d int32 alpha=0.5", gradcheck=False)


def _sub_extras(dtype, rng):
    yield from (s for s in _add_extras(dtype, rng) if "bool" not in s.label)
    if dtype == INT64:
        yield Sample((make(rng, (3,), BOOL), 1), label="bool - 1", raises=RuntimeError)
        yield Sample((make(rng, (3,), BOOL), make(rng, (3,), BOOL)), label="bool - bool",
                     raises=RuntimeError)


def _divisors(dtype):
    """Operands for division: divisors kept away from 0 (floats 0.5..2, integers 1..4)."""
    return binary_samples(other_low=0.5 if dtype.kind == "f" else 1, other_high=2 if dtype.kind == "f" else 5,
                          scalars=NO_BOOL_SCALARS)


def _division(dtype, rng):
    yield from _divisors(dtype)(dtype, rng)
    if dtype.kind == "f":
        values = special(dtype)
        yield Sample((values[:, None], values[None, :]), label="special x special", gradcheck=False)


def _rounding(dtype, rng):
    for mode in ("floor", "trunc"):
        yield Sample((make(rng, (2, 3), dtype, -6, 6), make(rng, (2, 3), dtype, 1, 3)),
                     {"rounding_mode": mode}, f"rounding_mode={mode}")
        yield Sample((make(rng, (2, 3), dtype, -6, 6), -2), {"rounding_mode": mode},
                     f"rounding_mode={mode} by scalar")
    if dtype.kind in "iu":
        numerator = numpy.array([5, -3], dtype)
        yield Sample((numerator, 0), {"rounding_mode": "trunc"}, "int trunc by 0", raises=RuntimeError)
        yield Sample((numerator, 0), {"rounding_mode": "floor"}, "int floor by 0", raises=RuntimeError)


def _floor_division(dtype, rng):
    yield from _divisors(dtype)(dtype, rng)
    yield Sample((make(rng, (2, 3), dtype, -6, 6), make(rng, (2, 3), dtype, -3, -1)), label="negative divisor")
    if dtype.kind in "iu":
        yield Sample((numpy.array([5, -3], dtype), 0), label="int // 0", raises=RuntimeError)
        yield Sample((numpy.array([5, -3], dtype), numpy.array([0, 1], dtype)), label="int // int 0",
                     raises=RuntimeError)


def _powers(dtype, rng):
    if dtype.kind == "f":
        for sample in binary_samples(low=0.5, high=2.0, scalars=(2, 0.5, -1.5, 3.0, 0))(dtype, rng):
            # (-1.5) ** x is NaN and 0 ** x jumps at 0: no finite differences there.
            undefined = sample.label in ("reflected scalar -1.5", "reflected scalar 0")
            yield dataclasses.replace(sample, gradcheck=False) if undefined else sample
        negative = make(rng, (2, 3), dtype)
        yield Sample((negative, 2), label="negative base ** 2")
        yield Sample((negative, 3), label="negative base ** 3")
        yield Sample((negative, 0), label="** 0")
        yield Sample((numpy.zeros(3, dtype), numpy.array([0.0, 1.0, 2.0], dtype)), label="0 ** b",
                     gradcheck=False)
        yield Sample((0.0, numpy.array([0.0, 1.0, 2.0], dtype)), label="0.0 ** b", gradcheck=False)
        yield Sample((numpy.zeros(1, dtype), numpy.array([-1.5], dtype)), label="0 ** -1.5",
                     gradcheck=False)
        yield Sample((2.0, make(rng, (2, 3), dtype)), label="2.0 ** x")
        yield Sample((special(dtype)[:, None], special(dtype)[None, :]), label="special",
                     gradcheck=False)
    elif dtype.kind in "iu":
        base = make(rng, (2, 3), dtype, 1, 4)
        yield Sample((base, make(rng, (2, 3), dtype, 0, 3)), label="int ** int")
        yield Sample((base, 2), label="int ** 2")
        yield Sample((base, 0.5), label="int ** 0.5")
        yield Sample((2, make(rng, (2, 3), dtype, 0, 4)), label="2 ** int")
        yield Sample((2.5, make(rng, (2, 3), dtype, 0, 4)), label="2.5 ** int")
        yield Sample((base, numpy.array([-1, -2, 0], dtype)), label="int ** negative int tensor")
        yield Sample((base, -1), label="int ** -1", raises=RuntimeError)
    else:
        yield Sample((make(rng, (3,), BOOL), True), label="bool ** True")
        yield Sample((make(rng, (3,), BOOL), make(rng, (3,), BOOL)), label="bool ** bool",
                     raises=NotImplementedError)


ARITHMETIC = [
    function_pair("add", samples=joined(binary_samples(), _add_extras), dtypes=ALL_DTYPES),
    OpInfo("+", lambda a, b: a + b, binary_samples(), dtypes=ALL_DTYPES),
    function_pair("sub", samples=joined(binary_samples(scalars=NO_BOOL_SCALARS), _sub_extras),
                  dtypes=NUMERIC),
    OpInfo("-", lambda a, b: a - b, binary_samples(scalars=NO_BOOL_SCALARS), dtypes=NUMERIC),
    OpInfo("rsub", tl.rsub, ref=torch_function("rsub"), dtypes=NUMERIC,
           samples=lambda dtype, rng: (s for s in binary_samples()(dtype, rng)
                                       if not s.label.startswith("reflected"))),
    function_pair("mul", samples=binary_samples(), dtypes=ALL_DTYPES),
    OpInfo("*", lambda a, b: a * b, binary_samples(), dtypes=ALL_DTYPES),
    function_pair("div", samples=joined(_division, _rounding), dtypes=NUMERIC),
    function_pair("true_divide", samples=_division, dtypes=NUMERIC),
    OpInfo("/", lambda a, b: a / b, _division, dtypes=ALL_DTYPES),
    # PyTorch records floor division in the graph but its backward raises ("not implemented"):
    # only values are compared, with inputs that need no grad.
    function_pair("floor_divide", samples=_floor_division, dtypes=NUMERIC, differentiable=False,
                  grad_args=()),
    OpInfo("//", lambda a, b: a // b, _floor_division, dtypes=NUMERIC, differentiable=False,
           grad_args=()),
    function_pair("pow", samples=_powers, dtypes=FLOATS + INTEGERS + (BOOL,)),
    OpInfo("**", lambda a, b: a ** b, _powers, dtypes=FLOATS + INTEGERS + (BOOL,)),
    function_pair("neg", samples=unary_samples(), dtypes=NUMERIC),
    OpInfo("unary -", lambda a: -a, unary_samples(), dtypes=NUMERIC),
]


# ----- unary math ------------------------------------------------------------------------------
def unary_function(name, low=None, high=None, kinks=(), dtypes=NUMERIC, **fields):
    """``tl.NAME(x)`` vs ``torch.NAME(x)`` on :func:`unary_samples` of the op's domain."""
    return function_pair(name, samples=unary_samples(low, high, kinks=kinks), dtypes=dtypes, **fields)


def _relu_sqrt(dtype, rng):
    """relu/abs then sqrt: an infinite upstream gradient where the op gave zero; and NaN."""
    if dtype.kind != "f":
        return
    yield Sample((numpy.array([-1.0, 0.0, 4.0], dtype),), label="then sqrt", gradcheck=False,
                 then=_sqrt_of)
    yield Sample((numpy.array([numpy.nan, -1.0, 2.0], dtype),), label="nan", gradcheck=False)


UNARY = [
    unary_function("exp"),
    unary_function("log", 0.5, 2.0),
    unary_function("log1p", -0.5, 2.0),
    unary_function("sqrt", 0.5, 2.0),
    unary_function("rsqrt", 0.5, 2.0),
    unary_function("sin"),
    unary_function("cos"),
    unary_function("tanh"),
    unary_function("sigmoid"),
    function_pair("relu", samples=joined(unary_samples(kinks=(0.0,)), _relu_sqrt), dtypes=NUMERIC),
    function_pair("abs", samples=joined(unary_samples(kinks=(0.0,)), _relu_sqrt), dtypes=NUMERIC),
    OpInfo("abs()", abs, unary_samples(kinks=(0.0,)), dtypes=NUMERIC),
    unary_function("sign", kinks=(0.0,), dtypes=ALL_DTYPES),
]


# ----- comparisons and selections ----------------------------------------------------------------
def _comparable(dtype, rng):
    """binary samples, without a Python scalar on the left (``torch.eq(2, x)`` is refused),
    plus equal elements so that ties are compared too."""
    for sample in binary_samples(with_special=True, scalars=NO_BOOL_SCALARS if dtype != BOOL else (True,))(dtype, rng):
        if not sample.label.startswith("reflected"):
            yield sample
    same = make(rng, (2, 3), dtype)
    yield Sample((same, same.copy()), label="equal")


def _operator_comparable(dtype, rng):
    yield from _comparable(dtype, rng)
    yield Sample((2, make(rng, (2, 3), dtype)), label="reflected scalar")


def comparison(name, symbol, operator):
    """``tl.NAME`` and its operator form; bool results without gradient."""
    return [function_pair(name, samples=_comparable, dtypes=ALL_DTYPES, differentiable=False),
            OpInfo(symbol, operator, _operator_comparable, dtypes=ALL_DTYPES, differentiable=False)]


COMPARISONS = [
    *comparison("eq", "==", lambda a, b: a == b),
    *comparison("ne", "!=", lambda a, b: a != b),
    *comparison("lt", "<", lambda a, b: a < b),
    *comparison("le", "<=", lambda a, b: a <= b),
    *comparison("gt", ">", lambda a, b: a > b),
    *comparison("ge", ">=", lambda a, b: a >= b),
]


def _predicate_samples(dtype, rng):
    yield from unary_samples()(dtype, rng)


PREDICATES = [
    function_pair(name, samples=_predicate_samples, dtypes=ALL_DTYPES, differentiable=False)
    for name in ("isfinite", "isnan", "isinf", "logical_not")
]


def _bitwise_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), label="same shape")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), dtype)), label="broadcast")
    yield Sample((make(rng, (0, 3), dtype), make(rng, (3,), dtype)), label="0-size")
    yield Sample((make(rng, (2, 3), dtype), True if dtype == BOOL else 6), label="scalar")
    if dtype == INT64:
        yield Sample((make(rng, (3,), FLOAT32), make(rng, (3,), FLOAT32)), label="floats",
                     raises=RuntimeError)


BITWISE = [
    *(function_pair(name, samples=_bitwise_samples, dtypes=INTEGERS + (BOOL,), differentiable=False)
      for name in ("bitwise_and", "bitwise_or", "bitwise_xor")),
    OpInfo("&", lambda a, b: a & b, _bitwise_samples, dtypes=INTEGERS + (BOOL,), differentiable=False),
    OpInfo("|", lambda a, b: a | b, _bitwise_samples, dtypes=INTEGERS + (BOOL,), differentiable=False),
    OpInfo("^", lambda a, b: a ^ b, _bitwise_samples, dtypes=INTEGERS + (BOOL,), differentiable=False),
    OpInfo("~", lambda a: ~a, unary_samples(), dtypes=INTEGERS + (BOOL,), differentiable=False),
]


def _maximum_samples(dtype, rng):
    """Tensor pairs (``torch.maximum`` takes no scalar), ties, NaN and an infinite upstream."""
    for sample in binary_samples(scalars=())(dtype, rng):
        yield sample
    if dtype.kind == "f":
        values = numpy.array([1.0, -2.0, 0.5], dtype)
        yield Sample((values, values.copy()), label="ties", gradcheck=False)
        yield Sample((numpy.array([numpy.nan, 1.0, 2.0], dtype), numpy.array([0.0, numpy.nan, 1.0], dtype)),
                     label="nan", gradcheck=False)
        yield Sample((numpy.array([-1.0, 0.0, 4.0], dtype), numpy.zeros(3, dtype)), label="then sqrt",
                     gradcheck=False, then=_sqrt_of)


def _clamp_samples(dtype, rng):
    def values(shape):
        return make(rng, shape, dtype, -3, 3)

    low, high = (-0.5, 0.7) if dtype.kind == "f" else (-1, 2)
    yield Sample((values((2, 3)),), {"min": low, "max": high}, "min and max")
    yield Sample((values((2, 3)),), {"min": low}, "min only")
    yield Sample((values((2, 3)),), {"max": high}, "max only")
    yield Sample((values(()),), {"min": low, "max": high}, "0-d")
    yield Sample((values((0, 3)),), {"min": low}, "0-size")
    yield Sample((transposed(values((2, 3))),), {"min": low, "max": high}, "transposed")
    yield Sample((values((2, 3)),), {"min": values((3,)), "max": values((2, 3)) + 3}, "tensor bounds")
    yield Sample((values((2, 3)),), {"max": values((2, 1))}, "tensor max broadcast")
    if dtype.kind == "f":
        edges = numpy.array([low, high, 0.0], dtype)
        yield Sample((edges,), {"min": low, "max": high}, "on the bounds", gradcheck=False)
        yield Sample((numpy.array([-1.0, 0.0, 4.0], dtype),), {"min": 0.0}, "min=0 then sqrt",
                     gradcheck=False, then=_sqrt_of)
        nan = numpy.array([numpy.nan, 1.0, -5.0], dtype)
        yield Sample((nan,), {"min": low, "max": high}, "nan", gradcheck=False)
        yield Sample((nan,), {"max": numpy.zeros(3, dtype)}, "nan, tensor max", gradcheck=False)
        yield Sample((values((2, 3)),), {"min": 1.0, "max": -1.0}, "min > max")
    if dtype.kind in "iu":
        yield Sample((values((2, 3)),), {"min": 0.5}, "int clamped by a float")
        yield Sample((values((2, 3)),), {}, "no bound", raises=RuntimeError)


def _clamp_one_side(side):
    def samples(dtype, rng):
        bound = 0.3 if dtype.kind == "f" else 1
        yield Sample((make(rng, (2, 3), dtype), bound), label="scalar")
        yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), dtype)), label="tensor")
        yield Sample((make(rng, (0, 3), dtype), bound), label="0-size")

    return samples


def _where_samples(dtype, rng):
    def condition(shape):
        return make(rng, shape, BOOL)

    yield Sample((condition((2, 3)), make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), label="same shape")
    yield Sample((condition((2, 1)), make(rng, (3,), dtype), make(rng, (2, 3), dtype)), label="broadcast")
    yield Sample((condition((2, 3)), make(rng, (), dtype), make(rng, (2, 3), dtype)), label="0-d input")
    yield Sample((condition(()), make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), label="0-d condition")
    yield Sample((condition((0, 3)), make(rng, (0, 3), dtype), make(rng, (3,), dtype)), label="0-size")
    yield Sample((condition((2, 3)), make(rng, (2, 3), dtype), 0.5 if dtype.kind == "f" else 2), label="scalar other")
    yield Sample((condition((2, 3)), 1, make(rng, (2, 3), dtype)), label="scalar input")
    yield Sample((condition((2, 3)), transposed(make(rng, (2, 3), dtype)), make(rng, (2, 3), dtype)),
                 label="transposed")
    if dtype == FLOAT32:
        yield Sample((condition((2, 3)), make(rng, (2, 3), dtype), make(rng, (2, 3), INT64)), label="float32 and int64")
    if dtype.kind == "f":
        yield Sample((condition((3,)), numpy.array([numpy.inf, -1.0, 2.0], dtype),
                      numpy.array([1.0, numpy.nan, 2.0], dtype)), label="inf nan", gradcheck=False)
    yield Sample((make(rng, (2, 3), INT64, 0, 2), make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)),
                 label="integer condition", raises=RuntimeError)


def _where_function_samples(dtype, rng):
    yield from _where_samples(dtype, rng)
    if dtype == FLOAT32:
        yield Sample((make(rng, (2, 3), BOOL), 1.0, 0.0), label="two float scalars")
    if dtype == INT64:
        yield Sample((make(rng, (2, 3), BOOL), 1, 0), label="two int scalars")


def _where_method_samples(dtype, rng):
    for sample in _where_samples(dtype, rng):
        if not isinstance(sample.args[1], (int, float)):
            condition, input, other = sample.args
            yield dataclasses.replace(sample, args=(input, condition, other))


SELECTIONS = [
    function_pair("maximum", samples=_maximum_samples, dtypes=ALL_DTYPES),
    function_pair("minimum", samples=_maximum_samples, dtypes=ALL_DTYPES),
    function_pair("clamp", samples=_clamp_samples, dtypes=NUMERIC),
    OpInfo("clamp_min", lambda x, bound: x.clamp_min(bound), _clamp_one_side("min"), dtypes=NUMERIC),
    OpInfo("clamp_max", lambda x, bound: x.clamp_max(bound), _clamp_one_side("max"), dtypes=NUMERIC),
    function_pair("where", samples=_where_function_samples, dtypes=ALL_DTYPES),
    OpInfo("Tensor.where", lambda x, condition, other: x.where(condition, other), _where_method_samples,
           dtypes=ALL_DTYPES),
]

ENTRIES = ARITHMETIC + UNARY + COMPARISONS + PREDICATES + BITWISE + SELECTIONS

# ``tl.NAME is tl.OTHER``: testing the target covers the alias (checked by a test).
ALIASES = {
    "clip": "clamp", "multiply": "mul", "subtract": "sub", "divide": "div", "negative": "neg",
    "absolute": "abs", "concat": "cat", "concatenate": "cat", "swapaxes": "transpose",
}
