"""Tests for tinygrad_lite/nn/functional/padding.py: pad in constant/reflect/replicate/circular modes."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F

# (input shape, pad tuple): 1, 2 and 3 padded dims, with crops (negative amounts) mixed in.
CASES = {
    "1 dim": ((2, 3, 5), (2, 1)),
    "1 dim unbatched": ((3, 5), (1, 3)),
    "1 dim crop left": ((2, 3, 5), (-1, 2)),
    "1 dim crop right": ((2, 3, 5), (2, -2)),
    "2 dims": ((2, 2, 4, 5), (1, 2, 3, 1)),
    "2 dims unbatched": ((2, 4, 5), (0, 2, 1, 0)),
    "2 dims crops": ((1, 2, 4, 5), (-1, 1, 2, -2)),
    "3 dims": ((1, 2, 3, 4, 4), (1, 1, 2, 0, 1, 2)),
    "3 dims unbatched": ((2, 3, 4, 4), (0, 1, 1, 1, 2, 1)),
}
MODES = ["constant", "reflect", "replicate", "circular"]


def _pad(mode, amounts, value=None):
    """``pad`` with fixed arguments, for either library (non-constant modes take no value)."""
    options = {"value": value} if mode == "constant" else {"mode": mode}

    def run(x):
        library = F if isinstance(x, tl.Tensor) else torch_F
        return library.pad(x, amounts, **options)

    return run


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", MODES)
def test_gradcheck(case, mode):
    shape, amounts = CASES[case]
    check_gradcheck(_pad(mode, amounts, 0.5), shape)


@requires_torch
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_parity(case, mode, dtype):
    # check_parity checks values, the dtype, and the gradient (slices summed back into the input).
    shape, amounts = CASES[case]
    check_parity(_pad(mode, amounts, -1.5), _pad(mode, amounts, -1.5), shape, dtype=dtype)


@requires_torch
@pytest.mark.parametrize("amounts", [(1, 1, 0, 0, 1, 0, 2, 1), (0, 0, 1, 2), (-1, -1), (2, -3, 0, 1)])
def test_constant_mode_any_number_of_dims(amounts):
    check_parity(_pad("constant", amounts), _pad("constant", amounts), (2, 3, 4, 5))


EDGE_AMOUNTS = [(4, 4), (-2, -1), (0, -4), (5, 0)]


@requires_torch
@pytest.mark.parametrize("mode, amounts", [
    (mode, amounts) for mode in ("reflect", "replicate", "circular") for amounts in EDGE_AMOUNTS
    if not (mode == "reflect" and max(amounts) >= 5)  # reflect needs padding < the dim size
])
def test_edge_amounts(mode, amounts):
    check_parity(_pad(mode, amounts), _pad(mode, amounts), (2, 5))


def test_known_values():
    x = tl.tensor([[0.0, 1.0, 2.0, 3.0]])
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0]]
    assert F.pad(x, (2, 1), mode="replicate").tolist() == [[0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[2.0, 3.0, 0.0, 1.0, 2.0, 3.0, 0.0]]
    assert F.pad(x, (1, -2), value=7.0).tolist() == [[7.0, 0.0, 1.0]]


def test_reflect_gradient_counts_each_use():
    x = tl.tensor([[0.0, 1.0, 2.0, 3.0]], requires_grad=True)
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    assert x.grad.tolist() == [[1.0, 3.0, 3.0, 1.0]]


def test_second_derivative_through_constant_pad():
    x = tl.tensor(numpy.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert tl.autograd.gradgradcheck(lambda t: F.pad(t * t, (1, -1, 2, 0), value=3.0), [x])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64, tl.int64])
@pytest.mark.parametrize("mode", MODES)
def test_dtype_and_device_preserved(device, dtype, mode):
    x = tl.ones(2, 3, 4, device=device, dtype=dtype)
    out = F.pad(x, (1, 2), mode=mode)
    assert out.dtype == dtype and out.device == x.device and out.shape == (2, 3, 7)


def test_integer_constant_value_is_cast_like_torch():
    assert F.pad(tl.tensor([1, 2]), (1, 1), value=2.7).tolist() == [2, 1, 2, 2]


@requires_torch
@pytest.mark.parametrize("shape, amounts, refused", [
    ((1, 0), (-1, 1), True), ((1, 2), (3, -3), True), ((1, 2), (1, -3), True),
    ((1, 0), (1, -1), True), ((1, 2), (-2, 1), False), ((1, 3), (-1, -1), False),
    ((1, 0), (0, 0), False),
], ids=str)
def test_constant_crops_like_torch(shape, amounts, refused):
    # Cropping an empty dim (or more than a dim holds, refilled by the other side's padding)
    # gave a result; PyTorch crops first and refuses ("narrow(): length must be non-negative").
    if not refused:
        check_parity(lambda x: F.pad(x, amounts), lambda x: torch.nn.functional.pad(x, amounts),
                     shape)
        return
    with pytest.raises(RuntimeError, match="narrow"):
        torch.nn.functional.pad(torch.zeros(shape), amounts)
    with pytest.raises(RuntimeError, match="crops more than"):
        F.pad(tl.zeros(shape), amounts)


@requires_torch
@pytest.mark.parametrize("dtype, value, refused", [
    ("int32", float("inf"), True), ("int32", 1e10, True), ("uint8", -1, True),
    ("uint8", 300, True), ("float16", 1e10, True), ("int32", -2.7, False), ("uint8", 255, False),
    ("bool", 0.5, False), ("float16", float("nan"), False),
], ids=str)
def test_constant_value_the_dtype_cannot_hold_is_refused_like_torch(dtype, value, refused):
    # inf padded an int32 tensor with -2147483648; PyTorch refuses values that overflow.
    def padded(library):
        return library.nn.functional.pad(library.tensor([1], dtype=getattr(library, dtype)),
                                         (1, 0), value=value)

    if not refused:
        numpy.testing.assert_array_equal(padded(tl).numpy(), padded(torch).numpy())
        return
    for library in (torch, tl):
        with pytest.raises(RuntimeError, match="cannot be converted"):
            padded(library)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.pad(x, (1, 1, 1)), RuntimeError, "divisible by 2"),
    (lambda x: F.pad(x, (1,) * 8), RuntimeError, "two times the input dimension"),
    (lambda x: F.pad(x, (-3, -3)), RuntimeError, r"crops more than the 4 elements of dimension 2"),
    (lambda x: F.pad(x, (1, 1), mode="wrap"), NotImplementedError, "unrecognised padding mode"),
    (lambda x: F.pad(x, (1, 1), mode="reflect", value=1.0), RuntimeError, "doesn't take in value"),
    (lambda x: F.pad(x, (4, 0), mode="reflect"), RuntimeError, "less than the corresponding"),
    (lambda x: F.pad(x, (0, 5), mode="circular"), RuntimeError, "more than once"),
    (lambda x: F.pad(x[0, 0], (1, 1), mode="replicate"), NotImplementedError, "1D input"),
    (lambda x: F.pad(x, (1, 1, 1, 1, 1, 1), mode="reflect"), NotImplementedError, "3D input"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(tl.ones(2, 3, 4))


@requires_torch
def test_constant_value_is_not_checked_when_nothing_is_filled():
    # A crop fills nothing: PyTorch then accepts any value (ours refused NaN for int8).
    for amounts in [(-1, -1), (0, 0)]:
        ours = F.pad(tl.tensor([[-4, 0, 0]], dtype=tl.int8), amounts, value=float("nan"))
        reference = torch.nn.functional.pad(torch.tensor([[-4, 0, 0]], dtype=torch.int8), amounts,
                                            value=float("nan"))
        assert ours.tolist() == reference.tolist()
