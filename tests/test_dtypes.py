"""Tests for tinygrad_lite/dtypes.py and the promotion every op applies: PyTorch's rules, exactly."""
import itertools
import operator

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import dtype_name, requires_torch, torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _lib(x):
    return torch if torch is not None and isinstance(x, torch.Tensor) else tl


OPERATORS = {"+": operator.add, "*": operator.mul, "-": operator.sub, "/": operator.truediv,
             "maximum": lambda a, b: _lib(a).maximum(a, b),
             "where": lambda a, b: _lib(a).where(a > 0, a, b),
             "cat": lambda a, b: _lib(a).cat([a.reshape(-1), b.reshape(-1)])}


def _functional(name):
    """``F.name``, skipping the test while nn.functional does not provide it yet."""
    if not hasattr(F, name):
        pytest.skip(f"tinygrad_lite.nn.functional.{name} is not available")
    return getattr(F, name)


def _make(lib, dtype, ndim):
    values = [1, 2] if ndim else 1
    return lib.tensor(values).to(getattr(lib, dtype))


def _result_dtype(thunk):
    """The result dtype as a string, or the exception type when the op is refused."""
    try:
        return dtype_name(thunk().dtype)
    except (RuntimeError, TypeError) as error:
        return type(error).__name__


def _refused_by_torch(name, first, second):
    # PyTorch refuses bool - bool; maximum/where/cat have no such holes.
    return name == "-" and "bool" in (first, second)


@requires_torch
@pytest.mark.parametrize("name, ndims", [
    (name, ndims) for name in OPERATORS for ndims in ((1, 1), (1, 0), (0, 1), (0, 0))
    if name != "cat" or ndims == (1, 1)  # cat flattens its operands: only one case is distinct
], ids=str)
def test_tensor_tensor_promotion_matches_torch(name, ndims):
    mismatches = []
    for first, second in itertools.product(DTYPES, DTYPES):
        if _refused_by_torch(name, first, second):
            continue
        op = OPERATORS[name]
        theirs = _result_dtype(lambda: op(_make(torch, first, ndims[0]), _make(torch, second, ndims[1])))
        ours = _result_dtype(lambda: op(_make(tl, first, ndims[0]), _make(tl, second, ndims[1])))
        if ours != theirs:
            mismatches.append((first, second, ours, theirs))
    assert not mismatches, mismatches


SCALARS = [True, 2, -3, 2.5, numpy.float64(1.5), numpy.float32(0.5), numpy.int64(4), numpy.int32(2)]


@requires_torch
@pytest.mark.parametrize("name", ["+", "*", "-", "/", "reflected +", "reflected *", "reflected /", "**"])
@pytest.mark.parametrize("ndim", [1, 0])
def test_tensor_scalar_promotion_matches_torch(name, ndim):
    ops = {"reflected +": lambda a, s: s + a, "reflected *": lambda a, s: s * a,
           "reflected /": lambda a, s: s / a, "**": lambda a, s: a ** s}
    op = ops.get(name) or OPERATORS[name]
    mismatches = []
    for dtype, scalar in itertools.product(DTYPES, SCALARS):
        if name == "-" and (dtype == "bool" or isinstance(scalar, bool)):
            continue
        if name == "**" and (isinstance(scalar, bool) or (dtype != "float64" and scalar == -3)):
            continue  # int ** negative int is an error in both libraries
        theirs = _result_dtype(lambda: op(_make(torch, dtype, ndim), scalar))
        ours = _result_dtype(lambda: op(_make(tl, dtype, ndim), scalar))
        if ours != theirs:
            mismatches.append((dtype, repr(scalar), ours, theirs))
    assert not mismatches, mismatches


def test_scalars_never_upcast_float32_or_float16():
    for dtype in (tl.float16, tl.float32):
        x = tl.ones(2, dtype=dtype)
        for scalar in (2.5, 3, numpy.float64(2.0), numpy.float32(2.0), numpy.int64(7), True):
            assert (x * scalar).dtype == dtype, scalar
            assert (scalar + x).dtype == dtype, scalar
            assert (x / scalar).dtype == dtype, scalar
            assert (x ** scalar).dtype == dtype, scalar


def test_integer_scalars_wrap_around_like_torch():
    small = tl.tensor([1, 2], dtype=tl.uint8)
    assert (small - 2).tolist() == [255, 0] and (small - 2).dtype == tl.uint8
    assert (small + 300).tolist() == [45, 46]
    assert (tl.tensor([1, 2], dtype=tl.int8) * 200).tolist() == [-56, -112]


def test_int_tensor_with_python_float_gives_default_float():
    assert (tl.tensor([1, 2]) * 2.5).dtype == tl.float32
    assert (tl.tensor([1, 2], dtype=tl.int32) + 0.5).dtype == tl.float32
    assert (tl.tensor([True]) * 1.0).dtype == tl.float32
    assert (tl.tensor([1, 2]) * 2).dtype == tl.int64
    assert (tl.tensor([1, 2], dtype=tl.int32) * 2).dtype == tl.int32


def test_zero_dim_tensors_do_not_widen_dimensioned_ones():
    assert (tl.ones(2) + tl.tensor(1.0, dtype=tl.float64)).dtype == tl.float32
    assert (tl.ones(2, dtype=tl.int32) + tl.tensor(1)).dtype == tl.int32
    assert (tl.ones(2, dtype=tl.int32) + tl.tensor(1, dtype=tl.int64)).dtype == tl.int32
    # A 0-d tensor of a higher category does widen: int32 + 0-d float64 -> float64 (as in PyTorch).
    assert (tl.ones(2, dtype=tl.int32) + tl.tensor(1.0, dtype=tl.float64)).dtype == tl.float64
    assert (tl.tensor(1.0, dtype=tl.float64) + tl.tensor(1.0)).dtype == tl.float64


@pytest.mark.parametrize("factory, expected", [
    (lambda: tl.tensor([1.0, 5.0]).argmax(), tl.int64),
    (lambda: tl.tensor([[1.0, 5.0]]).argmin(1), tl.int64),
    (lambda: tl.tensor([[1.0, 5.0]]).max(1).indices, tl.int64),
    (lambda: _functional("one_hot")(tl.tensor([0, 2]), 3), tl.int64),
    (lambda: tl.arange(5), tl.int64),
    (lambda: tl.arange(0, 5, 2), tl.int64),
    (lambda: tl.arange(5.0), tl.float32),
    (lambda: tl.full((2,), 3), tl.int64),
    (lambda: tl.full((2,), 3.0), tl.float32),
    (lambda: tl.full((2,), False), tl.bool),
    (lambda: tl.tensor([1, 2]).sum(), tl.int64),
    (lambda: tl.tensor([True, False]).sum(), tl.int64),
    (lambda: tl.tensor([1, 2]) / tl.tensor([2, 2]), tl.float32),
    (lambda: tl.tensor([1, 2]) > 1, tl.bool),
    (lambda: tl.randint(0, 5, (2,)), tl.int64),
    (lambda: tl.randperm(3), tl.int64),
], ids=["argmax", "argmin", "max indices", "one_hot", "arange", "arange step", "arange float", "full int",
        "full float", "full bool", "int sum", "bool sum", "int div", "comparison", "randint", "randperm"])
def test_documented_result_dtypes(factory, expected):
    assert factory().dtype == expected


@pytest.mark.parametrize("dtype", [tl.int64, tl.int32, tl.int8, tl.uint8, tl.bool])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match=f"floating point.*{dtype}"):
        tl.zeros(2, dtype=dtype, requires_grad=True)


# ----- float32 (and float64) stay themselves through every op --------------------------------------
def _matrix(x):
    return x.reshape(3, 4)


OPS = {
    "add scalar": lambda x: x + 1.5, "radd int": lambda x: 2 + x, "sub": lambda x: x - x * 0.5,
    "rsub": lambda x: 1.0 - x, "mul numpy64": lambda x: x * numpy.float64(0.3),
    "div int": lambda x: x / 3, "rdiv": lambda x: 2.0 / (x.abs() + 1.0), "pow": lambda x: x.abs() ** 1.5,
    "rpow": lambda x: 2.0 ** x, "pow tensor": lambda x: x.abs() ** x, "neg": lambda x: -x,
    "floordiv": lambda x: x // 0.7, "exp": lambda x: x.exp(), "log": lambda x: (x.abs() + 1).log(),
    "log1p": lambda x: x.abs().log1p(), "sqrt": lambda x: x.abs().sqrt(), "rsqrt": lambda x: (x.abs() + 1).rsqrt(),
    "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(), "relu": lambda x: x.relu(), "abs": lambda x: x.abs(),
    "sign": lambda x: x.sign(), "clamp": lambda x: x.clamp(-0.5, 0.5), "clamp tensor": lambda x: x.clamp(x * 0.5),
    "maximum": lambda x: tl.maximum(x, x * 0.5), "where": lambda x: tl.where(x > 0, x, 0.0),
    "masked_fill": lambda x: x.masked_fill(x > 0, 2), "sum": lambda x: x.sum(), "mean": lambda x: x.mean(0),
    "var": lambda x: _matrix(x).var(1), "std": lambda x: x.std(), "prod": lambda x: x.prod(),
    "amax": lambda x: x.amax(), "max dim": lambda x: _matrix(x).max(1).values, "logsumexp": lambda x: x.logsumexp(0),
    "norm": lambda x: x.norm(), "norm p": lambda x: x.norm(3), "softmax": lambda x: _matrix(x).softmax(1),
    "log_softmax": lambda x: _matrix(x).log_softmax(-1), "matmul": lambda x: _matrix(x) @ _matrix(x).T,
    "einsum": lambda x: tl.einsum("ij,kj->ik", _matrix(x), _matrix(x)), "reshape": lambda x: _matrix(x),
    "permute": lambda x: _matrix(x).permute(1, 0), "expand": lambda x: x.expand(2, 12),
    "repeat": lambda x: x.repeat(2), "getitem": lambda x: x[[0, 3]], "gather": lambda x: x.gather(0, tl.tensor([1, 1])),
    "scatter_add": lambda x: x.scatter_add(0, tl.tensor([0, 0]), x), "index_select": lambda x: x.index_select(0, tl.tensor([2])),
    "cat": lambda x: tl.cat([x, x]), "stack": lambda x: tl.stack([x, x]), "split": lambda x: x.split(5)[1],
    "tril": lambda x: _matrix(x).tril(), "clone": lambda x: x.clone(), "pad": lambda x: _functional("pad")(_matrix(x), (1, 1)),
    "mean of int-scaled": lambda x: (x * tl.tensor(2)).mean(),
}


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_every_op_keeps_the_float_dtype_in_values_and_gradients(name, dtype):
    x = tl.tensor(numpy.linspace(-1.05, 1.2, 12), dtype=dtype, requires_grad=True)  # no exact 0
    result = OPS[name](x)
    assert result.dtype == dtype, (name, result.dtype)
    if result.requires_grad:
        (result * result).sum().backward()
        assert x.grad.dtype == dtype


def test_default_dtype_can_be_switched_to_float64():
    previous = tl.get_default_dtype()
    try:
        tl.set_default_dtype(tl.float64)
        assert tl.tensor([1.0]).dtype == tl.float64
        assert tl.zeros(2).dtype == tl.float64
        assert (tl.tensor([1, 2]) * 0.5).dtype == tl.float64
        with pytest.raises(TypeError, match="floating"):
            tl.set_default_dtype(tl.int64)
    finally:
        tl.set_default_dtype(previous)
    assert tl.tensor([1.0]).dtype == tl.float32


@pytest.mark.parametrize("spelling", [tl.float32, "float32", numpy.float32, numpy.dtype("float32")])
def test_dtype_spellings(spelling):
    assert tl.zeros(1, dtype=spelling).dtype == tl.float32


def test_unknown_dtypes_raise():
    with pytest.raises(TypeError, match="unknown dtype|unsupported"):
        tl.zeros(1, dtype="float128x")
    with pytest.raises(TypeError, match="unsupported"):
        tl.zeros(1, dtype=numpy.complex64)


def test_dtype_aliases():
    assert tl.float is tl.float32 and tl.double is tl.float64 and tl.half is tl.float16
    assert tl.long is tl.int64 and tl.int is tl.int32 and tl.bool == numpy.dtype(bool)


@pytest.mark.parametrize("data, expected", [
    ([numpy.float64(2.0)], "float64"),
    ([[1.0, numpy.float64(2.0)]], "float64"),
    ([numpy.float32(1.0), 2.0], "float32"),
    ([numpy.int32(1)], "int32"),
    ([numpy.int32(1), 2], "int64"),
    ([numpy.int32(1), 2.5], "float32"),
    ([numpy.float16(1.0), 2.0], "float32"),
    ([numpy.array([1.0, 2.0], numpy.float32), [3.0, 4.0]], "float32"),
    ([True, numpy.bool_(False)], "bool"),
])
def test_lists_holding_numpy_values_infer_pytorchs_dtype(data, expected):
    # PyTorch treats NumPy values in a list as typed, Python scalars as int64/default float/bool.
    assert str(tl.tensor(data).dtype) == "tl." + expected


def test_a_list_of_unsupported_numpy_values_is_refused_by_name():
    with pytest.raises(TypeError, match="complex64"):
        tl.tensor([numpy.complex64(1)])


@pytest.mark.parametrize("name", DTYPES)
def test_dtypes_print_like_pytorchs_everywhere_a_user_sees_them(name):
    dtype = getattr(tl, name)
    x = tl.zeros(2, dtype=dtype)
    assert repr(x.dtype) == str(x.dtype) == f"tl.{name}"
    assert x.dtype is dtype and isinstance(dtype, tl.dtype)
    shown = repr(tl.ones(2, dtype=dtype))  # PyTorch leaves out the default float, int64 and bool
    assert (f"dtype=tl.{name}" in shown) == (name not in ("float32", "int64", "bool"))


@pytest.mark.parametrize("name", DTYPES)
def test_a_tl_dtype_stands_in_for_its_numpy_dtype(name):
    dtype, as_numpy = getattr(tl, name), numpy.dtype(name)
    assert dtype == as_numpy and as_numpy == dtype and dtype == name and dtype == as_numpy.type
    assert hash(dtype) == hash(as_numpy) and {as_numpy: 1}[dtype] == 1
    assert numpy.zeros(2, dtype=dtype).dtype == as_numpy and numpy.dtype(dtype) == as_numpy
    assert (dtype.kind, dtype.itemsize, dtype.char) == (as_numpy.kind, as_numpy.itemsize, as_numpy.char)
    assert dtype.is_floating_point == (as_numpy.kind == "f") and not dtype.is_complex
    assert dtype != (tl.int32 if name != "int32" else tl.int64)


def test_dtypes_stay_single_objects_through_copy_and_pickle():
    import copy
    import pickle
    for dtype in (tl.float32, tl.int64, tl.bool):
        assert copy.deepcopy(dtype) is dtype and pickle.loads(pickle.dumps(dtype)) is dtype
    assert tl.get_default_dtype() is tl.float32 and repr(tl.get_default_dtype()) == "tl.float32"
    assert tl.tensor([1, 2]).double().dtype is tl.float64


def test_dtype_names_in_error_messages_are_pytorch_like():
    with pytest.raises(RuntimeError, match=r"tl\.int64"):
        F.dropout(tl.zeros(2, dtype=tl.int64), 0.5)
