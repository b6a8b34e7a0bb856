"""First-order gradients of views (split, narrow, x[:, i]) are kept as pieces and placed into one
array when read: the values must be those of the eager zeros-and-sum gradient, which
``create_graph=True`` still builds, in every mix of views, whole uses, hooks and leaves."""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd.placed_gradient import PlacedGradient, _tile


def _gradients(build, x_array, create_graph):
    x = tl.tensor(x_array, requires_grad=True)
    outputs = build(x)
    seeds = [tl.tensor(numpy.random.default_rng(position).standard_normal(out.shape)
                       .astype(x_array.dtype)) for position, out in enumerate(outputs)]
    tl.autograd.backward(list(outputs), seeds, create_graph=create_graph)
    return x.grad.detach().numpy()


CASES = {
    "split, q k v": lambda x: x.split(4, dim=2),
    "split, uneven, reordered use": lambda x: tuple(reversed(x.split([3, 5, 4], dim=2))),
    "chunk of a computed tensor": lambda x: (x * 2.0).chunk(3, dim=1),
    "overlapping narrows": lambda x: (x[:, :2], x[:, 1:], x[:, 1:2]),
    "one column": lambda x: (x[:, -1],),
    "every other row": lambda x: (x[::2], x[1::2], x[1:]),
    "views and a whole use": lambda x: (x[:, :, :6], x * 3.0, x[:, :, 6:]),
    "whole use between views": lambda x: (x[0], x.sum(0), x[1]),
    "views of views": lambda x: tuple(part[:, 1:] for part in x.split(6, dim=2)),
    "unbind": lambda x: x.unbind(1),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_first_order_equals_eager_placement(name, dtype):
    x = numpy.random.default_rng(7).standard_normal((2, 3, 12)).astype(dtype)
    placed = _gradients(CASES[name], x, create_graph=False)
    eager = _gradients(CASES[name], x, create_graph=True)
    assert placed.dtype == dtype
    numpy.testing.assert_array_equal(placed, eager)


def test_split_gradient_is_the_concatenated_seeds():
    x = tl.tensor(numpy.zeros((2, 5, 6), numpy.float32), requires_grad=True)
    q, k, v = x.split(2, dim=2)
    seeds = [tl.full(q.shape, value) for value in (1.0, 2.0, 3.0)]
    tl.autograd.backward([q, k, v], seeds)
    expected = numpy.concatenate([numpy.full((2, 5, 2), value, numpy.float32)
                                  for value in (1.0, 2.0, 3.0)], axis=2)
    numpy.testing.assert_array_equal(x.grad.numpy(), expected)


def test_hooks_and_autograd_grad_see_whole_gradients():
    x = tl.tensor(numpy.arange(12.0).reshape(3, 4), requires_grad=True)
    seen_by_leaf, seen_by_middle = [], []
    x.register_hook(lambda gradient: seen_by_leaf.append(gradient.numpy().copy()))
    middle = x * 1.0
    middle.register_hook(lambda gradient: seen_by_middle.append(gradient.numpy().copy()))
    left, right = middle.split(2, dim=1)
    (grad,) = tl.autograd.grad((left * 2.0).sum() + (right * 5.0).sum(), [middle])
    expected = numpy.array([[2.0, 2.0, 5.0, 5.0]] * 3)
    numpy.testing.assert_array_equal(grad.numpy(), expected)
    numpy.testing.assert_array_equal(seen_by_middle, [expected])
    left, right = x.split(2, dim=1)
    ((left * 2.0).sum() + (right * 5.0).sum()).backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), expected)
    numpy.testing.assert_array_equal(seen_by_leaf[-1], expected)


def test_gradient_accumulates_into_existing_grad():
    x = tl.tensor(numpy.ones((2, 4), numpy.float32), requires_grad=True)
    for _ in range(2):
        first, second = x.split(2, dim=1)
        (first.sum() * 3.0 + second.sum()).backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [[6.0, 6.0, 2.0, 2.0]] * 2)


def test_anomaly_mode_and_double_backward_take_the_eager_path():
    x = tl.tensor(numpy.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    first, second = x.split(2)
    (grad,) = tl.autograd.grad((first ** 3).sum() + (second ** 2).sum(), [x], create_graph=True)
    numpy.testing.assert_allclose(grad.detach().numpy(), [3.0, 12.0, 6.0, 8.0])
    grad.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0, 2.0, 2.0])
    with tl.autograd.detect_anomaly():
        y = tl.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
        y[:1].sum().backward()
    numpy.testing.assert_array_equal(y.grad.numpy(), [1.0, 0.0])


def test_a_single_view_keeps_its_eager_zero_sign():
    x = tl.tensor(numpy.ones(3, numpy.float32), requires_grad=True)
    x[1:].backward(tl.tensor(numpy.array([-0.0, 1.0], numpy.float32)))
    assert numpy.signbit(x.grad.numpy()).tolist() == [False, True, False]


@pytest.mark.parametrize("indices, expected", [
    ([(slice(0, 2), Ellipsis), (slice(2, 5), Ellipsis)], True),
    ([(slice(None), slice(3, 5)), (slice(None), slice(0, 3), Ellipsis)], True),
    ([(slice(None), slice(0, 2)), (slice(None), slice(2, 4)), (slice(None), slice(4, None))], True),
    ([(slice(0, 2),), (slice(0, 0),), (slice(2, 5),)], True),
    ([(slice(0, 2),), (slice(3, 5),)], False),  # a gap
    ([(slice(0, 3),), (slice(2, 5),)], False),  # an overlap
    ([(slice(0, 2),), (slice(0, 2),), (slice(2, 5),)], False),  # a region twice
    ([(slice(0, 2),), (slice(None), slice(2, 4))], False),  # different axes
    ([(slice(0, 5, 2),), (slice(1, 5, 2),)], False),  # strided
    ([(0, Ellipsis), (slice(1, 5),)], False),  # an integer index drops the axis
    ([(slice(0, 5),)], False),  # one piece
    ([(slice(None),), (slice(None),)], False),  # whole views
    ([(Ellipsis, slice(0, 2)), (Ellipsis, slice(2, 4))], False),  # leading Ellipsis: not read
])
def test_tiling_detection(indices, expected):
    assert _tile((5, 4), indices) is expected


def test_tiled_pieces_materialize_without_zeros():
    pieces = [numpy.full((2, 1), value, numpy.float32) for value in (1.0, 2.0, 3.0)]
    gradient = PlacedGradient((2, 3), numpy.dtype(numpy.float32), tl.device("cpu"),
                              (slice(None), slice(2, 3), Ellipsis), pieces[2])
    gradient.pieces += [((slice(None), slice(0, 1), Ellipsis), pieces[0]),
                        ((slice(None), slice(1, 2), Ellipsis), pieces[1])]
    whole = gradient.materialize()
    numpy.testing.assert_array_equal(whole.numpy(), [[1.0, 2.0, 3.0]] * 2)
    assert whole.dtype == tl.float32 and whole.grad_fn is None
