"""Tests for tinygrad_lite/nn/rnn_cells.py: RNNCell (tanh/relu), LSTMCell, GRUCell."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, torch, with_parameters
from tinygrad_lite.nn.rnn_cells import GRUCell, LSTMCell, RNNCell

BATCH, INPUT, HIDDEN = 3, 4, 5
# kind -> (our class, PyTorch class name, constructor kwargs, gate blocks)
CELLS = {
    "rnn_tanh": (RNNCell, "RNNCell", {}, 1),
    "rnn_relu": (RNNCell, "RNNCell", {"nonlinearity": "relu"}, 1),
    "lstm": (LSTMCell, "LSTMCell", {}, 4),
    "gru": (GRUCell, "GRUCell", {}, 3),
}


def _cell(kind, bias=True, dtype=tl.float64, device="cpu"):
    cls, _, kwargs, _ = CELLS[kind]
    return cls(INPUT, HIDDEN, bias=bias, **kwargs).to(dtype).to(device)


def _torch_cell(kind, bias=True):
    _, name, kwargs, _ = CELLS[kind]
    return getattr(torch.nn, name)(INPUT, HIDDEN, bias=bias, **kwargs)


def _parameter_shapes(kind, bias):
    gates = CELLS[kind][3] * HIDDEN
    shapes = [(gates, INPUT), (gates, HIDDEN)]
    return shapes + ([(gates,), (gates,)] if bias else [])


def _state_specs(kind, batch=BATCH):
    shape = (batch, HIDDEN) if batch else (HIDDEN,)
    return [shape, shape] if kind == "lstm" else [shape]


def _ours(cell, kind, with_state=True):
    """fn(input, *states, *parameters) -> the cell's output(s)."""
    count = (2 if kind == "lstm" else 1) if with_state else 0

    def run(input, *rest):
        states, parameters = rest[:count], rest[count:]
        hx = None if not states else (tuple(states) if kind == "lstm" else states[0])
        return with_parameters(cell, parameters, lambda: cell(input, hx))
    return run


def _theirs(cell, kind, with_state=True):
    count = (2 if kind == "lstm" else 1) if with_state else 0
    names = [name for name, _ in cell.named_parameters()]

    def run(input, *rest):
        states, parameters = rest[:count], rest[count:]
        hx = None if not states else (tuple(states) if kind == "lstm" else states[0])
        return torch.func.functional_call(cell, dict(zip(names, parameters)), (input, hx))
    return run


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_parity_with_pytorch(kind, bias, dtype):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    specs = [(BATCH, INPUT)] + _state_specs(kind) + _parameter_shapes(kind, bias)
    atol = 1e-5 if dtype == numpy.float32 else 1e-10
    check_parity(_ours(_cell(kind, bias, dtype), kind), _theirs(_torch_cell(kind, bias), kind),
                 *specs, dtype=dtype, atol=atol, rtol=atol)


@pytest.mark.parametrize("kind", CELLS)
def test_parity_without_state_and_unbatched(kind):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    ours, theirs = _cell(kind, dtype=tl.float32), _torch_cell(kind)
    parameters = _parameter_shapes(kind, True)
    check_parity(_ours(ours, kind, with_state=False), _theirs(theirs, kind, with_state=False),
                 (BATCH, INPUT), *parameters)
    check_parity(_ours(ours, kind), _theirs(theirs, kind),
                 (INPUT,), *_state_specs(kind, batch=None), *parameters)


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck(kind, bias):
    specs = [(2, INPUT)] + _state_specs(kind, batch=2) + _parameter_shapes(kind, bias)
    check_gradcheck(_ours(_cell(kind, bias), kind), *specs)


@pytest.mark.parametrize("kind", CELLS)
def test_double_backward(kind):
    """Second derivatives: gradcheck of the (create_graph) first derivatives.

    A 2 -> 2 cell: the check's cost grows with the square of the number of input elements."""
    cls, _, kwargs, _ = CELLS[kind]
    cell = cls(2, 2, **kwargs).double()
    forward = _ours(cell, kind)
    states = [(2, 2)] * (2 if kind == "lstm" else 1)
    specs = [(2, 2)] + states + [tuple(parameter.shape) for parameter in cell.parameters()]
    weights = [tl.tensor(numpy.random.default_rng(3).standard_normal((2, 2)))] * 2

    def first_derivatives(*inputs):
        outputs = forward(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        total = sum((output * weight).sum() for output, weight in zip(outputs, weights))
        return tl.autograd.grad(total, inputs, create_graph=True)

    check_gradcheck(first_derivatives, *specs)


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_dtype_is_kept(kind, dtype):
    cell = _cell(kind, dtype=dtype)
    input = tl.randn(BATCH, INPUT, dtype=dtype, requires_grad=True)
    outputs = cell(input)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    for output in outputs:
        assert output.dtype == dtype and tuple(output.shape) == (BATCH, HIDDEN)
    sum(output.sum() for output in outputs).backward()
    assert input.grad.dtype == dtype
    assert all(p.grad.dtype == dtype for p in cell.parameters())


@pytest.mark.parametrize("kind", CELLS)
def test_parameters_and_initialisation(kind):
    tl.manual_seed(0)
    cell = _cell(kind, dtype=tl.float32)
    names = [name for name, _ in cell.named_parameters()]
    assert names == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert [tuple(p.shape) for p in cell.parameters()] == _parameter_shapes(kind, True)
    bound = 1 / math.sqrt(HIDDEN)
    values = numpy.concatenate([p.detach().numpy().ravel() for p in cell.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.std() > bound / 3  # spread over the interval, not a constant
    no_bias = _cell(kind, bias=False)
    assert no_bias.bias_ih is None and no_bias.bias_hh is None and len(list(no_bias.parameters())) == 2
    assert repr(no_bias).endswith("(4, 5, bias=False)" if kind != "rnn_relu"
                                  else "(4, 5, bias=False, nonlinearity=relu)")


@pytest.mark.parametrize("kind", CELLS)
def test_state_dict_matches_pytorch_names(kind):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    assert list(_cell(kind).state_dict()) == list(_torch_cell(kind).state_dict())


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("bad_call, error, match", [
    (lambda cell, state: cell(tl.zeros(2, 3, INPUT), None), ValueError, "1D or 2D"),
    (lambda cell, state: cell(tl.zeros(2, INPUT + 1), None), RuntimeError, "input_size: got 5"),
    (lambda cell, state: cell(tl.zeros(2, INPUT, dtype=tl.float64), None), RuntimeError, "dtype"),
    (lambda cell, state: cell(tl.zeros(2, INPUT), state(3)), RuntimeError, r"\[2, 5\]"),
    (lambda cell, state: cell(tl.zeros(INPUT), state(1)), ValueError, "1D"),
])
def test_bad_input_raises_clearly(kind, bad_call, error, match):
    cell = _cell(kind, dtype=tl.float32)

    def state(batch):
        h = tl.zeros(batch, HIDDEN)
        return (h, h) if kind == "lstm" else h

    with pytest.raises(error, match=match):
        bad_call(cell, state)


def test_constructor_errors():
    with pytest.raises(ValueError, match="nonlinearity"):
        RNNCell(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size"):
        LSTMCell(2, 0)
    with pytest.raises(TypeError, match="tuple"):
        LSTMCell(2, 3)(tl.zeros(1, 2), tl.zeros(1, 3))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", CELLS)
def test_device_matches_cpu(device, kind):
    cpu_cell = _cell(kind)
    cell = _cell(kind, device=device)
    cell.load_state_dict(cpu_cell.state_dict())
    data = numpy.random.default_rng(0).standard_normal((BATCH, INPUT))
    expected = cpu_cell(tl.tensor(data))
    got = cell(tl.tensor(data, device=device))
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    for mine, reference in zip(got, expected):
        assert mine.device == device
        numpy.testing.assert_allclose(mine.numpy(force=True), reference.numpy(force=True),
                                      atol=1e-10, rtol=1e-10)
