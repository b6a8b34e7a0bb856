"""Tests for tinygrad_lite/ops/shape.py: reshape, permute, squeeze, expand, repeat and friends."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch

# name -> (input shape, op applied identically to our tensor and to torch's)
MOVEMENTS = {
    "reshape": ((2, 3, 4), lambda x: x.reshape(4, 6)),
    "reshape -1": ((2, 3, 4), lambda x: x.reshape(-1, 4)),
    "reshape tuple": ((2, 3, 4), lambda x: x.reshape((3, -1))),
    "view": ((2, 3, 4), lambda x: x.view(6, 4)),
    "view_as": ((2, 3, 4), lambda x: x.view_as(x.reshape(24))),
    "reshape_as": ((2, 3, 4), lambda x: x.reshape_as(x.reshape(4, 6))),
    "reshape 0-d": ((1,), lambda x: x.reshape(())),
    "flatten": ((2, 3, 4), lambda x: x.flatten()),
    "flatten 1": ((2, 3, 4), lambda x: x.flatten(1)),
    "flatten 0,1": ((2, 3, 4), lambda x: x.flatten(0, 1)),
    "flatten 0-d": ((), lambda x: x.flatten()),
    "unflatten": ((2, 12), lambda x: x.unflatten(1, (3, 4))),
    "unflatten -1": ((2, 12), lambda x: x.unflatten(-1, (2, -1))),
    "squeeze": ((1, 3, 1, 2), lambda x: x.squeeze()),
    "squeeze dim": ((1, 3, 1, 2), lambda x: x.squeeze(2)),
    "squeeze -4": ((1, 3, 1, 2), lambda x: x.squeeze(-4)),
    "squeeze non-1 dim": ((1, 3, 1, 2), lambda x: x.squeeze(1)),
    "squeeze tuple": ((1, 3, 1, 2), lambda x: x.squeeze((0, 1, 2))),
    "unsqueeze": ((3, 2), lambda x: x.unsqueeze(1)),
    "unsqueeze -1": ((3, 2), lambda x: x.unsqueeze(-1)),
    "unsqueeze 0-d": ((), lambda x: x.unsqueeze(0)),
    "permute": ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    "permute tuple neg": ((2, 3, 4), lambda x: x.permute((-1, 1, 0))),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2)),
    "transpose neg": ((2, 3, 4), lambda x: x.transpose(-1, -2)),
    "swapaxes": ((2, 3, 4), lambda x: x.swapaxes(0, 1)),
    "t": ((3, 4), lambda x: x.t()),
    "t 1-d": ((3,), lambda x: x.t()),
    "mT": ((2, 3, 4), lambda x: x.mT),
    "T 2-d": ((3, 4), lambda x: x.T),
    "expand": ((3, 1), lambda x: x.expand(3, 4)),
    "expand -1": ((3, 1), lambda x: x.expand(-1, 4)),
    "expand new dims": ((3, 1), lambda x: x.expand(2, -1, 4)),
    "expand tuple": ((1,), lambda x: x.expand((2, 5))),
    "expand 0-d": ((), lambda x: x.expand(2, 3)),
    "expand_as": ((1, 4), lambda x: x.expand_as(x.expand(3, 4) * 0)),
    "broadcast_to": ((3, 1), lambda x: x.broadcast_to((2, 3, 4))),
    "repeat": ((2, 3), lambda x: x.repeat(2, 3)),
    "repeat new dims": ((2, 3), lambda x: x.repeat(2, 1, 2)),
    "repeat ones": ((2, 3), lambda x: x.repeat(1, 1)),
    "repeat 0-d": ((), lambda x: x.repeat(3)),
    "contiguous": ((2, 3), lambda x: x.t().contiguous()),
    "chain": ((2, 3, 4), lambda x: x.permute(1, 0, 2).reshape(3, 8)[1:].unsqueeze(0).expand(2, 2, 8)),
    "flatten 0 elements": ((0, 3, 4), lambda x: x.flatten(1)),
    "flatten all 0 elements": ((2, 0, 4), lambda x: x.flatten()),
    "unflatten -1 at 0 elements": ((0, 4), lambda x: x.unflatten(1, (-1, 2))),
    "reshape -1 at 0 elements": ((0, 3), lambda x: x.reshape(-1)),
    "mT 0-d": ((), lambda x: x.mT),
    "flip": ((2, 3, 4), lambda x: x.flip(0, 2) if isinstance(x, tl.Tensor) else x.flip((0, 2))),
    "flip one dim": ((2, 3), lambda x: x.flip(-1) if isinstance(x, tl.Tensor) else x.flip(-1)),
    "view of a slice": ((4, 3), lambda x: x[1:3].view(6)),
}


@pytest.mark.filterwarnings("ignore:.*deprecated")  # legacy forms are tested on purpose
@pytest.mark.parametrize("name", list(MOVEMENTS))
def test_movement_gradcheck(name):
    shape, op = MOVEMENTS[name]
    check_gradcheck(op, shape)


@pytest.mark.filterwarnings("ignore:.*deprecated")  # legacy forms are tested on purpose
@requires_torch
@pytest.mark.parametrize("name", list(MOVEMENTS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_movement_parity(name, dtype):
    shape, op = MOVEMENTS[name]
    check_parity(op, op, shape, dtype=dtype)


FUNCTIONS = {
    "reshape": (lambda x: tl.reshape(x, (6, 4)), lambda x: torch.reshape(x, (6, 4))),
    "flatten": (lambda x: tl.flatten(x, 1), lambda x: torch.flatten(x, 1)),
    "unflatten": (lambda x: tl.unflatten(x, 2, (2, 2)), lambda x: torch.unflatten(x, 2, (2, 2))),
    "squeeze": (lambda x: tl.squeeze(x[:1], 0), lambda x: torch.squeeze(x[:1], 0)),
    "unsqueeze": (lambda x: tl.unsqueeze(x, 3), lambda x: torch.unsqueeze(x, 3)),
    "permute": (lambda x: tl.permute(x, (1, 2, 0)), lambda x: torch.permute(x, (1, 2, 0))),
    "transpose": (lambda x: tl.transpose(x, 1, 2), lambda x: torch.transpose(x, 1, 2)),
    "swapaxes": (lambda x: tl.swapaxes(x, 0, 2), lambda x: torch.swapaxes(x, 0, 2)),
    "t": (lambda x: tl.t(x[0]), lambda x: torch.t(x[0])),
    "broadcast_to": (lambda x: tl.broadcast_to(x, (2, 2, 3, 4)), lambda x: torch.broadcast_to(x, (2, 2, 3, 4))),
}


@requires_torch
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_function_forms(name):
    check_parity(*FUNCTIONS[name], (2, 3, 4))


def test_T_reverses_every_dim():
    values = numpy.arange(24.0).reshape(2, 3, 4)
    numpy.testing.assert_array_equal(tl.tensor(values).T.numpy(), values.T)
    check_gradcheck(lambda x: x.T, (2, 3, 4))


def test_squeeze_of_a_non_1_dim_is_a_no_op():
    x = tl.ones(2, 3)
    assert x.squeeze(0).shape == (2, 3)
    assert x.squeeze(-1).shape == (2, 3)
    assert tl.ones(1, 3, 1).squeeze((0, 1)).shape == (3, 1)


def test_reshape_and_view_share_memory_with_the_input():
    x = tl.zeros(2, 3)
    y = x.view(6)
    x.data[0, 1] = 5.0
    assert y.tolist()[1] == 5.0


def test_expand_is_a_broadcast_view():
    x = tl.tensor([[1.0], [2.0]])
    y = x.expand(2, 3)
    assert y.tolist() == [[1.0] * 3, [2.0] * 3]
    assert numpy.shares_memory(y.numpy(), x.numpy())


def test_repeat_copies_in_tile_order():
    x = tl.tensor([[1, 2]])
    assert x.repeat(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]


@pytest.mark.parametrize("op, message", [
    (lambda x: x.reshape(5, 5), "invalid"),
    (lambda x: x.reshape(-1, -1), "one dimension"),
    (lambda x: x.permute(0, 1), "dims"),
    (lambda x: x.permute(0, 0, 1), "repeated"),
    (lambda x: x.expand(3, 5, 4), "expanded size"),
    (lambda x: x.expand(4), "number of sizes"),
    (lambda x: x.repeat(2), "repeat"),
    (lambda x: x.transpose(0, 3), "range"),
    (lambda x: x.unsqueeze(4), "range"),
    (lambda x: x.flatten(2, 1), "start_dim"),
    (lambda x: x.t(), "2 dimensions"),
], ids=["reshape", "two -1", "permute count", "permute repeat", "expand", "expand rank", "repeat",
        "transpose", "unsqueeze", "flatten", "t"])
def test_movement_errors_are_clear(op, message):
    with pytest.raises((RuntimeError, IndexError), match=message):
        op(tl.ones(2, 3, 4))


def test_reshape_errors_name_the_shape():
    with pytest.raises(RuntimeError, match=r"\[2, 3, 4\]"):
        tl.ones(2, 3, 4).reshape(7)


@pytest.mark.parametrize("op, message", [
    (lambda x: x.t().view(-1), "use .reshape"),
    (lambda x: x[:0].reshape(0, -1), "ambiguous"),
    (lambda x: x.unflatten(1, (2, 2)), "multiply"),
    (lambda x: x.flip(0, 0), "repeated"),
], ids=["view of a transpose", "reshape 0 elements with -1", "unflatten sizes", "flip repeated"])
def test_reshape_family_errors_like_pytorch(op, message):
    with pytest.raises(RuntimeError, match=message):
        op(tl.ones(2, 3))


def test_flip_copies_where_a_negative_step_would_be_refused():
    x = tl.arange(3.0)
    flipped = x.flip(0)
    flipped.add_(1.0)
    assert x.tolist() == [0.0, 1.0, 2.0] and flipped.tolist() == [3.0, 2.0, 1.0]
    assert tl.flip(tl.tensor(5.0), ()).item() == 5.0


def test_mT_needs_two_dims():
    with pytest.raises(RuntimeError, match="2 dimensions"):
        tl.ones(3).mT


def test_unflatten_needs_sizes():
    with pytest.raises(RuntimeError, match="non-empty"):
        tl.ones(1).unflatten(-1, ())


def test_reshaping_to_the_same_shape_returns_the_tensor_itself():
    # A README difference: PyTorch returns a new view object.
    x = tl.ones(2, 3)
    assert x.reshape(2, 3) is x and x.view(2, -1) is x


@pytest.mark.parametrize("start_dim, end_dim", [(0, 1), (1, 0), (-2, 0)])
def test_flatten_of_a_0d_tensor_checks_its_dims_as_pytorch(start_dim, end_dim):
    with pytest.raises(IndexError, match="out of range"):
        tl.tensor(False).flatten(start_dim, end_dim)
    assert tl.tensor(1.0).flatten(-1, 0).shape == (1,)
