"""Edge cases of tinygrad_lite/ops/arithmetic.py against PyTorch 2.13 (issue 8): integer division
by zero, alpha and bool promotion, bool subtraction, integer and bool powers."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import torch


def _library(module):
    return tl if module == "tl" else torch


# ----- integer division by zero ------------------------------------------------------------------
DIVISIONS = {
    "//": lambda m, a, b: a // b,
    "floor_divide": lambda m, a, b: m.floor_divide(a, b),
    "div floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "div trunc": lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
}


@pytest.mark.parametrize("name", list(DIVISIONS))
@pytest.mark.parametrize("divisor", ["0", "tensor", "reflected"])
def test_integer_division_by_zero_raises(name, divisor):
    divide = DIVISIONS[name]
    a, zeros = tl.tensor([5, -3]), tl.tensor([0, 1])
    with pytest.raises(ZeroDivisionError, match="division by zero") as caught:
        if divisor == "0":
            divide(tl, a, 0)
        elif divisor == "tensor":
            divide(tl, a, zeros)
        else:
            divide(tl, 7, zeros)
    # PyTorch raises RuntimeError("ZeroDivisionError"): the error is both.
    assert isinstance(caught.value, RuntimeError)


@pytest.mark.parametrize("name", list(DIVISIONS))
def test_division_by_zero_without_elements_or_of_floats_does_not_raise(name):
    divide = DIVISIONS[name]
    assert divide(tl, tl.tensor([], dtype=tl.int64), 0).shape == (0,)
    assert divide(tl, tl.tensor([5.0, -3.0]), 0.0).tolist() == [float("inf"), float("-inf")]
    assert divide(tl, tl.tensor([5, 3], dtype=tl.uint8), 2).tolist() == [2, 1]


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounding_division_of_bool_is_not_implemented(mode):
    with pytest.raises(NotImplementedError):
        tl.div(tl.tensor([True]), tl.tensor([True]), rounding_mode=mode)


def test_trunc_division_of_large_integers_is_exact():
    big = 2 ** 60 + 1  # not representable in float64
    assert tl.div(tl.tensor([big, -big]), 1, rounding_mode="trunc").tolist() == [big, -big]
    quotient = tl.div(tl.tensor([-7, 7, -8]), tl.tensor([2, -2, 3]), rounding_mode="trunc")
    assert quotient.tolist() == [-3, -3, -2]


# ----- alpha and promotion -----------------------------------------------------------------------
ALPHA_RESULTS = [
    ("int32 + bool * 2", lambda m: m.add(m.tensor([1, 2], dtype=m.int32), m.tensor([True, False]),
                                          alpha=2), "int32", [3, 2]),
    ("f16 0-d + int32 0-d * 0.5", lambda m: m.add(m.tensor(1.5, dtype=m.float16),
                                                  m.tensor(3, dtype=m.int32), alpha=0.5),
     "float16", 3.0),
    ("bool + bool * 2", lambda m: m.add(m.tensor([True, False]), m.tensor([True, False]), alpha=2),
     "bool", [True, False]),
    ("bool + True * 2", lambda m: m.add(m.tensor([True, False]), True, alpha=2), "bool",
     [True, True]),
    ("bool + 2 * 2", lambda m: m.add(m.tensor([True, False]), 2, alpha=2), "int64", [5, 4]),
    ("uint8 - uint8 * -1", lambda m: m.add(m.tensor([1], dtype=m.uint8),
                                           m.tensor([1], dtype=m.uint8), alpha=-1), "uint8", [0]),
    ("int32 - scalar * 3", lambda m: m.sub(m.tensor([1, 2], dtype=m.int32), 2, alpha=3), "int32",
     [-5, -4]),
    ("1 - 2 * f32", lambda m: m.sub(1, m.tensor([1.0, 2.0]), alpha=2), "float32", [-1.0, -3.0]),
    ("rsub", lambda m: m.rsub(m.tensor([1.0, 2.0]), 1, alpha=2), "float32", [-1.0, -3.0]),
    ("f16 + f64 0-d * 3", lambda m: m.add(m.tensor([1.0], dtype=m.float16),
                                          m.tensor(2.0, dtype=m.float64), alpha=3),
     "float16", [7.0]),
]


@pytest.mark.parametrize("op, dtype, expected", [case[1:] for case in ALPHA_RESULTS],
                         ids=[case[0] for case in ALPHA_RESULTS])
def test_alpha_takes_no_part_in_type_promotion(op, dtype, expected):
    result = op(tl)
    assert str(result.dtype) == "tl." + dtype and result.tolist() == expected
    if torch is not None:
        reference = op(torch)
        assert str(reference.dtype) == "torch." + dtype and reference.tolist() == expected


ALPHA_ERRORS = [
    ("float alpha on ints", lambda m: m.add(m.tensor([1, 2]), 1, alpha=0.5), "integral"),
    ("float alpha on int tensors", lambda m: m.sub(m.tensor([1]), m.tensor([1]), alpha=0.5),
     "integral"),
    ("bool alpha on floats", lambda m: m.add(m.tensor([1.0]), m.tensor([True]), alpha=True),
     "Boolean alpha"),
    ("int8 overflow", lambda m: m.add(m.tensor([1], dtype=m.int8), m.tensor([1], dtype=m.int8),
                                      alpha=200), "overflow"),
    ("float16 overflow", lambda m: m.add(m.tensor([1.0], dtype=m.float16), 1, alpha=1e6),
     "overflow"),
    ("int32 overflow", lambda m: m.add(m.tensor([1], dtype=m.int32), 1, alpha=2 ** 40), "overflow"),
]


@pytest.mark.parametrize("module", ["tl", "torch"])
@pytest.mark.parametrize("op, message", [case[1:] for case in ALPHA_ERRORS],
                         ids=[case[0] for case in ALPHA_ERRORS])
def test_alpha_pytorch_refuses_is_refused(module, op, message):
    if module == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    with pytest.raises(RuntimeError, match=message):
        op(_library(module))


BOOL_SUBTRACTIONS = {
    "bool - 1": lambda m, b: b - 1, "1 - bool": lambda m, b: 1 - b,
    "bool - bool": lambda m, b: b - b,
    "bool - True": lambda m, b: b - True, "int - True": lambda m, b: m.tensor([1, 2]) - True,
    "float - bool": lambda m, b: m.tensor([1.0, 2.0]) - b, "sub alpha": lambda m, b: m.sub(
        m.tensor([1, 2]), b, alpha=2), "rsub": lambda m, b: m.rsub(b, 1), "-bool": lambda m, b: -b,
    "neg 0-d": lambda m, b: m.neg(m.tensor(True)),
}


@pytest.mark.parametrize("module", ["tl", "torch"])
@pytest.mark.parametrize("name", list(BOOL_SUBTRACTIONS))
def test_subtracting_or_negating_bool_is_refused(module, name):
    if module == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    m = _library(module)
    with pytest.raises(RuntimeError, match="bool tensor|two bool tensors"):
        BOOL_SUBTRACTIONS[name](m, m.tensor([True, False]))


# ----- powers of integers and bools --------------------------------------------------------------
POWERS = [
    ("bool ** True", lambda m: m.tensor([True, False]) ** True, "bool", [True, False]),
    ("bool ** False", lambda m: m.tensor([True, False]) ** False, "bool", [True, True]),
    ("bool ** 1", lambda m: m.tensor([True, False]) ** 1, "int64", [1, 0]),
    ("int ** negative int tensor", lambda m: m.tensor([2, 1, -1, 0]) ** m.tensor([-1, -2, -3, -1]),
     "int64", [0, 1, -1, 0]),
    ("int32 ** negative int32", lambda m: m.tensor([2, 1, -1, -1], dtype=m.int32) ** m.tensor(
        [-1, -2, -3, -4], dtype=m.int32), "int32", [0, 1, -1, 1]),
    ("uint8 ** int8", lambda m: m.tensor([2, 3], dtype=m.uint8) ** m.tensor([-1, 2], dtype=m.int8),
     "int16", [0, 9]),
    ("int ** 0-d negative", lambda m: m.pow(m.tensor([2, -1]), m.tensor(-1)), "int64", [0, -1]),
    ("2 ** int tensor", lambda m: 2 ** m.tensor([-1, 2]), "int64", [0, 4]),
    ("-2 ** int tensor", lambda m: (-2) ** m.tensor([-1, 3]), "int64", [0, -8]),
    ("1 ** int tensor", lambda m: m.pow(1, m.tensor([-5])), "int64", [1]),
    ("int ** float", lambda m: m.tensor([2, 0]) ** -1.0, "float32", [0.5, float("inf")]),
]


@pytest.mark.parametrize("op, dtype, expected", [case[1:] for case in POWERS],
                         ids=[case[0] for case in POWERS])
def test_integer_and_bool_powers_match_pytorch(op, dtype, expected):
    with numpy.errstate(divide="ignore"):
        result = op(tl)
    assert str(result.dtype) == "tl." + dtype and result.tolist() == expected
    if torch is not None:
        reference = op(torch)
        assert str(reference.dtype) == "torch." + dtype and reference.tolist() == expected


@pytest.mark.parametrize("module", ["tl", "torch"])
@pytest.mark.parametrize("op, error", [
    (lambda m: m.tensor([2, 3]) ** -1, RuntimeError),
    (lambda m: m.tensor([2, 3], dtype=m.uint8) ** -1, RuntimeError),
    (lambda m: m.tensor([True, False]) ** -1, RuntimeError),
    (lambda m: m.tensor([True, False]) ** m.tensor([True, False]), NotImplementedError),
    (lambda m: True ** m.tensor([True, False]), NotImplementedError),
], ids=["int ** -1", "uint8 ** -1", "bool ** -1", "bool ** bool tensor", "True ** bool tensor"])
def test_powers_pytorch_refuses_are_refused(module, op, error):
    if module == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    with pytest.raises(error):
        op(_library(module))


@pytest.mark.parametrize("op, expected", [
    (lambda m: m.tensor([3, 6], dtype=m.uint8) / m.tensor(-3, dtype=m.int8), [-1.0, -2.0]),
    (lambda m: m.tensor([3, 6], dtype=m.uint8) / -1, [-3.0, -6.0]),
    (lambda m: m.tensor(-3, dtype=m.int8) / m.tensor([3, 6], dtype=m.uint8), [-1.0, -0.5]),
    (lambda m: -6 / m.tensor([3, 6], dtype=m.uint8), [-2.0, -1.0]),
], ids=["uint8 / int8", "uint8 / -1", "int8 / uint8", "-6 / uint8"])
def test_true_division_converts_each_integer_operand_to_float(op, expected):
    """Casting both to their common integer dtype (uint8) first would wrap the negative one."""
    assert op(tl).tolist() == expected
    if torch is not None:
        assert op(torch).tolist() == expected


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounded_division_is_recorded_with_a_zero_gradient(mode):
    a = tl.tensor([-1.5, 2.5], requires_grad=True)
    b = tl.tensor([1.0, 2.0], requires_grad=True)
    out = tl.div(a, b, rounding_mode=mode)
    assert out.requires_grad and out.tolist() == ([-2.0, 1.0] if mode == "floor" else [-1.0, 1.0])
    assert [g.tolist() for g in tl.autograd.grad(out.sum(), [a, b])] == [[0.0, 0.0], [0.0, 0.0]]
    assert not (a // b).requires_grad  # documented difference: floor_divide carries no gradient


def test_pow_gradient_keeps_the_exponent_dtype():
    exponent = tl.tensor([-1.0, 2.0], dtype=tl.float16, requires_grad=True)
    (grad,) = tl.autograd.grad((tl.tensor(0.0, dtype=tl.float16) ** exponent).sum(), exponent)
    assert grad.dtype == tl.float16 and grad.tolist() == [float("-inf"), 0.0]


INF = float("inf")
# Operations with a Python number, as PyTorch computes them: float16 with the number kept in
# float32 (x * 1e-30 of an inf was NaN, x / 70000 was 0), ``number / x`` as x.reciprocal()
# times the number, ``add``'s alpha scaling the number after its conversion to the dtype.
NUMBER_OPS = [
    ("float16 * tiny", lambda m: m.tensor([-1.0, INF, 0.0], dtype=m.float16) * 1e-30,
     [-0.0, INF, 0.0]),
    ("float16 * huge", lambda m: m.tensor([-1.0, 0.0], dtype=m.float16) * 1e5, [-INF, 0.0]),
    ("float16 / 70000", lambda m: m.tensor([-1.0, 6e4], dtype=m.float16) / 70000,
     [-1.430511474609375e-05, 0.85693359375]),
    ("float16 / tiny", lambda m: m.tensor([0.0, 1000.0], dtype=m.float16) / 1e-30, [0.0, INF]),
    ("tiny / float16", lambda m: 1e-30 / m.tensor([0.0, INF], dtype=m.float16), [INF, 0.0]),
    ("float16 // tiny", lambda m: m.tensor([-1.0, INF, 0.0], dtype=m.float16) // 1e-30,
     [-INF, float("nan"), 0.0]),
    ("float16 trunc tiny", lambda m: m.div(m.tensor([0.0, 3.0], dtype=m.float16), 1e-30,
                                           rounding_mode="trunc"), [0.0, INF]),
    ("tiny // float16", lambda m: 1e-30 // m.tensor([-1.0, 0.0], dtype=m.float16),
     [-0.0, float("nan")]),
    ("False / subnormal", lambda m: False / m.tensor([1e-40, 2.0]), [float("nan"), 0.0]),
    ("tiny / subnormal", lambda m: 1e-30 / m.tensor([1e-40]), [INF]),
    ("float16 + huge with alpha 0", lambda m: m.add(m.tensor([-1.0], dtype=m.float16), 1e30,
                                                    alpha=0), [float("nan")]),
    ("float16 - huge with alpha 0", lambda m: m.sub(m.tensor([-1.0], dtype=m.float16), 1e30,
                                                    alpha=0), [float("nan")]),
    # float16 powers call pow (not sqrt) there: (-inf) ** 0.5 is inf, (-0) ** 0.5 is 0
    ("float16 ** 0.5", lambda m: m.tensor([-INF, -0.0, 4.0], dtype=m.float16) ** 0.5,
     [INF, 0.0, 2.0]),
    ("float32 ** 0.5", lambda m: m.tensor([-INF, 4.0]) ** 0.5, [float("nan"), 2.0]),
]


@pytest.mark.parametrize("op, expected", [case[1:] for case in NUMBER_OPS],
                         ids=[case[0] for case in NUMBER_OPS])
def test_operations_with_numbers_match_pytorch(op, expected):
    with numpy.errstate(all="ignore"):
        result = op(tl)
    numpy.testing.assert_array_equal(result.numpy(), numpy.array(expected, dtype=result.numpy().dtype))
    if torch is not None:
        numpy.testing.assert_array_equal(op(torch).numpy(), result.numpy())


@pytest.mark.parametrize("exponent", [False, 0])
def test_gradient_of_a_zero_power(exponent):
    # PyTorch's gradient of x ** 0 is a fresh zero, but x ** False goes through its formula
    # (0 * x ** -1: NaN at 0 and NaN); ours gave zeros for both.
    x = tl.tensor([INF, float("nan"), 0.0, 2.0], requires_grad=True)
    (x ** exponent).sum().backward()
    expected = [0.0, 0.0, 0.0, 0.0] if type(exponent) is int else [0.0, float("nan"), float("nan"), 0.0]
    numpy.testing.assert_array_equal(x.grad.numpy(), expected)
    if torch is not None:
        reference = torch.tensor([INF, float("nan"), 0.0, 2.0], requires_grad=True)
        (reference ** exponent).sum().backward()
        numpy.testing.assert_array_equal(reference.grad.numpy(), expected)


@pytest.mark.parametrize("dtype", [tl.float16, tl.float32, tl.float64])
def test_exponent_gradient_at_a_negative_zero_base(dtype):
    # d((-0.0) ** b)/db = (-0.0) ** b * log(-0.0): +inf where the power is -inf (odd negative b).
    # Ours was -inf for every negative b (fuzz seed 47 #8747, seed 41 #104653).
    exponent = tl.tensor([1.0, -1.0, -3.0, -2.0, -0.5, float("nan")], dtype=dtype, requires_grad=True)
    with numpy.errstate(all="ignore"):
        tl.tensor(-0.0, dtype=dtype).pow(exponent).sum().backward()
    numpy.testing.assert_array_equal(exponent.grad.numpy(), [0.0, INF, INF, -INF, -INF, float("nan")])


@pytest.mark.parametrize("module", ["tl", "torch"])
@pytest.mark.parametrize("op", [lambda m: m.tensor([5.0], dtype=m.float16) ** 1e5,
                                lambda m: m.tensor([5], dtype=m.int8) ** 1000],
                         ids=["float16 ** 1e5", "int8 ** 1000"])
def test_exponent_the_dtype_cannot_hold_is_refused(module, op):
    # Accepted before; PyTorch converts the exponent to the tensor's dtype and refuses.
    if module == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    with pytest.raises(RuntimeError, match="without overflow"):
        op(_library(module))
