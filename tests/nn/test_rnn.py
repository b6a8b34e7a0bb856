"""Tests for tinygrad_lite/nn/rnn.py (RNN, LSTM, GRU) and nn/functional/recurrent.py."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, torch, with_parameters
from tinygrad_lite.nn.functional import recurrent_steps
from tinygrad_lite.nn.functional.recurrent import recurrence
from tinygrad_lite.nn.rnn import GRU, LSTM, RNN
from tinygrad_lite.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

STEPS, BATCH, INPUT, HIDDEN = 4, 3, 3, 4
LENGTHS = [2, 4, 3]  # unsorted on purpose: exercises sorted_indices / unsorted_indices
# kind -> (our class, PyTorch class name, constructor kwargs)
LAYERS = {
    "rnn_tanh": (RNN, "RNN", {}),
    "rnn_relu": (RNN, "RNN", {"nonlinearity": "relu"}),
    "lstm": (LSTM, "LSTM", {}),
    "gru": (GRU, "GRU", {}),
}
CONFIGS = {
    "plain": {},
    "deep bidirectional": {"num_layers": 2, "bidirectional": True},
    "batch_first no bias": {"batch_first": True, "bias": False, "num_layers": 2},
}


def _layer(kind, dtype=tl.float64, device="cpu", **config):
    cls, _, kwargs = LAYERS[kind]
    return cls(INPUT, HIDDEN, **kwargs, **config).to(dtype).to(device)


def _torch_layer(kind, **config):
    _, name, kwargs = LAYERS[kind]
    return getattr(torch.nn, name)(INPUT, HIDDEN, **kwargs, **config)


def _states(kind, layer):
    count = layer.num_layers * (2 if layer.bidirectional else 1)
    return [(count, BATCH, HIDDEN)] * (2 if kind == "lstm" else 1)


def _input_shape(layer):
    return (BATCH, STEPS, INPUT) if layer.batch_first else (STEPS, BATCH, INPUT)


def _flatten(result):
    output, state = result
    if hasattr(output, "batch_sizes"):
        output = output.data
    return (output,) + (tuple(state) if isinstance(state, tuple) else (state,))


def _ours(layer, kind, states=0, lengths=None):
    """fn(input, *states, *parameters) -> (output, h_n[, c_n]); packs the input when lengths given."""
    def run(input, *rest):
        hx = tuple(rest[:states]) if states else None
        hx = hx[0] if hx is not None and kind != "lstm" else hx
        if lengths is not None:
            input = pack_padded_sequence(input, lengths, layer.batch_first, enforce_sorted=False)
        return _flatten(with_parameters(layer, rest[states:], lambda: layer(input, hx)))
    return run


def _theirs(layer, kind, states=0, lengths=None):
    names = [name for name, _ in layer.named_parameters()]

    def run(input, *rest):
        hx = tuple(rest[:states]) if states else None
        hx = hx[0] if hx is not None and kind != "lstm" else hx
        if lengths is not None:
            input = torch.nn.utils.rnn.pack_padded_sequence(input, lengths, layer.batch_first,
                                                            enforce_sorted=False)
        parameters = dict(zip(names, rest[states:]))
        return _flatten(torch.func.functional_call(layer, parameters, (input, hx)))
    return run


def _parity(kind, config, dtype, with_states, lengths=None):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    ours, theirs = _layer(kind, dtype, **config), _torch_layer(kind, **config)
    states = _states(kind, ours) if with_states else []
    parameters = [tuple(p.shape) for p in ours.parameters()]
    atol = 1e-5 if dtype == numpy.float32 else 1e-10
    check_parity(_ours(ours, kind, len(states), lengths), _theirs(theirs, kind, len(states), lengths),
                 _input_shape(ours), *states, *parameters, dtype=dtype, atol=atol, rtol=atol)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_parity_with_pytorch(kind, config, dtype):
    """Outputs, final states, and gradients of input, initial states and every parameter."""
    _parity(kind, CONFIGS[config], dtype, with_states=True)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_packed_parity_with_pytorch(kind, config):
    _parity(kind, CONFIGS[config], numpy.float32, with_states=True, lengths=LENGTHS)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_parity_without_initial_state(kind):
    _parity(kind, CONFIGS["deep bidirectional"], numpy.float32, with_states=False)


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_unbatched_parity(kind):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    ours, theirs = _layer(kind, tl.float32, bidirectional=True), _torch_layer(kind, bidirectional=True)
    states = [(2, HIDDEN)] * (2 if kind == "lstm" else 1)
    parameters = [tuple(p.shape) for p in ours.parameters()]
    check_parity(_ours(ours, kind, len(states)), _theirs(theirs, kind, len(states)),
                 (STEPS, INPUT), *states, *parameters)


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_batch_equals_each_sequence_alone(kind):
    """Padding never leaks in: each packed sequence gives what it gives run on its own."""
    layer = _layer(kind, num_layers=2, bidirectional=True)
    data = numpy.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT))
    padded = tl.tensor(data, requires_grad=True)
    output, state = layer(pack_padded_sequence(padded, LENGTHS, enforce_sorted=False))
    output, lengths = pad_packed_sequence(output, total_length=STEPS)
    assert lengths.tolist() == LENGTHS
    finals = state if isinstance(state, tuple) else (state,)
    for b, length in enumerate(LENGTHS):
        alone_output, alone_state = layer(tl.tensor(data[:length, b]))
        alone_finals = alone_state if isinstance(alone_state, tuple) else (alone_state,)
        numpy.testing.assert_allclose(output[:length, b].detach().numpy(),
                                      alone_output.detach().numpy(), atol=1e-12, rtol=1e-10)
        assert not numpy.any(output[length:, b].detach().numpy())
        for final, alone in zip(finals, alone_finals):
            numpy.testing.assert_allclose(final[:, b].detach().numpy(), alone.detach().numpy(),
                                          atol=1e-12, rtol=1e-10)
    (output.sum() + sum(final.sum() for final in finals)).backward()
    for b, length in enumerate(LENGTHS):
        assert not numpy.any(padded.grad.numpy()[length:, b])
        assert numpy.all(numpy.abs(padded.grad.numpy()[:length, b]).sum(axis=-1) > 0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradcheck_two_layer_bidirectional(kind):
    layer_small = LAYERS[kind][0](2, 2, num_layers=2, bidirectional=True).double()
    states = [(4, 2, 2)] * (2 if kind == "lstm" else 1)
    parameters = [tuple(p.shape) for p in layer_small.parameters()]
    check_gradcheck(_ours(layer_small, kind, len(states), lengths=[3, 2]), (3, 2, 2), *states,
                    *parameters)


@pytest.mark.parametrize("kind", ["rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("lengths", [[3, 1], None])
def test_double_backward_bidirectional(kind, lengths):
    """Packed (batch sizes shrink) and padded (equal batch sizes) sequences."""
    cls, _, kwargs = LAYERS[kind]
    layer = cls(2, 2, bidirectional=True, **kwargs).double()
    forward = _ours(layer, kind, lengths=lengths)
    output_shape = (4, 4) if lengths else (3, 2, 4)  # packed rows, or (T, B, 2H)
    weight = tl.tensor(numpy.random.default_rng(2).standard_normal(output_shape))

    def first_derivatives(input, weight_ih, weight_hh):
        parameters = [weight_ih, weight_hh] + list(layer.parameters())[2:]
        output = forward(input, *parameters)[0]
        return tl.autograd.grad((output * weight).sum(), (input, weight_ih, weight_hh),
                                create_graph=True)

    shapes = [tuple(p.shape) for p in layer.parameters()][:2]
    check_gradcheck(first_derivatives, (3, 2, 2), *shapes)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("sizes", [(3, 3, 2, 1), (3, 3, 3)])
def test_array_and_tensor_paths_give_the_same_gradients(kind, reverse, sizes):
    """One step implementation serves the fast array backward and the recorded (create_graph)
    Tensor backward: their first derivatives agree, packed or padded, to float64 rounding."""
    mode = {"rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU", "lstm": "LSTM", "gru": "GRU"}[kind]
    gates, blocks = {"LSTM": (4, 2), "GRU": (3, 1)}.get(mode, (1, 1))
    rng = numpy.random.default_rng(3)
    inputs = [tl.tensor(rng.standard_normal(shape), requires_grad=True)
              for shape in [(sum(sizes), gates * 2), (gates * 2, 2), (3, blocks * 2), (gates * 2,)]]
    weight = tl.tensor(rng.standard_normal((sum(sizes), blocks * 2)))

    def gradients(create_graph):
        output = recurrence(inputs[0], inputs[1], inputs[3], inputs[2], mode, sizes, reverse)
        return tl.autograd.grad((output * weight).sum(), inputs, create_graph=create_graph)

    for fast, recorded in zip(gradients(False), gradients(True)):
        numpy.testing.assert_allclose(fast.numpy(), recorded.detach().numpy(), rtol=1e-12, atol=1e-12)


def _sequence_gradients(mode, seed, sizes=(4, 4, 3, 1), retain_graph=False):
    """(output, gradients) of one float32 recurrence over packed ``sizes``, as NumPy arrays."""
    gates, blocks = {"LSTM": (4, 2), "GRU": (3, 1)}.get(mode, (1, 1))
    rng = numpy.random.default_rng(seed)
    inputs = [tl.tensor(rng.standard_normal(shape).astype(numpy.float32), requires_grad=True)
              for shape in [(sum(sizes), gates * 5), (gates * 5, 5), (4, blocks * 5), (gates * 5,)]]
    output = recurrence(inputs[0], inputs[1], inputs[3], inputs[2], mode, sizes)
    output.sum().backward(retain_graph=retain_graph)
    return output, [output.numpy(force=True).copy()] + [x.grad.numpy().copy() for x in inputs]


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_released_cache_buffers_are_reused_without_changing_results(mode):
    """A released node hands its whole-sequence caches to the next sequence of that shape (no
    fresh memory to fault in each step); the reused buffers give the same bits as fresh ones."""
    recurrent_steps._SPARE_BUFFERS.clear()
    fresh = _sequence_gradients(mode, seed=1)[1]
    recurrent_steps._SPARE_BUFFERS.clear()
    _sequence_gradients(mode, seed=0)
    spares = [buffer for buffers in recurrent_steps._SPARE_BUFFERS.values() for buffer in buffers]
    assert len(spares) == len(recurrent_steps.STEPS[mode].cache_blocks)
    reused = _sequence_gradients(mode, seed=1)[1]
    assert all(any(spare is buffer for buffer in recurrent_steps._SPARE_BUFFERS[
        (spare.dtype, *spare.shape)]) for spare in spares)  # taken, then given back again
    for expected, actual in zip(fresh, reused):
        numpy.testing.assert_array_equal(actual, expected)


def test_retained_graph_keeps_its_caches():
    """With retain_graph the node keeps its caches: another sequence of the same shape run in
    between cannot take them, so a second backward gives the same gradients."""
    recurrent_steps._SPARE_BUFFERS.clear()
    output, first = _sequence_gradients("LSTM", seed=2, retain_graph=True)
    _sequence_gradients("LSTM", seed=3)
    _sequence_gradients("LSTM", seed=4)  # takes whatever the seed-3 node handed back
    leaves = [edge for edge in output.grad_fn.next if edge is not None]
    for leaf in leaves:
        leaf.grad = None
    output.sum().backward()
    for expected, leaf in zip(first[1:], leaves):
        numpy.testing.assert_array_equal(leaf.grad.numpy(), expected)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # sqrt's gradient at 0: inf
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_relu_rnn_gradient_selects_instead_of_multiplying(dtype):
    """An infinite incoming gradient where relu output is 0 gives 0, not NaN (as PyTorch)."""
    layer = RNN(2, 3, nonlinearity="relu").to(dtype)
    with tl.no_grad():
        layer.bias_ih_l0.fill_(-100.0)  # every output is exactly 0, so sqrt's gradient is inf
    input = tl.tensor(numpy.ones((2, 1, 2)), dtype=dtype, requires_grad=True)
    output, _ = layer(input)
    output.sqrt().sum().backward()
    assert output.detach().numpy().max() == 0
    numpy.testing.assert_array_equal(input.grad.numpy(), numpy.zeros((2, 1, 2)))
    numpy.testing.assert_array_equal(layer.weight_hh_l0.grad.numpy(), numpy.zeros((3, 3)))


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_dtype_and_shapes(kind, dtype):
    layer = _layer(kind, dtype, num_layers=2, bidirectional=True, batch_first=True)
    input = tl.randn(BATCH, STEPS, INPUT, dtype=dtype, requires_grad=True)
    output, state = layer(input)
    assert tuple(output.shape) == (BATCH, STEPS, 2 * HIDDEN) and output.dtype == dtype
    for final in (state if isinstance(state, tuple) else (state,)):
        assert tuple(final.shape) == (4, BATCH, HIDDEN) and final.dtype == dtype
    output.sum().backward()
    assert input.grad.dtype == dtype
    assert all(p.grad is not None and p.grad.dtype == dtype for p in layer.parameters())


@pytest.mark.parametrize("kind", LAYERS)
def test_parameter_names_and_initialisation(kind):
    layer = _layer(kind, num_layers=2, bidirectional=True)
    if torch is not None:
        reference = _torch_layer(kind, num_layers=2, bidirectional=True)
        assert list(layer.state_dict()) == list(reference.state_dict())
        assert [tuple(p.shape) for p in layer.parameters()] == \
            [tuple(p.shape) for p in reference.parameters()]
    assert len(layer.all_weights) == 4 and len(layer.all_weights[0]) == 4
    bound = 1 / math.sqrt(HIDDEN)
    values = numpy.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert repr(layer) == f"{LAYERS[kind][1]}(3, 4, num_layers=2, bidirectional=True)"


def test_dropout_between_layers():
    layer = _layer("gru", num_layers=2, dropout=1.0)
    input = tl.randn(STEPS, BATCH, INPUT, dtype=tl.float64)
    top_only = GRU(HIDDEN, HIDDEN).double()
    top_only.load_state_dict({name.replace("l1", "l0"): value for name, value
                              in layer.state_dict().items() if "l1" in name})
    dropped, _ = layer(input)  # training: layer 1 sees all zeros
    expected, _ = top_only(tl.zeros(STEPS, BATCH, HIDDEN, dtype=tl.float64))
    numpy.testing.assert_allclose(dropped.detach().numpy(), expected.detach().numpy(), atol=1e-12,
                                  rtol=1e-10)
    layer.eval()
    kept, _ = layer(input)
    assert numpy.abs(kept.detach().numpy() - expected.detach().numpy()).max() > 1e-3
    with pytest.warns(UserWarning, match="num_layers"):
        LSTM(2, 3, dropout=0.5)


@pytest.mark.parametrize("bad_call, error, match", [
    (lambda layer: layer(tl.zeros(1, 2, 3, INPUT)), ValueError, "2D or 3D"),
    (lambda layer: layer(tl.zeros(STEPS, BATCH, INPUT + 1)), RuntimeError, "Expected 3, got 4"),
    (lambda layer: layer(tl.zeros(STEPS, BATCH, INPUT, dtype=tl.float64)), RuntimeError, "float64"),
    (lambda layer: layer(tl.zeros(0, BATCH, INPUT)), RuntimeError, "larger than 0"),
    (lambda layer: layer(tl.zeros(STEPS, BATCH, INPUT), tl.zeros(2, BATCH, HIDDEN)), TypeError,
     "tuple"),
    (lambda layer: layer(tl.zeros(STEPS, BATCH, INPUT), (tl.zeros(2, BATCH, HIDDEN),) * 2),
     RuntimeError, r"Expected hidden\[0\] size \(1, 3, 4\), got \[2, 3, 4\]"),
    (lambda layer: layer(tl.zeros(STEPS, INPUT), (tl.zeros(1, BATCH, HIDDEN),) * 2),
     RuntimeError, "should also be 2-D"),
])
def test_bad_input_raises_clearly(bad_call, error, match):
    with pytest.raises(error, match=match):
        bad_call(LSTM(INPUT, HIDDEN))


def test_constructor_errors():
    with pytest.raises(NotImplementedError, match="proj_size"):
        LSTM(2, 4, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(2, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout"):
        GRU(2, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size"):
        GRU(2, 0)
    with pytest.raises(TypeError, match="num_layers"):
        GRU(2, 3, num_layers=1.0)


def test_recurrence_rejects_bad_batch_sizes():
    projection, weight = tl.zeros(5, 4), tl.zeros(4, 4)
    with pytest.raises(ValueError, match="non-increasing"):
        recurrence(projection, weight, None, tl.zeros(2, 4), "RNN_TANH", [2, 3])
    with pytest.raises(ValueError, match="sum to 4"):
        recurrence(projection, weight, None, tl.zeros(2, 4), "RNN_TANH", [2, 2])
    with pytest.raises(RuntimeError, match="initial state"):
        recurrence(projection, weight, None, tl.zeros(2, 4), "RNN_TANH", [3, 2])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_relu"])
def test_device_matches_cpu(device, kind):
    cpu_layer = _layer(kind, num_layers=2, bidirectional=True)
    layer = _layer(kind, device=device, num_layers=2, bidirectional=True)
    layer.load_state_dict(cpu_layer.state_dict())
    data = numpy.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT))
    results = []
    for module, where in ((cpu_layer, "cpu"), (layer, device)):
        input = tl.tensor(data, device=where, requires_grad=True)
        packed = pack_padded_sequence(input, LENGTHS, enforce_sorted=False)
        outputs = _flatten(module(packed))
        sum(output.sum() for output in outputs).backward()
        results.append([o.numpy(force=True) for o in outputs] + [input.grad.numpy(force=True)])
    for mine, reference in zip(results[1], results[0]):
        numpy.testing.assert_allclose(mine, reference, atol=1e-10, rtol=1e-10)
