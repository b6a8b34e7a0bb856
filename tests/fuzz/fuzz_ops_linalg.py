"""Op builders: matmul / mm / bmm / dot / ``@``, einsum (ellipsis and diagonal equations), linear."""
from fuzz_draft import Draft

# Equations over operands; the first operand is the picked tensor when its ndim fits.
EINSUM_EQUATIONS = ("ij->ji", "ij->", "ij->j", "ii->i", "ii", "ij,jk->ik", "ij,ij->i", "i,i->",
                    "i,j->ij", "bij,bjk->bik", "...j,j->...", "i...,i...->i", "...ij->...ji",
                    "ij,kj->ik", "i->", "bi,bi->b", "ijk->kji", "...,...->...")


def _partner_dtype(ctx, name):
    return ctx.dtype(name) if ctx.chance(0.9) else None


def matmul(ctx):
    """``a @ b`` / ``lib.matmul`` / ``mm`` / ``bmm`` / ``dot`` with a compatible fresh ``b``."""
    a = ctx.pick()
    shape = ctx.shape(a)
    if not shape:
        return None
    inner = shape[-1]
    new = ctx.choice([1, 2, 3, 0])
    if len(shape) == 1:
        b_shape = ctx.choice([(inner,), (inner, new), (2, inner, new)])
    else:
        batch = shape[:-2]
        batch = tuple(1 if ctx.chance(0.3) else s for s in batch)
        b_shape = ctx.choice([(inner,), (inner, new), batch + (inner, new)])
    if ctx.chance(0.04):
        b_shape = b_shape[:-1] + (b_shape[-1] + 1,)
    b = ctx.new_input(b_shape, _partner_dtype(ctx, a))
    form = ctx.choice(["@", "matmul", "method", "mm", "bmm", "dot"])
    label = f"{len(shape)}-d @ {len(b_shape)}-d"
    if form == "@":
        return Draft("matmul", f"{a} @ {b}", label)
    if form == "method":
        return Draft("matmul", f"{a}.matmul({b})", label)
    if form in ("mm", "bmm", "dot"):
        return Draft(form, f"lib.{form}({a}, {b})", label)
    return Draft("matmul", f"lib.matmul({a}, {b})", label)


def _subscripts_fit(subscripts, ndim):
    letters = subscripts.replace("...", "")
    return ndim == len(letters) if "..." not in subscripts else ndim >= len(letters)


def _operand_shape(ctx, subscripts, sizes, ellipsis):
    shape = []
    for part in subscripts.split("..."):
        shape.append(tuple(sizes[letter] for letter in part))
    if len(shape) == 1:
        return shape[0]
    middle = tuple(1 if ctx.chance(0.3) else s for s in ellipsis)
    return shape[0] + middle + shape[1]


def einsum(ctx):
    """``lib.einsum(equation, *operands)``; operands beyond the picked tensor are fresh inputs."""
    a = ctx.pick()
    equation = ctx.choice(EINSUM_EQUATIONS)
    operands = equation.split("->")[0].split(",")
    shape = ctx.shape(a)
    sizes, ellipsis = {}, ()
    use_a = _subscripts_fit(operands[0], len(shape))
    if use_a:
        head, _, tail = operands[0].partition("...")
        if "..." in operands[0]:
            ellipsis = shape[len(head):len(shape) - len(tail)]
            letters = head + tail
            dims = shape[:len(head)] + (shape[len(shape) - len(tail):] if tail else ())
        else:
            letters, dims = operands[0], shape
        for letter, size in zip(letters, dims):
            sizes.setdefault(letter, size)
    else:
        ellipsis = tuple(ctx.choice([1, 2, 3]) for _ in range(int(ctx.rng.integers(0, 3))))
    for letter in equation:
        if letter.isalpha() and letter not in sizes:
            sizes[letter] = ctx.choice([1, 2, 3])
    names = [a] if use_a else []
    dtype = ctx.float_dtype(a)
    for subscripts in operands[len(names):]:
        names.append(ctx.new_input(_operand_shape(ctx, subscripts, sizes, ellipsis), dtype))
    return Draft("einsum", f"lib.einsum({equation!r}, {', '.join(names)})", equation)


def linear(ctx):
    """``F.linear(a, weight, bias)`` with ``a`` of shape (..., in)."""
    a = ctx.pick()
    shape = ctx.shape(a)
    if not shape:
        return None
    out = ctx.choice([1, 2, 3])
    dtype = _partner_dtype(ctx, a)
    weight = ctx.new_input((out, shape[-1]), dtype)
    bias = ctx.new_input((out,), dtype) if ctx.chance(0.6) else "None"
    return Draft("linear", f"F.linear({a}, {weight}, {bias})")


BUILDERS = {matmul: 5, einsum: 3, linear: 2}
