"""Property tests: for any pair of broadcastable shapes, gradients come back in each input's shape."""
import numpy
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402

import tinygrad_lite as tl  # noqa: E402


def reduce_to(array, shape):
    """Sum a broadcast array back down to ``shape`` (the rule the engine must follow)."""
    extra = array.ndim - len(shape)
    array = array.sum(axis=tuple(range(extra))) if extra else array
    kept = tuple(axis for axis, size in enumerate(shape) if size == 1 and array.shape[axis] != 1)
    return array.sum(axis=kept, keepdims=True) if kept else array


@settings(max_examples=60, deadline=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3))
def test_mul_add_gradients_reduce_to_each_input_shape(shapes):
    shape_a, shape_b = shapes.input_shapes
    rng = numpy.random.default_rng(len(shape_a) * 10 + len(shape_b))
    a_value = rng.standard_normal(shape_a)
    b_value = rng.standard_normal(shape_b)
    a = tl.tensor(a_value, requires_grad=True)
    b = tl.tensor(b_value, requires_grad=True)
    (a * b + a).sum().backward()
    out_shape = shapes.result_shape
    expected_a = reduce_to(numpy.broadcast_to(b_value + 1.0, out_shape), shape_a)
    expected_b = reduce_to(numpy.broadcast_to(a_value, out_shape), shape_b)
    assert a.grad.shape == tuple(shape_a) and b.grad.shape == tuple(shape_b)
    numpy.testing.assert_allclose(a.grad.numpy(), numpy.reshape(expected_a, shape_a), rtol=1e-12)
    numpy.testing.assert_allclose(b.grad.numpy(), numpy.reshape(expected_b, shape_b), rtol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3))
def test_float32_stays_float32_through_broadcast_ops_and_their_gradients(shapes):
    shape_a, shape_b = shapes.input_shapes
    a = tl.ones(shape_a, requires_grad=True)
    b = tl.full(shape_b, 2.0, requires_grad=True)
    out = (a / b - 0.5 * a) ** 2
    assert out.dtype == tl.float32
    out.sum().backward()
    assert a.grad.dtype == tl.float32 and b.grad.dtype == tl.float32


def test_every_property_test_here_is_seeded():
    """derandomize: each run draws the same examples, so a failure reproduces and CI is stable."""
    tests = [value for name, value in globals().items()
             if name.startswith("test_") and hasattr(value, "hypothesis")]
    assert len(tests) == 2
    assert all(test._hypothesis_internal_use_settings.derandomize for test in tests)
