"""Tests for tinygrad_lite/ops/conversion.py: to, clone, type_as, cpu, float/double/half/long/int/bool."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch

CASTS = {
    "float": (lambda x: x.float(), "float32"),
    "double": (lambda x: x.double(), "float64"),
    "half": (lambda x: x.half(), "float16"),
    "long": (lambda x: x.long(), "int64"),
    "int": (lambda x: x.int(), "int32"),
    "bool": (lambda x: x.bool(), "bool"),
    "to(tl.float16)": (lambda x: x.to(tl.float16), "float16"),
    "to(dtype=)": (lambda x: x.to(dtype=tl.int32), "int32"),
    "to('cpu', float64)": (lambda x: x.to("cpu", tl.float64), "float64"),
    "to(other)": (lambda x: x.to(tl.zeros(1, dtype=tl.int64)), "int64"),
    "type_as": (lambda x: x.type_as(tl.zeros(1, dtype=tl.float64)), "float64"),
}


@pytest.mark.parametrize("name", list(CASTS))
@pytest.mark.parametrize("source", ["float32", "float64", "int64", "bool"])
def test_casts_give_the_named_dtype_and_values(name, source):
    values = numpy.array([[0.0, 1.0, -2.0], [3.0, 0.0, 4.0]]).astype(source)
    op, target = CASTS[name]
    result = op(tl.tensor(values))
    assert result.dtype == numpy.dtype(target)
    numpy.testing.assert_array_equal(result.numpy(), values.astype(target))


@pytest.mark.parametrize("target", ["float32", "float16"])
def test_cast_gradient_comes_back_in_the_input_dtype(target):
    x = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    y = x.to(getattr(tl, target))
    assert y.requires_grad and y.dtype == numpy.dtype(target)
    (y * 3.0).sum().backward()
    assert x.grad.dtype == tl.float64 and x.grad.tolist() == [3.0, 3.0]


def test_cast_to_an_integer_dtype_cuts_the_graph():
    x = tl.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad


def test_cast_gradcheck():
    # The round trip through float32 rounds x: differences need a step far above float32's.
    check_gradcheck(lambda x: x.float().double() * 2.0, (3,), eps=1e-2, atol=1e-3)


@requires_torch
@pytest.mark.parametrize("op", [lambda x: x.double() * x, lambda x: x.half().float() + x, lambda x: x.clone() * 2])
def test_cast_parity(op):
    check_parity(op, op, (2, 3))


def test_to_same_dtype_and_device_returns_self_unless_copy():
    x = tl.ones(2)
    assert x.to(tl.float32) is x
    assert x.to("cpu") is x
    copied = x.to(tl.float32, copy=True)
    assert copied is not x and not numpy.shares_memory(copied.numpy(), x.numpy())


def test_clone_owns_its_memory_and_passes_gradient():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not numpy.shares_memory(y.detach().numpy(), x.detach().numpy())
    assert y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert tl.clone(tl.tensor([3])).tolist() == [3]


def test_cpu_is_a_no_op_on_cpu():
    x = tl.ones(2, requires_grad=True)
    assert x.cpu() is x
    assert x.cpu().device == "cpu"


def test_to_rejects_unknown_targets():
    with pytest.raises(ValueError, match="unknown device"):
        tl.ones(2).to("tpu")
    with pytest.raises(TypeError):
        tl.ones(2).to(object())


def test_casting_out_of_range_values_is_silent_as_in_pytorch():
    """float16 overflow gives inf without a NumPy RuntimeWarning (amp overflows on purpose)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tl.tensor([1e6, -1e6]).half().tolist() == [float("inf"), float("-inf")]
