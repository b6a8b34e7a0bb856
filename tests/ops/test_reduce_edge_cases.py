"""Edge cases of tinygrad_lite/ops/reduce.py against PyTorch 2.13: empty dim lists, 0-d tensors,
zero-size dims, dtypes, degenerate var/norm (issue 8).

Gradients at NaN/inf points are in test_nonfinite_gradients.py.
"""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch

INF, NAN = math.inf, math.nan
X23 = numpy.arange(6.0).reshape(2, 3)


# ----- dim=() and dim=[] reduce every dim ---------------------------------------------------------
ALL_DIMS = {
    "sum": (lambda x, d: x.sum(d), 15.0),
    "mean": (lambda x, d: x.mean(d), 2.5),
    "var": (lambda x, d: x.var(d), 3.5),
    "std": (lambda x, d: x.std(d), math.sqrt(3.5)),
    "norm": (lambda x, d: x.norm(dim=d), math.sqrt(55.0)),
    "amax": (lambda x, d: x.amax(d), 5.0),
    "amin": (lambda x, d: x.amin(d), 0.0),
    "logsumexp keepdim": (lambda x, d: x.logsumexp(d, keepdim=True).reshape(()),
                          math.log(numpy.exp(X23).sum())),
}


@pytest.mark.parametrize("empty", [(), []], ids=["tuple", "list"])
@pytest.mark.parametrize("name", list(ALL_DIMS))
def test_an_empty_dim_list_reduces_every_dim(name, empty):
    op, expected = ALL_DIMS[name]
    result = op(tl.tensor(X23, dtype=tl.float64), empty)
    assert result.shape == () and result.item() == pytest.approx(expected)
    if name != "var" and name != "std":  # PyTorch's var/std(dim=()) gradient is wrong: see below
        check_parity(lambda x: op(x, empty), lambda x: op(x, empty), X23, dtype=numpy.float64)


def test_logsumexp_over_an_empty_dim_list_without_keepdim_is_0d():
    """Deliberate difference: PyTorch 2.13 raises an internal shape error here."""
    x = tl.tensor(X23, dtype=tl.float64)
    assert x.logsumexp(()).shape == ()
    assert x.logsumexp([]).item() == pytest.approx(math.log(numpy.exp(X23).sum()))


@pytest.mark.parametrize("name", ["var", "std"])
def test_variance_over_an_empty_dim_list_has_the_gradient_of_the_full_reduction(name):
    """Deliberate difference: PyTorch 2.13's var/std(dim=()) gradient divides by N - correction
    with N = 1 (inf); ours is the gradient of the value both return, as var()/std() have."""
    x, whole = tl.tensor(X23, requires_grad=True), tl.tensor(X23, requires_grad=True)
    getattr(x, name)(()).backward()
    getattr(whole, name)().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), whole.grad.numpy())
    check_gradcheck(lambda t: getattr(t, name)([]), (2, 3))


def test_squeeze_of_an_empty_dim_list_squeezes_nothing():
    assert tl.ones(1, 2, 1).squeeze(()).shape == (1, 2, 1)


def test_prod_takes_one_dim_only():
    with pytest.raises(TypeError, match="one dim"):
        tl.ones(2, 3).prod((0, 1))
    with pytest.raises(TypeError):
        tl.ones(2, 3).prod(())


# ----- dims of a 0-d tensor ----------------------------------------------------------------------
ZERO_D_OPS = {
    "sum": lambda x, d: x.sum(d), "sum tuple": lambda x, d: x.sum((d,)),
    "mean": lambda x, d: x.mean(d),
    "prod": lambda x, d: x.prod(d), "amax": lambda x, d: x.amax(d), "max": lambda x, d: x.max(d),
    "argmax": lambda x, d: x.argmax(d), "logsumexp": lambda x, d: x.logsumexp(d),
    "norm": lambda x, d: x.norm(dim=d), "var": lambda x, d: x.var(d),
    "squeeze": lambda x, d: x.squeeze(d),
    "softmax": lambda x, d: x.softmax(d),
}


@pytest.mark.parametrize("name", list(ZERO_D_OPS))
def test_a_0d_tensor_takes_dims_0_and_minus_1_only(name):
    x = tl.tensor(3.0)
    for dim in (0, -1):
        ZERO_D_OPS[name](x, dim)
    for dim in (1, -2):
        with pytest.raises(IndexError, match=r"range of \[-1, 0\]"):
            ZERO_D_OPS[name](x, dim)


def test_a_repeated_dim_is_named():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        tl.ones(2, 3).sum((0, -2))


# ----- zero-size tensors -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["amax", "amin", "max", "min", "argmax", "argmin"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_extrema_over_a_non_empty_dim_of_an_empty_tensor(name, keepdim):
    result = getattr(tl.zeros(0, 3), name)(1, keepdim=keepdim)
    values, indices = result if name in ("max", "min") else (result, None)
    assert values.shape == ((0, 1) if keepdim else (0,))
    assert values.dtype == (tl.int64 if name.startswith("arg") else tl.float32)
    if indices is not None:
        assert indices.shape == values.shape and indices.dtype == tl.int64
    assert tl.zeros(3, 0).max(0).values.shape == (0,)


@pytest.mark.parametrize("name", ["amax", "amin", "max", "min", "argmax", "argmin"])
def test_extrema_over_an_empty_dim_raise_like_pytorch(name):
    message = f"{name}\\(\\): Expected reduction dim 0 to have non-zero"
    with pytest.raises(IndexError, match=message):
        getattr(tl.zeros(0, 3), name)(0)
    error = IndexError if name.startswith("arg") else RuntimeError
    with pytest.raises(error, match=r"numel\(\) == 0"):
        getattr(tl.zeros(0, 3), name)()
    with pytest.raises(IndexError, match="reduction dim 0"):
        tl.zeros(0, 3).amax((0, 1))


@pytest.mark.parametrize("shape, dim, expected", [
    ((0,), 0, -INF), ((0, 3), 0, [-INF] * 3), ((0, 3), 1, []), ((0, 3), (), -INF),
])
def test_logsumexp_of_nothing_is_minus_infinity(shape, dim, expected):
    result = tl.zeros(*shape).logsumexp(dim)
    assert result.tolist() == expected
    if torch is not None:
        assert torch.zeros(*shape).logsumexp(dim if dim != () else (0, 1)).tolist() == expected


def test_infinity_norm_over_an_empty_dim_raises():
    assert tl.zeros(0, 3).norm(INF, 1).shape == (0,)
    with pytest.raises(RuntimeError, match="empty dim"):
        tl.zeros(0, 3).norm(-INF, 0)


# ----- dtypes ------------------------------------------------------------------------------------
def test_sum_and_prod_keep_an_explicit_dtype():
    x = tl.tensor([1, 2, 3], dtype=tl.int32)
    assert x.sum(dtype=tl.int32).dtype == tl.int32 and x.sum().dtype == tl.int64
    assert x.prod(dtype=tl.int8).dtype == tl.int8 and x.prod().item() == 6
    assert tl.tensor([True, True]).sum().dtype == tl.int64


def test_float16_mean_and_norm_accumulate_in_float32():
    # float16 overflows at 65504; PyTorch accumulates in float32 and rounds the result once.
    assert tl.tensor([60000.0, 60000.0], dtype=tl.float16).mean().item() == 60000.0
    assert tl.tensor([300.0, 300.0], dtype=tl.float16).norm().item() == pytest.approx(424.25)
    assert tl.tensor([300.0, 300.0], dtype=tl.float16).norm().dtype == tl.float16


@pytest.mark.parametrize("values, op", [
    ([1, 2], lambda x: x.norm()), ([True, False], lambda x: x.argmax()),
    ([True, False], lambda x: x.argmin(0)),
], ids=["norm of int", "argmax of bool", "argmin of bool"])
def test_reductions_pytorch_refuses_for_the_dtype(values, op):
    with pytest.raises(RuntimeError, match="int64|bool"):
        op(tl.tensor(values))


# ----- degenerate var and norm (their gradients: test_nonfinite_gradients.py) ---------------------
@pytest.mark.parametrize("correction", [2, 3, 5])
def test_variance_divides_by_at_least_zero(correction):
    # PyTorch divides by max(N - correction, 0): a spread gives inf, constant data 0 / 0 = NaN.
    assert tl.tensor([2.0, 3.0]).var(correction=correction).item() == INF
    assert math.isnan(tl.tensor([2.0, 2.0]).var(correction=correction).item())


def test_zero_norm_is_recorded_but_has_no_gradient():
    x = tl.tensor([0.0, -4.0], requires_grad=True)
    count = x.norm(p=0)
    assert count.item() == 1.0 and count.grad_fn is not None
    (count + x.sum()).backward()
    assert x.grad.tolist() == [1.0, 1.0]


@requires_torch
@pytest.mark.parametrize("p", [0.5, 1.5, 3, -2, INF, -INF, 0])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_parity_with_zeros(p, dim):
    values = numpy.array([[0.0, 1.5, -2.0], [0.0, 0.0, 0.0]])
    check_parity(lambda x: x.norm(p, dim), lambda x: x.norm(p, dim), values,
                 dtype=numpy.float64, grad=p != 0)


# ----- float32 values whose squares overflow (found by the differential fuzz run) -----------------
@pytest.mark.parametrize("op, values, expected", [
    (lambda x: x.std(), [[-0.0, -1.0, 5.0], [1.0, 0.0, -1e30]], 4.08248290463863e29),
    (lambda x: x.std(), [3e38, -3e38, 1e38], 3.055050521643987e38),
    (lambda x: x.var(0), [[1e30, 0.0], [-1e30, 0.0]], [INF, 0.0]),
    (lambda x: x.norm(), [-1.17e30], 1.17e30),
    (lambda x: x.norm(3, 1), [[2e19], [1.0]], [2e19, 1.0]),
    # ...but a 0-d tensor with an explicit dim is powered (and overflows): this gave 1e30
    (lambda x: x.norm(3, 0), 1e30, INF),
    (lambda x: x.norm(2, -1), 1e30, INF),
    (lambda x: x.norm(2), 1e30, 1e30),
    (lambda x: x.norm(2, ()), 1e30, 1e30),
], ids=["std with 1e30", "std near the float32 limit", "var overflowing float32", "norm of one",
        "norm of one per row", "0-d norm over dim 0", "0-d norm over dim -1", "0-d norm",
        "0-d norm over no dims"])
def test_float32_statistics_of_huge_values_match_pytorch(op, values, expected):
    """PyTorch's CPU kernels square the deviations in float64 and take a norm over one
    element as its magnitude, so these stay finite where float32 squares overflow."""
    result = op(tl.tensor(values, dtype=tl.float32))
    assert result.dtype == tl.float32
    numpy.testing.assert_allclose(result.tolist(), expected, rtol=1e-6)
    if torch is not None:
        numpy.testing.assert_allclose(op(torch.tensor(values)).tolist(), expected, rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("op", [lambda x: x.std(-1, correction=2).norm(0.5, -1),
                                lambda x: x.var(-1).sqrt().sqrt()], ids=["std then norm", "var root"])
def test_statistics_of_constant_rows_are_exactly_zero(op):
    # The float32 mean of equal values was off by a rounding error, so their std was ~3e-8
    # instead of 0 (amplified by a p=0.5 norm to a 1e-3 relative error against PyTorch).
    values = numpy.array([[0.7615942, 0.7615942, 0.0], [0.7615942] * 3], dtype=numpy.float32)
    ours = op(tl.tensor(values)).numpy()
    numpy.testing.assert_allclose(ours, op(torch.tensor(values)).numpy(), rtol=1e-6)
    assert tl.tensor(values[1:]).var(-1).item() == 0.0
