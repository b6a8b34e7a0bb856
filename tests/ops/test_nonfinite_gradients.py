"""Gradients at NaN, inf and other degenerate points, against PyTorch 2.13 (issue 8).

PyTorch's masked backwards (relu, clamp, maximum, hardtanh, max...) *select* the gradient, so an
infinite incoming gradient gives 0 where the input was not selected and a NaN input that is not
masked out passes the gradient on. Each row: (name, expression in ``m`` (the library), ``F``
(its functional module), ``x`` and ``y``, input values, the incoming gradient filled in, and the
gradients PyTorch computes for x (and y)). With PyTorch installed the rows are also rechecked
against it, so the table cannot drift.

At a NaN input PyTorch's CPU kernels disagree with themselves: hardtanh's formula (and scalar
loop) passes the gradient on, its vectorised loop gives 0; elu gives 1 in float32 and NaN in
vectorised float64. We follow the formulas (the scalar loops, which small tensors get); the
rows are small enough to land there.
"""
import math

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import torch

INF, NAN = math.inf, math.nan

CASES = [
    ("relu sqrt", "F.relu(x).sqrt()", [[-1.0, 0.0, 4.0]], 1.0, [[0.0, 0.0, 0.25]]),
    ("relu inf", "F.relu(x)", [[-1.0, 0.0, 4.0, NAN]], INF, [[0.0, 0.0, INF, INF]]),
    ("relu nan input", "m.relu(x)", [[-1.0, 0.0, 4.0, NAN]], 1.0, [[0.0, 0.0, 1.0, 1.0]]),
    ("clamp min inf", "x.clamp(min=0)", [[-1.0, 0.0, 4.0, NAN]], INF, [[0.0, INF, INF, 0.0]]),
    ("clamp both inf", "x.clamp(0, 2)",
     [[-1.0, 0.0, 2.0, 4.0, NAN]], INF,
     [[0.0, INF, INF, 0.0, 0.0]]),
    ("maximum scalar tensor inf", "m.maximum(x, m.tensor(0.))",
     [[-1.0, 0.0, 4.0, NAN]], INF,
     [[0.0, INF, INF, INF]]),
    ("maximum nan", "m.maximum(x, y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0, NAN], [0.0, 0.0, 0.0, 1.0, NAN, NAN]], 1.0,
     [[0.0, 0.5, 1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 0.0, 1.0, 1.0, 1.0]]),
    ("maximum inf", "m.maximum(x, y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0], [0.0, 0.0, 0.0, 1.0, NAN]], INF,
     [[0.0, INF, INF, INF, INF], [INF, INF, 0.0, INF, INF]]),
    ("minimum nan", "m.minimum(x, y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0, NAN], [0.0, 0.0, 0.0, 1.0, NAN, NAN]], 1.0,
     [[1.0, 0.5, 0.0, 1.0, 1.0, 1.0], [0.0, 0.5, 1.0, 1.0, 1.0, 1.0]]),
    ("minimum inf", "m.minimum(x, y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0], [0.0, 0.0, 0.0, 1.0, NAN]], INF,
     [[INF, INF, 0.0, INF, INF], [0.0, INF, INF, INF, INF]]),
    ("max other", "m.max(x, y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0], [0.0, 0.0, 0.0, 1.0, NAN]], 1.0,
     [[0.0, 0.5, 1.0, 1.0, 1.0], [1.0, 0.5, 0.0, 1.0, 1.0]]),
    ("clamp max tensor nan", "m.clamp(x, max=y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0, NAN], [0.0, 0.0, 0.0, 1.0, NAN, NAN]], 1.0,
     [[1.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]]),
    ("clamp min tensor nan", "m.clamp(x, min=y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0, NAN], [0.0, 0.0, 0.0, 1.0, NAN, NAN]], 1.0,
     [[0.0, 1.0, 1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    ("clamp min tensor inf", "m.clamp(x, min=y)",
     [[-1.0, 0.0, 4.0, NAN, 1.0, NAN], [0.0, 0.0, 0.0, 1.0, NAN, NAN]], INF,
     [[0.0, INF, INF, 0.0, 0.0, 0.0], [INF, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    ("clamp both tensors", "m.clamp(x, min=y, max=y + 1)",
     [[-1.0, 0.0, 4.0, NAN, 1.0, NAN, 0.5], [0.0, 0.0, 0.0, 1.0, NAN, NAN, 0.0]], 1.0,
     [[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]]),
    ("clamp min above max", "m.clamp(x, min=y, max=y - 1)",
     [[-1.0, 0.0, 4.0, NAN, 1.0], [0.0, 0.0, 0.0, 1.0, NAN]], 1.0,
     [[0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 0.0]]),
    ("hardtanh inf", "F.hardtanh(x)",
     [[-2.0, -1.0, 0.0, 1.0, 4.0, NAN]], INF,
     [[0.0, 0.0, INF, 0.0, 0.0, INF]]),
    ("hardtanh nan", "F.hardtanh(x)",
     [[-2.0, -1.0, 0.0, 1.0, 4.0, NAN]], 1.0,
     [[0.0, 0.0, 1.0, 0.0, 0.0, 1.0]]),
    ("relu6 nan", "F.relu6(x)",
     [[-2.0, -1.0, 0.0, 1.0, 6.0, NAN]], 1.0,
     [[0.0, 0.0, 0.0, 1.0, 0.0, 1.0]]),
    ("leaky relu inf", "F.leaky_relu(x, 0.1)",
     [[-2.0, 0.0, 4.0, NAN]], INF,
     [[INF, INF, INF, INF]]),
    ("elu nan", "F.elu(x)", [[-INF, -1.0, INF, NAN]], 1.0, [[0.0, 0.36787944117144233, 1.0, 1.0]]),
    ("selu nan", "F.selu(x)",
     [[-INF, -1.0, INF, NAN]], 1.0,
     [[0.0, 0.646768603034814, 1.0507009873554805, 1.0507009873554805]]),
    ("celu nan", "F.celu(x, 2.0)",
     [[-INF, -1.0, INF, NAN]], 1.0,
     [[0.0, 0.6065306597126334, 1.0, 1.0]]),
    ("abs nan", "x.abs()", [[-2.0, 0.0, 4.0, NAN]], 1.0, [[-1.0, 0.0, 1.0, 0.0]]),
    ("abs inf", "x.abs()", [[-2.0, 0.0, 4.0, NAN]], INF, [[-INF, NAN, INF, NAN]]),
    ("sign inf", "x.sign()", [[-2.0, 0.0, 4.0, NAN]], INF, [[0.0, 0.0, 0.0, 0.0]]),
    ("where inf", "m.where(x > 0, x, y)", [[1.0, -1.0], [2.0, 3.0]], INF, [[INF, 0.0], [0.0, INF]]),
    ("zero base pow", "0.0 ** x", [[0.0, 1.0, 2.0, -1.0]], 1.0, [[0.0, 0.0, 0.0, -INF]]),
    ("zero base pow function", "m.pow(0.0, x)",
     [[0.0, 1.0, 2.0, -1.5]], 1.0,
     [[0.0, 0.0, 0.0, -INF]]),
    ("zero tensor base", "y ** x",
     [[-1.5, 0.0, 0.5, 2.0], [0.0, 0.0, 0.0, 0.0]], 1.0,
     [[-INF, 0.0, 0.0, 0.0], [-INF, 0.0, INF, 0.0]]),
    ("zero base negative exponent", "x ** y",
     [[-1.5, 0.0, 0.5, 2.0], [-2.0, -2.0, -2.0, -2.0]], 1.0,
     [[0.5925925925925926, -INF, -16.0, -0.25],
      [NAN, -INF, -2.772588722239781, 0.17328679513998632]]),
    ("pow at 0 ** 0 inf", "x ** y",
     [[0.0, NAN, 2.0], [0.0, 0.0, 0.0]], INF,
     [[0.0, 0.0, 0.0], [NAN, NAN, INF]]),
    ("pow scalar 0 inf", "x ** 0", [[0.0, 1.0]], INF, [[0.0, 0.0]]),
    ("pow scalar 0.0 nan", "x ** 0.0", [[0.0, NAN]], NAN, [[0.0, 0.0]]),
    ("max nan", "x.max()", [[1.0, NAN, 0.0]], 1.0, [[0.0, 1.0, 0.0]]),
    ("max inf", "x.max()", [[1.0, 3.0, 3.0]], INF, [[0.0, INF, INF]]),
    ("std constant", "x.std()", [[2.0, 2.0, 2.0]], 1.0, [[0.0, 0.0, 0.0]]),
    ("norm p=0.5 zero", "x.norm(p=0.5)", [[0.0, 4.0]], 1.0, [[0.0, 1.0]]),
    ("max two nans", "x.max()", [[1.0, NAN, NAN]], 1.0, [[0.0, 0.5, 0.5]]),
    ("min nan", "x.min()", [[1.0, NAN, 0.0]], 1.0, [[0.0, 1.0, 0.0]]),
    ("max dim nan", "x.max(0).values", [[1.0, NAN, 0.0]], 1.0, [[0.0, 1.0, 0.0]]),
    ("amax nan", "x.amax()", [[1.0, NAN, 0.0]], 1.0, [[NAN, NAN, NAN]]),
    ("amax ties inf", "x.amax()", [[1.0, 3.0, 3.0]], INF, [[NAN, INF, INF]]),
    ("std constant inf", "x.std()", [[2.0, 2.0]], INF, [[0.0, 0.0]]),
    ("std one constant column", "x.std(0)",
     [[[2.0, 1.0], [2.0, 3.0]]], 1.0,
     [[[0.0, -0.7071067811865475], [0.0, 0.7071067811865475]]]),
    ("var dof 0", "x.var(correction=2)", [[2.0, 3.0]], 1.0, [[INF, INF]]),
    ("var dof 0 negative gradient", "x.var(correction=2)", [[2.0, 3.0]], -1.0, [[-INF, -INF]]),
    ("var dof 0 at the mean", "x.var(correction=3)", [[1.0, 2.0, 3.0]], 1.0, [[INF, NAN, INF]]),
    ("var dof -1", "x.var(correction=4)", [[1.0, 2.0, 4.0]], 1.0, [[INF, INF, INF]]),
    ("var dim dof 0", "x.var(1, correction=2)", [[[2.0, 3.0]]], 1.0, [[[-INF, INF]]]),
    ("var dim dof -1", "x.var(0, correction=3)",
     [[[2.0, 3.0], [5.0, 5.0]]], 1.0,
     [[[3.0, 2.0], [-3.0, -2.0]]]),
    ("std dof 0", "x.std(correction=2)", [[2.0, 3.0]], 1.0, [[NAN, NAN]]),
    ("norm p=0.5 zeros", "x.norm(p=0.5)", [[0.0, 0.0]], 1.0, [[0.0, 0.0]]),
    ("norm p=-1 zero", "x.norm(p=-1)", [[0.0, -4.0, 2.0]], 1.0, [[0.0, -0.0, 0.0]]),
    ("norm p=3 zeros", "x.norm(p=3)", [[0.0, 0.0]], 1.0, [[0.0, 0.0]]),
    ("norm p=1.5 zeros", "x.norm(p=1.5)", [[0.0, 0.0]], 1.0, [[0.0, 0.0]]),
    ("norm p=3 zeros inf", "x.norm(p=3)", [[0.0, 0.0]], INF, [[0.0, 0.0]]),
    ("norm p=0.5 zeros inf", "x.norm(p=0.5)", [[0.0, 1.0]], INF, [[NAN, INF]]),
    ("norm p=2 zeros", "x.norm()", [[0.0, 0.0]], INF, [[NAN, NAN]]),
    ("norm p=1", "x.norm(p=1)", [[0.0, -4.0, NAN]], 1.0, [[0.0, -1.0, 0.0]]),
    ("norm p=inf nan", "x.norm(p=inf)", [[1.0, NAN]], 1.0, [[0.0, 0.0]]),
    ("norm p=inf", "x.norm(p=inf)", [[0.0, -4.0, 4.0, -INF]], 1.0, [[0.0, -0.0, 0.0, -1.0]]),
    ("logsumexp -inf", "x.logsumexp(0)", [[-INF, -INF]], 1.0, [[NAN, NAN]]),
    ("logsumexp inf", "x.logsumexp(0)", [[INF, 1.0]], 1.0, [[NAN, 0.0]]),
    ("prod zero and nan", "x.prod()", [[0.0, 4.0, NAN]], 1.0, [[NAN, NAN, 0.0]]),
    ("prod inf", "x.prod()", [[0.0, INF, 3.0]], 1.0, [[INF, 0.0, NAN]]),
    ("softmax -inf", "x.softmax(0)", [[-INF, 0.0]], 1.0, [[0.0, 0.0]]),
    ("log_softmax -inf", "x.log_softmax(0)", [[-INF, 0.0]], 1.0, [[1.0, -1.0]]),
    ("sqrt at 0", "x.sqrt()", [[0.0, 4.0]], 1.0, [[INF, 0.25]]),
    ("rsqrt at 0", "x.rsqrt()", [[0.0, 4.0]], 1.0, [[-INF, -0.0625]]),
    ("log at 0", "x.log()", [[0.0, 4.0]], 1.0, [[INF, 0.25]]),
    ("sigmoid ends", "x.sigmoid()", [[-INF, INF, NAN]], 1.0, [[0.0, 0.0, NAN]]),
    ("tanh ends", "x.tanh()", [[-INF, INF, NAN]], 1.0, [[0.0, 0.0, NAN]]),
    ("softplus ends", "F.softplus(x)", [[-INF, INF, NAN]], 1.0, [[0.0, 1.0, NAN]]),
    ("zero base nan exponent", "0 ** x", [[3.0, NAN, -1.0]], 1.0, [[0.0, NAN, -INF]]),
    ("zero tensor base nan exponent", "y ** x",
     [[NAN, 2.0], [0.0, 0.0]], 1.0,
     [[NAN, 0.0], [NAN, 0.0]]),
    ("prod two zeros and inf", "x.prod()",
     [[2.0, -0.0, -0.0, INF, 3.0]], 1.0,
     [[0.0, 0.0, 0.0, 0.0, 0.0]]),
    ("prod dim two zeros and inf", "x.prod(0)",
     [[[0.0, 1.0], [0.0, 2.0], [INF, 3.0]]], 1.0,
     [[[NAN, 6.0], [NAN, 3.0], [0.0, 2.0]]]),
    ("scalar / float16 overflow", "1e30 / x.half()", [[-1000.0, 2.0]], 1.0, [[-INF, -INF]]),
    ("log_softmax of a 0-d nan", "x.log_softmax(0)", [NAN], 1.0, [NAN]),
    ("softmax of a 0-d inf", "x.softmax(0)", [INF], 1.0, [NAN]),
    ("square root power at -inf", "x ** 0.5 + x ** -0.5", [[-INF, 4.0]], 1.0, [[NAN, 0.1875]]),
    ("prod of a 0-d inf", "x.prod(-1, keepdim=True)", [INF], 1.0, [1.0]),
    ("division by a huge denominator", "y ** 2 / x",
     [[-2.0, 1e+300], [3.0, INF]], 1.0,
     [[-2.25, -INF], [-3.0, INF]]),
    # var with N - correction <= 0: inf, NaN where x equals its mean (inf too, where x - mean
    # is NaN: this gave inf)
    ("var of inf without dof", "x.var(correction=1)", [[INF]], 1.0, [[NAN]]),
    ("var with inf without dof", "x.var(correction=2)", [[1.0, INF]], 1.0, [[INF, NAN]]),
    ("var with nan without dof", "x.var(correction=2)", [[1.0, NAN]], 1.0, [[INF, INF]]),
]


def _gradients(library, functional, expression, values, upstream):
    inputs = [library.tensor(v, dtype=library.float64, requires_grad=True) for v in values]
    scope = {"m": library, "F": functional, "inf": INF, "x": inputs[0],
             "y": inputs[1] if len(inputs) > 1 else None}
    with numpy.errstate(all="ignore"):
        out = eval(expression, scope)
        gradient = library.full(tuple(out.shape), upstream, dtype=out.dtype)
        grads = library.autograd.grad(out, inputs, gradient, allow_unused=True)
    return [None if g is None else g.tolist() for g in grads]


@pytest.mark.parametrize("expression, values, upstream, expected",
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_gradient_matches_pytorch(expression, values, upstream, expected):
    ours = _gradients(tl, F, expression, values, upstream)
    numpy.testing.assert_allclose(ours, expected, rtol=1e-12)
    if torch is not None:
        reference = _gradients(torch, torch.nn.functional, expression, values, upstream)
        numpy.testing.assert_allclose(reference, expected, rtol=1e-12)


def test_masked_gradients_stay_differentiable():
    """Selecting the gradient must not cut the graph: second derivatives still flow."""
    x = tl.tensor([-1.0, 0.5, 2.0], dtype=tl.float64, requires_grad=True)
    out = (F.relu(x) ** 3 + x.clamp(0, 1) ** 2 + tl.maximum(x, tl.zeros(3, dtype=tl.float64)) ** 2)
    (grad,) = tl.autograd.grad(out.sum(), x, create_graph=True)
    (second,) = tl.autograd.grad(grad.sum(), x)
    assert second.tolist() == [0.0, 6 * 0.5 + 2 + 2, 6 * 2.0 + 2]
