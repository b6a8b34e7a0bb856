"""Op builders from ``F``: losses, layer_norm, normalize, pooling, conv, embedding, one_hot, attention."""
from fuzz_draft import Draft, float_tensor, integer_tensor
from fuzz_index import int_literal

REDUCTIONS = ("", ", reduction='sum'", ", reduction='none'", ", reduction='mean'")


def regression_loss(ctx):
    """mse / l1 / smooth_l1 / huber between a tensor and a same-shaped (or broadcast) target."""
    a = ctx.pick(float_tensor) or ctx.pick()
    op = ctx.choice(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
    shape = ctx.shape(a) if ctx.chance(0.9) else ctx.partner_shape(ctx.shape(a))
    target = ctx.new_input(shape, ctx.float_dtype(a))
    extra = ctx.choice(["", {"smooth_l1_loss": ", beta=0.5", "huber_loss": ", delta=2.0"}.get(op, "")])
    reduction = ctx.choice(REDUCTIONS)
    label = reduction.split("=")[-1].strip("'") or "mean"
    return Draft(op, f"F.{op}({a}, {target}{extra}{reduction})", label)


def binary_cross_entropy(ctx):
    """``binary_cross_entropy`` on ``a.sigmoid()`` and the logits form, with weights."""
    a = ctx.pick(float_tensor)
    if a is None:
        return None
    shape = ctx.shape(a)
    target = ctx.new_input(shape, ctx.dtype(a), kind="probability")
    reduction = ctx.choice(REDUCTIONS)
    if ctx.chance(0.5):
        weight = ""
        if ctx.chance(0.3):
            weight = f", weight={ctx.new_input(shape, ctx.dtype(a), False, kind='probability')}"
        code = f"F.binary_cross_entropy({a}.sigmoid(), {target}{weight}{reduction})"
        return Draft("binary_cross_entropy", code)
    pos_weight = ""
    if ctx.chance(0.3) and shape:
        pos_weight = f", pos_weight={ctx.new_input(shape[-1:], ctx.dtype(a), kind='probability')}"
    return Draft("binary_cross_entropy_with_logits",
                 f"F.binary_cross_entropy_with_logits({a}, {target}{pos_weight}{reduction})")


def classification_loss(ctx):
    """cross_entropy / nll_loss with class-index or probability targets, weight, ignore_index,
    label_smoothing and reductions; the input is (C), (N, C) or (N, C, d)."""
    a = ctx.pick(float_tensor, lambda c, n: 1 <= c.ndim(n) <= 3)
    if a is None:
        return None
    shape = ctx.shape(a)
    classes = shape[0] if len(shape) == 1 else shape[1]
    op = ctx.choice(["cross_entropy", "cross_entropy", "nll_loss"])
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    options = []
    if op == "cross_entropy" and ctx.chance(0.25):
        target = ctx.new_input(shape, ctx.dtype(a), False, kind="probability")
        label = "probabilities"
    else:
        values = ctx.rng.integers(0, max(classes, 1), size=target_shape)
        if ctx.chance(0.2) and values.size:
            values.flat[0] = -100
            options.append("ignore_index=-100" if ctx.chance(0.5) else "")
        target, label = int_literal(values), "indices"
    if ctx.chance(0.25):
        options.append(f"weight={ctx.new_input((classes,), ctx.dtype(a), False, kind='probability')}")
    if op == "cross_entropy" and ctx.chance(0.3):
        options.append(f"label_smoothing={ctx.choice(['0.1', '0.5'])}")
    reduction = ctx.choice(REDUCTIONS)
    arguments = "".join(f", {option}" for option in options if option)
    return Draft(op, f"F.{op}({a}, {target}{arguments}{reduction})", f"{label} {len(shape)}-d")


def kl_div(ctx):
    """``F.kl_div(log_probabilities, target, reduction, log_target)``."""
    a = ctx.pick(float_tensor)
    if a is None:
        return None
    log_target = ctx.chance(0.3)
    target = ctx.new_input(ctx.shape(a), ctx.dtype(a), False, kind="normal" if log_target else "probability")
    reduction = ctx.choice(REDUCTIONS + (", reduction='batchmean'",))
    flag = ", log_target=True" if log_target else ""
    return Draft("kl_div", f"F.kl_div({a}, {target}{reduction}{flag})")


def normalization(ctx):
    """``F.layer_norm`` over the last dims (with weight and bias) and ``F.normalize``."""
    a = ctx.pick(float_tensor) or ctx.pick()
    shape = ctx.shape(a)
    if ctx.chance(0.4):
        p = ctx.choice(["2", "1", "3"])
        return Draft("normalize", f"F.normalize({a}, p={p}, dim={ctx.dim(len(shape))})")
    if not shape:
        return None
    count = int(ctx.rng.integers(1, len(shape) + 1))
    normalized = shape[-count:]
    weight = f", {ctx.new_input(normalized, ctx.float_dtype(a))}" if ctx.chance(0.5) else ", None"
    bias = f", {ctx.new_input(normalized, ctx.float_dtype(a))}" if ctx.chance(0.5) else ""
    return Draft("layer_norm", f"F.layer_norm({a}, {normalized}{weight}{bias})", f"{count} dims")


def pooling(ctx):
    """max_pool2d / avg_pool2d (stride, padding, ceil_mode) and adaptive_avg_pool2d on 3-d/4-d."""
    a = ctx.pick(lambda c, n: c.ndim(n) in (3, 4))
    if a is None:
        a = ctx.new_input((1, 2, int(ctx.rng.integers(1, 5)), int(ctx.rng.integers(1, 5))))
    op = ctx.choice(["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"])
    if op == "adaptive_avg_pool2d":
        size = (int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(1, 4)))
        return Draft(op, f"F.adaptive_avg_pool2d({a}, {size})")
    kernel = ctx.choice([1, 2, 3, (2, 1)])
    options = []
    if ctx.chance(0.4):
        options.append(f"stride={ctx.choice([1, 2, 3])}")
    if ctx.chance(0.3):
        options.append("padding=1")
    if ctx.chance(0.4):
        options.append("ceil_mode=True")
    if op == "avg_pool2d" and ctx.chance(0.3):
        options.append("count_include_pad=False")
    arguments = "".join(f", {option}" for option in options)
    return Draft(op, f"F.{op}({a}, {kernel}{arguments})", " ".join(o.split("=")[0] for o in options))


def convolution(ctx):
    """conv1d / conv2d with stride, padding, dilation and groups on small fresh weights."""
    a = ctx.pick(float_tensor, lambda c, n: c.ndim(n) in (2, 3, 4))
    if a is None:
        return None
    shape = ctx.shape(a)
    op = "conv2d" if len(shape) >= 3 and (len(shape) == 4 or ctx.chance(0.5)) else "conv1d"
    spatial = 2 if op == "conv2d" else 1
    channels = shape[-spatial - 1]
    groups = ctx.choice([g for g in (1, 2) if channels % g == 0] or [1])
    out = groups * ctx.choice([1, 2])
    kernel = (ctx.choice([1, 2]),) * spatial
    weight = ctx.new_input((out, channels // groups) + kernel, ctx.dtype(a))
    bias = ctx.new_input((out,), ctx.dtype(a)) if ctx.chance(0.5) else "None"
    options = [ctx.choice(["", "stride=2", "padding=1", "dilation=2", "padding='same'"])]
    if groups > 1:
        options.append(f"groups={groups}")
    arguments = "".join(f", {option}" for option in options if option)
    return Draft(op, f"F.{op}({a}, {weight}, {bias}{arguments})", arguments.strip(", "))


def embedding(ctx):
    """``F.embedding(indices, weight)`` and ``F.one_hot(indices, num_classes)``."""
    indices = ctx.pick(integer_tensor, lambda c, n: c.dtype(n) == "int64")
    if indices is None:
        values = ctx.rng.integers(0, 4, size=ctx.choice([(), (2,), (2, 3)]))
        indices = int_literal(values)
    if ctx.chance(0.4):
        classes = ctx.choice(["-1", "4", "6"])
        return Draft("one_hot", f"F.one_hot({indices}, {classes})")
    weight = ctx.new_input((6, ctx.choice([1, 2, 3])), ctx.choice(["float32", "float64"]))
    padding = ", padding_idx=0" if ctx.chance(0.2) else ""
    return Draft("embedding", f"F.embedding({indices}, {weight}{padding})")


def attention(ctx):
    """``F.scaled_dot_product_attention(q, k, v, is_causal=...)`` on fresh (B, L, E) inputs."""
    q = ctx.pick(float_tensor, lambda c, n: c.ndim(n) in (2, 3, 4))
    if q is None:
        return None
    shape = ctx.shape(q)
    length = ctx.choice([1, 2, 3])
    key_shape = shape[:-2] + (length, shape[-1])
    k = ctx.new_input(key_shape, ctx.dtype(q))
    v = ctx.new_input(shape[:-2] + (length, ctx.choice([1, 2])), ctx.dtype(q))
    causal = ", is_causal=True" if ctx.chance(0.3) else ""
    return Draft("scaled_dot_product_attention", f"F.scaled_dot_product_attention({q}, {k}, {v}{causal})")


BUILDERS = {regression_loss: 3, binary_cross_entropy: 2, classification_loss: 3, kl_div: 1,
            normalization: 3, pooling: 3, convolution: 2, embedding: 2, attention: 1}
