"""Tests for tinygrad_lite/ops/indexing.py: x[...], x[...] = v, gather, scatter_add, index_select,
masked_fill, tril/triu."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch


def _library(x):
    return tl if isinstance(x, tl.Tensor) else torch


def _long(x, values):
    """An int64 index tensor of the same library as ``x``."""
    return _library(x).tensor(values)


# name -> (shape, index builder given the tensor). Indices are built per library so tensor
# indices are tl.Tensors on our side and torch.Tensors on theirs.
INDEXES = {
    "int": ((3, 4), lambda x: x[1]),
    "negative int": ((3, 4), lambda x: x[-1]),
    "two ints": ((3, 4), lambda x: x[2, -3]),
    "slice": ((5, 4), lambda x: x[1:4]),
    "slice step": ((5, 4), lambda x: x[::2, 1::2]),
    "negative slice bounds": ((5, 4), lambda x: x[-3:-1, :-1]),
    "None": ((3, 4), lambda x: x[None, :, None]),
    "Ellipsis": ((2, 3, 4), lambda x: x[..., 1]),
    "Ellipsis None": ((2, 3, 4), lambda x: x[None, ..., 1:]),
    "int list": ((4, 3), lambda x: x[[0, 2, 3]]),
    "int tensor": ((4, 3), lambda x: x[_long(x, [3, 0])]),
    "negative tensor": ((4, 3), lambda x: x[_long(x, [-1, -4])]),
    "2-d int tensor": ((4, 3), lambda x: x[_long(x, [[0, 1], [2, 3]])]),
    "0-d int tensor": ((4, 3), lambda x: x[_long(x, 2)]),
    "repeated indices": ((4, 3), lambda x: x[[1, 1, 2, 1]]),
    "two tensors": ((4, 3), lambda x: x[_long(x, [0, 2, 2]), _long(x, [1, 0, 1])]),
    "slice then list": ((4, 3), lambda x: x[1:, [0, 2]]),
    "list then None": ((4, 3), lambda x: x[[0, 1], :, None]),
    "bool mask": ((3, 4), lambda x: x[x > 0]),
    "bool row mask": ((3, 4), lambda x: x[_library(x).tensor([True, False, True])]),
    "bool mask then slice": ((3, 4), lambda x: x[_library(x).tensor([True, False, True]), 1:]),
    "int and list": ((2, 3, 4), lambda x: x[1, [0, 2], 1:3]),
    "ellipsis and tensor": ((2, 3, 4), lambda x: x[..., _long(x, [3, 3, 0])]),
    # PyTorch applies ints before advanced indices: x[0, :, [1, 2]] is x[0][:, [1, 2]], (3, 2)
    "int, slice, list": ((2, 3, 4), lambda x: x[0, :, [1, 2]]),
    "negative int, ellipsis, tensor, None": ((2, 3, 4), lambda x: x[-1, ..., _long(x, [1, 2]), None]),
    "0-d tensor as int": ((2, 3, 4), lambda x: x[_long(x, 1), :, [0, 3]]),
    "list, int, list": ((2, 3, 4), lambda x: x[[0, 1], 2, [1, 3]]),
    "list, None, list": ((2, 3, 4), lambda x: x[[0, 1], None, [1, 2]]),
    "mask between ints": ((2, 3, 4), lambda x: x[1, _library(x).tensor([True, False, True]), 2]),
    "nested list is a tuple": ((2, 3), lambda x: x[[[0, 1], [1, 0]]]),
    "empty list": ((2, 3), lambda x: x[[]]),
    "byte mask": ((3,), lambda x: x[_library(x).tensor([1, 0, 1], dtype=_library(x).uint8)]),
    "True": ((2, 3), lambda x: x[True]),
    "None, int, True": ((2, 3), lambda x: x[None, 0, True]),
    "2-d mask": ((2, 3, 4), lambda x: x[_library(x).tensor([[True, False, True], [False, False, True]])]),
}


@pytest.mark.filterwarnings("ignore:.*deprecated")  # legacy forms are tested on purpose
@pytest.mark.parametrize("name", list(INDEXES))
def test_getitem_gradcheck(name):
    shape, op = INDEXES[name]
    check_gradcheck(op, shape)


@pytest.mark.filterwarnings("ignore:.*deprecated")  # legacy forms are tested on purpose
@requires_torch
@pytest.mark.parametrize("name", list(INDEXES))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_getitem_parity(name, dtype):
    shape, op = INDEXES[name]
    check_parity(op, op, shape, dtype=dtype)


@requires_torch
@pytest.mark.parametrize("index", [(0, slice(None), [1, 2]), (-1, Ellipsis, [1, 2], None), (1, [0, 2], 1),
                                   ([0, 1], 0, [2, 1])], ids=str)
def test_setitem_with_mixed_indices_matches_pytorch(index):
    ours, theirs = tl.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    shape = tuple(theirs[index].shape)
    value = numpy.arange(1.0, 1.0 + numpy.prod(shape)).reshape(shape)
    ours[index] = tl.tensor(value, dtype=tl.float32)
    theirs[index] = torch.tensor(value, dtype=torch.float32)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("index", [slice(None, None, -1), (0, slice(2, 0, -1)), slice(None, None, 0)], ids=str)
def test_slices_with_non_positive_steps_raise_value_error_like_pytorch(index):
    x = tl.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[index]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[index] = 1.0


@pytest.mark.parametrize("index, message", [
    ((0, 0, 0), "too many indices"), ((Ellipsis, 0, Ellipsis), "single ellipsis"),
    (0.5, "valid indices"), ("a", "valid indices")], ids=str)
def test_bad_indices_raise_index_error(index, message):
    with pytest.raises(IndexError, match=message):
        tl.ones(2, 3)[index]


def test_basic_indexing_returns_views_even_for_a_single_element():
    x = tl.zeros(2, 3)
    element, row = x[1, 2], x[0]
    element.add_(5.0)
    row[1:].fill_(2.0)
    assert x.tolist() == [[0.0, 2.0, 2.0], [0.0, 0.0, 5.0]]
    assert x[[0, 1]]._base is None  # advanced indexing copies


def test_an_index_tensor_changed_before_backward_makes_it_raise():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = tl.tensor([0, 2])
    picked = x[index] * 2.0
    index[0] = 1
    with pytest.raises(RuntimeError, match="kept"):
        picked.sum().backward()


@requires_torch
@pytest.mark.parametrize("shape, dim, index", [((0, 3), 0, []), ((3, 0), 1, []), ((0, 3), 1, [0, 2]),
                                               ((3, 0), 0, [1, 1]), ((2, 3), 1, [])], ids=str)
def test_index_select_on_zero_size_inputs_matches_pytorch(shape, dim, index):
    check_parity(lambda x: x.index_select(dim, tl.tensor(index, dtype=tl.int64)),
                 lambda x: x.index_select(dim, torch.tensor(index, dtype=torch.int64)), shape)


@requires_torch
@pytest.mark.parametrize("op", [lambda lib, x: x.gather(0, lib.tensor(0)),
                                lambda lib, x: x.scatter_add(0, lib.tensor(0), x * 2.0)],
                         ids=["gather", "scatter_add"])
def test_gather_and_scatter_add_on_0d_tensors(op):
    check_parity(lambda x: op(tl, x), lambda x: op(torch, x), ())


def test_repeated_indices_accumulate_gradients():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[tl.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_integer_tensor_index_on_a_0d_result_and_item():
    x = tl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x[1, 0].item() == 3.0
    assert x[tl.tensor(1), tl.tensor(1)].shape == ()


@pytest.mark.parametrize("index", [5, -4, (0, 9), [0, 3], "tensor", "negative tensor", (slice(None), [1, 7])],
                         ids=str)
def test_out_of_range_index_raises_index_error_naming_index_and_size(index):
    x = tl.ones(3, 4)
    if index == "tensor":
        index = tl.tensor([0, 3])
    elif index == "negative tensor":
        index = tl.tensor([-4])
    with pytest.raises(IndexError, match=r"index -?\d+ is out of bounds.*size [34]"):
        x[index]


def test_bool_mask_of_the_wrong_shape_raises():
    with pytest.raises(IndexError):
        tl.ones(3, 4)[tl.tensor([True, False])]


def test_float_tensor_index_raises():
    with pytest.raises(IndexError, match="float32"):
        tl.ones(3)[tl.tensor([0.0])]


# ----- __setitem__ -------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("index, value", [
    (1, 7.0), ((0, 2), -1.0), (slice(1, None), 5), ([0, 2], 9.0), ("mask", 0.0),
    ((slice(None), 1), "row"), (Ellipsis, 2.5), (-1, "tensor")], ids=str)
def test_setitem_on_tensors_without_grad(index, value):
    data = numpy.arange(12.0).reshape(3, 4)
    ours, theirs = tl.tensor(data), torch.tensor(data)
    if index == "mask":
        our_index, their_index = ours > 5, theirs > 5
    else:
        our_index = their_index = index
    if value == "row":
        our_value, their_value = tl.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    elif value == "tensor":
        our_value, their_value = tl.tensor(4.0), torch.tensor(4.0)
    else:
        our_value = their_value = value
    ours[our_index] = our_value
    theirs[their_index] = their_value
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == tl.float64


def test_setitem_is_seen_through_views():
    x = tl.zeros(2, 3)
    view = x[1]
    x[1, 2] = 4.0
    assert view.tolist() == [0.0, 0.0, 4.0]
    view[0] = 1.0
    assert x.tolist()[1] == [1.0, 0.0, 4.0]


def test_setitem_on_a_leaf_requiring_grad_raises_clear_error():
    x = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[0] = 2.0
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[[0, 2]] = 2.0


@requires_torch
@pytest.mark.parametrize("index", [1, (slice(None), 0), [0, 2], "mask", (0, [1, 2]), (Ellipsis, None, 1)],
                         ids=["int", "column", "list", "mask", "int and list", "ellipsis none"])
def test_setitem_inside_the_graph_gives_pytorchs_values_and_gradients(index):
    results = []
    for lib in (tl, torch):
        x = lib.tensor(numpy.arange(12.0).reshape(3, 4), requires_grad=True)
        value = lib.tensor(numpy.linspace(-1.0, 1.0, 8), requires_grad=True)
        h = x * 2.0
        where = h > 7 if index == "mask" else index
        selected = h[where].shape
        h[where] = value[: selected[-1]] if len(selected) else value[0]
        (h * lib.tensor(numpy.arange(12.0).reshape(3, 4))).sum().backward()
        results.append([h.detach().numpy().copy(), x.grad.numpy(), value.grad.numpy()])
    for ours, theirs in zip(*results):
        numpy.testing.assert_allclose(ours, theirs)


def test_setitem_under_no_grad_is_allowed_on_a_parameter():
    x = tl.ones(3, requires_grad=True)
    with tl.no_grad():
        x[0] = 5.0
    assert x.tolist() == [5.0, 1.0, 1.0]
    assert x.requires_grad and x.is_leaf


def test_setitem_bumps_the_version_so_saved_tensors_are_checked():
    x = tl.ones(3, requires_grad=True)
    y = x.detach()
    z = (x * y).sum()
    y[0] = 3.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_setitem_out_of_range_raises_index_error():
    with pytest.raises(IndexError, match="3"):
        tl.zeros(3)[3] = 1.0


# ----- gather / scatter_add / index_select -------------------------------------------------------
GATHER_INDEX = numpy.array([[0, 2, 1, 0], [2, 2, 0, 1]])
ROWS = numpy.array([2, 0, 2])

TABLE_OPS = {
    "gather dim 0": ((3, 4), lambda x: x.gather(0, _long(x, GATHER_INDEX.tolist()))),
    "gather dim 1": ((2, 3), lambda x: _library(x).gather(x, 1, _long(x, [[0, 0, 2], [1, 2, 1]]))),
    "gather smaller index": ((3, 4), lambda x: x.gather(1, _long(x, [[3], [0]]))),
    "gather dim -1 3-d": ((2, 2, 3), lambda x: x.gather(-1, _long(x, [[[2], [0]], [[1], [1]]]))),
    "index_select 0": ((3, 4), lambda x: x.index_select(0, _long(x, ROWS.tolist()))),
    "index_select 1": ((3, 4), lambda x: _library(x).index_select(x, 1, _long(x, [3, 3, 0]))),
    "index_select 0-d index": ((3, 4), lambda x: x.index_select(1, _long(x, 2))),
}


@pytest.mark.parametrize("name", list(TABLE_OPS))
def test_table_op_gradcheck(name):
    shape, op = TABLE_OPS[name]
    check_gradcheck(op, shape)


@requires_torch
@pytest.mark.parametrize("name", list(TABLE_OPS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_table_op_parity(name, dtype):
    shape, op = TABLE_OPS[name]
    check_parity(op, op, shape, dtype=dtype)


SCATTERS = {
    "dim 0": (0, [[0, 1, 2, 0], [0, 0, 0, 2]], (3, 4), (2, 4)),
    "dim 1 repeats": (1, [[0, 0, 0], [1, 3, 1]], (2, 4), (2, 3)),
    "src larger than index": (1, [[1], [0]], (2, 4), (2, 3)),
}


@pytest.mark.parametrize("name", list(SCATTERS))
def test_scatter_add_gradcheck(name):
    dim, index, shape, src_shape = SCATTERS[name]
    check_gradcheck(lambda x, src: x.scatter_add(dim, tl.tensor(index), src), shape, src_shape)


@requires_torch
# PyTorch's own backward fails when src is larger than index, so that case is gradcheck-only.
@pytest.mark.parametrize("name", [name for name in SCATTERS if name != "src larger than index"])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_scatter_add_parity(name, dtype):
    dim, index, shape, src_shape = SCATTERS[name]
    op = lambda x, src: _library(x).scatter_add(x, dim, _long(x, index), src)  # noqa: E731
    check_parity(op, op, shape, src_shape, dtype=dtype)


@pytest.mark.parametrize("bad", [-1, 3, 10])
@pytest.mark.parametrize("op", ["gather", "index_select", "scatter_add"])
def test_table_ops_refuse_out_of_range_indices(op, bad):
    x = tl.ones(3, 2)
    with pytest.raises(IndexError, match=rf"index {bad} is out of bounds.*size 3"):
        if op == "gather":
            x.gather(0, tl.tensor([[0, bad]]))
        elif op == "index_select":
            x.index_select(0, tl.tensor([0, bad]))
        else:
            x.scatter_add(0, tl.tensor([[bad, 0]]), tl.ones(1, 2))


@pytest.mark.parametrize("op", [
    lambda x: x.gather(0, tl.tensor([[0.0, 1.0]])),
    lambda x: x.gather(0, [[0, 1]]),
    lambda x: x.index_select(0, tl.tensor([0.5])),
    lambda x: x.scatter_add(0, tl.tensor([[True, False]]), tl.ones(1, 2)),
], ids=["float gather", "list gather", "float index_select", "bool scatter"])
def test_table_ops_require_integer_index(op):
    with pytest.raises(TypeError, match="integer"):
        op(tl.ones(3, 2))


def test_table_op_shape_errors():
    x = tl.ones(3, 2)
    with pytest.raises(RuntimeError, match="dims"):
        x.gather(0, tl.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="exceeds"):
        x.gather(0, tl.tensor([[0, 1, 0]]))
    with pytest.raises(IndexError, match="1-D"):
        x.index_select(0, tl.tensor([[0]]))
    with pytest.raises(RuntimeError, match="dtype"):
        x.scatter_add(0, tl.tensor([[0, 1]]), tl.ones(1, 2, dtype=tl.float64))


def test_scatter_add_accumulates_repeated_indices():
    result = tl.zeros(3).scatter_add(0, tl.tensor([0, 0, 2, 0]), tl.tensor([1.0, 2.0, 3.0, 4.0]))
    assert result.tolist() == [7.0, 0.0, 3.0]


def test_gather_and_index_select_return_the_input_dtype():
    x = tl.tensor([[1, 2], [3, 4]])
    assert x.gather(1, tl.tensor([[1], [0]])).tolist() == [[2], [3]]
    assert x.index_select(0, tl.tensor([1])).dtype == tl.int64


# ----- masked_fill / tril / triu -------------------------------------------------------------------
MASKED = {
    "same shape": ((3, 4), lambda x: x.masked_fill(x > 0, 0.5)),
    "broadcast row mask": ((3, 4), lambda x: x.masked_fill(_library(x).tensor([True, False, False, True]), -2.0)),
    "broadcast column mask": ((3, 4), lambda x: x.masked_fill(_library(x).tensor([[True], [False], [True]]), 1)),
    "-inf": ((3, 4), lambda x: x.masked_fill(x < 0, float("-inf")).clamp(min=-5.0)),
    "0-d tensor value": ((3, 4), lambda x: x.masked_fill(x > 0, _library(x).tensor(3.0))),
    "tl.masked_fill": ((3, 4), lambda x: _library(x).masked_fill(x, x > 0.5, 0.0)),
}


@pytest.mark.parametrize("name", list(MASKED))
def test_masked_fill_gradcheck(name):
    shape, op = MASKED[name]
    check_gradcheck(op, shape)


@requires_torch
@pytest.mark.parametrize("name", list(MASKED))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_masked_fill_parity(name, dtype):
    shape, op = MASKED[name]
    check_parity(op, op, shape, dtype=dtype)


def test_masked_fill_with_a_value_that_requires_grad():
    x = tl.tensor([1.0, -1.0, 2.0], requires_grad=True)
    value = tl.tensor(5.0, requires_grad=True)
    result = x.masked_fill(x < 0, value)
    assert result.tolist() == [1.0, 5.0, 2.0]
    result.sum().backward()
    assert value.grad.item() == 1.0 and x.grad.tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("mask, error", [
    (tl.tensor([1, 0, 1]), TypeError), ([True, False, True], TypeError),
    (tl.tensor([True, False]), RuntimeError),
], ids=["int mask", "list mask", "wrong length"])
def test_masked_fill_rejects_bad_masks(mask, error):
    with pytest.raises(error, match="mask"):
        tl.ones(3).masked_fill(mask, 0.0)


def test_masked_fill_broadcasts_the_input_to_the_masks_shape():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = tl.tensor([[True, False, False], [False, False, True]])
    result = x.masked_fill(mask, 0.0)
    assert result.tolist() == [[0.0, 2.0, 3.0], [1.0, 2.0, 0.0]]
    result.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 1.0]
    with pytest.raises(RuntimeError, match="broadcast shape"):
        tl.ones(3).masked_fill_(mask, 0.0)


def test_masked_fill_value_keeps_the_input_dtype():
    assert tl.ones(3).masked_fill(tl.tensor([True, False, True]), 2).dtype == tl.float32
    assert tl.tensor([1, 2]).masked_fill(tl.tensor([True, False]), 7).tolist() == [7, 2]


TRIANGLES = {
    "tril": ((3, 4), lambda x: x.tril()),
    "triu": ((4, 3), lambda x: x.triu()),
    "tril 1": ((3, 4), lambda x: _library(x).tril(x, 1)),
    "triu -1": ((3, 4), lambda x: _library(x).triu(x, diagonal=-1)),
    "batched tril": ((2, 3, 3), lambda x: x.tril(-1)),
}


@pytest.mark.parametrize("name", list(TRIANGLES))
def test_triangle_gradcheck(name):
    shape, op = TRIANGLES[name]
    check_gradcheck(op, shape)


@requires_torch
@pytest.mark.parametrize("name", list(TRIANGLES))
def test_triangle_parity(name):
    shape, op = TRIANGLES[name]
    check_parity(op, op, shape)


def test_triangle_needs_two_dims():
    with pytest.raises(RuntimeError, match="2 dimensions"):
        tl.ones(3).tril()


@pytest.mark.parametrize("ids", [[[0, 1, 0], [4, 4, 4]], [-1, 4, 0, -5, 0], [3]])
def test_row_gathers_accumulate_repeated_and_negative_ids_into_the_same_row(ids):
    weight = tl.randn(5, 3, requires_grad=True)
    index = tl.tensor(ids)
    grad_output = tl.randn(*index.shape, 3)
    (weight[index] * grad_output).sum().backward()
    expected = numpy.zeros((5, 3))
    flat_ids = numpy.asarray(ids).reshape(-1) % 5
    for row, grad in zip(flat_ids, grad_output.numpy().reshape(-1, 3)):
        expected[row] += grad  # the reference, one row at a time
    numpy.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("index", [[[0, 1], [1, 0]], "byte mask"], ids=["nested list", "byte mask"])
def test_legacy_index_forms_warn_like_pytorch(index):
    x = tl.ones(2, 3)
    if index == "byte mask":
        index = tl.tensor([1, 0], dtype=tl.uint8)
    with pytest.warns(UserWarning, match="deprecated"):
        x[index]


def test_full_reductions_are_0d_arrays_that_can_be_written():
    total = tl.tensor([0.5, 1.5]).norm(dim=0)
    total[...] = 0.25
    assert total.item() == 0.25
    total.add_(1.0)
    assert total.item() == 1.25 and total.shape == ()


@requires_torch
@pytest.mark.parametrize("write", [
    lambda x, v: x.__setitem__(0, v), lambda x, v: x.__setitem__([1, 2], v), lambda x, v: x.fill_(v),
    lambda x, v: x.masked_fill_(x == x, v),
], ids=["setitem int", "setitem list", "fill_", "masked_fill_"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "float16", "bool"])
@pytest.mark.parametrize("value", [-3, -255, -256, 300, 2.7, -2.7, 1e10, math.inf, math.nan])
def test_scalars_stored_into_a_dtype_wrap_or_overflow_as_in_pytorch(write, dtype, value):
    results = []
    for lib in (tl, torch):
        x = lib.tensor([1, 2, 3], dtype=getattr(lib, dtype))
        try:
            write(x, value)
            results.append(x.tolist())
        except RuntimeError:
            results.append("overflow")
    if "overflow" in results:
        assert results[0] == results[1]
    else:
        numpy.testing.assert_array_equal(*results)  # (NaN equals NaN here)


@requires_torch
@pytest.mark.parametrize("op", [
    lambda lib: lib.tensor(9).index_select(0, lib.tensor([0])),
    lambda lib: lib.zeros(0)[1:, False], lambda lib: lib.zeros(2, 3)[False, 0],
    lambda lib: lib.zeros(2, 3)[:, True], lambda lib: lib.zeros(2, 3)[None, True, 1:],
], ids=["index_select 0-d", "slice, False", "False, int", "slice, True", "None, True, slice"])
def test_shapes_of_0d_index_forms_match_pytorch(op):
    assert tuple(op(tl).shape) == tuple(op(torch).shape)


def test_advanced_setitem_needs_the_values_dtype_like_pytorchs_index_put():
    x = tl.zeros(3)
    with pytest.raises(RuntimeError, match="dtype"):
        x[tl.tensor([0, 1])] = tl.tensor([5, 6])
    x[0:2] = tl.tensor([5, 6])  # a basic index copies, casting
    assert x.tolist() == [5.0, 6.0, 0.0]


@requires_torch
@pytest.mark.parametrize("index", [(slice(0, None, 2), [False], Ellipsis, "mask"), ([0, 1], Ellipsis, [1, 2]),
                                   (slice(None), [0, 1], Ellipsis, [1, 2])], ids=str)
def test_an_ellipsis_covering_no_dim_keeps_advanced_indices_adjacent(index):
    shapes = []
    for lib in (tl, torch):
        x = lib.zeros(1, 1, 1) if "mask" in index else lib.zeros(2, 3, 4, 5)
        spelt = tuple(lib.tensor([True]) if part == "mask" else part for part in index)
        shapes.append(tuple(x[spelt].shape))
    assert shapes[0] == shapes[1]


def test_a_single_mask_with_a_one_element_value_of_another_dtype_fills():
    x = tl.zeros(2, 3, dtype=tl.int8)
    x[tl.tensor([True, False])] = tl.tensor([1.5])
    x[1, tl.tensor([False, True, True])] = tl.tensor(2.5)
    assert x.tolist() == [[1, 1, 1], [0, 2, 2]]


@pytest.mark.parametrize("shape, index, expected_shape", [
    ((1, 1), (tl.tensor([3]), slice(3, 1)), (1, 0)),
    ((1, 1, 1, 1), ([1, 1], slice(None, 0), slice(1, -2, 3), None), (2, 0, 0, 1, 1)),
    ((2, 0), ([5, 7], slice(None)), (2, 0)),
], ids=["tensor index, empty slice", "fuzz case 121751", "empty dim"])
def test_an_out_of_range_index_gathering_nothing_is_not_checked(shape, index, expected_shape):
    # As in PyTorch, which checks the bounds of the elements it reads: here none.
    x = tl.zeros(shape, requires_grad=True)
    selected = x[index]
    assert selected.shape == expected_shape
    selected.sum().backward()
    assert x.grad.shape == shape
    x.detach()[index] = 1.0  # setitem writes nothing, and checks nothing either
    assert x.detach().sum().item() == 0.0


@pytest.mark.parametrize("shape, index, value_shape", [
    ((1, 1), ([4], slice(0, 0)), (1, 0)),
    ((2, 3), ([], slice(None)), (1, 3)),
], ids=["out of range, empty slice (fuzz seed 47 #29099)", "empty list"])
def test_setitem_writing_nothing_is_still_recorded_in_the_graph(shape, index, value_shape):
    # Ours returned early: the result did not require grad and value got no gradient.
    value = tl.zeros(value_shape, requires_grad=True)
    x = tl.full(shape, 2.0)
    x[index] = value
    assert x.requires_grad and x.grad_fn is not None
    (x * 3).sum().backward()
    assert x.tolist() == numpy.full(shape, 2.0).tolist()
    assert value.grad.shape == value_shape and not value.grad.numpy().any()


@pytest.mark.parametrize("index, value, message", [
    ((-3, []), tl.zeros(3, 0, dtype=tl.uint8), "shape mismatch"),
    ((-3, []), tl.zeros(2, 0, dtype=tl.uint8), "shape mismatch"),
    (([5], slice(0, 0)), tl.zeros(1, dtype=tl.float16), "dtype"),
], ids=["self-sized value (fuzz seed 47 #19958)", "rows", "dtype (fuzz seed 47 #27536)"])
def test_setitem_writing_nothing_still_checks_the_value_like_pytorch(index, value, message):
    # PyTorch checks the value's dtype and that it broadcasts even when nothing is selected.
    x = tl.zeros(3, 0, dtype=tl.uint8)
    with pytest.raises(RuntimeError, match=message):
        x[index] = value
    x[index] = tl.zeros(1, 0, dtype=tl.uint8)  # a value that broadcasts is fine


def test_an_out_of_range_index_gathering_something_raises():
    with pytest.raises(IndexError, match="out of bounds"):
        tl.zeros(0)[[1]]
    with pytest.raises(IndexError, match="out of bounds"):
        tl.zeros(2, 1)[[5, 0], :1]


def test_setitem_with_ints_and_a_mask_writes_a_single_element():
    x = tl.tensor([4])
    x[-1, True] = tl.tensor([1])
    assert x.tolist() == [1]


def test_masked_fill_of_an_integer_tensor_with_a_value_requiring_grad_is_refused():
    value = tl.tensor(1.5, requires_grad=True)
    with pytest.raises(RuntimeError, match="autograd"):
        tl.tensor([1, 2]).masked_fill(tl.tensor([True, False]), value)
    with tl.no_grad():
        assert tl.tensor([1, 2]).masked_fill(tl.tensor([True, False]), value).tolist() == [1, 2]
