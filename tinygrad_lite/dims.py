"""Normalising dimension arguments (negative dims, tuples, None) with PyTorch's error messages."""
import numpy


def normalize_dim(dim, ndim):
    """One dim as a non-negative int; IndexError naming the valid range otherwise.

    A 0-d tensor accepts dims 0 and -1, as in PyTorch.
    """
    span = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, numpy.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not -span <= dim < span:
        raise IndexError(
            f"dimension out of range (expected to be in range of [{-span}, {span - 1}], but got {dim})"
        )
    return int(dim) % span


def normalize_dims(dim, ndim):
    """``None`` -> all dims; an int or a sequence -> a sorted tuple of non-negative dims.

    An empty sequence stays empty (``squeeze(())`` squeezes nothing); reductions, which read it
    as "all dims", go through :func:`reduction_dims`. A 0-d tensor accepts dims 0 and -1 only.
    """
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            repeated = next(d for d in dims if dims.count(d) > 1)
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
        return tuple(sorted(dims)) if ndim > 0 else ()
    axis = normalize_dim(dim, ndim)
    return (axis,) if ndim > 0 else ()


def reduction_dims(dim, ndim):
    """The dims a reduction (sum, mean, var, norm, amax, ...) reduces: ``None``/``()``/``[]`` = all.

    PyTorch reads an empty dim list as "reduce everything", not "reduce nothing".
    """
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return tuple(range(ndim))
    return normalize_dims(dim, ndim)


def shape_arguments(sizes):
    """``f(2, 3)`` and ``f((2, 3))`` both -> ``(2, 3)``, as PyTorch's size arguments allow."""
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = sizes[0]
    try:
        return tuple(int(size) for size in sizes)
    except TypeError:
        raise TypeError(f"sizes must be ints, got {sizes!r}") from None
