"""Tests for tinygrad_lite/autograd/views.py and the in-place rules of ops/inplace.py on views:
a view shares memory and the version counter with its base, an in-place write through a view is
seen by the base and every other view, and the gradients are PyTorch's."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch

VIEWS = {
    "int": lambda h: h[0],
    "column": lambda h: h[:, 1],
    "strided slice": lambda h: h[1:, ::2],
    "view": lambda h: h.view(-1),
    "t": lambda h: h.t(),
    "transpose then int": lambda h: h.transpose(0, 1)[2],
    "unsqueeze": lambda h: h.unsqueeze(0),
    "narrow": lambda h: h.narrow(1, 1, 2),
    "view of a view": lambda h: h.view(3, 2)[1:].t(),
    "element": lambda h: h[1, 2],
}

INPLACE = {
    "add_ tensor": lambda v, y: v.add_(y[: v.shape[-1]] if v.ndim else y[0], alpha=2.0),
    "mul_ tensor": lambda v, y: v.mul_(y[: v.shape[-1]] if v.ndim else y[0]),
    "div_ scalar": lambda v, y: v.div_(4.0),
    "fill_ tensor": lambda v, y: v.fill_(y.sum()),
    "zero_": lambda v, y: v.zero_(),
    "clamp_": lambda v, y: v.clamp_(-1.0, 3.0),
    "copy_": lambda v, y: v.copy_(y[: v.shape[-1]] if v.ndim else y[0]),
}


def _run(lib, view_name, op_name):
    x = lib.tensor(numpy.arange(6.0).reshape(2, 3) - 2.0, requires_grad=True)
    y = lib.tensor([0.5, -1.5, 2.0, 1.0, -0.5, 3.0], requires_grad=True)
    h = x * 1.0
    view = VIEWS[view_name](h)
    INPLACE[op_name](view, y)
    weights = lib.tensor(numpy.arange(1.0, 7.0).reshape(2, 3))
    loss = (h * weights).sum() + (view * view).sum()
    loss.backward()
    grad_y = None if y.grad is None else y.grad.numpy().copy()
    return h.detach().numpy().copy(), view.detach().numpy().copy(), x.grad.numpy().copy(), grad_y


@requires_torch
@pytest.mark.parametrize("op_name", list(INPLACE))
@pytest.mark.parametrize("view_name", list(VIEWS))
def test_inplace_through_a_view_matches_pytorch(view_name, op_name):
    ours, theirs = _run(tl, view_name, op_name), _run(torch, view_name, op_name)
    for name, mine, reference in zip(("base", "view", "x.grad", "y.grad"), ours, theirs):
        if reference is None:
            assert mine is None or not mine.any(), name
            continue
        numpy.testing.assert_allclose(mine, reference, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("make", [lambda h: h.unbind(0)[1], lambda h: h.split(1)[1],
                                  lambda h: h.flatten().chunk(3)[1][0]], ids=["unbind", "split", "chunk"])
def test_outputs_of_multi_view_functions_refuse_writes_in_the_graph(make):
    x = tl.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="returns multiple views"):
        make(x * 1.0).add_(1.0)
    with pytest.raises(RuntimeError, match="returns multiple views"):
        make(tl.zeros(2, 3)).mul_(x[0, 0])
    plain = tl.zeros(2, 3)
    make(plain).add_(1.0)
    assert plain.sum().item() > 0
    with tl.no_grad():
        make(x * 1.0).add_(1.0)


def test_the_issue_reproducer_writes_back_with_pytorchs_gradient():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    h[0].mul_(10)
    h.view(-1).add_(1)
    assert h.tolist() == [11.0, 3.0]
    h.sum().backward()
    assert x.grad.tolist() == [10.0, 1.0]


@requires_torch
def test_a_view_made_before_the_write_sees_the_new_values_and_graph():
    results = []
    for lib in (tl, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 2.0
        first, overlap = h[0:2], h[1:3]
        overlap.mul_(x[0:2])  # first[1] is written through the other view
        (first * lib.tensor([5.0, 7.0])).sum().backward()
        results.append((first.detach().numpy().copy(), x.grad.numpy().copy()))
    for mine, reference in zip(*results):
        numpy.testing.assert_allclose(mine, reference)


@requires_torch
def test_writing_the_base_updates_existing_views():
    results = []
    for lib in (tl, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 2.0
        view = h[1:]
        h.mul_(x)
        assert view.requires_grad
        (view ** 2).sum().backward()
        results.append((view.detach().numpy().copy(), x.grad.numpy().copy()))
    for mine, reference in zip(*results):
        numpy.testing.assert_allclose(mine, reference)


def test_a_plain_buffer_joins_the_graph_through_a_view():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    buffer = tl.zeros(3)
    buffer[1:].add_(x * 3.0)
    assert buffer.requires_grad and not buffer.is_leaf and buffer.tolist() == [0.0, 3.0, 6.0]
    (buffer * tl.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [6.0, 9.0]


def test_view_of_a_leaf_that_requires_grad_is_refused():
    w = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf tensor that requires grad"):
        w[0].add_(1.0)
    with pytest.raises(RuntimeError, match="view of a leaf tensor"):
        w.view(3, 1).zero_()
    with tl.no_grad():
        w[0].add_(1.0)
    assert w.tolist() == [2.0, 1.0, 1.0] and w.is_leaf


def test_views_share_the_version_counter():
    x = tl.zeros(2, 3)
    views = [x[0], x.t(), x.view(6), x.detach(), x.unsqueeze(1)[1]]
    views[0].add_(1.0)
    x[1, 1] = 5.0
    assert x._version == 2 and all(view._version == 2 for view in views)
    assert views[1].tolist() == [[1.0, 0.0], [1.0, 5.0], [1.0, 0.0]]


def test_a_saved_view_modified_through_its_base_makes_backward_raise():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    view = h[:1]
    product = (view * view).sum()  # Mul saves the view
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        product.backward()


def test_writing_a_detached_tensor_is_seen_by_the_graph_and_detected():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = (y * y).sum()
    detached = y.detach()
    detached[0] = 10.0
    assert y.tolist() == [10.0, 4.0]
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_a_view_made_under_no_grad_stays_out_of_the_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    with tl.no_grad():
        view = h[0]
    h.add_(1.0)
    assert not view.requires_grad and view.grad_fn is None and view.item() == 2.0


@requires_torch
def test_second_order_gradients_through_a_write_into_a_view():
    def program(lib, x, y):
        h = x * x
        h[1:].mul_(y)
        return (h * h).sum()

    def hessian_row(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, 3.0], dtype=lib.float64, requires_grad=True)
        (gx,) = lib.autograd.grad(program(lib, x, y), [x], create_graph=True)
        gx.sum().backward()
        return x.grad.numpy().copy(), y.grad.numpy().copy()

    for mine, reference in zip(hessian_row(tl), hessian_row(torch)):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-12)


def test_gradcheck_through_writes_into_views():
    def program(x, y):
        h = x * 1.0
        h[0, 1:].mul_(y)
        h.t()[2].add_(y.sum())
        return h * h

    x = tl.tensor(numpy.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    y = tl.tensor([0.5, -2.0], dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradcheck(program, (x, y))
    assert tl.autograd.gradgradcheck(program, (x, y))


def test_view_needs_no_copy_and_says_so_otherwise():
    x = tl.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    assert x.view(3, 2)._base is x
    with pytest.raises(RuntimeError, match="use .reshape"):
        x.t().view(-1)
    assert x.t().reshape(-1).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    copy = x.t().reshape(-1)
    copy.add_(1.0)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_writing_a_full_reduction_in_place():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    total = x.sum()
    total.mul_(3.0)
    total.backward()
    assert total.item() == 9.0 and x.grad.tolist() == [3.0, 3.0]


def test_expanded_views_refuse_writes_that_read_the_shared_memory():
    base = tl.ones(3, 1)
    for write in (lambda v: v.add_(1.0), lambda v: v.copy_(tl.zeros(3, 4)), lambda v: v.__setitem__(0, 2.0)):
        with pytest.raises(RuntimeError, match="single memory location"):
            write(base.expand(3, 4))
    assert base.tolist() == [[1.0]] * 3 and base._version == 0


def test_fills_through_expanded_views_write_the_shared_memory_like_pytorch():
    base = tl.ones(3, 1)
    base.expand(3, 4).zero_()
    assert base.tolist() == [[0.0]] * 3
    base.expand(2, 3, 4).fill_(2.0)
    assert base.tolist() == [[2.0]] * 3
    with pytest.warns(UserWarning, match="deprecated"):
        base.expand(3, 4).masked_fill_(tl.tensor([True, False, True]).unsqueeze(1), 5.0)
    assert base.tolist() == [[5.0], [2.0], [5.0]]
    base.expand(3, 4)[:, :1].add_(1.0)  # a slice whose elements no longer share memory
    assert base.tolist() == [[6.0], [3.0], [6.0]] and base._version == 4


@pytest.mark.parametrize("inplace_layer", [tl.nn.ReLU(inplace=True), tl.nn.LeakyReLU(0.1, inplace=True)])
def test_inplace_activation_on_a_view_writes_back(inplace_layer):
    x = tl.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    h = x * 1.0
    expected = type(inplace_layer)(*([0.1] if isinstance(inplace_layer, tl.nn.LeakyReLU) else []))(x[1])
    inplace_layer(h[1])
    assert h.tolist() == [[-1.0, 2.0], expected.tolist()]
    h.sum().backward()
    slope = numpy.float32(0.1) if expected.tolist()[1] else 0.0
    numpy.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [1.0, slope]])


def test_a_fill_through_an_expanded_view_inside_the_graph_refuses_backward_like_pytorch():
    x = tl.tensor([[1.0], [2.0]], requires_grad=True)
    h = x * 1.0
    with pytest.warns(UserWarning, match="deprecated"):
        h.expand(2, 3).masked_fill_(tl.tensor([[True, False, False], [False, False, False]]), 0.0)
    assert h.tolist() == [[0.0], [2.0]]
    with pytest.raises(RuntimeError, match="single memory location"):
        h.sum().backward()


@pytest.mark.parametrize("use", ["prod", "cat"])
def test_a_split_output_used_after_its_base_was_written_in_place_raises(use):
    # As in PyTorch (fuzz cases 124939, 58547): the gradient of a multi-view output is not rebuilt.
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    part = tl.split(x, [1, 1])[0]
    x.detach().mul_(2)
    assert part.requires_grad  # reading it is fine
    with pytest.raises(RuntimeError, match="function that returns multiple views"):
        part.prod(0) if use == "prod" else tl.cat([part, part])
