"""Tests for tinygrad_lite/ops/reduce.py: sum mean prod amax amin max min arg* logsumexp var std norm."""
import math
import warnings

import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, dtype_name, requires_torch, torch

SHAPE = (2, 3, 4)
DIMS = [None, 0, -1, (0, 2)]


def _all(dim):
    """torch spells "every dim" as () for amax/amin/logsumexp; ours accepts None too."""
    return tuple(range(len(SHAPE))) if dim is None else dim


def _one_dim(dim):
    """prod reduces one dim (or all of them), as in PyTorch."""
    return dim[0] if isinstance(dim, tuple) else dim


def _torch_prod(x, dim, keepdim):
    if dim is None:  # torch.prod has no keepdim form for "all dims"
        total = x.prod()
        return total.reshape((1,) * x.ndim) if keepdim else total
    return x.prod(_one_dim(dim), keepdim=keepdim)


def _vector_norm(ord_):
    return lambda x, d, k: torch.linalg.vector_norm(x, ord_, dim=d, keepdim=k)


# name -> (ours(x, dim, keepdim), torch(x, dim, keepdim))
REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k), lambda x, d, k: x.sum(d, keepdim=k)),
    "tl.sum": (lambda x, d, k: tl.sum(x, d, k), lambda x, d, k: torch.sum(x, d, k)),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k), lambda x, d, k: x.mean(d, keepdim=k)),
    "prod": (lambda x, d, k: x.prod(_one_dim(d), keepdim=k), lambda x, d, k: _torch_prod(x, d, k)),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k), lambda x, d, k: x.amax(_all(d), keepdim=k)),
    "amin": (lambda x, d, k: tl.amin(x, d, keepdim=k), lambda x, d, k: torch.amin(x, _all(d), keepdim=k)),
    "logsumexp": (lambda x, d, k: x.logsumexp(_all(d), keepdim=k),
                  lambda x, d, k: x.logsumexp(_all(d), keepdim=k)),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda x, d, k: x.var(d, keepdim=k)),
    "var correction=0": (lambda x, d, k: x.var(d, keepdim=k, correction=0),
                         lambda x, d, k: x.var(d, keepdim=k, correction=0)),
    "var unbiased=False": (lambda x, d, k: x.var(d, unbiased=False, keepdim=k),
                           lambda x, d, k: x.var(d, unbiased=False, keepdim=k)),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda x, d, k: x.std(d, keepdim=k)),
    "std correction=1.5": (lambda x, d, k: tl.std(x, d, keepdim=k, correction=1.5),
                           lambda x, d, k: torch.std(x, d, keepdim=k, correction=1.5)),
    "norm": (lambda x, d, k: x.norm(dim=d, keepdim=k), _vector_norm(2)),
    "norm p=1": (lambda x, d, k: x.norm(1, d, k), _vector_norm(1)),
    "norm p=3": (lambda x, d, k: tl.norm(x, 3, d, k), _vector_norm(3)),
    "norm p=inf": (lambda x, d, k: x.norm(math.inf, d, k), _vector_norm(math.inf)),
    "norm p=-inf": (lambda x, d, k: x.norm(-math.inf, d, k), _vector_norm(-math.inf)),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_gradcheck(name, dim, keepdim):
    check_gradcheck(lambda x: REDUCTIONS[name][0](x, dim, keepdim), SHAPE)


@requires_torch
@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_reduction_parity(name, dim, keepdim, dtype):
    ours, theirs = REDUCTIONS[name]
    check_parity(lambda x: ours(x, dim, keepdim), lambda x: theirs(x, dim, keepdim), SHAPE,
                 dtype=dtype, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op, expected", [
    (lambda x: x.sum(), 2.5), (lambda x: x.mean(0), 2.5), (lambda x: x.amax(-1), 2.5),
    (lambda x: x.norm(), 2.5), (lambda x: x.var(correction=0), 0.0), (lambda x: x.logsumexp(0), 2.5),
    (lambda x: x.prod(0), 2.5), (lambda x: x.max(0).values, 2.5), (lambda x: x.sum(0, keepdim=True), 2.5),
], ids=["sum", "mean", "amax", "norm", "var", "logsumexp", "prod", "max(dim)", "keepdim"])
def test_reduction_of_a_0d_tensor(op, expected):
    x = tl.tensor(2.5, dtype=tl.float64, requires_grad=True)
    result = op(x)
    assert result.shape == () and result.item() == pytest.approx(expected)
    check_gradcheck(op, numpy.array(2.5))


MAX_MIN = {
    "max": (lambda x, d, k: x.max(d, keepdim=k), lambda x, d, k: x.max(d, keepdim=k)),
    "min": (lambda x, d, k: tl.min(x, d, k), lambda x, d, k: torch.min(x, d, k)),
}


@pytest.mark.parametrize("name", list(MAX_MIN))
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_dim_gradcheck(name, dim, keepdim):
    check_gradcheck(lambda x: MAX_MIN[name][0](x, dim, keepdim).values, SHAPE)


@requires_torch
@pytest.mark.parametrize("name", list(MAX_MIN))
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_dim_parity(name, dim, keepdim):
    ours, theirs = MAX_MIN[name]
    check_parity(lambda x: tuple(ours(x, dim, keepdim)), lambda x: tuple(theirs(x, dim, keepdim)), SHAPE)
    result = ours(tl.tensor(numpy.arange(24.0).reshape(SHAPE)), dim, keepdim)
    assert result.indices.dtype == tl.int64
    values, indices = result  # a (values, indices) pair, unpackable like PyTorch's
    assert values.shape == indices.shape


TIES = numpy.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0]])


@requires_torch
@pytest.mark.parametrize("reduction", [
    (lambda x: x.max(1).values, lambda x: x.max(1).values),       # first max only
    (lambda x: x.min(0).values, lambda x: x.min(0).values),
    (lambda x: x.amax(1), lambda x: x.amax(1)),                   # shared evenly
    (lambda x: x.amin(), lambda x: x.amin()),
    (lambda x: x.max(), lambda x: x.max()),
    (lambda x: x.min(), lambda x: x.min()),
    (lambda x: x.norm(math.inf), lambda x: x.norm(math.inf)),
], ids=["max(dim)", "min(dim)", "amax", "amin", "max()", "min()", "norm inf"])
def test_gradient_with_tied_extrema_matches_torch(reduction):
    check_parity(*reduction, TIES)


def test_max_dim_routes_to_first_max_and_amax_shares():
    x = tl.tensor(TIES, requires_grad=True)
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]
    x.grad = None
    x.amax(1).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)])
def test_argmax_argmin(name, dim, keepdim):
    values = numpy.random.default_rng(0).standard_normal((3, 4))
    result = getattr(tl.tensor(values), name)(dim, keepdim=keepdim)
    expected = getattr(numpy, name)(values, axis=dim, keepdims=keepdim)
    assert result.dtype == tl.int64
    numpy.testing.assert_array_equal(result.numpy(), expected)
    assert not result.requires_grad
    assert getattr(tl, name)(tl.tensor(TIES)).item() == getattr(numpy, name)(TIES)


def test_argmax_of_ties_is_the_first():
    assert tl.tensor(TIES).argmax(1).tolist() == [1, 0]


@requires_torch
@pytest.mark.parametrize("dtype, name", [
    (dtype, name) for dtype in ("int32", "int64", "bool") for name in ("sum", "prod", "amax", "argmax")
    if (dtype, name) != ("bool", "argmax")  # PyTorch refuses argmax of bool tensors
])
def test_integer_reduction_dtypes(dtype, name):
    data = [[1, 0, 3], [4, 5, 0]]
    ours = getattr(tl.tensor(data).to(getattr(tl, dtype)), name)()
    theirs = getattr(torch.tensor(data).to(getattr(torch, dtype)), name)()
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert ours.item() == theirs.item()


def test_mean_of_integers_raises_and_accepts_dtype():
    with pytest.raises(RuntimeError, match="floating"):
        tl.tensor([1, 2]).mean()
    result = tl.tensor([1, 2]).mean(dtype=tl.float64)
    assert result.dtype == tl.float64 and result.item() == 1.5


def test_sum_dtype_argument():
    assert tl.tensor([1, 2]).sum(dtype=tl.float32).dtype == tl.float32
    assert tl.ones(2, 3, dtype=tl.float16).sum().dtype == tl.float16


@requires_torch
def test_prod_gradient_with_zeros():
    values = numpy.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    check_parity(lambda x: x.prod(1), lambda x: x.prod(1), values, dtype=numpy.float64)
    check_parity(lambda x: x.prod(), lambda x: x.prod(), values[0], dtype=numpy.float64)
    check_gradcheck(lambda x: x.prod(1), values)


@requires_torch
@pytest.mark.parametrize("p", ["fro", 1, 3])
def test_norm_gradient_at_zero_is_zero(p):
    zeros = numpy.zeros((2, 3))
    ours = tl.tensor(zeros, requires_grad=True)
    ours.norm(p).backward()
    assert ours.grad.tolist() == [[0.0] * 3] * 2
    check_parity(lambda x: x.norm(p, 1), lambda x: x.norm(p, 1), numpy.array([[0.0, 0.0], [3.0, 4.0]]))


def test_frobenius_norm_over_more_than_two_dims_is_refused_like_pytorch():
    # PyTorch's 'fro' over a dim tuple is a matrix norm; 3 dims were reduced as a vector norm.
    with pytest.raises(RuntimeError, match="2-tuple"):
        tl.ones((2, 2, 2)).norm(p="fro", dim=(0, 1, 2))
    assert tl.ones((2, 2, 2)).norm(p="fro", dim=(0, 1)).tolist() == [2.0, 2.0]
    assert tl.ones((2, 2, 2)).norm(p=2, dim=(0, 1, 2)).item() == pytest.approx(8 ** 0.5)


def test_norm_rejects_unknown_p():
    with pytest.raises(ValueError, match="nuc"):
        tl.ones(3).norm("nuc")


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"unbiased": False}, {"unbiased": True}, {"correction": 0},
                                    {"correction": 2}])
def test_var_std_correction(kwargs):
    values = numpy.random.default_rng(1).standard_normal((4, 5))
    for name in ("var", "std"):
        check_parity(lambda x: getattr(x, name)(1, **kwargs), lambda x: getattr(x, name)(1, **kwargs),
                     values, dtype=numpy.float64, rtol=1e-10)
    legacy = tl.tensor(values).var(False).item()
    assert legacy == pytest.approx(values.var())


def test_var_rejects_both_unbiased_and_correction():
    with pytest.raises(RuntimeError, match="correction"):
        tl.ones(3).var(unbiased=True, correction=1)


@requires_torch
def test_var_of_a_single_element_is_nan_like_torch():
    with numpy.errstate(all="ignore"):
        assert math.isnan(tl.ones(1, 3).var(0).tolist()[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about zero degrees of freedom
        assert math.isnan(torch.ones(1, 3).var(0).tolist()[0])


def test_logsumexp_is_stable_and_handles_minus_infinity():
    big = tl.tensor([[1000.0, 1000.0], [-float("inf"), -float("inf")]])
    with numpy.errstate(all="ignore"):
        result = big.logsumexp(1).tolist()
    assert result[0] == pytest.approx(1000.0 + math.log(2.0))
    assert result[1] == -math.inf


@pytest.mark.parametrize("shape, target", [((3, 4), (1, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)),
                                           ((3, 4), (3, 4))])
def test_sum_to_size(shape, target):
    values = numpy.random.default_rng(2).standard_normal(shape)
    result = tl.tensor(values).sum_to_size(target)
    assert result.shape == target
    expected = values.sum(axis=tuple(range(len(shape) - len(target))))
    expected = expected.sum(axis=tuple(i for i, s in enumerate(target) if s == 1), keepdims=True)
    numpy.testing.assert_allclose(result.numpy(), expected.reshape(target))
    check_gradcheck(lambda x: x.sum_to_size(target), shape)


def test_reductions_reject_bad_dims():
    with pytest.raises(IndexError, match="range"):
        tl.ones(2, 3).sum(2)
    with pytest.raises(RuntimeError, match="multiple"):
        tl.ones(2, 3).sum((1, -1))
    with pytest.raises(RuntimeError, match=r"numel\(\) == 0"):
        tl.ones(0, 3).amax()


def test_empty_sum_and_mean():
    assert tl.ones(0, 3).sum(0).tolist() == [0.0, 0.0, 0.0]
    with numpy.errstate(all="ignore"):
        assert all(math.isnan(v) for v in tl.ones(0, 3).mean(0).tolist())
