"""Op builders: in-place ops (add_, mul_, sub_, div_, pow_, clamp_, fill_, zero_, copy_,
masked_fill_) on non-leaf tensors and on views of them (basic index, view, transpose, narrow, ...).

The written tensor is usually bound already, so later lines (and the loss) see the write through
the view; comparing every bound name after each line shows a write that did not land.
"""
from fuzz_draft import Draft, float_tensor, writable
from fuzz_index import ADVANCED, random_index

INPLACE_OPS = ("add_", "sub_", "mul_", "div_", "pow_", "clamp_", "fill_", "zero_", "copy_",
               "masked_fill_")


def _view_suffix(ctx, name):
    """(suffix, label) turning ``name`` into a view of it (or itself, or a copy for contrast)."""
    shape, ndim = ctx.shape(name), ctx.ndim(name)
    form = ctx.choice(["", "", "index", "index", "view", "transpose", "narrow", "T", "unsqueeze",
                       "squeeze", "detach", "expand", "advanced index"])
    if form == "index":
        index, _ = random_index(ctx, shape, basic_only=True)
        return f"[{index}]", "basic index"
    if form == "advanced index":
        index, variant = random_index(ctx, shape)
        advanced = any(kind in variant for kind in ADVANCED)
        return f"[{index}]", "advanced index (a copy)" if advanced else "basic index"
    if form == "view":
        return ctx.choice([".view(-1)", f".view({shape})" if shape else ".view(())"]), "view"
    if form == "transpose":
        return f".transpose({ctx.dim(ndim)}, {ctx.dim(ndim)})", "transpose"
    if form == "narrow" and ndim:
        size = shape[0]
        return f".narrow(0, {int(ctx.rng.integers(0, size + 1))}, {min(1, size)})", "narrow"
    if form == "T":
        return ctx.choice([".T", ".mT", ".t()"]), "T"
    if form == "unsqueeze":
        return f".unsqueeze({ctx.dim(ndim + 1)})", "unsqueeze"
    if form == "squeeze":
        return ".squeeze()", "squeeze"
    if form == "detach":
        return ".detach()", "detach"
    if form == "expand" and ndim:
        return f".expand(2, {', '.join(map(str, shape))})", "expand"
    return "", "direct"


def _operand(ctx, name, view_shape):
    """A value broadcastable to ``view_shape``: a scalar, a bound tensor or a fresh input."""
    if ctx.chance(0.4):
        return ctx.scalar(integral=not ctx.is_float(name))
    shape = view_shape[int(ctx.rng.integers(0, len(view_shape) + 1)):] if ctx.chance(0.3) else view_shape
    shape = tuple(1 if ctx.chance(0.2) else size for size in shape)
    if ctx.chance(0.15):
        bound = ctx.pick(lambda c, n: c.shape(n) == shape)
        if bound is not None:
            return bound
    dtype = ctx.dtype(name) if ctx.chance(0.85) else None
    return ctx.new_input(shape, dtype, requires_grad=ctx.chance(0.5))


def _arguments(ctx, name, op, view_shape):
    if op in ("add_", "sub_", "mul_", "div_"):
        other = _operand(ctx, name, view_shape)
        alpha = f", alpha={ctx.choice(['2', '-0.5'])}" if op in ("add_", "sub_") and ctx.chance(0.2) else ""
        return f"{other}{alpha}"
    if op == "pow_":
        return ctx.choice(["2", "0.5", "-1", "3"])
    if op == "clamp_":
        return ctx.choice([f"min={ctx.scalar()}", f"max={ctx.scalar()}", f"{ctx.scalar()}, {ctx.scalar()}"])
    if op == "fill_":
        source = ctx.pick(float_tensor) if ctx.chance(0.3) else None
        return f"{source}.sum()" if source else ctx.scalar(integral=not ctx.is_float(name))
    if op == "zero_":
        return ""
    if op == "copy_":
        return _operand(ctx, name, view_shape) if not ctx.chance(0.1) else ctx.pick()
    mask = ctx.new_input(tuple(1 if ctx.chance(0.2) else s for s in view_shape), "bool")
    return f"{mask}, {ctx.scalar(integral=not ctx.is_float(name))}"


def inplace(ctx):
    """``vN = a<view>.op_(...)`` on a tensor that is not a leaf requiring grad."""
    name = ctx.pick(writable) if not ctx.chance(0.03) else ctx.pick()
    if name is None:
        return None
    suffix, view_label = _view_suffix(ctx, name)
    view = ctx.evaluate(f"{name}{suffix}")
    if view is None:
        return None
    op = ctx.choice(INPLACE_OPS)
    arguments = _arguments(ctx, name, op, tuple(view.shape))
    return Draft(op, f"{name}{suffix}.{op}({arguments})", view_label, mutates=True)


BUILDERS = {inplace: 14}
