"""Registry entries for dtype/device conversions, copies and in-place ops on non-leaf tensors.

In-place ops run on a clone (a non-leaf when the input requires grad), as a model would use
them; their gradients must flow back through the clone to the input.
"""
import numpy

import tinygrad_lite as tl
from ops.op_info import (ALL_DTYPES, BOOL, FLOAT32, FLOAT64, FLOATS, INT32, INTEGERS, NUMERIC, OpInfo,
                         Sample, torch_function)
from ops.op_samples import make



_NARROW_FLOATS = (numpy.float32, numpy.float16)


def _unary(*labelled_args):
    """Samples of ``op(x, *args, **kwargs)`` on a (2, 3) input of the entry's dtype.

    A cast to float32/float16 gets no gradcheck: finite differences of float64 inputs at
    eps=1e-6 are below the output's precision.
    """

    def samples(dtype, rng):
        def sample(shape, label, args, kwargs):
            narrows = any(isinstance(value, type) and value in _NARROW_FLOATS
                          for value in list(args) + list(kwargs.values()))
            return Sample((make(rng, shape, dtype), *args), kwargs, label=label, gradcheck=not narrows)

        for label, args, kwargs in labelled_args:
            yield sample((2, 3), label, args, kwargs)
        yield sample((), "0-d", *labelled_args[0][1:])
        yield sample((0, 3), "0-size", *labelled_args[0][1:])

    return samples


def _method(name):
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


_CASTS = [(f"to {numpy.dtype(target).name}", (target,), {}) for target in
          (numpy.float32, numpy.float64, numpy.float16, numpy.int64, numpy.int32, numpy.bool_)]

CONVERSIONS = [
    OpInfo("to", _method("to"), dtypes=ALL_DTYPES, keeps_float32=False,
           keeps_float32_reason="casts to the dtype it is asked for, float64 included",
           samples=_unary(*_CASTS, ("device cpu", ("cpu",), {}), ("cpu and float64", ("cpu", numpy.float64), {}),
                          ("dtype=", (), {"dtype": numpy.float64}), ("like an int64 tensor", (numpy.zeros(1, numpy.int64),), {}),
                          ("copy=True", (), {"copy": True}), ("same dtype", (), {}))),
    OpInfo("clone", tl.clone, ref=torch_function("clone"), dtypes=ALL_DTYPES, samples=_unary(("copy", (), {}))),
    OpInfo("type_as", _method("type_as"), dtypes=ALL_DTYPES, keeps_float32=False,
           keeps_float32_reason="casts to the other tensor's dtype, float64 included",
           samples=_unary(("as int64", (numpy.zeros(1, numpy.int64),), {}), ("as bool", (numpy.zeros(1, bool),), {}))),
    *(OpInfo(name, _method(name), dtypes=ALL_DTYPES, samples=_unary(("cast", (), {})))
      for name in ("long", "int", "bool", "cpu")),
    OpInfo("float", _method("float"), dtypes=ALL_DTYPES, samples=_unary(("cast", (), {})), gradcheck=False,
           gradcheck_reason="float32 output: finite differences at eps=1e-6 are below its precision"),
    OpInfo("half", _method("half"), dtypes=ALL_DTYPES, samples=_unary(("cast", (), {})),
           keeps_float32=False, keeps_float32_reason="casts to float16 by definition", gradcheck=False,
           gradcheck_reason="float16 output: finite differences at eps=1e-6 are below its precision"),
    OpInfo("double", _method("double"), dtypes=ALL_DTYPES, samples=_unary(("cast", (), {})),
           keeps_float32=False, keeps_float32_reason="casts to float64 by definition"),
]


# ----- in-place ops on non-leaf tensors --------------------------------------------------------
def in_place(name):
    """``x.clone().NAME(*args)``: the in-place op on a non-leaf copy, returning it."""
    return lambda x, *args, **kwargs: getattr(x.clone(), name)(*args, **kwargs)


def _iadd(x, other):
    x = x.clone()
    x += other
    return x


def _isub(x, other):
    x = x.clone()
    x -= other
    return x


def _imul(x, other):
    x = x.clone()
    x *= other
    return x


def _itruediv(x, other):
    x = x.clone()
    x /= other
    return x


def _operand_samples(dtype, rng, scalar):
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), label="same shape")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), dtype)), label="broadcast other")
    yield Sample((make(rng, (2, 3), dtype), scalar), label="scalar")
    yield Sample((make(rng, (), dtype), make(rng, (), dtype)), label="0-d")
    yield Sample((make(rng, (0, 3), dtype), make(rng, (3,), dtype)), label="0-size")
    yield Sample((make(rng, (3,), dtype), make(rng, (2, 3), dtype)), label="other enlarges self",
                 raises=RuntimeError)


def _arithmetic_in_place(with_alpha=False, divisor=False):
    def samples(dtype, rng):
        scalar = 1.5 if dtype.kind == "f" else 2
        for sample in _operand_samples(dtype, rng, scalar):
            if divisor and sample.raises is None and not isinstance(sample.args[1], (int, float)):
                sample = Sample((sample.args[0], numpy.abs(sample.args[1]) + 1), label=sample.label)
            yield sample
        if with_alpha:
            yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), {"alpha": 2}, label="alpha=2")
        if dtype == FLOAT64:
            yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), FLOAT32)), label="float32 other")
        if dtype in INTEGERS:
            yield Sample((make(rng, (2, 3), dtype), 1.5), label="float into ints", raises=RuntimeError)

    return samples


def _pow_in_place(dtype, rng):
    base = make(rng, (2, 3), dtype, 0.5, 2) if dtype.kind == "f" else make(rng, (2, 3), dtype, 1, 4)
    yield Sample((base, 2), label="** 2")
    yield Sample((base, make(rng, (3,), dtype, 0.5, 2) if dtype.kind == "f" else make(rng, (3,), dtype, 0, 3)),
                 label="** tensor")


def _clamp_in_place(dtype, rng):
    low, high = (-0.5, 0.5) if dtype.kind == "f" else (-1, 2)
    yield Sample((make(rng, (2, 3), dtype), low, high), label="both")
    yield Sample((make(rng, (2, 3), dtype),), {"min": low}, label="min")
    yield Sample((make(rng, (2, 3), dtype),), {"max": high}, label="max")


def _masked_fill_in_place(dtype, rng):
    value = 0.5 if dtype.kind == "f" else 3
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), BOOL), value), label="same shape")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), BOOL), value), label="broadcast mask")
    yield Sample((make(rng, (3,), dtype), make(rng, (2, 3), BOOL), value), label="mask enlarges self",
                 raises=RuntimeError)


def _fill_samples(dtype, rng):
    value = 2.5 if dtype.kind == "f" else 3
    yield Sample((make(rng, (2, 3), dtype), value), label="scalar")
    yield Sample((make(rng, (0, 3), dtype), value), label="0-size")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (), dtype)), label="0-d tensor value")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (1,), dtype)), label="1-d tensor value", raises=RuntimeError)


def _fill_with_a_sum(x, values):
    """``h.fill_(values.sum())``: the fill value carries a gradient back to ``values``."""
    return x.clone().fill_(values.sum())


def _copy_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), label="same shape")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (3,), dtype)), label="broadcast source")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), INT32)), label="int32 source")
    if dtype == FLOAT64:
        yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), FLOAT32)), label="float32 source")


def _write_through_views(x):
    """In-place ops through views of a non-leaf: both must land in ``h`` (and in the gradient)."""
    h = x.clone()
    h[0].mul_(10)
    h.view(-1).add_(1)
    h[1:, 1:].mul_(3)
    return h


def _views_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype),), label="rows and flat view")


def _modify_saved_output(function):
    """``y = function(x * 2); y.add_(1)``: ``function`` saved ``y`` for its backward, which
    must then refuse to run (PyTorch's version-counter check)."""

    def op(x):
        y = function(x * 2)
        y.add_(1)
        return y

    return op


#: Ops whose backward reads their own output, each as a callable on both frameworks.
OUTPUT_SAVING = {
    "exp": lambda t: t.exp(), "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(),
    "sqrt": lambda t: t.abs().sqrt(), "rsqrt": lambda t: t.abs().rsqrt(), "2 ** x": lambda t: 2.0 ** t,
    "softmax": lambda t: t.softmax(-1), "log_softmax": lambda t: t.log_softmax(-1),
}


def _saved_output_samples(dtype, rng):
    yield Sample((make(rng, (3,), dtype),), label="modified before backward", raises=RuntimeError)


def _leaf_samples(dtype, rng):
    yield Sample((make(rng, (3,), dtype),), label="leaf that requires grad", raises=RuntimeError)


IN_PLACE = [
    OpInfo("add_", in_place("add_"), _arithmetic_in_place(with_alpha=True), dtypes=NUMERIC),
    OpInfo("sub_", in_place("sub_"), _arithmetic_in_place(with_alpha=True), dtypes=NUMERIC),
    OpInfo("mul_", in_place("mul_"), _arithmetic_in_place(), dtypes=NUMERIC),
    OpInfo("div_", in_place("div_"), _arithmetic_in_place(divisor=True), dtypes=FLOATS),
    OpInfo("+=", _iadd, _arithmetic_in_place(), dtypes=NUMERIC),
    OpInfo("-=", _isub, _arithmetic_in_place(), dtypes=NUMERIC),
    OpInfo("*=", _imul, _arithmetic_in_place(), dtypes=NUMERIC),
    OpInfo("/=", _itruediv, _arithmetic_in_place(divisor=True), dtypes=FLOATS),
    OpInfo("pow_", in_place("pow_"), _pow_in_place, dtypes=NUMERIC),
    OpInfo("clamp_", in_place("clamp_"), _clamp_in_place, dtypes=NUMERIC),
    OpInfo("masked_fill_", in_place("masked_fill_"), _masked_fill_in_place, dtypes=ALL_DTYPES),
    OpInfo("zero_", in_place("zero_"), lambda dtype, rng: iter([Sample((make(rng, (2, 3), dtype),), label="zeros")]),
           dtypes=ALL_DTYPES),
    OpInfo("fill_", in_place("fill_"), _fill_samples, dtypes=ALL_DTYPES),
    OpInfo("fill_ with a graph value", _fill_with_a_sum, dtypes=FLOATS,
           samples=lambda dtype, rng: iter([Sample((make(rng, (2, 3), dtype), make(rng, (2,), dtype)),
                                                   label="sum of a tensor")])),
    OpInfo("copy_", in_place("copy_"), _copy_samples, dtypes=ALL_DTYPES),
    OpInfo("in-place through views", _write_through_views, _views_samples, dtypes=FLOATS),
    OpInfo("in-place on a leaf", lambda x: x.add_(1), _leaf_samples, dtypes=FLOATS),
    *(OpInfo(f"{name} output modified in place", _modify_saved_output(function), _saved_output_samples)
      for name, function in OUTPUT_SAVING.items()),
]

ENTRIES = CONVERSIONS + IN_PLACE
