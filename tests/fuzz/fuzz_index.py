"""Random ``__getitem__`` indices: ints, slices with steps, None, Ellipsis, int lists and tensors
(0-d, 1-d, 2-d), bool masks over one or more dims, mixed basic + advanced in every position."""
import numpy

KIND_WEIGHTS = {"int": 3.0, "slice": 3.0, "list": 2.0, "tensor": 1.5, "mask": 1.0, "None": 1.0,
                "...": 0.8}
CONSUMES = {"int": 1, "slice": 1, "list": 1, "tensor": 1, "mask": 1, "None": 0, "...": 0}
ADVANCED = {"list", "tensor", "mask"}
BASIC_SEPARATORS = {"slice", "None", "..."}


def int_literal(values):
    """``lib.tensor(...)`` source of an int64 tensor holding ``values`` (a numpy array)."""
    if values.size == 0:
        return f"lib.zeros({tuple(values.shape)}, dtype=lib.int64)"
    return f"lib.tensor({values.tolist()!r})"


def bool_literal(values):
    """``lib.tensor(...)`` source of a bool tensor holding ``values``."""
    if values.size == 0:
        return f"lib.zeros({tuple(values.shape)}, dtype=lib.bool)"
    return f"lib.tensor({values.tolist()!r})"


def random_index(ctx, shape, basic_only=False):
    """(index source, variant label) for a tensor of ``shape``; mostly valid for PyTorch.

    ``basic_only`` keeps to ints, slices, None and Ellipsis (the index then gives a view).
    """
    rng = ctx.rng
    kinds = _random_kinds(ctx, len(shape), basic_only)
    dims = _assign_dims(kinds, len(shape))
    parts = [_component(ctx, kind, [shape[d] for d in dims_of] if dims_of else [])
             for kind, dims_of in zip(kinds, dims)]
    if len(parts) == 1 and kinds[0] != "list" and rng.random() < 0.8:
        source = parts[0]
    else:
        source = ", ".join(parts) + ("," if len(parts) == 1 else "")
    return source, _variant(kinds)


def _random_kinds(ctx, ndim, basic_only):
    count = int(ctx.rng.integers(1, min(ndim, 3) + 2))
    kinds, consumed = [], 0
    for _ in range(count):
        weights = {k: w for k, w in KIND_WEIGHTS.items()
                   if (k != "..." or "..." not in kinds) and not (basic_only and k in ADVANCED)}
        if consumed >= ndim and not ctx.chance(0.03):
            weights = {k: w for k, w in weights.items() if CONSUMES[k] == 0}
        keys = list(weights)
        probabilities = numpy.array([weights[k] for k in keys])
        kind = keys[ctx.rng.choice(len(keys), p=probabilities / probabilities.sum())]
        kinds.append(kind)
        consumed += CONSUMES[kind]
    return kinds


def _assign_dims(kinds, ndim):
    """The dims each component indexes: from the front, or from the back after an Ellipsis."""
    dims, position = [], 0
    ellipsis = kinds.index("...") if "..." in kinds else len(kinds)
    after = sum(CONSUMES[k] for k in kinds[ellipsis + 1:])
    for index, kind in enumerate(kinds):
        if index == ellipsis + 1:
            position = max(position, ndim - after)
        width = CONSUMES[kind]
        dims.append([d for d in range(position, position + width) if d < ndim])
        position += width
    return dims


def _component(ctx, kind, sizes):
    size = sizes[0] if sizes else 0
    rng = ctx.rng
    if kind in ("None", "..."):
        return kind
    if kind == "int":
        if size == 0 or ctx.chance(0.03):
            return str(ctx.choice([size, -size - 1]))
        return str(int(rng.integers(-size, size)))
    if kind == "slice":
        return _slice(ctx, size)
    if kind == "mask":
        return _mask(ctx, sizes)
    values = _index_values(ctx, size)
    if kind == "list":
        return repr(numpy.atleast_1d(values).tolist())
    if ctx.chance(0.1) and values.size:
        return f"lib.tensor({values.tolist()!r}, dtype=lib.int32)"
    return int_literal(values)


def _slice(ctx, size):
    def bound():
        return "" if ctx.chance(0.4) else str(int(ctx.rng.integers(-size - 1, size + 2)))
    step = "-1" if ctx.chance(0.02) else ctx.choice(["", "", "", "1", "2", "3"])
    text = f"{bound()}:{bound()}"
    return f"{text}:{step}" if step else text


def _mask(ctx, sizes):
    if not sizes:
        return ctx.choice(["True", "False"])
    if len(sizes) == 1 and ctx.chance(0.3) and sizes[0] > 0:
        return repr((ctx.rng.random(sizes[0]) < 0.5).tolist())
    return bool_literal(ctx.rng.random(tuple(sizes)) < 0.5)


def _index_values(ctx, size):
    roll = ctx.rng.random()
    if roll < 0.12:
        shape = ()
    elif roll < 0.3:
        shape = (int(ctx.rng.integers(1, 3)), 2)
    else:
        shape = (int(ctx.rng.integers(0, 4)),)
    if size == 0:
        return numpy.zeros(shape if 0 in shape else (0,), dtype=numpy.int64)
    values = ctx.rng.integers(-size, size, size=shape)
    if ctx.chance(0.02):
        values = numpy.full(shape, size)
    return values


def _variant(kinds):
    """The index mix: which kinds occur, and whether basic parts separate the advanced ones."""
    label = "+".join(sorted(set(kinds)))
    advanced = [i for i, kind in enumerate(kinds) if kind in ADVANCED or kind == "int"]
    true_advanced = [i for i, kind in enumerate(kinds) if kind in ADVANCED]
    if true_advanced and advanced and any(
            kinds[i] in BASIC_SEPARATORS for i in range(advanced[0], advanced[-1])):
        label += " (separated)"
    return label
