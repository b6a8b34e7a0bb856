"""Higher-order gradients: create_graph=True gives correct second and third derivatives."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite.autograd import gradgradcheck
from helpers import requires_torch, torch

POINTS = numpy.array([-1.3, -0.4, 0.2, 0.9, 1.7])


def _derivatives(fn, values, order):
    """[f', f'', ...] of an elementwise ``fn`` at ``values``, by repeated autograd.grad."""
    x = tl.tensor(values, dtype=tl.float64, requires_grad=True)
    current = fn(x)
    results = []
    for _ in range(order):
        (current,) = tl.autograd.grad(current.sum(), x, create_graph=True)
        results.append(current.detach().numpy())
    return results


def _sigmoid(v):
    return 1.0 / (1.0 + numpy.exp(-v))


# name -> (op, [analytic f', f'', f'''])
ANALYTIC = {
    "x**3": (lambda x: x ** 3, [lambda v: 3 * v ** 2, lambda v: 6 * v, lambda v: 6 + 0 * v]),
    "x*x*x": (lambda x: x * x * x, [lambda v: 3 * v ** 2, lambda v: 6 * v, lambda v: 6 + 0 * v]),
    "exp": (lambda x: x.exp(), [numpy.exp, numpy.exp, numpy.exp]),
    "sin": (lambda x: x.sin(), [numpy.cos, lambda v: -numpy.sin(v), lambda v: -numpy.cos(v)]),
    "tanh": (lambda x: x.tanh(), [
        lambda v: 1 - numpy.tanh(v) ** 2,
        lambda v: -2 * numpy.tanh(v) * (1 - numpy.tanh(v) ** 2),
        lambda v: (1 - numpy.tanh(v) ** 2) * (6 * numpy.tanh(v) ** 2 - 2)]),
    "sigmoid": (lambda x: x.sigmoid(), [
        lambda v: _sigmoid(v) * (1 - _sigmoid(v)),
        lambda v: _sigmoid(v) * (1 - _sigmoid(v)) * (1 - 2 * _sigmoid(v)),
        lambda v: _sigmoid(v) * (1 - _sigmoid(v)) * (1 - 6 * _sigmoid(v) + 6 * _sigmoid(v) ** 2)]),
    "log(x*x)": (lambda x: (x * x).log(), [lambda v: 2 / v, lambda v: -2 / v ** 2, lambda v: 4 / v ** 3]),
    "sqrt(x*x+1)": (lambda x: (x * x + 1.0).sqrt(), [
        lambda v: v / numpy.sqrt(v ** 2 + 1), lambda v: (v ** 2 + 1) ** -1.5,
        lambda v: -3 * v * (v ** 2 + 1) ** -2.5]),
    "1/x": (lambda x: 1.0 / x, [lambda v: -1 / v ** 2, lambda v: 2 / v ** 3, lambda v: -6 / v ** 4]),
    "2**x": (lambda x: 2.0 ** x, [lambda v: numpy.log(2) * 2 ** v, lambda v: numpy.log(2) ** 2 * 2 ** v,
                                  lambda v: numpy.log(2) ** 3 * 2 ** v]),
}


@pytest.mark.parametrize("name", list(ANALYTIC))
def test_first_second_third_derivatives_match_analytic(name):
    fn, expected = ANALYTIC[name]
    for order, (got, formula) in enumerate(zip(_derivatives(fn, POINTS, 3), expected), start=1):
        numpy.testing.assert_allclose(got, formula(POINTS), rtol=1e-10, atol=1e-12, err_msg=f"order {order}")


def test_backward_with_create_graph_then_backward_of_grad():
    x = tl.tensor([2.0], dtype=tl.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    assert x.grad.tolist() == [12.0]


# Non-elementwise ops: name -> op applied to both libraries, input shape
OPS = {
    "softmax": (lambda x: x.softmax(-1), (2, 4)),
    "log_softmax": (lambda x: x.log_softmax(1), (2, 4)),
    "matmul": (lambda x: x @ x.mT @ x, (3, 3)),
    "var": (lambda x: x.var(1), (2, 5)),
    "std": (lambda x: x.std(0, correction=0), (4, 2)),
    "norm": (lambda x: x.norm(dim=1), (3, 4)),
    "logsumexp": (lambda x: x.logsumexp(1), (2, 3)),
    "mean*prod": (lambda x: x.mean(0) * x.prod(0), (3, 2)),
    "max": (lambda x: x.amax(1) * x.sum(1), (2, 3)),
    "pow tensor": (lambda x: x.abs() ** (x * 0.5), (2, 3)),
    "div": (lambda x: x / (x * x + 1.0), (2, 3)),
    "indexing": (lambda x: x[[0, 0, 1]] * x[1:, None], (2, 3)),
    "where": (lambda x: torch_or_tl(x).where(x > 0, x * x, x.exp()), (2, 3)),
    "relu": (lambda x: x.relu() * x, (2, 3)),
    "abs": (lambda x: x.abs() * x, (2, 3)),
    "einsum": (lambda x: torch_or_tl(x).einsum("ij,kj->ik", x, x * x), (2, 3)),
    "maximum": (lambda x: torch_or_tl(x).maximum(x, x * 0.5) ** 2, (2, 3)),
    "clamp": (lambda x: x.clamp(-0.5, 0.5) * x, (2, 3)),
}


def torch_or_tl(x):
    return tl if isinstance(x, tl.Tensor) else torch


@requires_torch
@pytest.mark.parametrize("name", list(OPS))
def test_second_and_third_derivatives_match_torch(name):
    op, shape = OPS[name]
    rng = numpy.random.default_rng(1)
    values = rng.standard_normal(shape)
    weights = [rng.standard_normal(shape) for _ in range(2)]
    results = []
    for lib in (tl, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (first,) = _grad(lib, op(x).sum(), x)
        (second,) = _grad(lib, (first * lib.tensor(weights[0])).sum(), x)
        (third,) = _grad(lib, (second * lib.tensor(weights[1])).sum(), x, allow_unused=True)
        third = numpy.zeros(shape) if third is None else third.detach().numpy(force=True)
        results.append([first.detach().numpy(), second.detach().numpy(), third])
    for order, (ours, theirs) in enumerate(zip(*results), start=1):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10, err_msg=f"order {order}")


def _grad(lib, output, x, allow_unused=False):
    if not output.requires_grad:  # the derivative is identically zero
        return (None,)
    return lib.autograd.grad(output, x, create_graph=True, allow_unused=allow_unused)


GRADGRAD = {
    "mul": (lambda a, b: a * b, ((2, 3), (3,))),
    "div": (lambda a, b: a / (b * b + 1.0), ((2, 3), (2, 1))),
    "pow": (lambda a, b: (a * a + 0.5) ** b, ((2, 3), (3,))),
    "exp log": (lambda a: (a.exp() + 1.0).log(), ((2, 3),)),
    "tanh sigmoid": (lambda a: a.tanh() * a.sigmoid(), ((2, 3),)),
    "sqrt rsqrt": (lambda a: (a * a + 1.0).sqrt() + (a * a + 2.0).rsqrt(), ((3,),)),
    "sin cos": (lambda a: a.sin() * a.cos(), ((3,),)),
    "matmul": (lambda a, b: a @ b, ((2, 3), (3, 2))),
    "batched matmul": (lambda a, b: a @ b, ((2, 2, 3), (3,))),
    "softmax": (lambda a: a.softmax(1), ((2, 3),)),
    "log_softmax": (lambda a: F.log_softmax(a, dim=0), ((3, 2),)),
    "logsumexp": (lambda a: a.logsumexp(0), ((3, 2),)),
    "var std": (lambda a: a.var(0) + a.std(1).sum(), ((3, 2),)),
    "norm": (lambda a: a.norm(dim=0), ((3, 2),)),
    "prod": (lambda a: a.prod(1), ((2, 3),)),
    "amax": (lambda a: a.amax(1), ((2, 3),)),
    "gather": (lambda a: a.gather(1, tl.tensor([[2, 0], [1, 1]])) ** 2, ((2, 3),)),
    "scatter_add": (lambda a, s: a.scatter_add(0, tl.tensor([[1, 0, 1]]), s * s), ((2, 3), (1, 3))),
    "getitem": (lambda a: a[[1, 1, 0], 1:] ** 2, ((2, 3),)),
    "masked_fill": (lambda a: a.masked_fill(a > 0, 1.0) ** 2, ((2, 3),)),
    "where": (lambda a, b: tl.where(a > b, a * b, b * b), ((2, 3), (3,))),
    "maximum": (lambda a, b: tl.maximum(a * a, b), ((2, 3), (3,))),
    "cat split": (lambda a, b: tl.cat([a, b * b]).split(2)[1] ** 2, ((2, 3), (1, 3))),
    "movement": (lambda a: a.permute(1, 0).reshape(6).expand(2, 6).repeat(1, 2) ** 2, ((2, 3),)),
    "einsum": (lambda a, b: tl.einsum("ij,jk->ik", a * a, b), ((2, 3), (3, 2))),
    "tril": (lambda a: (a * a).tril(), ((3, 3),)),
    "clone": (lambda a: a.clone() * a, ((3,),)),
}


@pytest.mark.parametrize("name", list(GRADGRAD))
def test_gradgradcheck(name):
    op, shapes = GRADGRAD[name]
    rng = numpy.random.default_rng(2)
    inputs = [tl.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]
    assert gradgradcheck(op, inputs)


@requires_torch
@pytest.mark.parametrize("dim", [1, 0, None])
def test_prod_with_zeros_is_twice_differentiable_like_torch(dim):
    values = numpy.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0]])
    results = []
    for lib in (tl, torch):
        x = lib.tensor(values, requires_grad=True)
        product = x.prod() if dim is None else x.prod(dim)
        (first,) = lib.autograd.grad(product.sum(), x, create_graph=True)
        (second,) = lib.autograd.grad((first * first).sum(), x)
        results.append((first.detach().numpy(), second.numpy()))
    numpy.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    numpy.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10)
    assert gradgradcheck(lambda t: t.prod(1), [tl.tensor(values, requires_grad=True)])
