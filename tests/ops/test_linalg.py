"""Tests for tinygrad_lite/ops/linalg.py: matmul (1-D, 2-D, batched, broadcast), mm, bmm, dot, einsum."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch

MATMUL_SHAPES = [
    ((3,), (3,)),            # dot -> 0-d
    ((3,), (3, 4)),          # vector @ matrix
    ((2, 3), (3,)),          # matrix @ vector
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),     # batched @ matrix
    ((3,), (5, 3, 4)),       # vector @ batched
    ((5, 2, 3), (3,)),       # batched @ vector
    ((5, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),  # broadcast batch dims
    ((1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradcheck(shapes):
    check_gradcheck(lambda a, b: a @ b, *shapes)


@requires_torch
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_matmul_parity(shapes, dtype):
    check_parity(lambda a, b: a @ b, lambda a, b: a @ b, *shapes, dtype=dtype, rtol=1e-5, atol=1e-5)
    check_parity(tl.matmul, torch.matmul, *shapes, dtype=dtype, rtol=1e-5, atol=1e-5)


NAMED = {
    "mm": (tl.mm, lambda a, b: torch.mm(a, b), ((2, 3), (3, 4))),
    "bmm": (tl.bmm, lambda a, b: torch.bmm(a, b), ((2, 2, 3), (2, 3, 4))),
    "dot": (tl.dot, lambda a, b: torch.dot(a, b), ((3,), (3,))),
    "method mm": (lambda a, b: a.mm(b), lambda a, b: a.mm(b), ((2, 3), (3, 1))),
    "method matmul": (lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), ((2, 3), (3, 1))),
}


@requires_torch
@pytest.mark.parametrize("name", list(NAMED))
def test_named_products(name):
    ours, theirs, shapes = NAMED[name]
    check_parity(ours, theirs, *shapes)
    check_gradcheck(ours, *shapes)


@pytest.mark.parametrize("op, shapes, message", [
    (tl.matmul, ((2, 3), (4, 5)), "cannot be multiplied"),
    (tl.matmul, ((), (3,)), "at least 1 dimension"),
    (tl.mm, ((2, 3, 4), (4, 2)), "2-D"),
    (tl.bmm, ((2, 3), (3, 2)), "3-D"),
    (tl.dot, ((2, 3), (3,)), "1-D"),
], ids=["inner mismatch", "0-d", "mm rank", "bmm rank", "dot rank"])
def test_product_shape_errors_name_the_shapes(op, shapes, message):
    a, b = (tl.ones(*shape) for shape in shapes)
    with pytest.raises(RuntimeError, match=message):
        op(a, b)


def test_matmul_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4, 5\]"):
        tl.ones(2, 3) @ tl.ones(4, 5)


def test_matmul_with_a_non_tensor_raises_type_error():
    with pytest.raises(TypeError):
        tl.ones(2, 2) @ [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize("op, shapes", [
    (tl.matmul, ((2, 3), (3, 2))), (tl.mm, ((2, 3), (3, 2))), (tl.bmm, ((1, 2, 3), (1, 3, 2))),
    (tl.dot, ((3,), (3,))), (lambda a, b: tl.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2))),
], ids=["matmul", "mm", "bmm", "dot", "einsum"])
@pytest.mark.parametrize("dtypes", [(tl.float32, tl.float64), (tl.float16, tl.float32),
                                    (tl.int32, tl.int64)], ids=["f32 f64", "f16 f32", "i32 i64"])
def test_products_of_different_float_or_int_dtypes_are_refused(op, shapes, dtypes):
    a, b = (tl.ones(*shape, dtype=dtype) for shape, dtype in zip(shapes, dtypes))
    with pytest.raises(RuntimeError, match="same dtype"):
        op(a, b)


def test_products_of_bool_matrices_are_not_implemented():
    def ones(*shape):
        return tl.ones(*shape, dtype=tl.bool)

    for a, b in [((2, 3), (3, 2)), ((3,), (3,))]:
        with pytest.raises(NotImplementedError, match="bool"):
            ones(*a) @ ones(*b)
    with pytest.raises(NotImplementedError, match="bool"):
        tl.einsum("ij,jk->ik", ones(2, 2), ones(2, 2))
    # As in PyTorch: no kernel runs for an empty product, and einsum without a contraction works.
    assert (ones(2, 0) @ ones(0, 2)).tolist() == [[False, False], [False, False]]
    assert (ones(1, 2) @ ones(2, 0)).shape == (1, 0)
    assert tl.einsum("i,i->i", ones(2), ones(2)).tolist() == [True, True]
    summed = tl.einsum("i->", ones(2))
    assert summed.dtype == tl.int64 and summed.item() == 2


def test_integers_mixed_with_floats_are_promoted():
    """Deliberate difference (README): PyTorch refuses int with float in matmul and einsum."""
    a, b = tl.ones(2, 3), tl.ones(3, 2, dtype=tl.int64)
    assert (a @ b).dtype == tl.float32 and tl.einsum("ij,jk->ik", b.mT, a.mT).dtype == tl.float32


def test_matmul_of_integers_stays_integer():
    result = tl.tensor([[1, 2]]) @ tl.tensor([[3], [4]])
    assert result.dtype == tl.int64 and result.tolist() == [[11]]


EINSUMS = {
    "matmul": ("ij,jk->ik", ((2, 3), (3, 4))),
    "batched": ("bij,bjk->bik", ((2, 2, 3), (2, 3, 4))),
    "ellipsis batch": ("...ij,jk->...ik", ((2, 2, 3), (3, 4))),
    "ellipsis both": ("...ij,...jk->...ik", ((2, 1, 2, 3), (3, 3, 2))),
    "ellipsis implicit": ("...ij,jk", ((2, 2, 3), (3, 4))),
    "outer": ("i,j->ij", ((3,), (4,))),
    "dot": ("i,i->", ((3,), (3,))),
    "transpose": ("ij->ji", ((2, 3),)),
    "sum all": ("ij->", ((2, 3),)),
    "implicit output": ("ij,jk", ((2, 3), (3, 4))),
    "summed in one operand only": ("bij,jk->bi", ((2, 3, 4), (4, 5))),
    "summed in first only": ("ij,k->jk", ((2, 3), (4,))),
    "three operands": ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
    "attention": ("bhqd,bhkd->bhqk", ((1, 2, 3, 4), (1, 2, 5, 4))),
    "spaces": ("i j , j k -> i k", ((2, 3), (3, 2))),
    "diagonal": ("ii->i", ((3, 3),)),
    "trace": ("ii", ((3, 3),)),
    "diagonal of 3-d": ("iij->ij", ((3, 3, 2),)),
    "diagonal of the second operand": ("ij,jj->i", ((2, 3), (3, 3))),
    "batched diagonal": ("...ii->...i", ((2, 2, 2),)),
    "triple diagonal": ("iii->i", ((2, 2, 2),)),
    "split diagonal": ("iji->j", ((2, 3, 2),)),
    "two diagonals": ("ii,jj->ij", ((2, 2), (3, 3))),
    "ellipsis broadcast size 1": ("i...,i...->i", ((2, 3), (2, 1))),
    "ellipsis broadcast first": ("i...,i...->i", ((2, 1), (2, 3))),
    "ellipsis broadcast batch": ("...j,...j->...", ((2, 1, 3), (4, 3))),
}


@pytest.mark.parametrize("name", list(EINSUMS))
def test_einsum_gradcheck(name):
    equation, shapes = EINSUMS[name]
    check_gradcheck(lambda *ops: tl.einsum(equation, *ops), *shapes)


@requires_torch
@pytest.mark.parametrize("name", list(EINSUMS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_einsum_parity(name, dtype):
    equation, shapes = EINSUMS[name]
    check_parity(lambda *ops: tl.einsum(equation, *ops), lambda *ops: torch.einsum(equation, *ops),
                 *shapes, dtype=dtype, rtol=1e-5, atol=1e-5)


def test_einsum_accepts_a_list_of_operands():
    a, b = tl.ones(2, 3), tl.ones(3, 4)
    assert tl.einsum("ij,jk->ik", [a, b]).tolist() == [[3.0] * 4] * 2


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", ((2, 3),), "operands"),
    ("ijk,jk->ik", ((2, 3), (3, 4)), "shape"),
    ("ii->i", ((2, 3),), "sizes don't match"),
])
def test_einsum_errors(equation, shapes, message):
    with pytest.raises(RuntimeError, match=message):  # PyTorch's exception type
        tl.einsum(equation, *(tl.ones(*shape) for shape in shapes))


def test_matmul_batch_dims_that_do_not_broadcast_raise_naming_the_shapes():
    with pytest.raises(RuntimeError, match=r"batch dims of shapes \[2, 3, 4\] and \[3, 4, 5\]"):
        tl.randn(2, 3, 4) @ tl.randn(3, 4, 5)
    assert (tl.randn(2, 1, 3, 4) @ tl.randn(5, 4, 5)).shape == (2, 5, 3, 5)


@pytest.mark.parametrize("dtype", [tl.uint8, tl.int32, tl.bool])
def test_einsum_sum_of_one_integer_operand_is_int64(dtype):
    result = tl.einsum("ij->", tl.ones(2, 3, dtype=dtype))
    assert result.dtype == tl.int64 and result.item() == 6
    assert tl.einsum("ij,jk->ik", tl.ones(2, 2, dtype=tl.int32), tl.ones(2, 2, dtype=tl.int32)).dtype \
        == tl.int32


def test_einsum_gradient_of_an_operand_broadcast_against_an_empty_one():
    x = tl.zeros(1, 1, 1, requires_grad=True)
    tl.einsum("i...,i...->i", tl.zeros(1, 0, 1), x).sum().backward()
    assert x.grad.tolist() == [[[0.0]]]


def test_matmul_keeps_only_the_factor_the_needed_gradient_reads():
    data, weight = tl.ones(2, 3), tl.ones(3, 4, requires_grad=True)
    out = data @ weight
    with tl.no_grad():
        weight.mul_(2.0)  # only data's gradient would read the weight: none is asked for
    out.sum().backward()
    assert weight.grad.tolist() == [[2.0] * 4] * 3
    out = data @ weight
    data.add_(1.0)  # the weight's gradient reads data: PyTorch raises, so do we
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


def test_bmm_does_not_broadcast_the_batch():
    with pytest.raises(RuntimeError, match="batch sizes differ"):
        tl.bmm(tl.ones(3, 1, 3), tl.ones(1, 3, 1))
    assert tl.matmul(tl.ones(3, 1, 3), tl.ones(1, 3, 1)).shape == (3, 1, 1)


@pytest.mark.parametrize("equation, shape", [("ijk->kji", (1, 2, 3)), ("ij->ji", (2, 3)),
                                             ("...ij->...ji", (2, 1, 3)), ("ij->ij", (2, 3))])
def test_einsum_of_one_operand_that_only_permutes_is_a_view(equation, shape):
    # As in PyTorch: writing through it writes the operand, and a leaf's view refuses in place.
    x = tl.zeros(shape)
    tl.einsum(equation, x).fill_(2.0)
    assert x.tolist() == numpy.full(shape, 2.0).tolist()
    leaf = tl.zeros(shape, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        tl.einsum(equation, leaf).fill_(3.0)


def test_einsum_view_passes_requires_grad_of_an_in_place_value_to_the_operand():
    # Fuzz case 71087: x.mul_(leaf) makes x's einsum view require grad too (PyTorch).
    x = tl.tensor([[[-1.0]]])
    view = tl.einsum("ijk->kji", x)
    x.mul_(tl.tensor([[[2.0]]], requires_grad=True))
    assert view.requires_grad and view.tolist() == [[[-2.0]]]


@pytest.mark.parametrize("equation, operands, expected", [
    # a summed letter held by one operand only is summed first: sum(a) * sum(b), -inf not NaN
    ("i...,i...->i", ([[[2.0], [-1.0]]], [[[2.0, 1.0, -float("inf")]]]), [-float("inf")]),
    # nothing summed: a product, which keeps -0.0 (NumPy's einsum accumulates from +0.0)
    ("ij,ij->i", ([[-0.0]], [[1.0]]), [-0.0]),
    ("i,j->ij", ([-1.0, 1.0], [1.0, -0.0]), [[-1.0, 0.0], [1.0, -0.0]]),
], ids=["presummed", "size-1 contraction", "outer"])
@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_einsum_meets_infinities_and_signed_zeros_as_pytorch(equation, operands, expected, dtype):
    result = tl.einsum(equation, *(tl.tensor(o, dtype=getattr(tl, dtype)) for o in operands))
    numpy.testing.assert_array_equal(result.numpy(), numpy.array(expected, dtype=dtype))
    assert numpy.array_equal(numpy.signbit(result.numpy()), numpy.signbit(numpy.array(expected)))


@requires_torch
@pytest.mark.parametrize("equation, shapes", [("i...,i...->i", [(2, 2, 1), (2, 1, 3)]),
                                              ("ij,jk->ik", [(2, 1), (1, 3)]),
                                              ("ij,j->i", [(2, 3), (1,)])])
def test_presummed_einsum_gradients_match_pytorch(equation, shapes):
    check_parity(lambda *xs: tl.einsum(equation, *xs), lambda *xs: torch.einsum(equation, *xs),
                 *shapes)


def test_einsum_summing_a_size_1_letter_of_one_operand_is_a_copy():
    # Fuzz seed 0 case 648: PyTorch sums (a new tensor), so writing it in place is allowed.
    leaf = tl.zeros(1, 1, requires_grad=True)
    summed = tl.einsum("ij->j", leaf)
    summed.masked_fill_(tl.tensor([True]), 1.0)
    assert summed.tolist() == [1.0] and leaf.tolist() == [[0.0]]
