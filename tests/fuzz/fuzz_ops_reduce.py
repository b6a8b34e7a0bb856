"""Op builders: reductions (dim / keepdim / correction variants), softmax, log_softmax."""
from fuzz_draft import Draft, float_tensor

SIMPLE = ("sum", "mean", "amax", "amin", "logsumexp")
VARIANCE = ("var", "std")
NORM_ORDERS = ("2", "1", "0", "0.5", "3", "inf", "-inf", "'fro'")


def dims_argument(ctx, ndim, allow_tuple=True):
    """``dim=...`` source: an int, a tuple (empty included) or a list; returns (source, label)."""
    roll = ctx.rng.random()
    if roll < 0.55 or not allow_tuple:
        return str(ctx.dim(ndim)), "int dim"
    if roll < 0.7:
        return "()", "dim=()"
    count = int(ctx.rng.integers(1, max(ndim, 1) + 1))
    dims = sorted({ctx.dim(ndim) for _ in range(count)})
    if ctx.chance(0.2):
        return str(dims), "list dim"
    return str(tuple(dims)), "tuple dim"


def _keepdim(ctx):
    return ", keepdim=True" if ctx.chance(0.4) else ""


def simple_reduction(ctx):
    """sum / mean / amax / amin / logsumexp over all dims, an int, a tuple or ``()``."""
    a = ctx.pick()
    op = ctx.choice(SIMPLE)
    if op in ("sum", "mean") and ctx.chance(0.25):
        return Draft(op, f"{a}.{op}()", "all")
    dims, label = dims_argument(ctx, ctx.ndim(a))
    if ctx.chance(0.3):
        return Draft(op, f"lib.{op}({a}, {dims}{_keepdim(ctx)})", label)
    return Draft(op, f"{a}.{op}(dim={dims}{_keepdim(ctx)})", label)


def prod(ctx):
    """``prod()`` and ``prod(dim, keepdim)``."""
    a = ctx.pick()
    if ctx.chance(0.4):
        return Draft("prod", f"{a}.prod()", "all")
    return Draft("prod", f"{a}.prod({ctx.dim(ctx.ndim(a))}{_keepdim(ctx)})", "int dim")


def variance(ctx):
    """var / std with ``unbiased`` or ``correction`` (0, 1, 2, 0.5), dims and keepdim."""
    a = ctx.pick(float_tensor) or ctx.pick()
    op = ctx.choice(VARIANCE)
    arguments, labels = [], []
    if ctx.chance(0.7):
        dims, label = dims_argument(ctx, ctx.ndim(a))
        arguments.append(f"dim={dims}")
        labels.append(label)
    if ctx.chance(0.5):
        correction = ctx.choice(["0", "1", "2", "0.5"])
        arguments.append(f"correction={correction}")
        labels.append(f"correction={correction}")
    elif ctx.chance(0.3):
        arguments.append(f"unbiased={ctx.choice(['True', 'False'])}")
        labels.append("unbiased")
    if labels[:1] != ["unbiased"] and ctx.chance(0.3):  # var(unbiased=, keepdim=) is no overload
        arguments.append("keepdim=True")
    return Draft(op, f"{a}.{op}({', '.join(arguments)})", " ".join(labels) or "all")


def norm(ctx):
    """``norm(p, dim, keepdim)`` for several orders."""
    a = ctx.pick(float_tensor) or ctx.pick()
    order = ctx.choice(NORM_ORDERS)
    if ctx.chance(0.4):
        return Draft("norm", f"{a}.norm(p={order})", f"p={order}")
    dims, label = dims_argument(ctx, ctx.ndim(a))
    return Draft("norm", f"{a}.norm(p={order}, dim={dims}{_keepdim(ctx)})", f"p={order} {label}")


def max_min(ctx):
    """``max()`` / ``min()``, ``max(dim)`` values or indices, ``argmax`` / ``argmin``."""
    a = ctx.pick()
    op = ctx.choice(["max", "min", "argmax", "argmin"])
    if ctx.chance(0.3):
        return Draft(op, f"{a}.{op}()", "all")
    dim = ctx.dim(ctx.ndim(a))
    if op.startswith("arg"):
        return Draft(op, f"{a}.{op}(dim={dim}{_keepdim(ctx)})", "dim")
    part = ctx.choice(["[0]", "[1]", ".values", ".indices"])
    return Draft(op, f"{a}.{op}({dim}{_keepdim(ctx)}){part}", f"dim {part}")


def softmax(ctx):
    """softmax / log_softmax as methods, ``lib.`` and ``F.`` functions."""
    a = ctx.pick(float_tensor) or ctx.pick()
    op = ctx.choice(["softmax", "log_softmax"])
    dim = ctx.dim(ctx.ndim(a))
    form = ctx.choice([f"{a}.{op}({dim})", f"lib.{op}({a}, {dim})", f"F.{op}({a}, dim={dim})"])
    return Draft(op, form)


BUILDERS = {simple_reduction: 8, prod: 2, variance: 4, norm: 3, max_min: 4, softmax: 3}
