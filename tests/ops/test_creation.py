"""Tests for tinygrad_lite/creation.py: tensor, zeros/ones/empty/full/eye/arange/linspace, *_like,
rand/randn/randint/randperm and manual_seed."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import dtype_name, requires_torch, torch


@requires_torch
@pytest.mark.parametrize("data", [
    [1.0, 2.0], [1, 2], [True, False], 3, 2.5, True, [[1, 2], [3, 4.5]], [], [[1], [2]],
    numpy.array([1, 2], dtype=numpy.int32), numpy.array([1.0], dtype=numpy.float64),
    numpy.array([1.0], dtype=numpy.float16), numpy.array([[True]]), numpy.float64(2.0), numpy.int16(3),
], ids=str)
def test_tensor_infers_dtype_and_shape_like_torch(data):
    ours, theirs = tl.tensor(data), torch.tensor(data)
    assert ours.dtype == numpy.dtype(dtype_name(theirs.dtype))
    assert ours.shape == tuple(theirs.shape)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_copies_its_input():
    array = numpy.zeros(3, dtype=numpy.float32)
    x = tl.tensor(array)
    array[0] = 1.0
    assert x.tolist() == [0.0, 0.0, 0.0]
    assert tl.Tensor([1.0]).tolist() == [1.0]


def test_tensor_from_a_tensor_and_a_list_of_tensors():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    copy = tl.tensor(x)
    assert copy.tolist() == [1.0, 2.0] and not copy.requires_grad
    assert tl.tensor([tl.tensor(1.0), tl.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_as_tensor_and_from_numpy_share_when_they_can():
    x = tl.ones(2)
    assert tl.as_tensor(x) is x
    assert tl.as_tensor(x, dtype=tl.float64).dtype == tl.float64
    array = numpy.zeros(2, dtype=numpy.float64)
    shared = tl.from_numpy(array)
    array[1] = 5.0
    assert shared.tolist() == [0.0, 5.0] and shared.dtype == tl.float64
    with pytest.raises(TypeError, match="numpy"):
        tl.from_numpy([1, 2])


@pytest.mark.parametrize("data, error", [([[1, 2], [3]], (TypeError, ValueError)), ("abc", TypeError),
                                         (numpy.array([1], dtype=numpy.uint16), TypeError)], ids=str)
def test_tensor_rejects_bad_data(data, error):
    with pytest.raises(error):
        tl.tensor(data)


@pytest.mark.parametrize("dtype", [tl.int64, tl.int32, tl.bool])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        tl.tensor([1, 2], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tl.zeros(2, dtype=dtype).requires_grad_()


@requires_torch
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("args, kwargs", [((2, 3), {}), (((2, 3),), {}), (([4],), {}), (((),), {}),
                                          ((3,), {"dtype": "int64"}), ((2,), {"dtype": "float64"}),
                                          ((2,), {"dtype": "bool"})], ids=str)
def test_filled_factories(name, args, kwargs):
    ours = getattr(tl, name)(*args, **{k: getattr(tl, v) for k, v in kwargs.items()})
    theirs = getattr(torch, name)(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == numpy.dtype(dtype_name(theirs.dtype))
    if name != "empty":
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
@pytest.mark.parametrize("size, value, dtype", [((2, 3), 3, None), ((2,), 2.5, None), ((2,), True, None),
                                                ([1, 2], 7, "float64"), ((3,), 1.5, "float16")], ids=str)
def test_full(size, value, dtype):
    ours = tl.full(size, value, dtype=None if dtype is None else getattr(tl, dtype))
    theirs = torch.full(size, value, dtype=None if dtype is None else getattr(torch, dtype))
    assert ours.dtype == numpy.dtype(dtype_name(theirs.dtype))
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like"])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_like_factories_keep_shape_dtype_and_device(name, dtype):
    source = tl.ones(2, 3, dtype=tl.float16)
    args = (7.0,) if name == "full_like" else ()
    result = getattr(tl, name)(source, *args, dtype=None if dtype is None else getattr(tl, dtype))
    assert result.shape == (2, 3) and result.device == source.device
    assert result.dtype == (tl.float16 if dtype is None else tl.float64)
    if name in ("zeros_like", "ones_like", "full_like"):
        reference = getattr(torch, name)(torch.ones(2, 3), *args).numpy()
        numpy.testing.assert_array_equal(result.numpy(), reference)


def test_full_like_of_int_and_like_with_grad():
    assert tl.full_like(tl.tensor([1, 2], dtype=tl.int32), 7).tolist() == [7, 7]
    assert tl.zeros_like(tl.tensor([1, 2])).dtype == tl.int64
    assert tl.ones_like(tl.ones(2), requires_grad=True).requires_grad


@requires_torch
@pytest.mark.parametrize("args", [(3,), (3, 2), (2, 4), (1, 1)], ids=str)
def test_eye(args):
    numpy.testing.assert_array_equal(tl.eye(*args).numpy(), torch.eye(*args).numpy())
    assert tl.eye(*args).dtype == tl.float32
    assert tl.eye(2, dtype=tl.int64).dtype == tl.int64


@requires_torch
@pytest.mark.parametrize("args", [(5,), (1, 4), (10, 0, -3), (0, 1, 0.1), (1.0, 2.5, 0.5), (0, 1, 0.3),
                                  (-1.0, 1.0, 0.25), (0.0, 0.9, 0.1), (0, 0), (2.5,)], ids=str)
def test_arange_matches_torch(args):
    ours, theirs = tl.arange(*args), torch.arange(*args)
    assert ours.dtype == numpy.dtype(dtype_name(theirs.dtype))
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_arange_dtype_argument_and_zero_step():
    assert tl.arange(3, dtype=tl.float64).tolist() == [0.0, 1.0, 2.0]
    assert tl.arange(3, dtype=tl.float64).dtype == tl.float64
    with pytest.raises(RuntimeError, match="step"):
        tl.arange(0, 3, 0)


@requires_torch
@pytest.mark.parametrize("args", [(0, 1, 5), (2, -3, 7), (0, 1, 1), (0, 1, 0), (1, 10, 4), (-1.5, 1.5, 11)], ids=str)
def test_linspace_matches_torch(args):
    ours, theirs = tl.linspace(*args), torch.linspace(*args)
    assert ours.dtype == numpy.dtype(dtype_name(theirs.dtype))
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert tl.linspace(0, 1, 3, dtype=tl.float64).dtype == tl.float64


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("dtype", [None, tl.float64, tl.float16])
def test_random_floats(name, dtype):
    tl.manual_seed(3)
    first = getattr(tl, name)(200, 3, dtype=dtype)
    tl.manual_seed(3)
    second = getattr(tl, name)((200, 3), dtype=dtype)
    assert first.shape == (200, 3) and first.dtype == (dtype or tl.float32)
    numpy.testing.assert_array_equal(first.numpy(), second.numpy())
    third = getattr(tl, name)(200, 3, dtype=dtype)
    assert not numpy.array_equal(first.numpy(), third.numpy())
    values = first.numpy().astype(numpy.float64)
    if name == "rand":
        assert values.min() >= 0.0 and values.max() < 1.0 and abs(values.mean() - 0.5) < 0.05
    else:
        assert abs(values.mean()) < 0.15 and abs(values.std() - 1.0) < 0.1


def test_randint_and_randperm():
    tl.manual_seed(0)
    values = tl.randint(2, 5, (1000,))
    assert values.dtype == tl.int64 and values.shape == (1000,)
    assert set(values.tolist()) == {2, 3, 4}
    assert tl.randint(10, (2, 3)).shape == (2, 3)
    assert tl.randint(0, 10, (4,), dtype=tl.int32).dtype == tl.int32
    permutation = tl.randperm(6)
    assert permutation.dtype == tl.int64 and sorted(permutation.tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="low < high"):
        tl.randint(5, 5, (2,))


def test_manual_seed_reproduces_a_mixed_sequence():
    def draw():
        tl.manual_seed(42)
        return [tl.rand(3).tolist(), tl.randn(2).tolist(), tl.randint(0, 100, (3,)).tolist(),
                tl.randperm(5).tolist()]

    assert draw() == draw()
    assert tl.initial_seed() == 42


def test_factories_requires_grad():
    for tensor in (tl.zeros(2, requires_grad=True), tl.rand(2, requires_grad=True),
                   tl.arange(3.0, requires_grad=True), tl.eye(2, requires_grad=True)):
        assert tensor.requires_grad and tensor.is_leaf


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="negative"):
        tl.zeros(2, -1)
