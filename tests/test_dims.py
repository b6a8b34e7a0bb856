"""Tests for tinygrad_lite/dims.py: normalising dim arguments as PyTorch does."""
import pytest

from tinygrad_lite.dims import normalize_dim, normalize_dims, reduction_dims, shape_arguments


@pytest.mark.parametrize("dim, ndim, expected", [(0, 2, 0), (-1, 2, 1), (0, 0, 0), (-1, 0, 0)])
def test_normalize_dim(dim, ndim, expected):
    assert normalize_dim(dim, ndim) == expected


@pytest.mark.parametrize("dim, ndim", [(2, 2), (-3, 2), (1, 0), (-2, 0)])
def test_normalize_dim_out_of_range_names_the_range(dim, ndim):
    with pytest.raises(IndexError, match="Dimension out of range|dimension out of range"):
        normalize_dim(dim, ndim)


@pytest.mark.parametrize("dim", [1, (1,), [0, 1]], ids=str)
def test_normalize_dims_checks_the_dims_of_a_0d_tensor(dim):
    with pytest.raises(IndexError, match=r"\[-1, 0\]"):
        normalize_dims(dim, 0)
    assert normalize_dims(0, 0) == () and normalize_dims((-1,), 0) == ()


@pytest.mark.parametrize("dim, expected", [(None, (0, 1, 2)), ((), ()), ([], ()), ((2, 0), (0, 2)),
                                           (-1, (2,))], ids=str)
def test_normalize_dims_keeps_an_empty_list_empty(dim, expected):
    assert normalize_dims(dim, 3) == expected


@pytest.mark.parametrize("dim, expected", [(None, (0, 1, 2)), ((), (0, 1, 2)), ([], (0, 1, 2)),
                                           ((2, 0), (0, 2)), (1, (1,))], ids=str)
def test_reduction_dims_read_an_empty_list_as_every_dim(dim, expected):
    assert reduction_dims(dim, 3) == expected
    assert reduction_dims((), 0) == ()


def test_a_repeated_dim_is_named():
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        normalize_dims((1, -2), 3)


def test_shape_arguments():
    assert shape_arguments((2, 3)) == shape_arguments(((2, 3),)) == (2, 3)
    with pytest.raises(TypeError, match="sizes must be ints"):
        shape_arguments((None,))
