"""Tests for tinygrad_lite/ops/join.py: cat, stack, split, chunk, narrow, unbind."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, dtype_name, requires_torch, torch


def _library(x):
    return tl if isinstance(x, tl.Tensor) else torch


# name -> (shapes, op written once for both libraries via _library)
JOINS = {
    "cat 0": (((2, 3), (4, 3)), lambda a, b: _library(a).cat([a, b])),
    "cat 1": (((2, 3), (2, 1)), lambda a, b: _library(a).cat((a, b), dim=1)),
    "cat -1 three": (((2, 3), (2, 2)), lambda a, b: _library(a).cat([a, b, a], -1)),
    "concat": (((2, 3), (1, 3)), lambda a, b: _library(a).concat([a, b], 0)),
    "stack 0": (((2, 3), (2, 3)), lambda a, b: _library(a).stack([a, b])),
    "stack 1": (((2, 3), (2, 3)), lambda a, b: _library(a).stack([a, b], 1)),
    "stack -1": (((2, 3), (2, 3)), lambda a, b: _library(a).stack((a, b, a), dim=-1)),
    "stack 0-d": (((), ()), lambda a, b: _library(a).stack([a, b])),
}

SPLITS = {
    "split int": ((7, 2), lambda x: _library(x).split(x, 3)),
    "split int dim": ((2, 5), lambda x: x.split(2, dim=1)),
    "split list": ((6, 2), lambda x: _library(x).split(x, [1, 2, 3])),
    "split exact": ((6, 2), lambda x: x.split(3)),
    "chunk": ((7, 2), lambda x: _library(x).chunk(x, 3)),
    "chunk even": ((6, 2), lambda x: x.chunk(3)),
    "chunk fewer pieces": ((6, 2), lambda x: x.chunk(4)),
    "chunk more than size": ((2, 5), lambda x: x.chunk(10, dim=1)),
    "chunk dim -1": ((2, 5), lambda x: x.chunk(2, -1)),
    "unbind": ((3, 2), lambda x: _library(x).unbind(x)),
    "unbind 1": ((3, 2), lambda x: x.unbind(1)),
    "narrow": ((5, 3), lambda x: x.narrow(0, 1, 3)),
    "narrow fn": ((5, 3), lambda x: _library(x).narrow(x, 1, 2, 1)),
}


@pytest.mark.parametrize("name", list(JOINS))
def test_join_gradcheck(name):
    shapes, op = JOINS[name]
    check_gradcheck(op, *shapes)


@requires_torch
@pytest.mark.parametrize("name", list(JOINS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_join_parity(name, dtype):
    shapes, op = JOINS[name]
    check_parity(op, op, *shapes, dtype=dtype)


@pytest.mark.parametrize("name", list(SPLITS))
def test_split_gradcheck(name):
    shape, op = SPLITS[name]
    check_gradcheck(lambda x: _as_tuple(op(x)), shape)


def _as_tuple(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


@requires_torch
@pytest.mark.parametrize("name", list(SPLITS))
def test_split_parity(name):
    shape, op = SPLITS[name]
    check_parity(lambda x: _as_tuple(op(x)), lambda x: _as_tuple(op(x)), shape)


@requires_torch
@pytest.mark.parametrize("size, chunks", [(0, 3), (1, 3), (5, 3), (5, 5), (7, 2), (4, 8)])
def test_chunk_sizes_match_torch(size, chunks):
    ours = [piece.shape for piece in tl.ones(size, 2).chunk(chunks)]
    theirs = [tuple(piece.shape) for piece in torch.ones(size, 2).chunk(chunks)]
    assert ours == theirs


@requires_torch
@pytest.mark.parametrize("first, second", [("int32", "float32"), ("float16", "float64"),
                                           ("bool", "int64"), ("int32", "int64")])
def test_cat_promotes_like_torch(first, second):
    ours = tl.cat([tl.ones(2, dtype=getattr(tl, first)), tl.ones(2, dtype=getattr(tl, second))])
    theirs = torch.cat([torch.ones(2, dtype=getattr(torch, first)),
                        torch.ones(2, dtype=getattr(torch, second))])
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)


def test_split_pieces_are_views_that_carry_gradient_only_where_used():
    x = tl.tensor(numpy.arange(6.0), requires_grad=True)
    first, second = x.split([2, 4])
    (second * 3.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize("op, message", [
    (lambda: tl.cat([]), "non-empty"),
    (lambda: tl.cat([tl.ones(2, 3), tl.ones(3, 2)]), r"\[3, 2\]"),
    (lambda: tl.cat([tl.ones(2, 3), tl.ones(2)]), "tensor 1"),
    (lambda: tl.stack([tl.ones(2), tl.ones(3)]), r"\[3\]"),
    (lambda: tl.stack([]), "non-empty"),
    (lambda: tl.ones(5).split([2, 2]), "sum to 4"),
    (lambda: tl.ones(5).split(0), "positive"),
    (lambda: tl.ones(5).chunk(0), "positive"),
    (lambda: tl.cat([tl.ones(2)], dim=1), "range"),
])
def test_join_errors_are_clear(op, message):
    with pytest.raises((RuntimeError, IndexError), match=message):
        op()


@requires_torch
@pytest.mark.parametrize("shape, dim, start, length", [((5,), 0, -2, 2), ((2, 4), 1, -4, 3), ((5,), 0, 5, 0)],
                         ids=str)
def test_narrow_counts_a_negative_start_from_the_end(shape, dim, start, length):
    check_parity(lambda x: x.narrow(dim, start, length), lambda x: x.narrow(dim, start, length), shape)


@pytest.mark.parametrize("start, length, error", [(-6, 2, IndexError), (4, 2, RuntimeError), (0, -1, RuntimeError)])
def test_narrow_out_of_range_raises_like_pytorch(start, length, error):
    with pytest.raises(error, match="narrow"):
        tl.arange(5).narrow(0, start, length)


@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((3, 0), 1)])
def test_unbind_of_an_empty_dim_gives_no_pieces(shape, dim):
    assert tl.zeros(*shape).unbind(dim) == ()


@requires_torch
@pytest.mark.parametrize("make, dim", [
    (lambda lib: [lib.ones(2, 3), lib.zeros(0), lib.ones(1, 3)], 0),
    (lambda lib: [lib.zeros(0), lib.zeros(0)], 1),
    (lambda lib: [lib.zeros(0, dtype=lib.int64), lib.ones(2, 3)], -1),
], ids=["between matrices", "all legacy empty", "promotes with the skipped one"])
def test_cat_skips_1d_empty_tensors_like_pytorch(make, dim):
    ours, theirs = tl.cat(make(tl), dim), torch.cat(make(torch), dim)
    assert tuple(ours.shape) == tuple(theirs.shape) and dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_narrow_refuses_a_start_at_the_end_with_a_length():
    with pytest.raises(RuntimeError, match="exceeds"):
        tl.zeros(2, 0, 1).narrow(2, 1, 1)


def test_legacy_empty_tensors_in_cat_get_their_empty_gradient():
    full, empty = tl.tensor([1.0], requires_grad=True), tl.zeros(0, requires_grad=True)
    tl.cat([full, full, empty]).sum().backward()
    assert empty.grad.shape == (0,) and full.grad.tolist() == [2.0]
