"""Op builders: movement ops (reshape, view, permute, expand, pad, ...) and joins (cat, split, ...)."""
import math

from fuzz_draft import Draft, at_least_1d


def random_reshape(ctx, shape, allow_minus_one=True):
    """Source of a shape with the same number of elements, sometimes with a ``-1``."""
    count = math.prod(shape)
    sizes = []
    remaining = count
    while remaining > 1 and len(sizes) < 3:
        divisors = [d for d in range(2, remaining + 1) if remaining % d == 0]
        size = ctx.choice(divisors)
        sizes.append(size)
        remaining //= size
    if remaining != 1 or count == 0:
        sizes.append(remaining)
    while len(sizes) < 4 and ctx.chance(0.3):
        sizes.insert(int(ctx.rng.integers(0, len(sizes) + 1)), 1)
    sizes = [sizes[i] for i in ctx.rng.permutation(len(sizes))]
    if sizes and allow_minus_one and ctx.chance(0.3):
        sizes[int(ctx.rng.integers(0, len(sizes)))] = -1
    if not sizes:
        return "(())"
    return "(" + ", ".join(map(str, sizes)) + ("," if len(sizes) == 1 else "") + ")"


def reshape(ctx):
    """``reshape`` / ``view`` / ``reshape_as`` / ``view_as`` to a random compatible shape."""
    a = ctx.pick()
    op = ctx.choice(["reshape", "view", "reshape", "flatten_all"])
    if op == "flatten_all":
        return Draft("reshape", f"{a}.reshape(-1)", "-1")
    target = random_reshape(ctx, ctx.shape(a))
    if ctx.chance(0.2):
        return Draft(op, f"lib.reshape({a}, {target})" if op == "reshape" else f"{a}.{op}({target})")
    return Draft(op, f"{a}.{op}{target}" if ctx.chance(0.5) else f"{a}.{op}({target})", "")


def flatten(ctx):
    """``flatten(start, end)`` and ``unflatten(dim, sizes)``."""
    a = ctx.pick()
    ndim = ctx.ndim(a)
    if ctx.chance(0.6):
        start, end = sorted([ctx.dim(ndim), ctx.dim(ndim)])
        return Draft("flatten", f"{a}.flatten({start}, {end})" if ctx.chance(0.7) else f"{a}.flatten()")
    if ndim == 0:
        return None
    dim = ctx.dim(ndim)
    sizes = random_reshape(ctx, (ctx.size_along(a, dim),))
    return Draft("unflatten", f"{a}.unflatten({dim}, {sizes})")


def squeeze(ctx):
    """``squeeze()``, ``squeeze(dim)``, ``squeeze(dims)``, ``unsqueeze(dim)``."""
    a = ctx.pick()
    ndim = ctx.ndim(a)
    roll = ctx.rng.random()
    if roll < 0.4:
        return Draft("unsqueeze", f"{a}.unsqueeze({ctx.dim(ndim + 1)})")
    if roll < 0.6:
        return Draft("squeeze", f"{a}.squeeze()", "all")
    if roll < 0.85:
        return Draft("squeeze", f"{a}.squeeze({ctx.dim(ndim)})", "dim")
    dims = tuple(sorted({ctx.dim(ndim) for _ in range(2)}))
    return Draft("squeeze", f"lib.squeeze({a}, {dims})", "dims")


def permute(ctx):
    """``permute``, ``transpose``, ``swapaxes``, ``t()``, ``.T``, ``.mT``."""
    a = ctx.pick()
    ndim = ctx.ndim(a)
    op = ctx.choice(["permute", "transpose", "transpose", "swapaxes", "t", "T", "mT"])
    if op == "permute":
        order = [int(d) for d in ctx.rng.permutation(ndim)]
        order = [d - ndim if ctx.chance(0.2) else d for d in order]
        return Draft("permute", f"{a}.permute({', '.join(map(str, order))})" if order else f"{a}.permute(())")
    arguments = {"transpose": f"({ctx.dim(ndim)}, {ctx.dim(ndim)})", "t": "()"}
    arguments["swapaxes"] = arguments["transpose"]
    return Draft(op, f"{a}.{op}{arguments.get(op, '')}")


def expand(ctx):
    """``expand`` (with -1 and new leading dims), ``expand_as``, ``broadcast_to``, ``repeat``."""
    a = ctx.pick()
    shape = ctx.shape(a)
    sizes = [ctx.choice([s, -1]) if s != 1 else ctx.choice([1, 2, 3, -1]) for s in shape]
    if ctx.chance(0.4):
        sizes.insert(0, ctx.choice([0, 1, 2, 3]))
    op = ctx.choice(["expand", "expand", "broadcast_to", "repeat", "expand_as"])
    if op == "broadcast_to":
        return Draft(op, f"lib.broadcast_to({a}, {tuple(s if s != -1 else 1 for s in sizes)})")
    if op == "repeat":
        reps = [ctx.choice([1, 2, 3, 0]) for _ in range(len(shape) + int(ctx.rng.integers(0, 2)))]
        return Draft(op, f"{a}.repeat({', '.join(map(str, reps))})" if reps else f"{a}.repeat(())")
    if op == "expand_as":
        other = ctx.pick()
        return Draft(op, f"{a}.expand_as({other})")
    return Draft("expand", f"{a}.expand({', '.join(map(str, sizes))})" if sizes else f"{a}.expand(())")


def _pick_with_dim(ctx):
    """A tensor with at least one dim, a dim of it (now and then out of range) and its size."""
    a = ctx.pick(at_least_1d)
    if a is None:
        return None, None, None
    dim = ctx.dim(ctx.ndim(a))
    return a, dim, ctx.size_along(a, dim)


def narrow(ctx):
    """``narrow(dim, start, length)`` and ``lib.narrow``."""
    a, dim, size = _pick_with_dim(ctx)
    if a is None:
        return None
    start = int(ctx.rng.integers(-size, size + 1)) if size else 0
    length = int(ctx.rng.integers(0, size + 1))
    return Draft("narrow", ctx.call("narrow", a, f"{dim}, {start}, {length}"))


def triangle(ctx):
    """``tril`` / ``triu`` with a diagonal offset."""
    a = ctx.pick()
    op = ctx.choice(["tril", "triu"])
    diagonal = ctx.choice(["", "1", "-1", "diagonal=2"])
    return Draft(op, ctx.call(op, a, diagonal, function_probability=0.5))


def pad(ctx):
    """``F.pad`` constant mode, negative (cropping) pads and a fill value."""
    a = ctx.pick()
    count = 2 * int(ctx.rng.integers(1, max(ctx.ndim(a), 1) + 1))
    pads = [int(ctx.rng.integers(-1, 3)) for _ in range(count)]
    value = f", value={ctx.scalar()}" if ctx.chance(0.3) else ""
    return Draft("pad", f"F.pad({a}, {tuple(pads)}{value})")


def _same_shape_partner(ctx, a, dim):
    """A fresh input (or the tensor itself) matching ``a`` except along ``dim``."""
    shape = list(ctx.shape(a))
    if ctx.chance(0.2):
        return a
    if shape and -len(shape) <= dim < len(shape):
        shape[dim] = ctx.choice([0, 1, 2, 3])
    dtype = ctx.dtype(a) if ctx.chance(0.8) else None
    return ctx.new_input(tuple(shape), dtype)


def cat_stack(ctx):
    """``lib.cat`` / ``lib.stack`` / ``lib.concat`` of 1-3 tensors along a random dim."""
    a = ctx.pick()
    op = ctx.choice(["cat", "cat", "stack", "concat"])
    ndim = ctx.ndim(a) + (1 if op == "stack" else 0)
    dim = ctx.dim(ndim)
    parts = [a] + [(_same_shape_partner(ctx, a, dim) if op != "stack" else
                    (a if ctx.chance(0.3) else ctx.new_input(ctx.shape(a), ctx.dtype(a))))
                   for _ in range(int(ctx.rng.integers(0, 3)))]
    if op == "cat" and ctx.chance(0.05):
        parts.append("lib.zeros(0)")
    keyword = f"dim={dim}" if ctx.chance(0.5) else str(dim)
    return Draft(op, f"lib.{op}([{', '.join(parts)}], {keyword})", f"{len(parts)} parts")


def split(ctx):
    """``split`` (size or sizes), ``chunk``, ``unbind``; one piece is kept."""
    a, dim, size = _pick_with_dim(ctx)
    if a is None:
        return None
    op = ctx.choice(["split", "split_sizes", "chunk", "unbind"])
    piece = int(ctx.rng.integers(-1, 2))
    if op == "split":
        return Draft("split", f"{a}.split({ctx.choice([1, 2, 3])}, {dim})[{piece}]", "size")
    if op == "split_sizes":
        first = int(ctx.rng.integers(0, size + 1))
        return Draft("split", f"lib.split({a}, [{first}, {size - first}], dim={dim})[{piece}]", "sizes")
    if op == "chunk":
        return Draft("chunk", f"{a}.chunk({ctx.choice([1, 2, 3])}, {dim})[{piece}]")
    return Draft("unbind", f"{a}.unbind({dim})[{piece}]")


BUILDERS = {reshape: 5, flatten: 3, squeeze: 3, permute: 4, expand: 3, narrow: 2, triangle: 2,
            pad: 2, cat_stack: 4, split: 3}
