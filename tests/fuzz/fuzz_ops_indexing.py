"""Op builders: getitem index mixes, setitem, gather, scatter_add, index_select, masked_fill."""
import numpy

from fuzz_draft import Draft, without_grad
from fuzz_index import bool_literal, int_literal, random_index


def getitem(ctx):
    """``a[index]`` with a random index mix; sometimes a whole or leading-dims bool mask."""
    a = ctx.pick()
    shape = ctx.shape(a)
    roll = ctx.rng.random()
    if roll < 0.06:
        return Draft("getitem", f"{a}[{a} > 0]", "mask from comparison")
    if roll < 0.12 and len(shape) >= 2:
        count = int(ctx.rng.integers(2, len(shape) + 1))
        mask = bool_literal(ctx.rng.random(shape[:count]) < 0.5)
        return Draft("getitem", f"{a}[{mask}]", f"{count}-d mask")
    index, variant = random_index(ctx, shape)
    if ctx.chance(0.12):
        first = ctx.evaluate(f"{a}[{index}]")
        if first is not None:
            second, second_variant = random_index(ctx, tuple(first.shape))
            return Draft("getitem", f"{a}[{index}][{second}]", f"{variant} then {second_variant}")
    return Draft("getitem", f"{a}[{index}]", variant)


def setitem(ctx):
    """``a[index] = value`` on a tensor that needs no grad: a scalar, a tensor, a broadcast."""
    a = ctx.pick(without_grad)
    if a is None:
        return None
    index, variant = random_index(ctx, ctx.shape(a))
    selected = ctx.evaluate(f"{a}[{index}]")
    if selected is None:
        return None
    roll = ctx.rng.random()
    if roll < 0.4:
        value, kind = ctx.scalar(integral=not ctx.is_float(a)), "scalar"
    elif roll < 0.5:
        value, kind = ctx.pick(), "bound tensor"
    else:
        shape = tuple(selected.shape)
        if ctx.chance(0.3):
            shape = shape[int(ctx.rng.integers(0, len(shape) + 1)):]
        dtype = ctx.dtype(a) if ctx.chance(0.85) else None
        value, kind = ctx.new_input(shape, dtype, requires_grad=ctx.chance(0.15)), "tensor"
    return Draft("setitem", f"{a}[{index}] = {value}", f"{variant} = {kind}", mutates=True, binds=False)


def _index_tensor(ctx, shape, upper):
    values = ctx.rng.integers(0, max(upper, 1), size=shape) if upper else numpy.zeros(shape, dtype=int)
    if upper == 0 and values.size:
        values = numpy.zeros(shape, dtype=int)
    return int_literal(numpy.asarray(values, dtype=numpy.int64))


def gather(ctx):
    """``a.gather(dim, index)`` with an index no larger than ``a`` outside ``dim``."""
    a = ctx.pick()
    dim = ctx.dim(ctx.ndim(a), invalid_probability=0.0)
    axis = dim % max(ctx.ndim(a), 1)
    index_shape = tuple(int(ctx.rng.integers(0, 4)) if d == axis else int(ctx.rng.integers(0, size + 1))
                        for d, size in enumerate(ctx.shape(a)))
    index = _index_tensor(ctx, index_shape, ctx.size_along(a, dim))
    return Draft("gather", ctx.call("gather", a, f"{dim}, {index}"))


def scatter_add(ctx):
    """``a.scatter_add(dim, index, src)`` with ``src`` shaped like the index."""
    a = ctx.pick()
    dim = ctx.dim(ctx.ndim(a), invalid_probability=0.0)
    index_shape = tuple(int(ctx.rng.integers(0, size + 1)) for size in ctx.shape(a))
    index = _index_tensor(ctx, index_shape, ctx.size_along(a, dim))
    source = ctx.new_input(index_shape, ctx.dtype(a) if ctx.chance(0.9) else None)
    return Draft("scatter_add", ctx.call("scatter_add", a, f"{dim}, {index}, {source}"))


def index_select(ctx):
    """``a.index_select(dim, index)`` with a 1-d (sometimes 0-d or empty) index."""
    a = ctx.pick()
    dim = ctx.dim(ctx.ndim(a), invalid_probability=0.0)
    index_shape = () if ctx.chance(0.1) else (int(ctx.rng.integers(0, 4)),)
    index = _index_tensor(ctx, index_shape, ctx.size_along(a, dim))
    return Draft("index_select", ctx.call("index_select", a, f"{dim}, {index}"))


def masked_fill(ctx):
    """``a.masked_fill(mask, value)``: a comparison or a broadcasting bool mask; scalar or 0-d value."""
    a = ctx.pick()
    mask = f"{a} > 0" if ctx.chance(0.4) else ctx.new_input(ctx.partner_shape(ctx.shape(a)), "bool")
    roll = ctx.rng.random()
    if roll < 0.65:
        value = ctx.scalar(integral=not ctx.is_float(a))
    elif roll < 0.85:
        value = ctx.pick(lambda c, n: c.ndim(n) == 0) or "lib.tensor(2.5)"
    else:
        value = ctx.new_input((), ctx.dtype(a))
    return Draft("masked_fill", f"{a}.masked_fill({mask}, {value})")


BUILDERS = {getitem: 12, setitem: 5, gather: 2, scatter_add: 2, index_select: 2, masked_fill: 3}
