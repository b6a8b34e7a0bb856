"""Tests for tinygrad_lite/ops/inplace.py: add_ sub_ mul_ div_ pow_ clamp_ masked_fill_ zero_ fill_ copy_."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import dtype_name, requires_torch, torch

VALUES = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]


def _library(x):
    return tl if isinstance(x, tl.Tensor) else torch


# name -> in-place op written once for both libraries (returns the op's return value)
INPLACE = {
    "add_": lambda x: x.add_(2.0),
    "add_ tensor alpha": lambda x: x.add_(_library(x).ones(3), alpha=0.5),
    "sub_": lambda x: x.sub_(_library(x).tensor([1.0, 2.0, 3.0])),
    "mul_": lambda x: x.mul_(-3.0),
    "mul_ broadcast": lambda x: x.mul_(_library(x).tensor([[2.0], [3.0]])),
    "div_": lambda x: x.div_(4.0),
    "pow_": lambda x: x.pow_(2),
    "clamp_": lambda x: x.clamp_(-1.0, 2.0),
    "clamp_ min": lambda x: x.clamp_(min=0.0),
    "masked_fill_": lambda x: x.masked_fill_(x > 1.0, 0.0),
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(7.5),
    "fill_ tensor": lambda x: x.fill_(_library(x).tensor(2.0)),
    "copy_": lambda x: x.copy_(_library(x).tensor([[9.0, 8.0, 7.0], [6.0, 5.0, 4.0]])),
    "copy_ broadcast cast": lambda x: x.copy_(_library(x).tensor([1, 2, 3])),
    "+=": lambda x: x.__iadd__(1.0),
    "-=": lambda x: x.__isub__(_library(x).ones(2, 3)),
    "*=": lambda x: x.__imul__(2.0),
    "/=": lambda x: x.__itruediv__(2.0),
}


@requires_torch
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_match_torch_and_return_self(name):
    ours, theirs = tl.tensor(VALUES), torch.tensor(VALUES)
    returned = INPLACE[name](ours)
    INPLACE[name](theirs)
    assert returned is ours
    assert ours.dtype == tl.float32
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_writes_into_the_same_memory_so_views_see_it(name):
    base = tl.tensor(VALUES)
    view = base[1]
    expected = tl.tensor(VALUES)
    INPLACE[name](expected)
    INPLACE[name](base)
    assert view.tolist() == expected.tolist()[1]


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_a_leaf_requiring_grad_is_refused(name):
    x = tl.tensor(VALUES, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        INPLACE[name](x)
    assert x.tolist() == VALUES


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_a_leaf_is_allowed_under_no_grad(name):
    x = tl.tensor(VALUES, requires_grad=True)
    expected = tl.tensor(VALUES)
    INPLACE[name](expected)
    with tl.no_grad():
        INPLACE[name](x)
    assert x.tolist() == expected.tolist()
    assert x.requires_grad and x.is_leaf


@requires_torch
@pytest.mark.parametrize("name", [n for n in INPLACE if n not in ("zero_", "fill_", "fill_ tensor", "copy_",
                                                                  "copy_ broadcast cast")])
def test_inplace_on_a_non_leaf_is_recorded_and_gradient_matches_torch(name):
    grads = []
    for lib in (tl, torch):
        x = lib.tensor(VALUES, requires_grad=True)
        y = x * 1.5
        INPLACE[name](y)
        (y * y).sum().backward()
        grads.append(x.grad.numpy())
        assert y.grad_fn is not None
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


@requires_torch
def test_copy_into_a_non_leaf_sends_gradient_to_the_source():
    grads = []
    for lib in (tl, torch):
        x = lib.tensor(VALUES, requires_grad=True)
        source = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2.0
        y.copy_(source)
        (y * y).sum().backward()
        grads.append((source.grad.numpy(), x.grad))
    numpy.testing.assert_allclose(grads[0][0], grads[1][0])
    assert grads[0][1] is None or not grads[0][1].numpy().any()


@requires_torch
@pytest.mark.parametrize("name", ["zero_", "fill_", "fill_ tensor", "copy_", "copy_ broadcast cast"])
def test_overwriting_a_non_leaf_keeps_it_in_the_graph_with_zero_gradient(name):
    results = []
    for lib in (tl, torch):
        x = lib.tensor(VALUES, requires_grad=True)
        y = x * 2.0
        INPLACE[name](y)
        assert y.requires_grad and y.grad_fn is not None
        (y * y + x).sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy()))
    numpy.testing.assert_allclose(results[0][0], results[1][0])
    numpy.testing.assert_allclose(results[0][1], results[1][1])


def test_inplace_into_a_tensor_without_grad_from_one_with_grad_joins_the_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    buffer = tl.zeros(2)
    buffer.add_(x * 3.0)
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("name", ["add_", "mul_", "div_", "clamp_", "zero_", "copy_"])
def test_modifying_a_saved_tensor_raises_version_error(name):
    x = tl.tensor(VALUES, requires_grad=True)
    saved = tl.tensor(VALUES)
    product = (x * saved).sum()  # Mul saves ``saved`` for its backward
    INPLACE[name](saved)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        product.backward()


def test_modifying_a_saved_non_leaf_raises_version_error():
    x = tl.tensor(VALUES, requires_grad=True)
    y = x * 2.0
    z = (y * y).sum()
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="version"):
        z.backward()


def test_updating_a_parameter_after_forward_is_detected():
    weight = tl.tensor([1.0, 2.0], requires_grad=True)
    loss = (weight * weight).sum()
    with tl.no_grad():
        weight.sub_(0.1)
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


@pytest.mark.parametrize("grad_enabled", [True, False], ids=["grad mode", "no_grad"])
@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid"])
def test_writing_into_a_saved_output_makes_backward_raise(op, grad_enabled):
    # exp/tanh/sigmoid backward read their own output: after an in-place write into it, PyTorch
    # refuses the backward (version counter) rather than compute with the new values.
    x = tl.tensor([0.0, 1.0], requires_grad=True)
    y = getattr(x * 2.0, op)()
    with tl.set_grad_enabled(grad_enabled):
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_writing_through_a_view_into_a_saved_output_makes_backward_raise():
    x = tl.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()
    y.detach()[0] = 5.0
    with pytest.raises(RuntimeError, match="output of ExpBackward"):
        y.sum().backward()


@requires_torch
@pytest.mark.parametrize("name", ["add_", "mul_", "div_", "clamp_", "pow_"])
def test_inplace_op_on_a_non_leaf_gives_pytorchs_gradients_for_both_operands(name):
    ops = {"add_": lambda h, y: h.add_(y, alpha=2.0), "mul_": lambda h, y: h.mul_(y),
           "div_": lambda h, y: h.div_(y), "clamp_": lambda h, y: h.clamp_(min=y),
           "pow_": lambda h, y: h.pow_(y)}
    results = []
    for lib in (tl, torch):
        x = lib.tensor([1.5, 2.0, 0.5], requires_grad=True)
        y = lib.tensor([2.0, 3.0, 1.0], requires_grad=True)
        h = x * 1.0
        ops[name](h, y)
        (h * lib.tensor([1.0, -2.0, 3.0])).sum().backward()
        results.append([t.detach().numpy().copy() for t in (h, x.grad, y.grad)])
    for ours, theirs in zip(*results):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_version_counter_increments():
    x = tl.zeros(2)
    assert x._version == 0
    x.add_(1.0)
    x.zero_()
    assert x._version == 2


@pytest.mark.parametrize("op, message", [
    (lambda x: x.add_(tl.ones(2, 1, 3)), "shape"),
    (lambda x: tl.tensor([1, 2]).add_(1.5), "can't be cast"),
    (lambda x: tl.ones(3, 1).expand(3, 4).add_(1.0), "clone"),
], ids=["broadcast grows", "int += float", "expanded view"])
def test_inplace_errors_are_clear(op, message):
    with pytest.raises(RuntimeError, match=message):
        op(tl.ones(2, 3))


def test_integer_inplace_with_integers_keeps_dtype():
    x = tl.tensor([1, 2, 3])
    x.mul_(2).add_(1)
    assert x.dtype == tl.int64 and x.tolist() == [3, 5, 7]


@requires_torch
@pytest.mark.parametrize("name", ["copy_ from a graph", "fill_ from a graph"])
def test_an_overwritten_tensor_keeps_its_old_graph_with_a_zero_gradient(name):
    results = []
    for lib in (tl, torch):
        base = lib.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
        source = lib.tensor([4.0], requires_grad=True)
        picked = base[[0, 2]]  # a copy, in the graph of base
        if name.startswith("copy_"):
            picked.copy_(source * 2.0)
        else:
            picked.fill_(source.sum())
        picked.sum().backward()
        results.append((base.grad.numpy().copy(), source.grad.numpy().copy()))
    for mine, reference in zip(*results):
        numpy.testing.assert_array_equal(mine, reference)


@requires_torch
@pytest.mark.parametrize("target, other", [("int8", "int64"), ("float32", "float64"), ("uint8", "int32")])
def test_inplace_results_narrow_within_a_kind_like_pytorch(target, other):
    results = []
    for lib in (tl, torch):
        x = lib.tensor([3, 1], dtype=getattr(lib, target))
        x.sub_(lib.tensor([1, 0], dtype=getattr(lib, other)))
        results.append((x.tolist(), dtype_name(x.dtype)))
    assert results[0] == results[1]
    with pytest.raises(RuntimeError, match="can't be cast"):
        tl.tensor([1, 2]).add_(tl.tensor([0.5, 0.5]))
    with pytest.raises(RuntimeError, match="can't be cast"):
        tl.tensor([True]).add_(tl.tensor([1]))


def test_masked_fill_through_an_expanded_view_writes_only_the_masked_places():
    base = tl.tensor([[1.0], [2.0]])
    with pytest.warns(UserWarning, match="deprecated"):
        base.expand(2, 3).masked_fill_(tl.tensor([[False, True, False], [False, False, False]]), 9.0)
    assert base.tolist() == [[9.0], [2.0]]


def test_copying_a_leaf_into_a_plain_tensor_gives_it_a_node():
    leaf = tl.tensor([1.0, 2.0], requires_grad=True)
    plain = tl.zeros(2)
    plain.copy_(leaf)
    assert plain.grad_fn is not None and not plain.is_leaf
    (plain * 3.0).sum().backward()
    assert leaf.grad.tolist() == [3.0, 3.0]


def test_writing_what_an_op_copied_for_its_backward_is_allowed():
    # A README difference: relu keeps a mask, not its output; PyTorch keeps the output and
    # raises here. The gradient is that of the values relu saw.
    x = tl.tensor([-1.0, 2.0], requires_grad=True)
    y = x.relu()
    z = (y * 3.0).sum()
    y.zero_()
    z.backward()
    assert x.grad.tolist() == [0.0, 3.0]


@pytest.mark.parametrize("write", [lambda t, v: t.fill_(v), lambda t, v: t.__setitem__(0, v)],
                         ids=["fill_", "setitem"])
def test_integer_tensors_written_from_a_graph_stay_out_of_it(write):
    # A README difference: PyTorch marks the int tensor requires_grad, though no gradient flows.
    target = tl.tensor([1, 2])
    write(target, tl.tensor(5.0, requires_grad=True))
    assert not target.requires_grad and target.tolist()[0] == 5


@pytest.mark.parametrize("write", [lambda x: x[1:].copy_(x[:-1]), lambda x: x.__setitem__(slice(1, None), x[:-1]),
                                   lambda x: x.__setitem__(tl.tensor([1, 2]), x[:2])],
                         ids=["copy_", "setitem slice", "setitem index"])
def test_copies_from_partly_overlapping_memory_are_refused_like_pytorch(write):
    x = tl.arange(5.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        write(x)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    x[:] = x  # the same memory, or a copy of it, is fine
    x[:] = x.flip(0)
    assert x.tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]


def test_setitem_from_a_zero_dim_element_of_itself_fills_like_pytorch():
    # PyTorch fills from a 0-d value of another shape, reading it first: no overlap refusal.
    x = tl.arange(3.0)
    x[:] = x[1]
    assert x.tolist() == [1.0, 1.0, 1.0]
    scalar = tl.tensor(0.25)
    scalar[None] = scalar
    assert scalar.item() == 0.25


def test_copy_of_a_number_wraps_into_the_dtype_like_pytorch():
    assert tl.tensor([6], dtype=tl.uint8).copy_(-3).tolist() == [253]


@pytest.mark.parametrize("dtype, expected", [(tl.float64, 1e30), (tl.float32, 1.0000000150474662e30),
                                             (tl.float16, float("inf"))])
def test_copy_of_a_float_is_rounded_once_into_the_dtype_like_pytorch(dtype, expected):
    # The number went through float32 first, so float64 got 1.0000000150474662e30.
    assert tl.zeros(2, dtype=dtype).copy_(1e30).tolist() == [expected] * 2


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
@pytest.mark.parametrize("value", [7e4, -1e300])
def test_fill_of_one_float16_element_saturates_like_pytorch(shape, value):
    # PyTorch skips its overflow check when filling one float16 element; ours refused.
    filled = tl.zeros(shape, dtype=tl.float16).fill_(value)
    assert filled.reshape(-1).tolist() == [numpy.copysign(numpy.inf, value)]
    with pytest.raises(RuntimeError, match="without overflow"):
        tl.zeros(2, dtype=tl.float16).fill_(value)
    with pytest.raises(RuntimeError, match="without overflow"):
        tl.zeros(shape, dtype=tl.int8).fill_(300)


def test_fill_with_a_tensor_value_refuses_an_expanded_view_like_pytorch():
    with pytest.raises(RuntimeError, match="single memory location"):
        tl.ones(1).expand(3).fill_(tl.tensor(2.0))
