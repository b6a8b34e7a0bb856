"""Tests for tinygrad_lite/optim/flat_state.py: multi-tensor steps equal one-parameter-at-a-time steps
bit for bit, however parameters are packed, split or changed between steps."""
import copy

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.optim.flat_state as flat_state

# Every optimizer with the options that give it the most state and the most scalars.
OPTIMIZERS = [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.2)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.3)),
    ("RMSprop", dict(lr=0.002, momentum=0.5, centered=True, weight_decay=0.1)),
]
IDS = [f"{name}-{index}" for index, (name, _) in enumerate(OPTIMIZERS)]
SHAPES = [(40, 30), (7,), (3, 5), (1000,), (2,)]


def _params(dtype="float32"):
    rng = numpy.random.default_rng(0)
    return [tl.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in SHAPES]


def _set_gradients(params, step, skip=()):
    """Deterministic gradients; parameters whose index is in ``skip`` get None."""
    for index, param in enumerate(params):
        if index in skip:
            param.grad = None
            continue
        rng = numpy.random.default_rng(100 * step + index)
        param.grad = tl.tensor(rng.standard_normal(param.shape).astype(param.detach().numpy().dtype))


def _train(optimizers, params, steps, start=0, skips=lambda step: ()):
    for step in range(start, start + steps):
        _set_gradients(params, step, skips(step))
        for optimizer in optimizers:
            optimizer.step()


def _flat_and_single(name, options, dtype="float32"):
    """(params, one optimizer over all) and (params, one optimizer per parameter) from one start."""
    together, alone = _params(dtype), _params(dtype)
    cls = getattr(tl.optim, name)
    return (together, [cls(together, **options)]), (alone, [cls([param], **options) for param in alone])


def _assert_same(first, second):
    for mine, reference in zip(first, second):
        numpy.testing.assert_array_equal(mine.detach().numpy(), reference.detach().numpy())


@pytest.fixture(params=[1 << 15, 7], ids=["cache-sized chunks", "tiny chunks"])
def chunk_elements(request, monkeypatch):
    monkeypatch.setattr(flat_state, "CPU_CHUNK_ELEMENTS", request.param)
    return request.param


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_packed_steps_equal_single_parameter_steps(name, options, dtype, chunk_elements):
    (together, flat), (alone, single) = _flat_and_single(name, options, dtype)
    skips = lambda step: {step % 4} if step < 6 else ()  # step counts (phases) drift apart
    _train(flat, together, 10, skips=skips)
    _train(single, alone, 10, skips=skips)
    _assert_same(together, alone)
    for param, reference in zip(together, alone):
        for key, value in single[SHAPES.index(param.shape)].state[reference].items():
            mine = flat[0].state[param][key]
            numpy.testing.assert_array_equal(mine, value)
            assert getattr(mine, "dtype", numpy.dtype(dtype)) == numpy.dtype(dtype)


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_state_arrays_are_views_of_one_buffer_with_the_parameter_shapes(name, options):
    params = _params()
    optimizer = getattr(tl.optim, name)(params, **options)
    _train([optimizer], params, 2)
    keys = [key for key, value in optimizer.state[params[0]].items() if hasattr(value, "shape")]
    assert keys
    for key in keys:
        arrays = [optimizer.state[param][key] for param in params]
        assert [array.shape for array in arrays] == SHAPES
        assert arrays[0].base is not None and all(array.base is arrays[0].base for array in arrays)
    saved = optimizer.state_dict()["state"]
    assert sorted(saved) == list(range(len(SHAPES)))
    assert saved[0][keys[0]].shape == SHAPES[0]
    assert not numpy.shares_memory(saved[0][keys[0]].numpy(), optimizer.state[params[0]][keys[0]])


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_parameters_without_gradient_are_left_alone(name, options):
    params = _params()
    optimizer = getattr(tl.optim, name)(params, **options)
    before = params[1].detach().numpy().copy()
    state_before = copy.deepcopy(optimizer.state.get(params[1]))
    _train([optimizer], params, 3, skips=lambda step: {1})
    numpy.testing.assert_array_equal(params[1].detach().numpy(), before)
    if state_before is None:
        assert params[1] not in optimizer.state
    else:
        assert optimizer.state[params[1]]["step"] == state_before["step"]


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_replaced_parameter_data_is_updated_in_place(name, options, chunk_elements):
    (together, flat), (alone, single) = _flat_and_single(name, options)
    _train(flat, together, 3)
    _train(single, alone, 3)
    for params in (together, alone):
        params[0].data = numpy.asfortranarray(params[0].data * 0.5)  # new array, not contiguous
        params[3].data = params[3].data + 1.0
    replaced = together[0].data, together[3].data
    _train(flat, together, 3, start=3)
    _train(single, alone, 3, start=3)
    _assert_same(together, alone)
    assert together[0].data is replaced[0] and together[3].data is replaced[1]


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_model_to_float64_continues_in_float64(name, options):
    (together, flat), (alone, single) = _flat_and_single(name, options)
    _train(flat, together, 3)
    _train(single, alone, 3)
    for param in together + alone:
        param.data = param.data.astype(numpy.float64)
    _train(flat, together, 3, start=3)
    _train(single, alone, 3, start=3)
    _assert_same(together, alone)
    for param in together:
        assert param.dtype == tl.float64
        assert all(value.dtype == numpy.float64 for value in flat[0].state[param].values()
                   if hasattr(value, "dtype"))


def test_module_to_float64_between_steps():
    model = tl.nn.Sequential(tl.nn.Linear(4, 3), tl.nn.ReLU(), tl.nn.Linear(3, 2))
    reference = copy.deepcopy(model)
    optimizers = [[tl.optim.Adam(model.parameters(), lr=0.01)],
                  [tl.optim.Adam([param], lr=0.01) for param in reference.parameters()]]
    inputs = tl.tensor(numpy.random.default_rng(0).standard_normal((5, 4)).astype("float32"))
    for step in range(6):
        if step == 3:
            model.to(tl.float64)
            reference.to(tl.float64)
            inputs = inputs.to(tl.float64)
        for net, group in zip((model, reference), optimizers):
            net.zero_grad()
            (net(inputs) ** 2).sum().backward()
            for optimizer in group:
                optimizer.step()
    _assert_same(list(model.parameters()), list(reference.parameters()))
    assert all(param.dtype == tl.float64 for param in model.parameters())


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_load_state_dict_then_continue(name, options):
    (together, flat), (alone, single) = _flat_and_single(name, options)
    _train(flat, together, 4)
    _train(single, alone, 4)
    restored_params = [tl.tensor(param.detach().numpy(), requires_grad=True) for param in together]
    restored = getattr(tl.optim, name)(restored_params, **options)
    restored.load_state_dict(flat[0].state_dict())
    _train([restored], restored_params, 4, start=4)
    _train(single, alone, 4, start=4)
    _assert_same(restored_params, alone)


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_add_param_group_between_steps(name, options):
    (together, _), (alone, single) = _flat_and_single(name, options)
    cls = getattr(tl.optim, name)
    optimizer = cls(together[:2], **options)
    _train([optimizer], together[:2], 3)
    _train(single[:2], alone[:2], 3)
    optimizer.add_param_group({"params": together[2:], "lr": options["lr"] / 2})
    late = [cls([param], **dict(options, lr=options["lr"] / 2)) for param in alone[2:]]
    _train([optimizer], together, 3, start=3)
    _train(single[:2] + late, alone, 3, start=3)
    _assert_same(together, alone)


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=IDS)
def test_deepcopy_continues_independently(name, options):
    params = _params()
    optimizer = getattr(tl.optim, name)(params, **options)
    _train([optimizer], params, 3)
    twin = copy.deepcopy(optimizer)
    twin_params = twin.param_groups[0]["params"]
    _train([optimizer], params, 3, start=3)
    _train([twin], twin_params, 3, start=3)
    _assert_same(params, twin_params)
