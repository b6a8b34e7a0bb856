"""Op builders: elementwise arithmetic, comparisons, clamps, unary math, casts, activations."""
from fuzz_draft import Draft, float_tensor, integer_tensor

ARITHMETIC = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floor_divide": "//", "pow": "**"}
COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
BITWISE = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}
UNARY = ("neg", "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
         "relu", "sign", "isnan", "isinf", "isfinite", "logical_not")
CASTS = ("float()", "half()", "double()", "long()", "int()", "bool()", "to(lib.float64)",
         "to(lib.float16)", "to(lib.int32)", "clone()", "detach()", "contiguous()")
ACTIVATIONS = {
    "relu": ("", ", inplace=True"), "leaky_relu": ("", ", 0.2", ", negative_slope=-0.5"),
    "gelu": ("", ", approximate='tanh'"), "silu": ("",), "elu": ("", ", alpha=0.5"),
    "celu": ("", ", alpha=2.0"), "selu": ("",), "softplus": ("", ", beta=2, threshold=1"),
    "hardtanh": ("", ", -0.5, 0.5"), "relu6": ("",), "logsigmoid": ("",), "mish": ("",),
    "sigmoid": ("",), "tanh": ("",),
}


def arithmetic(ctx):
    """``a OP b``, reflected ``2 OP a``, methods, ``lib.add(a, b, alpha=)`` and rounding modes."""
    a = ctx.pick()
    op = ctx.choice(list(ARITHMETIC))
    symbol = ARITHMETIC[op]
    form = ctx.choice(["operator", "operator", "reflected", "method", "function", "keyword"])
    if form == "reflected":
        return Draft(op, f"{ctx.scalar()} {symbol} {a}", "reflected scalar")
    b, kind = ctx.operand(a)
    if form == "operator":
        return Draft(op, f"{a} {symbol} {b}", f"operator {kind}")
    if form == "method":
        return Draft(op, f"{a}.{op}({b})", f"method {kind}")
    if form == "function":
        return Draft(op, f"lib.{op}({a}, {b})", f"function {kind}")
    if op in ("add", "sub"):
        alpha = ctx.choice(["2", "-1", "0.5", "0", "True"])
        return Draft(op, f"lib.{op}({a}, {b}, alpha={alpha})", f"alpha {kind}")
    if op == "div":
        mode = ctx.choice(["'trunc'", "'floor'", "None"])
        return Draft(op, f"lib.div({a}, {b}, rounding_mode={mode})", f"rounding_mode {kind}")
    return Draft(op, f"{a} {symbol} {b}", f"operator {kind}")


def rsub(ctx):
    """``lib.rsub(a, b)`` (b - a)."""
    a = ctx.pick()
    b, kind = ctx.operand(a)
    return Draft("rsub", f"lib.rsub({a}, {b})", kind)


def comparison(ctx):
    """``a == b`` and friends, as operators and as ``lib.eq`` functions."""
    a = ctx.pick()
    op = ctx.choice(list(COMPARISONS))
    b, kind = ctx.operand(a)
    if ctx.chance(0.5):
        return Draft(op, f"{a} {COMPARISONS[op]} {b}", f"operator {kind}")
    return Draft(op, f"lib.{op}({a}, {b})", f"function {kind}")


def bitwise(ctx):
    """``&``, ``|``, ``^`` on integer and bool tensors; ``~`` too."""
    a = ctx.pick(integer_tensor)
    if a is None:
        return None
    if ctx.chance(0.2):
        return Draft("bitwise_not", f"~{a}")
    op = ctx.choice(list(BITWISE))
    b, kind = ctx.operand(a, scalar_probability=0.0, dtype=ctx.dtype(a))
    if ctx.chance(0.5):
        return Draft(op, f"{a} {BITWISE[op]} {b}", kind)
    return Draft(op, f"lib.{op}({a}, {b})", kind)


def maximum_minimum(ctx):
    """``lib.maximum(a, b)`` / ``lib.minimum(a, b)`` with broadcasting tensors."""
    a = ctx.pick()
    op = ctx.choice(["maximum", "minimum"])
    b, _ = ctx.operand(a, scalar_probability=0.0)
    return Draft(op, ctx.call(op, a, b, function_probability=0.6))


def where(ctx):
    """``lib.where(cond, a, b)`` with a comparison, a bool tensor or a fresh mask as condition."""
    a = ctx.pick()
    condition = f"{a} > 0" if ctx.chance(0.5) else ctx.new_input(ctx.partner_shape(ctx.shape(a)), "bool")
    b, kind = ctx.operand(a)
    if ctx.chance(0.2):
        return Draft("where", f"{a}.where({condition}, {b})", f"method {kind}")
    return Draft("where", f"lib.where({condition}, {a}, {b})", kind)


def clamp(ctx):
    """``clamp`` / ``clip`` / ``clamp_min`` / ``clamp_max`` with scalar or tensor bounds."""
    a = ctx.pick()
    form = ctx.choice(["min", "max", "both", "tensor", "clip", "clamp_min", "clamp_max"])
    if form == "min":
        return Draft("clamp", f"{a}.clamp(min={ctx.scalar()})", "min")
    if form == "max":
        return Draft("clamp", f"lib.clamp({a}, max={ctx.scalar()})", "max")
    if form == "both":
        return Draft("clamp", f"{a}.clamp({ctx.scalar()}, {ctx.scalar()})", "min and max")
    if form == "tensor":
        bound, _ = ctx.operand(a, scalar_probability=0.0)
        keyword = ctx.choice(["min", "max"])
        return Draft("clamp", f"lib.clamp({a}, {keyword}={bound})", f"tensor {keyword}")
    if form == "clip":
        return Draft("clip", f"{a}.clip({ctx.scalar()}, {ctx.scalar()})")
    return Draft(form, f"{a}.{form}({ctx.scalar()})")


def unary(ctx):
    """Unary math as a method or as ``lib.NAME``; ``-a`` too."""
    a = ctx.pick()
    op = ctx.choice(UNARY)
    if op == "neg" and ctx.chance(0.3):
        return Draft("neg", f"-{a}", "operator")
    return Draft(op, ctx.call(op, a, function_probability=0.5))


def cast(ctx):
    """Dtype casts, ``clone``, ``detach``, ``contiguous``, ``type_as``."""
    a = ctx.pick()
    if ctx.chance(0.1):
        other = ctx.pick()
        return Draft("type_as", f"{a}.type_as({other})")
    method = ctx.choice(CASTS)
    return Draft(method.split("(")[0], f"{a}.{method}", method)


def activation(ctx):
    """Activations from ``F`` with their parameters (``inplace=True`` included)."""
    a = ctx.pick(float_tensor) or ctx.pick()
    op = ctx.choice(list(ACTIVATIONS))
    arguments = ctx.choice(ACTIVATIONS[op])
    if "inplace" in arguments:
        return Draft(op, f"F.{op}({a}{arguments})", "inplace", mutates=True)
    return Draft(op, f"F.{op}({a}{arguments})", arguments.strip(", ").split("=")[0])


BUILDERS = {arithmetic: 14, rsub: 1, comparison: 5, bitwise: 2, maximum_minimum: 3, where: 3,
            clamp: 4, unary: 8, cast: 4, activation: 5}
