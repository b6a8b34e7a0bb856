"""Tests for tinygrad_lite/ops/compare.py: comparisons, maximum/minimum, where, clamp, logic."""
import operator

import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, dtype_name, requires_torch, torch

COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
               ">": operator.gt, ">=": operator.ge}
FUNCTIONS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
A = numpy.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
B = numpy.array([2.0, 2.0, 2.0])


@pytest.mark.parametrize("symbol", list(COMPARISONS))
@pytest.mark.parametrize("other", ["tensor", "scalar", "reflected", "int tensor", "function"])
def test_comparison_values_dtype_and_no_grad(symbol, other):
    compare = COMPARISONS[symbol]
    x = tl.tensor(A, requires_grad=True)
    if other == "tensor":
        ours, expected = compare(x, tl.tensor(B)), compare(A, B)
    elif other == "scalar":
        ours, expected = compare(x, 2.0), compare(A, 2.0)
    elif other == "reflected":
        ours, expected = compare(2, x), compare(2, A)
    elif other == "int tensor":
        ours, expected = compare(x, tl.tensor([2, 2, 2])), compare(A, B)
    else:
        ours, expected = getattr(tl, FUNCTIONS[symbol])(x, tl.tensor(B)), compare(A, B)
    assert ours.dtype == tl.bool
    assert not ours.requires_grad and ours.grad_fn is None
    numpy.testing.assert_array_equal(ours.numpy(), expected)


@pytest.mark.parametrize("name, expected", [("isfinite", [True, False, False, False]),
                                            ("isnan", [False, True, False, False]),
                                            ("isinf", [False, False, True, True])])
def test_predicates(name, expected):
    values = tl.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    assert getattr(values, name)().tolist() == expected
    assert getattr(tl, name)(values).dtype == tl.bool


def test_logical_and_bitwise_ops():
    a, b = tl.tensor([True, True, False]), tl.tensor([True, False, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, False]
    assert (a ^ b).tolist() == [False, True, False]
    assert (~a).tolist() == [False, False, True]
    assert a.logical_not().tolist() == [False, False, True]
    assert (tl.tensor([6, 3]) & tl.tensor([3, 1])).tolist() == [2, 1]
    assert (~tl.tensor([0, 5])).tolist() == [-1, -6]
    with pytest.raises(NotImplementedError, match="float32"):  # PyTorch's exception types
        tl.ones(2) & tl.ones(2)
    with pytest.raises(NotImplementedError, match="float32"):
        tl.tensor([True]) | 2.5
    with pytest.raises(TypeError, match="float32"):
        ~tl.ones(2)


# Selections: name -> (ours, torch). Random inputs never tie, so gradcheck is meaningful.
SELECTIONS = {
    "maximum": (tl.maximum, lambda a, b: torch.maximum(a, b)),
    "minimum": (tl.minimum, lambda a, b: torch.minimum(a, b)),
    "max(other)": (lambda a, b: a.max(b), lambda a, b: a.max(b)),
    "min(other)": (lambda a, b: tl.min(a, b), lambda a, b: torch.min(a, b)),
    "where": (lambda a, b: tl.where(a > b, a, b * 2.0), lambda a, b: torch.where(a > b, a, b * 2.0)),
    "Tensor.where": (lambda a, b: a.where(a > 0, b), lambda a, b: a.where(a > 0, b)),
    "clamp tensor bounds": (lambda a, b: a.clamp(b - 0.5, b + 0.5),
                            lambda a, b: a.clamp(b - 0.5, b + 0.5)),
}
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3))]


@pytest.mark.parametrize("name", list(SELECTIONS))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_selection_gradcheck(name, shapes):
    check_gradcheck(SELECTIONS[name][0], *shapes)


@requires_torch
@pytest.mark.parametrize("name", list(SELECTIONS))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_selection_parity(name, shapes, dtype):
    check_parity(*SELECTIONS[name], *shapes, dtype=dtype)


@requires_torch
@pytest.mark.parametrize("name", ["maximum", "minimum", "max(other)", "min(other)"])
def test_ties_split_the_gradient_half_and_half(name):
    a = numpy.array([1.0, 2.0, 3.0, -1.0])
    b = numpy.array([1.0, 0.0, 3.0, -1.0])
    check_parity(*SELECTIONS[name], a, b)
    x, y = tl.tensor(a, requires_grad=True), tl.tensor(b, requires_grad=True)
    SELECTIONS[name][0](x, y).sum().backward()
    assert x.grad.tolist()[0] == 0.5 and y.grad.tolist()[0] == 0.5


CLAMPS = {
    "both": (lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5)),
    "min only": (lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1)),
    "max only": (lambda x: x.clamp(max=0.1), lambda x: x.clamp(max=0.1)),
    "clip": (lambda x: tl.clip(x, -1, 1), lambda x: torch.clip(x, -1, 1)),
    "clamp_min": (lambda x: x.clamp_min(0.2), lambda x: x.clamp_min(0.2)),
    "clamp_max": (lambda x: x.clamp_max(0.2), lambda x: x.clamp_max(0.2)),
}


@pytest.mark.parametrize("name", list(CLAMPS))
def test_clamp_gradcheck(name):
    check_gradcheck(CLAMPS[name][0], (3, 4))


@requires_torch
@pytest.mark.parametrize("name", list(CLAMPS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_clamp_parity(name, dtype):
    check_parity(*CLAMPS[name], (3, 4), dtype=dtype)


@requires_torch
def test_clamp_passes_the_gradient_at_the_boundary():
    values = numpy.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    check_parity(*CLAMPS["both"], values)
    x = tl.tensor(values, requires_grad=True)
    x.clamp(-0.5, 0.5).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


@requires_torch
def test_clamp_with_tensor_bounds_at_the_boundary():
    values = numpy.array([1.0, 5.0, 3.0, 0.0])
    low = numpy.array([1.0, 2.0, 3.0, 1.0])
    high = numpy.array([4.0, 5.0, 3.0, 2.0])
    check_parity(lambda x, lo, hi: x.clamp(lo, hi), lambda x, lo, hi: x.clamp(lo, hi), values, low, high)


@requires_torch
@pytest.mark.parametrize("bounds", [(2, 4), (2.5, None), (None, 3.5), (True, None)])
def test_clamp_integer_input_dtype(bounds):
    ours = tl.tensor([1, 5, 3]).clamp(*bounds)
    theirs = torch.tensor([1, 5, 3]).clamp(*bounds)
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError, match="min"):
        tl.ones(2).clamp()


@requires_torch
@pytest.mark.parametrize("condition, a, b", [
    ("tensor", 1.0, 0),       # two Python scalars
    ("tensor", "int", 2.5),   # int tensor with a float scalar
    ("tensor", "float", 3),   # float tensor with an int scalar
    ("tensor", "int", "float64"),
])
def test_where_result_dtype(condition, a, b):
    def operand(spec, lib):
        if spec == "int":
            return lib.tensor([1, 2, 3])
        if spec == "float":
            return lib.tensor([1.0, 2.0, 3.0])
        if spec == "float64":
            return lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        return spec
    mask = [True, False, True]
    ours = tl.where(tl.tensor(mask), operand(a, tl), operand(b, tl))
    theirs = torch.where(torch.tensor(mask), operand(a, torch), operand(b, torch))
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_where_requires_bool_condition():
    with pytest.raises(RuntimeError, match="boolean"):  # PyTorch's exception type
        tl.where(tl.tensor([1, 0]), tl.ones(2), tl.zeros(2))


def test_where_condition_gets_no_gradient_and_other_branch_gets_zero():
    x = tl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = tl.tensor([10.0, 20.0, 30.0], requires_grad=True)
    tl.where(x > 0, x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    assert y.grad.tolist() == [0.0, 1.0, 0.0]


# ----- issue 8: NaN in tensor bounds, scalar bounds checked, names ------------------------------
def test_clamp_with_tensor_bounds_propagates_nan_from_input_and_bounds():
    nan = float("nan")
    x = tl.tensor([-1.0, 0.0, 4.0, nan, 1.0, nan])
    bound = tl.tensor([0.0, 0.0, 0.0, 1.0, nan, nan])
    assert str(tl.clamp(x, max=bound).tolist()) == "[-1.0, 0.0, 0.0, nan, nan, nan]"
    assert str(tl.clamp(x, min=bound).tolist()) == "[0.0, 0.0, 4.0, nan, nan, nan]"
    assert str(tl.clamp(x, min=bound, max=bound - 1).tolist()) == "[-1.0, -1.0, -1.0, nan, nan, nan]"


def test_clamp_with_tensor_bounds_promotes_all_three():
    result = tl.clamp(tl.tensor([1, 5]), tl.tensor(2.5), tl.tensor([3.5], dtype=tl.float64))
    assert result.dtype == tl.float64 and result.tolist() == [2.5, 3.5]


def test_clamp_refuses_a_tensor_and_a_number_together():
    with pytest.raises(TypeError, match="tensors or both numbers"):
        tl.clamp(tl.ones(2), min=tl.zeros(1), max=4.0)


@pytest.mark.parametrize("dtype, bounds, expected", [
    (tl.uint8, {"min": -1}, [255, 255]),  # PyTorch wraps -1 into uint8 first
    (tl.int8, {"max": 127}, [1, 5]),
])
def test_clamp_integer_bounds_convert_like_pytorch(dtype, bounds, expected):
    assert tl.clamp(tl.tensor([1, 5], dtype=dtype), **bounds).tolist() == expected


@pytest.mark.parametrize("dtype, bounds", [(tl.uint8, {"min": 300}), (tl.int8, {"max": 300}),
                                           (tl.uint8, {"min": -256})])
def test_clamp_bounds_that_overflow_the_dtype_raise(dtype, bounds):
    with pytest.raises(RuntimeError, match="without overflow"):
        tl.clamp(tl.tensor([1, 5], dtype=dtype), **bounds)


def test_clamp_with_a_nan_bound_checks_no_bound_like_pytorch():
    # float16 refused the 1e30 bound although the NaN one makes every value NaN (PyTorch).
    x = tl.tensor([-1.0, 2.0], dtype=tl.float16)
    assert numpy.isnan(x.clamp(1e30, float("nan")).numpy()).all()
    with pytest.raises(RuntimeError, match="without overflow"):
        x.clamp(min=1e30)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or",
                                  "bitwise_xor", "maximum", "clamp", "where"])
def test_public_functions_carry_their_own_name_and_docstring(name):
    function = getattr(tl, name)
    assert function.__name__ == name and function.__qualname__ == name
    assert function.__doc__


def test_keep_where_selects_and_stays_differentiable():
    from tinygrad_lite.ops.compare import KeepWhere

    keep = numpy.array([True, False, True])
    x = tl.tensor([float("inf"), float("nan"), 2.0], dtype=tl.float64, requires_grad=True)
    out = KeepWhere.apply(x, keep=keep)
    assert str(out.tolist()) == "[inf, 0.0, 2.0]"
    (grad,) = tl.autograd.grad(out, x, tl.tensor([1.0, float("inf"), 3.0], dtype=tl.float64))
    assert grad.tolist() == [1.0, 0.0, 3.0]


@pytest.mark.parametrize("op, expected", [
    (lambda x: x < -1, [True, True]), (lambda x: x == 259, [True, False]),
    (lambda x: x & -1, [3, 7]), (lambda x: tl.where(x > 3, x, -1), [255, 7]),
    (lambda x: x // -1, [0, 0]), (lambda x: tl.div(x, -1, rounding_mode="trunc"), [0, 0]),
], ids=["<", "==", "&", "where", "//", "trunc"])
def test_out_of_range_ints_wrap_into_the_tensor_dtype_as_in_pytorch(op, expected):
    """uint8 with -1: PyTorch wraps the number first (to 255); NumPy raised OverflowError."""
    assert op(tl.tensor([3, 7], dtype=tl.uint8)).tolist() == expected


def test_maximum_takes_two_tensors_and_clamp_refuses_bool_with_numbers():
    with pytest.raises(TypeError, match="must be a Tensor"):
        tl.maximum(tl.ones(2), 0.5)
    with pytest.raises(NotImplementedError, match="bool"):
        tl.tensor([True]).clamp(min=True)
    assert tl.clamp(tl.tensor([True]), tl.tensor([False])).tolist() == [True]


@pytest.mark.parametrize("op", [
    lambda x: x.clamp(min=-0.0), lambda x: x.clamp(min=0.0), lambda x: x.clamp(max=0.0),
    lambda x: x.clamp(-0.0, 0.0), lambda x: tl.clamp(x, min=-x), lambda x: tl.maximum(x, -x),
    lambda x: tl.minimum(x, -x), lambda x: x.relu(),
], ids=["min -0", "min +0", "max +0", "both", "tensor min", "maximum", "minimum", "relu"])
def test_ties_keep_the_input_and_its_signed_zero_as_in_pytorch(op):
    # 1 / result shows the sign: clamp(0.0, min=-0.0) then log() has gradient +inf in PyTorch.
    with numpy.errstate(divide="ignore"):
        signs = (1.0 / op(tl.tensor([0.0, -0.0]))).tolist()
    assert signs == [float("inf"), float("-inf")]


def test_clamp_of_a_0d_tensor():
    x = tl.tensor(3.0, requires_grad=True)
    out = x.clamp(0.0, 1.0)
    out.backward()
    assert out.item() == 1.0 and x.grad.item() == 0.0


def test_where_converts_a_number_to_the_tensor_dtype_like_pytorch():
    assert tl.where(tl.tensor([True, False]), tl.tensor([1, 2], dtype=tl.uint8), -1).tolist() == [1, 255]
    with pytest.raises(RuntimeError, match="without overflow"):
        tl.where(tl.tensor(True), tl.tensor(1, dtype=tl.int8), 300)
    with numpy.errstate(over="ignore"):
        assert tl.where(tl.tensor(False), tl.tensor(1.0, dtype=tl.float16), 1e6).item() == float("inf")


def test_a_where_condition_changed_before_backward_makes_it_raise():
    condition = tl.tensor([True, False])
    a = tl.ones(2, requires_grad=True)
    picked = tl.where(condition, a, a * 2.0)
    condition[0] = False
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        picked.sum().backward()
