"""Reductions: sum, mean, prod, amax/amin, max/min, argmax/argmin, logsumexp, var, std, norm."""
import builtins
import collections
import math

from tinygrad_lite import dtypes
from tinygrad_lite.amp.autocast_mode import FLOAT32, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.dims import normalize_dim, reduction_dims
from tinygrad_lite.ops.arithmetic import DivScalar
from tinygrad_lite.ops.compare import KeepWhere, where
from tinygrad_lite.ops.operands import as_float
from tinygrad_lite.ops.shape import Expand, Reshape

ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "``(values, indices)`` as returned by ``max(dim)``/``min(dim)``."


def _kept_shape(shape, dims):
    """``shape`` with each reduced dim set to 1 (the ``keepdim=True`` shape)."""
    return tuple(1 if axis in dims else size for axis, size in enumerate(shape))


def _spread(node, grad_output, input_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims (inside ``node``'s backward)."""
    if not keepdim:
        grad_output = node.derivative(Reshape, grad_output, shape=_kept_shape(input_shape, dims))
    return node.derivative(Expand, grad_output, shape=input_shape)


class Sum(Function):
    contiguous_output = True

    def forward(self, x, dims, keepdim, dtype=None):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        return self.xp.sum(x, axis=dims, keepdims=keepdim, dtype=dtype)

    def backward(self, grad_output):
        return _spread(self, grad_output, self.input_shape, self.dims, self.keepdim)


class Mean(Function):
    """Mean over dims (NaN over no elements); float16 accumulates in float32, as in PyTorch.

    ``accumulate`` names a wider dtype to sum in (rounded once at the end): layer norm sums
    float32 in float64, so that the mean of equal values is exactly that value, as PyTorch's
    (Welford) statistics give there.
    """
    contiguous_output = True

    def forward(self, x, dims, keepdim, accumulate=None):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        self.count = math.prod(x.shape[axis] for axis in dims)
        if accumulate is None and x.dtype == dtypes.float16:
            accumulate = dtypes.float32
        total = self.xp.sum(x, axis=dims, keepdims=keepdim, dtype=accumulate)
        mean = total / self.count if self.count else total * math.nan
        return mean.astype(x.dtype, copy=False)

    def backward(self, grad_output):
        spread = _spread(self, grad_output, self.input_shape, self.dims, self.keepdim)
        return self.derivative(DivScalar, spread, scalar=builtins.max(self.count, 1))


def sum_to_shape(xp, x, shape):
    """The array ``x`` summed over its broadcast dims down to ``shape`` (SumToSize's forward)."""
    extra = x.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(f"sum_to_size: cannot reduce shape {x.shape} to larger {shape}")
    axes = tuple(range(extra)) + tuple(
        extra + axis for axis, size in enumerate(shape) if size == 1 and x.shape[extra + axis] != 1
    )
    for axis, size in enumerate(shape):
        if size != 1 and x.shape[extra + axis] != size:
            raise RuntimeError(f"sum_to_size: shape {x.shape} is not expandable from {shape}")
    out = xp.sum(x, axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


class SumToSize(Function):
    """Sum a broadcast result back to ``shape`` (the engine's one place for broadcasting grads)."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        return sum_to_shape(self.xp, x, shape)

    def backward(self, grad_output):
        return grad_output.expand(self.input_shape)


class Prod(Function):
    contiguous_output = True
    saves_inputs = True
    saves_output = True

    def forward(self, x, dims, keepdim, dtype=None, reduce_all=False):
        self.dims, self.keepdim, self.reduce_all = dims, keepdim, reduce_all
        return self.xp.prod(x, axis=dims, keepdims=keepdim, dtype=dtype)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        if x.ndim == 0:  # the product of one number is itself (PyTorch: even for inf)
            return grad_output
        spread = _spread(self, grad_output, x.shape, self.dims, self.keepdim)
        zeros = int((x.data == 0).sum())
        if not zeros:
            return spread * _spread(self, self.output(), x.shape, self.dims, self.keepdim) / x
        if self.reduce_all and zeros > 1 and not GradMode.enabled:
            # PyTorch's prod(): two zeros make every gradient exactly 0 (even an inf or NaN
            # elsewhere, which the products below would turn into NaN)
            return self.constant(self.xp.zeros(x.shape, x.dtype))
        if not GradMode.enabled:  # first order only: the cumulative-product trick suffices
            return spread * self.constant(self._products_of_others(x.data))
        return spread * self._products_of_others_graph(x)

    def _products_of_others_graph(self, x):
        """Differentiable product of the others, for create_graph with zeros: O(n**2) per group."""
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
    """Largest value over dims. Tied maxima share the gradient evenly, and the gradient is
    multiplied by that share, as PyTorch's amax does (an infinite gradient gives NaN elsewhere)."""
    contiguous_output = True
    saves_inputs = True
    saves_output = True
    reducer = "amax"

    def forward(self, x, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim
        return getattr(self.xp, self.reducer)(x, axis=dims, keepdims=keepdim)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        kept = _kept_shape(x.shape, self.dims)
        selected = x.data == self.saved_output.reshape(kept)
        share = selected / selected.sum(axis=self.dims, keepdims=True)
        return _spread(self, grad_output, x.shape, self.dims, self.keepdim) * self.constant(
            share.astype(x.dtype, copy=False)
        )


class AMin(AMax):
    reducer = "amin"


class MaxAll(AMax):
    """``max()`` of all elements: the gradient is selected onto the maxima (NaNs when the result
    is NaN) and split evenly between them, as PyTorch's ``max()`` does."""

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        xp = self.xp
        value = self.saved_output
        chosen = xp.isnan(x.data) if bool(xp.isnan(value)) else x.data == value
        return self.derivative(KeepWhere, grad_output / int(chosen.sum()), keep=chosen)


class MinAll(MaxAll):
    reducer = "amin"


class ArgReduce(Function):
    contiguous_output = True
    differentiable = False

    def forward(self, x, dim, keepdim, reducer):
        xp = self.xp
        if dim is None:
            index = getattr(xp, reducer)(x.reshape(-1))
            result = xp.asarray(index, dtype=dtypes.int64)
            return result.reshape((1,) * x.ndim) if keepdim else result
        index = getattr(xp, reducer)(x, axis=dim).astype(dtypes.int64, copy=False)
        return xp.expand_dims(index, dim) if keepdim and x.ndim else index


class LogSumExp(Function):
    """``log(sum(exp(x)))`` over dims, shifted by the max so it never overflows; -inf when empty."""
    contiguous_output = True
    saves_inputs = True
    saves_output = True

    def forward(self, x, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim
        xp = self.xp
        if x.size == 0:  # log of an empty sum
            return xp.full(_reduced_shape(x.shape, dims, keepdim), -xp.inf, dtype=x.dtype)
        shift = xp.amax(x, axis=dims, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)
        total = xp.log(xp.sum(xp.exp(x - shift), axis=dims, keepdims=True)) + shift
        return total if keepdim else total.reshape(_reduced_shape(x.shape, dims, False))

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        out = _keep_dims(self.output(), x.shape, self.dims, self.keepdim)
        return _keep_dims(grad_output, x.shape, self.dims, self.keepdim) * (x - out).exp()


class Var(Function):
    """Variance over dims, divided by ``max(N - correction, 0)``, with PyTorch's gradient.

    PyTorch's gradient is ``2 / (N - correction) * (x - mean)``; when all dims are reduced and
    ``N - correction <= 0`` it is +inf (NaN where x equals its mean, infinities included).
    """
    contiguous_output = True
    saves_inputs = True

    def forward(self, x, dims, keepdim, correction, reduce_all):
        return self.wide_variance(x, dims, keepdim, correction, reduce_all).astype(x.dtype)

    def wide_variance(self, x, dims, keepdim, correction, reduce_all):
        """The variance in float64 (float32 for float16 input), before rounding to x's dtype."""
        xp = self.xp
        self.dims, self.keepdim, self.reduce_all = dims, keepdim, reduce_all
        count = math.prod(x.shape[axis] for axis in dims)
        self.dof = count - correction
        work = x.astype(dtypes.float32) if x.dtype == dtypes.float16 else x
        # The mean in float64: equal values have exactly their value as mean (and variance 0,
        # as PyTorch's Welford statistics give), so constant data has no rounding-error std.
        mean = xp.sum(work, axis=dims, keepdims=True, dtype=dtypes.float64) / builtins.max(count, 1)
        centered = work - mean
        # Squared deviations accumulate in float64 as PyTorch's CPU kernels do: 1e30 ** 2
        # overflows float32 where the variance itself does not.
        wide = centered.astype(dtypes.float64, copy=False)
        total = xp.sum(wide * wide, axis=dims, keepdims=keepdim)
        if reduce_all and self.dof <= 0:
            self.at_mean = work == mean  # not centered == 0: inf - inf is NaN, yet inf == inf
        if self.dof > 0:
            return total / self.dof
        return xp.where(total > 0, xp.inf, xp.nan)  # total / 0, without a warning

    def backward(self, grad_output):
        return self.variance_backward(grad_output)

    def variance_backward(self, grad_output):
        """The gradient for ``grad_output`` flowing into the variance."""
        (x,) = self.saved_inputs
        xp = self.xp
        grad = _keep_dims(grad_output, x.shape, self.dims, self.keepdim)
        if self.reduce_all and self.dof <= 0:
            factor = xp.where(self.at_mean, xp.nan, xp.inf).astype(x.dtype)
            return grad * self.constant(factor)
        scale = 2.0 / self.dof if self.dof else math.inf
        return (x - x.mean(self.dims, keepdim=True)) * grad * scale


class Std(Var):
    """``sqrt(var)``; PyTorch defines the gradient as 0 where the deviation is 0 (constant data)."""

    saves_output = True

    def forward(self, x, **params):
        return self.xp.sqrt(self.wide_variance(x, **params)).astype(x.dtype)

    def backward(self, grad_output):
        zero = self.constant(self.saved_output == 0)
        safe_out = where(zero, 1.0, self.output())  # no 1/0 even in the unused branch
        return self.variance_backward(where(zero, 0.0, grad_output / (safe_out * 2.0)))


class Norm(Function):
    """Vector p-norm over dims, with PyTorch's gradient (0 where the norm or an element is 0)."""
    contiguous_output = True
    saves_inputs = True
    saves_output = True

    def forward(self, x, p, dims, keepdim, powered_scalar=False):
        xp = self.xp
        self.p, self.dims, self.keepdim = p, dims, keepdim
        work = x.astype(dtypes.float32) if x.dtype == dtypes.float16 else x  # float16 overflows
        if p != 0 and not powered_scalar and math.prod(x.shape[axis] for axis in dims) == 1:
            # PyTorch: a norm of one element is its magnitude (|1e30| ** 2 would overflow),
            # except for a 0-d tensor with an explicit dim (``powered_scalar``)
            return xp.abs(x).reshape(_reduced_shape(x.shape, dims, keepdim))
        if p == 2:
            out = xp.sqrt(xp.sum(work * work, axis=dims, keepdims=keepdim))
        elif p in (math.inf, -math.inf):
            out = (xp.amax if p > 0 else xp.amin)(xp.abs(work), axis=dims, keepdims=keepdim)
        elif p == 0:
            out = xp.sum(work != 0, axis=dims, keepdims=keepdim, dtype=work.dtype)
        elif p == 1:
            out = xp.sum(xp.abs(work), axis=dims, keepdims=keepdim)
        else:
            out = xp.sum(xp.abs(work) ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        return out.astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        p, xp = self.p, self.xp
        if p == 0:  # piecewise constant: PyTorch records the node but returns no gradient
            return None
        grad = _keep_dims(grad_output, x.shape, self.dims, self.keepdim)
        if p == 1:
            return grad * x.sign()
        kept = _kept_shape(x.shape, self.dims)
        norm = _keep_dims(self.output(), x.shape, self.dims, self.keepdim)
        if p in (math.inf, -math.inf):
            magnitude = xp.abs(x.data)
            chosen = (magnitude == self.saved_output.reshape(kept)) | xp.isnan(magnitude)
            share = chosen / chosen.sum(axis=self.dims, keepdims=True)
            return x.sign() * (grad * self.constant(share.astype(x.dtype, copy=False)))
        # Zeros are replaced by 1 before dividing, so even the branch where() drops stays finite.
        norm_is_zero = self.constant(self.saved_output.reshape(kept) == 0)
        safe_norm = where(norm_is_zero, 1.0, norm)
        if p == 2:
            return grad * where(norm_is_zero, 0.0, x / safe_norm)
        magnitude = x.abs()
        if p < 1:
            x_is_zero = self.constant(x.data == 0)
            scale = where(x_is_zero, 0.0, where(x_is_zero, 1.0, magnitude) ** (p - 1))
            return x.sign() * scale * grad * norm ** (1 - p)
        scaled_grad = where(norm_is_zero, 0.0, grad / safe_norm ** (p - 1))
        if p < 2:
            return x.sign() * magnitude ** (p - 1) * scaled_grad
        return x * magnitude ** (p - 2) * scaled_grad


def _reduced_shape(shape, dims, keepdim):
    """The shape a reduction over ``dims`` leaves."""
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(size for axis, size in enumerate(shape) if axis not in dims)


def _keep_dims(tensor, input_shape, dims, keepdim):
    """A reduced ``tensor`` reshaped to the ``keepdim=True`` shape, so it broadcasts on the input."""
    return tensor if keepdim else tensor.reshape(_kept_shape(input_shape, dims))


def _check_reducible(name, shape, dims):
    """PyTorch's IndexError when a max-like reduction (no identity) would reduce an empty dim."""
    for axis in dims:
        if shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def _check_not_empty(name, input, exception=RuntimeError):
    """PyTorch's error for a whole-tensor max-like reduction of a tensor with no elements."""
    if input.data.size == 0:
        raise exception(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                        "Specify the reduction dim with the 'dim' argument.")


def _accumulator(input, dtype):
    """``input`` cast to ``dtype`` if given, and the dtype sum/prod accumulate and return in."""
    if dtype is not None:
        input = input.to(dtype)
        return input, input.data.dtype
    (input,) = autocast_inputs(FLOAT32, input)  # an explicit dtype overrides autocast, as in PyTorch
    return input, (dtypes.int64 if input.data.dtype.kind in "biu" else None)


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (int or sequence; None or empty = all); integer/bool inputs give int64."""
    input, out_dtype = _accumulator(input, dtype)
    return Sum.apply(input, dims=reduction_dims(dim, input.ndim), keepdim=keepdim, dtype=out_dtype)


def sum_to_size(input, *size):
    """Sum broadcast dims so the result has ``size`` (the inverse of ``expand``)."""
    from tinygrad_lite.dims import shape_arguments

    shape = shape_arguments(size)
    if tuple(input.shape) == shape:
        return input
    return SumToSize.apply(input, shape=shape)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Arithmetic mean over ``dim`` (None or empty = all); needs a floating dtype, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, got {input.dtype}"
        )
    return Mean.apply(input, dims=reduction_dims(dim, input.ndim), keepdim=keepdim)


def prod(input, dim=None, keepdim=False, dtype=None):
    """Product over one ``dim`` (None = all elements); integer/bool inputs give int64."""
    if isinstance(dim, (list, tuple)):
        raise TypeError(f"prod(): dim must be an int or None (one dim or all), got {dim!r}")
    input, out_dtype = _accumulator(input, dtype)
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        axis = normalize_dim(dim, input.ndim)
        dims = (axis,) if input.ndim else ()
    return Prod.apply(input, dims=dims, keepdim=keepdim, dtype=out_dtype, reduce_all=dim is None)


def _extremum(name, op, input, dim, keepdim):
    dims = reduction_dims(dim, input.ndim)
    if dim is None or (isinstance(dim, (list, tuple)) and not dim):
        _check_not_empty(name, input)
    _check_reducible(name, input.shape, dims)
    return op.apply(input, dims=dims, keepdim=keepdim)


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (``()`` or None = all); ties share the gradient evenly."""
    return _extremum("amax", AMax, input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (``()`` or None = all); ties share the gradient evenly."""
    return _extremum("amin", AMin, input, dim, keepdim)


def _max_or_min(name, input, dim, keepdim, other, arg_reduce, elementwise):
    from tinygrad_lite.tensor import Tensor

    if isinstance(dim, Tensor) or other is not None:
        return elementwise(input, dim if other is None else other)
    if dim is None:
        _check_not_empty(name, input)
        return (MaxAll if name == "max" else MinAll).apply(input, dims=tuple(range(input.ndim)),
                                                          keepdim=False)
    axis = normalize_dim(dim, input.ndim)
    if input.ndim == 0:  # a 0-d tensor is its own extremum, at index 0
        return ValuesIndices(input.clone(), ArgReduce.apply(input, dim=None, keepdim=False,
                                                            reducer="arg" + name))
    _check_reducible(name, input.shape, (axis,))
    indices = ArgReduce.apply(input, dim=axis, keepdim=True, reducer="arg" + name)
    values = input.gather(axis, indices)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(values, indices)


def max(input, dim=None, keepdim=False, other=None):
    """``max()`` -> largest value; ``max(dim)`` -> (values, indices); ``max(other)`` -> maximum.

    The gradient of ``max()`` goes to the maxima (to the NaNs if the result is NaN), split evenly.
    """
    from tinygrad_lite.ops.compare import maximum

    return _max_or_min("max", input, dim, keepdim, other, argmax, maximum)


def min(input, dim=None, keepdim=False, other=None):
    """``min()`` -> smallest value; ``min(dim)`` -> (values, indices); ``min(other)`` -> minimum."""
    from tinygrad_lite.ops.compare import minimum

    return _max_or_min("min", input, dim, keepdim, other, argmin, minimum)


def _arg_extremum(reducer, input, dim, keepdim):
    if input.data.dtype.kind == "b":
        raise RuntimeError(f"{reducer}(): does not support bool input")
    if dim is None:
        _check_not_empty(reducer, input, IndexError)
        return ArgReduce.apply(input, dim=None, keepdim=keepdim, reducer=reducer)
    axis = normalize_dim(dim, input.ndim)
    if input.ndim:
        _check_reducible(reducer, input.shape, (axis,))
    return ArgReduce.apply(input, dim=axis if input.ndim else None, keepdim=keepdim,
                           reducer=reducer)


def argmax(input, dim=None, keepdim=False):
    """Index (int64) of the largest value over ``dim`` (None = of the flattened tensor)."""
    return _arg_extremum("argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index (int64) of the smallest value over ``dim`` (None = of the flattened tensor)."""
    return _arg_extremum("argmin", input, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x), dim))`` without overflow; -inf over no elements; ``dim=()`` = all dims."""
    (input,) = autocast_inputs(FLOAT32, as_float(input))
    return LogSumExp.apply(input, dims=reduction_dims(dim, input.ndim), keepdim=keepdim)


def _correction(unbiased, correction):
    if correction is not None and unbiased is not None:
        raise RuntimeError("var/std: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _variance(op, name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # legacy positional form var(unbiased)
        dim, unbiased = None, dim
    if input.dtype.kind != "f":
        raise RuntimeError(f"{name}(): std and var only support floating point dtypes, got "
                           f"{input.dtype}")
    reduce_all = dim is None or input.ndim == 0 or (isinstance(dim, (list, tuple)) and not dim)
    return op.apply(input, dims=reduction_dims(dim, input.ndim), keepdim=keepdim,
                    correction=_correction(unbiased, correction), reduce_all=reduce_all)


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance over ``dim`` divided by ``max(N - correction, 0)`` (``unbiased=True``: correction 1)."""
    return _variance(Var, "var", input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation ``sqrt(var(...))``; its gradient is 0 where it is 0 (as in PyTorch)."""
    return _variance(Std, "std", input, dim, unbiased, keepdim, correction)


def norm(input, p="fro", dim=None, keepdim=False):
    """Vector p-norm over ``dim`` (``'fro'``/2, 1, inf, -inf, 0 or any number); gradient 0 at 0."""
    (input,) = autocast_inputs(FLOAT32, input)
    if input.dtype.kind != "f":
        raise RuntimeError(f"norm(): expected a floating point tensor as input, got {input.dtype}")
    if p == "fro":
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"norm: p='fro' over {len(dim)} dims is a matrix norm, whose dim "
                               f"must be a 2-tuple (as in PyTorch), got dim={dim!r}")
        p = 2
    elif isinstance(p, str):
        raise ValueError(f"norm: unsupported p={p!r}; use 'fro' or a number")
    dims = reduction_dims(dim, input.ndim)
    if p in (math.inf, -math.inf) and any(input.shape[axis] == 0 for axis in dims):
        raise RuntimeError(f"norm(): cannot compute the {p} norm over an empty dim of shape "
                           f"{list(input.shape)}: the max has no identity")
    return Norm.apply(input, p=float(p), dims=dims, keepdim=keepdim,
                      powered_scalar=input.ndim == 0 and dim not in (None, (), []))
