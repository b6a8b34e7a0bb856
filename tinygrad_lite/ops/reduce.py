"""Reductions: sum, mean, prod, amax/amin, max/min, argmax/argmin, logsumexp, var, std, norm."""
import collections
import math

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.dims import normalize_dim, normalize_dims
from tinygrad_lite.ops.operands import as_float

ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "``(values, indices)`` as returned by ``max(dim)``/``min(dim)``."


def _kept_shape(shape, dims):
    """``shape`` with each reduced dim set to 1 (the ``keepdim=True`` shape)."""
    return tuple(1 if axis in dims else size for axis, size in enumerate(shape))


def _spread(grad_output, input_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim:
        grad_output = grad_output.reshape(_kept_shape(input_shape, dims))
    return grad_output.expand(input_shape)


class Sum(Function):
    def forward(self, x, dims, keepdim):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        out_dtype = dtypes.int64 if x.dtype.kind in "biu" else None
        return self.xp.sum(x, axis=dims, keepdims=keepdim, dtype=out_dtype)

    def backward(self, grad_output):
        return _spread(grad_output, self.input_shape, self.dims, self.keepdim)


class SumToSize(Function):
    """Sum a broadcast result back to ``shape`` (the engine's one place for broadcasting grads)."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        extra = x.ndim - len(shape)
        if extra < 0:
            raise RuntimeError(f"sum_to_size: cannot reduce shape {x.shape} to larger {shape}")
        axes = tuple(range(extra)) + tuple(
            extra + axis for axis, size in enumerate(shape) if size == 1 and x.shape[extra + axis] != 1
        )
        for axis, size in enumerate(shape):
            if size != 1 and x.shape[extra + axis] != size:
                raise RuntimeError(f"sum_to_size: shape {x.shape} is not expandable from {shape}")
        out = self.xp.sum(x, axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    def backward(self, grad_output):
        return grad_output.expand(self.input_shape)


class Prod(Function):
    saves_inputs = True
    saves_output = True

    def forward(self, x, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim
        out_dtype = dtypes.int64 if x.dtype.kind in "biu" else None
        return self.xp.prod(x, axis=dims, keepdims=keepdim, dtype=out_dtype)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        spread = _spread(grad_output, x.shape, self.dims, self.keepdim)
        if not bool((x.data == 0).any()):
            return spread * _spread(self.output(), x.shape, self.dims, self.keepdim) / x
        if not GradMode.enabled:  # first order only: the cumulative-product trick suffices
            return spread * self.constant(self._products_of_others(x.data))
        return spread * self._products_of_others_graph(x)

    def _products_of_others_graph(self, x):
        """Differentiable product of the others, for create_graph with zeros: O(n**2) per group."""
        from tinygrad_lite.ops.compare import where

        dims = self.dims if self.dims else tuple(range(x.ndim))
        order = [axis for axis in range(x.ndim) if axis not in dims] + list(dims)
        moved = x.permute(order) if order else x
        kept = moved.shape[: moved.ndim - len(dims)]
        flat = moved.reshape(kept + (-1,))
        size = flat.shape[-1]
        # Row i of the grid is the group with element i replaced by 1: its product skips i.
        diagonal = self.constant(self.xp.eye(size, dtype=bool))
        grid = flat.unsqueeze(-2).expand(kept + (size, size))
        others = where(diagonal, 1.0, grid).prod(-1).reshape(moved.shape)
        inverse = sorted(range(len(order)), key=order.__getitem__)
        return others.permute(inverse) if order else others

    def _products_of_others(self, array):
        """For each element, the product of the others in its reduction group (zeros allowed)."""
        xp = self.xp
        dims = self.dims if self.dims else tuple(range(array.ndim))
        moved = xp.moveaxis(array, dims, tuple(range(-len(dims), 0)))
        flat = moved.reshape(moved.shape[: moved.ndim - len(dims)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), array.dtype)
        before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], ones], axis=-1), -1), -1), -1)
        others = (before * after).reshape(moved.shape)
        return xp.moveaxis(others, tuple(range(-len(dims), 0)), dims)


class AMax(Function):
    """Largest value over dims; the gradient is shared evenly between tied maxima (PyTorch)."""

    saves_inputs = True
    saves_output = True
    reducer = "amax"

    def forward(self, x, dims, keepdim):
        if x.size == 0:
            raise RuntimeError(f"{self.reducer}(): cannot reduce an empty tensor of shape {x.shape}")
        self.dims, self.keepdim = dims, keepdim
        return getattr(self.xp, self.reducer)(x, axis=dims, keepdims=keepdim)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        kept = _kept_shape(x.shape, self.dims)
        selected = x.data == self.saved_output.reshape(kept)
        share = selected / selected.sum(axis=self.dims, keepdims=True)
        return _spread(grad_output, x.shape, self.dims, self.keepdim) * self.constant(
            share.astype(x.dtype, copy=False)
        )


class AMin(AMax):
    reducer = "amin"


class ArgReduce(Function):
    differentiable = False

    def forward(self, x, dim, keepdim, reducer):
        if x.size == 0:
            raise RuntimeError(f"{reducer}(): cannot reduce an empty tensor of shape {x.shape}")
        xp = self.xp
        if dim is None:
            index = getattr(xp, reducer)(x.reshape(-1))
            result = xp.asarray(index, dtype=dtypes.int64)
            return result.reshape((1,) * x.ndim) if keepdim else result
        index = getattr(xp, reducer)(x, axis=dim).astype(dtypes.int64, copy=False)
        return xp.expand_dims(index, dim) if keepdim and x.ndim else index


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (int, tuple or None = all); integer/bool inputs give int64."""
    if dtype is not None:
        input = input.to(dtype)
    return Sum.apply(input, dims=normalize_dims(dim, input.ndim), keepdim=keepdim)


def sum_to_size(input, *size):
    """Sum broadcast dims so the result has ``size`` (the inverse of ``expand``)."""
    from tinygrad_lite.dims import shape_arguments

    shape = shape_arguments(size)
    if tuple(input.shape) == shape:
        return input
    return SumToSize.apply(input, shape=shape)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Arithmetic mean over ``dim``; needs a floating dtype, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, got {input.dtype}"
        )
    dims = normalize_dims(dim, input.ndim)
    count = math.prod(input.shape[axis] for axis in dims)
    return sum(input, dims, keepdim) / count if count else sum(input, dims, keepdim) * math.nan


def prod(input, dim=None, keepdim=False, dtype=None):
    """Product over ``dim`` (None = all elements)."""
    if dtype is not None:
        input = input.to(dtype)
    return Prod.apply(input, dims=normalize_dims(dim, input.ndim), keepdim=keepdim)


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (``()`` or None = all); ties share the gradient evenly."""
    dims = normalize_dims(None if dim == () else dim, input.ndim)
    return AMax.apply(input, dims=dims, keepdim=keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (``()`` or None = all); ties share the gradient evenly."""
    dims = normalize_dims(None if dim == () else dim, input.ndim)
    return AMin.apply(input, dims=dims, keepdim=keepdim)


def _max_or_min(input, dim, keepdim, other, reduce_all, arg_reduce, elementwise):
    from tinygrad_lite.tensor import Tensor

    if isinstance(dim, Tensor) or other is not None:
        return elementwise(input, dim if other is None else other)
    if dim is None:
        return reduce_all(input)
    axis = normalize_dim(dim, input.ndim)
    if input.ndim == 0:  # a 0-d tensor is its own extremum, at index 0
        return ValuesIndices(input.clone(), arg_reduce(input, axis))
    indices = arg_reduce(input, axis, keepdim=True)
    values = input.gather(axis, indices)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(values, indices)


def max(input, dim=None, keepdim=False, other=None):
    """``max()`` -> largest value; ``max(dim)`` -> (values, indices); ``max(other)`` -> maximum."""
    from tinygrad_lite.ops.compare import maximum

    return _max_or_min(input, dim, keepdim, other, amax, argmax, maximum)


def min(input, dim=None, keepdim=False, other=None):
    """``min()`` -> smallest value; ``min(dim)`` -> (values, indices); ``min(other)`` -> minimum."""
    from tinygrad_lite.ops.compare import minimum

    return _max_or_min(input, dim, keepdim, other, amin, argmin, minimum)


def argmax(input, dim=None, keepdim=False):
    """Index (int64) of the largest value over ``dim`` (None = of the flattened tensor)."""
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    return ArgReduce.apply(input, dim=axis, keepdim=keepdim, reducer="argmax")


def argmin(input, dim=None, keepdim=False):
    """Index (int64) of the smallest value over ``dim`` (None = of the flattened tensor)."""
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    return ArgReduce.apply(input, dim=axis, keepdim=keepdim, reducer="argmin")


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x), dim))`` computed without overflow (shifted by the detached max)."""
    input = as_float(input)
    dims = normalize_dims(dim, input.ndim)
    shift = input.detach().amax(dims, keepdim=True)
    shift = shift.masked_fill(~shift.isfinite(), 0.0)
    total = (input - shift).exp().sum(dims, keepdim=True).log() + shift
    return total if keepdim else total.squeeze(dims)


def _correction(unbiased, correction):
    if correction is not None and unbiased is not None:
        raise RuntimeError("var/std: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance over ``dim`` divided by ``N - correction`` (``unbiased=True`` means correction 1)."""
    if isinstance(dim, bool):  # legacy positional form var(unbiased)
        dim, unbiased = None, dim
    if input.dtype.kind != "f":
        raise RuntimeError(f"var(): input dtype must be floating point, got {input.dtype}")
    dims = normalize_dims(dim, input.ndim)
    count = math.prod(input.shape[axis] for axis in dims)
    centered = input - input.mean(dims, keepdim=True)
    divisor = count - _correction(unbiased, correction)
    total = (centered * centered).sum(dims, keepdim=keepdim)
    return total / divisor if divisor > 0 else total * math.inf if divisor == 0 else total * math.nan


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    return var(input, dim, unbiased, keepdim, correction).sqrt()


def norm(input, p="fro", dim=None, keepdim=False):
    """Vector p-norm over ``dim`` (``'fro'``/2, 1, inf, -inf, 0 or any number); gradient 0 at 0."""
    input = as_float(input)
    dims = normalize_dims(dim, input.ndim)
    magnitude = input.abs()
    if p in ("fro", 2, 2.0):
        squared = (input * input).sum(dims, keepdim=keepdim)
        zero = squared == 0
        # sqrt has an infinite slope at 0; PyTorch defines the norm's gradient there as 0.
        return squared.masked_fill(zero, 1.0).sqrt().masked_fill(zero, 0.0)
    if p == math.inf:
        return magnitude.amax(dims, keepdim=keepdim)
    if p == -math.inf:
        return magnitude.amin(dims, keepdim=keepdim)
    if p == 0:
        return (input != 0).to(input.dtype).sum(dims, keepdim=keepdim)
    if p == 1:
        return magnitude.sum(dims, keepdim=keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm: unsupported p={p!r}; use 'fro' or a number")
    powered = (magnitude ** p).sum(dims, keepdim=keepdim)
    zero = powered == 0
    return powered.masked_fill(zero, 1.0).pow(1.0 / p).masked_fill(zero, 0.0)
