"""Registry entries for ops that move elements: shape/movement, join/split and indexing."""
import numpy

import tinygrad_lite as tl
from ops.op_info import (ALL_DTYPES, BOOL, FLOAT32, FLOAT64, FLOATS, INT32, INT64, OpInfo, Sample,
                         strided, torch_function, transposed)
from ops.op_samples import indices, make

OUT_OF_RANGE = (IndexError, RuntimeError)  # PyTorch raises either; the API contract says IndexError


def shape_samples(*calls):
    """Samples from ``(label, input shape, args)`` triples, in the entry's dtype; an input shape
    ``("T", shape)`` makes a transposed input and ``("S", shape)`` a strided one; a fourth item
    is PyTorch's exception type for a call it refuses."""

    def samples(dtype, rng):
        for label, shape, args, *raises in calls:
            if shape and isinstance(shape[0], str):
                view = transposed if shape[0] == "T" else strided
                input = view(make(rng, shape[1], dtype))
            else:
                input = make(rng, shape, dtype)
            yield Sample((input, *args), label=label, raises=raises[0] if raises else None)

    return samples


def method(name):
    """``x.NAME(*args)``: the same call on our tensors and PyTorch's."""
    return lambda x, *args: getattr(x, name)(*args)


def shape_op(name, *calls, **fields):
    """``x.NAME(*args)`` on every dtype, with :func:`shape_samples` of ``calls``."""
    return OpInfo(name, method(name), shape_samples(*calls), dtypes=ALL_DTYPES, **fields)


SHAPES = [
    shape_op("reshape",
             ("(6, 4)", (2, 3, 4), ((6, 4),)), ("varargs -1", (2, 3, 4), (4, -1, 2)),
             ("same shape", (2, 3), ((2, 3),)), ("0-d to (1,)", (), ((1,),)), ("(1,) to 0-d", (1,), ((),)),
             ("0-size", (0, 3), (3, 0)), ("0-size to -1", (0, 3), (-1,)),
             ("transposed", ("T", (3, 4)), (-1,)), ("0 elements, ambiguous -1", (0, 3, 4), (0, -1), RuntimeError)),
    shape_op("view",
             ("(6, 4)", (2, 3, 4), (6, 4)), ("-1", (2, 3, 4), (-1,)), ("0-d", (), (1, 1)),
             ("0-size", (0, 3), (3, 0)),
             ("non-contiguous", ("T", (3, 4)), (-1,), RuntimeError)),
    OpInfo("view_as", lambda x, other: x.view_as(other), shape_samples(("(4, 3)", (3, 4), (numpy.zeros((4, 3), numpy.int64),))),
           dtypes=ALL_DTYPES),
    OpInfo("reshape_as", lambda x, other: x.reshape_as(other),
           shape_samples(("(4, 3)", (3, 4), (numpy.zeros((4, 3), numpy.int64),)), ("transposed", ("T", (3, 4)), (numpy.zeros(12, numpy.int64),))),
           dtypes=ALL_DTYPES),
    OpInfo("flatten", tl.flatten, ref=torch_function("flatten"), dtypes=ALL_DTYPES, samples=shape_samples(
        ("all", (2, 3, 4), ()), ("from 1", (2, 3, 4), (1,)), ("0..1", (2, 3, 4), (0, 1)),
        ("-2..-1", (2, 3, 4), (-2, -1)), ("0-d", (), ()), ("one dim", (2, 3, 4), (1, 1)),
        ("0-size from 1", (0, 3, 4), (1,)), ("0-size all", (2, 0, 4), ()),
        ("transposed", ("T", (3, 4)), ()))),
    OpInfo("unflatten", lambda x, dim, sizes: x.unflatten(dim, sizes), dtypes=ALL_DTYPES, samples=shape_samples(
        ("dim 1", (2, 12), (1, (3, 4))), ("-1", (2, 12), (1, (-1, 4))), ("last", (2, 12), (-1, (2, 2, 3))),
        ("0 elements -1", (0, 6), (0, (-1, 2))), ("0-size with -1", (2, 0), (1, (-1, 2))))),
    shape_op("squeeze",
             ("all", (1, 3, 1), ()), ("dim 0", (1, 3, 1), (0,)), ("dim not 1", (1, 3, 1), (1,)),
             ("tuple", (1, 3, 1), ((0, 2),)), ("0-d", (), ()), ("0-d dim 0", (), (0,)),
             ("0-size", (0, 1), (1,))),
    shape_op("unsqueeze",
             ("0", (2, 3), (0,)), ("-1", (2, 3), (-1,)), ("middle", (2, 3), (1,)), ("0-d", (), (0,)),
             ("0-size", (0, 3), (1,)), ("out of range", (2, 3), (4,), IndexError)),
    shape_op("permute",
             ("tuple", (2, 3, 4), ((2, 0, 1),)), ("varargs", (2, 3, 4), (1, 2, 0)),
             ("negative", (2, 3, 4), (-1, 0, 1)), ("identity", (2, 3), (0, 1)), ("0-d", (), ((),)),
             ("0-size", (0, 3), (1, 0)), ("repeated dim", (2, 3), (0, 0), RuntimeError)),
    shape_op("transpose",
             ("0 1", (2, 3, 4), (0, 1)), ("-1 0", (2, 3, 4), (-1, 0)), ("same", (2, 3), (1, 1)),
             ("1-d", (3,), (0, -1)), ("0-d", (), (0, -1)), ("0-size", (0, 3), (0, 1))),
    shape_op("t", ("2-d", (2, 3), ()), ("1-d", (3,), ()), ("0-d", (), ()), ("3-d", (2, 3, 4), (), RuntimeError)),
    OpInfo("T", lambda x: x.T, shape_samples(("2-d", (2, 3), ()), ("0-d", (), ()), ("1-d", (3,), ())),
           dtypes=ALL_DTYPES),
    OpInfo("mT", lambda x: x.mT, shape_samples(("3-d", (2, 3, 4), ()), ("2-d", (2, 3), ()), ("0-d", (), ()),
                                                ("0-size", (0, 2, 3), ())), dtypes=ALL_DTYPES),
    shape_op("expand",
             ("new leading", (3, 1), (2, 3, 4)), ("-1", (3, 1), (-1, 5)), ("tuple", (1,), ((2, 3),)),
             ("0-d", (), (2, 3)), ("to 0-size", (1, 0), (2, 0)), ("same", (2, 3), (2, 3)),
             ("non-singleton", (2, 3), (4, 3), RuntimeError)),
    OpInfo("expand_as", lambda x, other: x.expand_as(other),
           shape_samples(("(2, 3, 4)", (3, 1), (numpy.zeros((2, 3, 4), numpy.int64),))), dtypes=ALL_DTYPES),
    OpInfo("broadcast_to", tl.broadcast_to, ref=torch_function("broadcast_to"), dtypes=ALL_DTYPES,
           samples=shape_samples(("(2, 3)", (3,), ((2, 3),)), ("0-d", (), ((2,),)))),
    shape_op("repeat",
             ("(2, 1)", (2, 3), (2, 1)), ("more dims", (2, 3), (2, 1, 3)), ("zero", (2, 3), (0, 1)),
             ("0-d", (), (2,)), ("tuple", (3,), ((2, 2),)), ("too few", (2, 3), (2,), RuntimeError)),
    shape_op("contiguous", ("transposed", ("T", (3, 4)), ()), ("strided", ("S", (2, 3)), ()),
             ("contiguous", (2, 3), ())),
]


# ----- join / split ------------------------------------------------------------------------------
def _cat_samples(dtype, rng):
    def values(shape, of=dtype):
        return make(rng, shape, of)

    yield Sample(([values((2, 3)), values((1, 3))],), label="dim 0")
    yield Sample(([values((2, 3)), values((2, 1)), values((2, 2))], 1), label="dim 1, three")
    yield Sample(([values((2, 3)), values((2, 3))], -1), label="dim -1")
    yield Sample(([values((2, 3))],), label="one tensor")
    yield Sample(([values((0, 3)), values((2, 3))],), label="with 0-size")
    yield Sample(([transposed(values((2, 3))), values((1, 3))],), label="transposed")
    yield Sample(([values((2,)), values((3,), INT64)],), label="with int64")
    if dtype == FLOAT32:
        yield Sample(([values((2,)), values((1,), FLOAT64)],), label="with float64")
    yield Sample(([values((2, 3)), values((2, 4))],), label="mismatched", raises=RuntimeError)
    yield Sample(([],), label="empty list", raises=(RuntimeError, ValueError))


def _stack_samples(dtype, rng):
    def values(shape):
        return make(rng, shape, dtype)

    for dim in (0, 1, -1, 2):
        yield Sample(([values((2, 3)), values((2, 3))], dim), label=f"dim={dim}")
    yield Sample(([values(()), values(())],), label="0-d")
    yield Sample(([values((0, 3)), values((0, 3))], 1), label="0-size")
    yield Sample(([transposed(values((2, 3))), values((2, 3))],), label="transposed")
    yield Sample(([values((2, 3)), values((3, 2))],), label="mismatched", raises=RuntimeError)


def _split_samples(dtype, rng):
    values = make(rng, (5, 3), dtype)
    yield Sample((values, 2), label="size 2")
    yield Sample((values, 1, 1), label="size 1, dim 1")
    yield Sample((values, [1, 4]), label="sections")
    yield Sample((values, [3, 0, 2]), label="sections with 0")
    yield Sample((values, 7), label="size beyond")
    yield Sample((make(rng, (0, 3), dtype), 2), label="0-size")
    yield Sample((values, [1, 1]), label="sections not summing", raises=RuntimeError)


def _chunk_samples(dtype, rng):
    yield Sample((make(rng, (6, 2), dtype), 3), label="even")
    yield Sample((make(rng, (5, 2), dtype), 3), label="uneven")
    yield Sample((make(rng, (2, 5), dtype), 5, 1), label="more chunks than rows")
    yield Sample((make(rng, (0, 3), dtype), 2), label="0-size")


def _unbind_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype),), label="dim 0")
    yield Sample((make(rng, (2, 3), dtype), 1), label="dim 1")
    yield Sample((make(rng, (0, 3), dtype),), label="0-size")


def _narrow_samples(dtype, rng):
    values = make(rng, (5, 3), dtype)
    yield Sample((values, 0, 1, 3), label="rows")
    yield Sample((values, 1, 0, 2), label="columns")
    yield Sample((values, 0, -2, 2), label="negative start")
    yield Sample((values, 0, 2, 0), label="empty")


JOINS = [
    OpInfo("cat", tl.cat, _cat_samples, ref=torch_function("cat"), dtypes=ALL_DTYPES),
    OpInfo("stack", tl.stack, _stack_samples, ref=torch_function("stack"), dtypes=ALL_DTYPES),
    OpInfo("split", tl.split, _split_samples, ref=torch_function("split"), dtypes=ALL_DTYPES),
    OpInfo("chunk", tl.chunk, _chunk_samples, ref=torch_function("chunk"), dtypes=ALL_DTYPES),
    OpInfo("unbind", tl.unbind, _unbind_samples, ref=torch_function("unbind"), dtypes=ALL_DTYPES),
    OpInfo("narrow", tl.narrow, _narrow_samples, ref=torch_function("narrow"), dtypes=ALL_DTYPES),
]


# ----- indexing ------------------------------------------------------------------------------------
def _array(*values):
    """A 1-D int64 index array."""
    return numpy.array(values, dtype=numpy.int64)


def _index_calls():
    """(label, index, PyTorch's exception or None) for a (2, 3, 4) input. Integer arrays become
    int64 tensors; lists stay lists."""
    ellipsis, all_ = Ellipsis, slice(None)
    return [
        ("int", 1, None), ("negative int", -1, None), ("slice", slice(1, None), None),
        ("step", (all_, slice(None, None, 2)), None), ("int and slice", (all_, 1), None),
        ("None and Ellipsis", (None, ellipsis, 1), None),
        ("mixed basic", (1, all_, None, slice(0, 4, 2)), None),
        ("int array with repeats", _array(1, 0, 1), None), ("negative array", _array(-1, 0), None),
        ("2-d int array", numpy.array([[0, 1], [1, 1]]), None), ("int32 array", numpy.array([1, 0], numpy.int32), None),
        ("list", [0, 1], None), ("nested list", [[0, 1], [1, 0]], None), ("empty list", [], None),
        ("bool mask 2-d", numpy.array([[True, False, True], [False, False, True]]), None),
        ("bool mask dim 0", numpy.array([False, True]), None), ("bool True", True, None), ("bool False", False, None),
        ("bool mask and int", (numpy.array([True, False]), 1), None),
        ("int, slice, array", (0, all_, _array(1, 2)), None),
        ("int, slice, list", (0, all_, [1, 2]), None),
        ("-1, ..., array, None", (-1, ellipsis, _array(0, 2), None), None),
        ("array, slice, array", (_array(0, 1), all_, _array(1, 2)), None),
        ("slice, array, int", (all_, _array(0, 2), 1), None),
        ("None, array, ..., int", (None, _array(1, 0), ellipsis, 0), None),
        ("broadcast arrays", (_array(0, 1), numpy.array([[0], [2]])), None),
        ("arrays split by None", (all_, _array(0, 2), None, _array(1, 3)), None),
        ("Ellipsis, list", (ellipsis, [0, 3]), None),
        ("slice past the end", slice(5, None), None), ("0-d result", (1, 2, 3), None),
        ("negative step", slice(None, None, -1), ValueError),
        ("int out of range", 5, IndexError), ("array out of range", _array(5), IndexError),
        ("float index", numpy.array([0.0]), IndexError),
    ]


def _getitem_samples(dtype, rng):
    values = make(rng, (2, 3, 4), dtype)
    for label, index, raises in _index_calls():
        yield Sample((values, index), label=label, raises=raises, gradcheck=False if raises else True)
    yield Sample((transposed(make(rng, (3, 4, 2), dtype)), _array(2, 0)), label="transposed, array")
    yield Sample((make(rng, (0, 3), dtype), slice(None)), label="0-size")
    yield Sample((make(rng, (0, 3), dtype), (slice(None), _array(1, 1))), label="0-size, array")
    yield Sample((make(rng, (), dtype), None), label="0-d, None")
    yield Sample((make(rng, (), dtype), Ellipsis), label="0-d, Ellipsis")


def _assigned(x, index, value):
    """``x[index] = value`` on a copy, returned (setitem through the public operator)."""
    copy = x.clone()
    copy[index] = value
    return copy


def _setitem_samples(dtype, rng):
    x = make(rng, (2, 3, 4), dtype)
    scalar = 2.5 if dtype.kind == "f" else (True if dtype == BOOL else 7)
    yield Sample((x, 1, scalar), label="int = scalar")
    yield Sample((x, slice(None), make(rng, (4,), dtype)), label="slice = row (broadcast)")
    yield Sample((x, _array(1, 0), make(rng, (2, 3, 4), dtype)), label="array = block")
    yield Sample((x, numpy.array([[True, False, True], [False, False, True]]), scalar), label="mask = scalar")
    yield Sample((x, (0, slice(None), _array(1, 2)), make(rng, (3, 2), dtype)), label="int, slice, array = (3, 2)")
    yield Sample((x, (0, slice(None), [1, 2]), make(rng, (3, 2), dtype)), label="int, slice, list = (3, 2)")
    yield Sample((x, (Ellipsis, 0), make(rng, (2, 3), dtype)), label="Ellipsis = (2, 3)")
    yield Sample((x, (slice(None), _array(0, 2), 1), make(rng, (2, 2), dtype)), label="slice, array, int")
    yield Sample((x, 0, make(rng, (3, 4), INT64)), label="int64 value")
    yield Sample((x, slice(None, None, -1), scalar), label="negative step", raises=ValueError)
    yield Sample((x, 0, make(rng, (2, 4), dtype)), label="shape mismatch", raises=RuntimeError)


def _gather_samples(dtype, rng):
    x = make(rng, (3, 4), dtype)
    yield Sample((x, 0, indices(rng, 3, (2, 4))), label="dim 0")
    yield Sample((x, 1, indices(rng, 4, (3, 2))), label="dim 1, narrower")
    yield Sample((x, -1, numpy.array([[0, 0, 3], [1, 1, 1], [2, 0, 3]])), label="dim -1, repeats")
    yield Sample((x, 0, indices(rng, 3, (1, 2))), label="index smaller in the other dim")
    yield Sample((x, 1, indices(rng, 4, (3, 0))), label="0-size index")
    yield Sample((make(rng, (), dtype), 0, numpy.array(0)), label="0-d")
    yield Sample((transposed(make(rng, (3, 4), dtype)), 1, indices(rng, 4, (3, 2))), label="transposed")
    yield Sample((x, 0, numpy.array([[5, 0, 0, 0]])), label="out of range", raises=OUT_OF_RANGE)


def _scatter_add_samples(dtype, rng):
    x = make(rng, (3, 4), dtype)
    yield Sample((x, 0, numpy.array([[0, 2, 2, 0]]), make(rng, (1, 4), dtype)), label="dim 0")
    yield Sample((x, 1, numpy.array([[0, 0], [3, 1], [2, 2]]), make(rng, (3, 2), dtype)), label="dim 1, repeats")
    yield Sample((x, 0, indices(rng, 3, (0, 4)), make(rng, (0, 4), dtype)), label="0-size index")
    yield Sample((x, 0, numpy.array([[5, 0, 0, 0]]), make(rng, (1, 4), dtype)), label="out of range",
                 raises=OUT_OF_RANGE)


def _index_select_samples(dtype, rng):
    x = make(rng, (3, 4), dtype)
    yield Sample((x, 0, _array(2, 2, 0)), label="dim 0, repeats")
    yield Sample((x, 1, _array(3, 0)), label="dim 1")
    yield Sample((x, -1, _array()), label="empty index")
    yield Sample((x, 0, numpy.array(1)), label="0-d index")
    yield Sample((make(rng, (0, 4), dtype), 1, _array(1, 2)), label="0-size input")
    yield Sample((make(rng, (3, 0), dtype), 0, _array(1, 2)), label="0-size input, other dim")
    yield Sample((transposed(make(rng, (3, 4), dtype)), 1, _array(1, 0)), label="transposed")
    yield Sample((x, 0, _array(5)), label="out of range", raises=OUT_OF_RANGE)


def _masked_fill_samples(dtype, rng):
    x = make(rng, (2, 3), dtype)
    value = -1.5 if dtype.kind == "f" else (True if dtype == BOOL else 4)
    yield Sample((x, make(rng, (2, 3), BOOL), value), label="same shape")
    yield Sample((x, make(rng, (3,), BOOL), value), label="broadcast mask")
    yield Sample((x, make(rng, (), BOOL), value), label="0-d mask")
    yield Sample((make(rng, (3,), dtype), make(rng, (2, 3), BOOL), value), label="mask broadcasting the input")
    yield Sample((make(rng, (0, 3), dtype), make(rng, (3,), BOOL), value), label="0-size")
    yield Sample((transposed(make(rng, (2, 3), dtype)), make(rng, (2, 3), BOOL), value), label="transposed")
    if dtype.kind == "f":
        yield Sample((x, make(rng, (2, 3), BOOL), numpy.array(0.25, dtype)), label="0-d tensor value")
        yield Sample((x, make(rng, (2, 3), BOOL), float("inf")), label="inf value", gradcheck=False)
        yield Sample((x, make(rng, (2, 3), BOOL), 2), label="int value")
    if dtype.kind in "iu":
        yield Sample((x, make(rng, (2, 3), BOOL), 2.7), label="float value on ints")
    yield Sample((x, make(rng, (2, 3), INT64), value), label="int mask", raises=(RuntimeError, TypeError))


def _triangle_samples(dtype, rng):
    yield Sample((make(rng, (3, 3), dtype),), label="square")
    for diagonal in (1, -1, 5, -5):
        yield Sample((make(rng, (3, 4), dtype), diagonal), label=f"diagonal={diagonal}")
    yield Sample((make(rng, (2, 3, 4), dtype),), label="batch")
    yield Sample((make(rng, (0, 3), dtype),), label="0-size")
    yield Sample((transposed(make(rng, (3, 4), dtype)),), label="transposed")
    yield Sample((make(rng, (3,), dtype),), label="1-d", raises=RuntimeError)


INDEXING = [
    OpInfo("getitem", lambda x, index: x[index], _getitem_samples, dtypes=ALL_DTYPES),
    # Inside the graph: gradients reach x outside the written positions, and the value.
    OpInfo("setitem", _assigned, _setitem_samples, dtypes=ALL_DTYPES),
    OpInfo("gather", tl.gather, _gather_samples, ref=torch_function("gather"), dtypes=ALL_DTYPES),
    OpInfo("scatter_add", tl.scatter_add, _scatter_add_samples, ref=torch_function("scatter_add"),
           dtypes=FLOATS + (INT64, INT32)),
    OpInfo("index_select", tl.index_select, _index_select_samples, ref=torch_function("index_select"),
           dtypes=ALL_DTYPES),
    OpInfo("masked_fill", tl.masked_fill, _masked_fill_samples, ref=torch_function("masked_fill"),
           dtypes=ALL_DTYPES),
    OpInfo("tril", tl.tril, _triangle_samples, ref=torch_function("tril"), dtypes=ALL_DTYPES),
    OpInfo("triu", tl.triu, _triangle_samples, ref=torch_function("triu"), dtypes=ALL_DTYPES),
]

ENTRIES = SHAPES + JOINS + INDEXING
