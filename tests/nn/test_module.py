"""Tests for tinygrad_lite/nn/module.py: registration, naming, modes, state_dict, to(), hooks, repr.

The main parity test loads a PyTorch model's ``state_dict`` (as NumPy arrays) into the same
architecture built with tinygrad_lite, then compares outputs, input gradients (``check_parity``)
and every parameter's gradient. Most architectures are written once as ``build(nn)`` and built
with both ``torch.nn`` and ``tinygrad_lite.nn``, so names can be compared too.
"""
import copy
import inspect
import pickle

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn, optim


def _lib(nn_namespace):
    """The tensor library (tinygrad_lite or torch) that goes with an ``nn`` namespace."""
    return tl if nn_namespace is nn else torch


def build_net(nn_namespace):
    """A model touching every registration path: Sequential, ModuleList, ModuleDict, buffers."""
    lib = _lib(nn_namespace)

    class Net(nn_namespace.Module):
        def __init__(self):
            super().__init__()
            self.features = nn_namespace.Sequential(
                nn_namespace.Conv2d(3, 4, 3, padding=1), nn_namespace.BatchNorm2d(4),
                nn_namespace.Tanh(), nn_namespace.AvgPool2d(2))
            self.blocks = nn_namespace.ModuleList([nn_namespace.Linear(16, 16),
                                                   nn_namespace.LayerNorm(16)])
            self.heads = nn_namespace.ModuleDict({"cls": nn_namespace.Linear(16, 5),
                                                  "aux": nn_namespace.Linear(16, 2, bias=False)})
            self.embed = nn_namespace.Embedding(7, 16, padding_idx=0)
            self.register_buffer("scale", lib.ones(1))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            hidden = self.features(x).flatten(1)
            for block in self.blocks:
                hidden = block(hidden)
            return self.heads["cls"](hidden) * self.scale

    return Net()


def build_tied(nn_namespace):
    """Tied embedding/output weights and one Linear registered under two names."""

    class Tied(nn_namespace.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn_namespace.Embedding(7, 4)
            self.out = nn_namespace.Linear(4, 7, bias=False)
            self.out.weight = self.embed.weight
            self.first = nn_namespace.Linear(4, 4)
            self.again = self.first

        def forward(self, ids):
            return self.out(self.again(self.first(self.embed(ids))))

    return Tied()


def build_cnn(nn_namespace):
    """The small CNN of the parity tests: conv, batch norm, pooling, flatten, MLP head."""
    return nn_namespace.Sequential(
        nn_namespace.Conv2d(3, 4, 3, padding=1), nn_namespace.BatchNorm2d(4), nn_namespace.Tanh(),
        nn_namespace.AvgPool2d(2), nn_namespace.Flatten(), nn_namespace.Linear(16, 8),
        nn_namespace.Tanh(), nn_namespace.Linear(8, 3))


def build_mlp(nn_namespace):
    """A two-layer tanh MLP."""
    return nn_namespace.Sequential(nn_namespace.Linear(5, 8), nn_namespace.Tanh(),
                                   nn_namespace.Linear(8, 3))


def torch_state(module):
    """A torch module's state_dict as NumPy arrays (what a checkpoint converter would produce)."""
    return {key: value.detach().numpy().copy() for key, value in module.state_dict().items()}


def randomized(module, seed=0):
    """Give a torch module random parameters and plausible running stats, so loading is visible."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(0.5 * torch.randn(parameter.shape, generator=generator))
        for name, buffer in module.named_buffers():
            if name.endswith("running_var"):
                buffer.copy_(0.5 + torch.rand(buffer.shape, generator=generator))
            elif buffer.is_floating_point():
                buffer.copy_(torch.randn(buffer.shape, generator=generator))
            else:
                buffer.fill_(3)
    return module


IDS = numpy.array([[1, 0, 4], [6, 2, 0]], dtype=numpy.int64)

# name -> (build(nn), input specs for check_parity, training mode)
PARITY_CASES = {
    "linear": (lambda m: m.Linear(5, 3), [(4, 5)], True),
    "linear_3d_no_bias": (lambda m: m.Linear(5, 3, bias=False), [(2, 4, 5)], True),
    "bilinear": (lambda m: m.Bilinear(3, 4, 2), [(5, 3), (5, 4)], True),
    "conv1d": (lambda m: m.Conv1d(2, 4, 3, stride=2, padding=1), [(2, 2, 9)], True),
    "conv2d": (lambda m: m.Conv2d(3, 4, 3, stride=2, padding=1), [(2, 3, 7, 7)], True),
    "conv2d_groups_dilation": (lambda m: m.Conv2d(4, 6, (3, 2), dilation=2, groups=2, bias=False),
                               [(2, 4, 8, 7)], True),
    "batchnorm1d_train": (lambda m: m.BatchNorm1d(3), [(6, 3)], True),
    "batchnorm2d_eval": (lambda m: m.BatchNorm2d(3), [(2, 3, 4, 4)], False),
    "batchnorm2d_train": (lambda m: m.BatchNorm2d(3), [(2, 3, 4, 4)], True),
    "layernorm": (lambda m: m.LayerNorm((4, 5)), [(3, 4, 5)], True),
    "embedding": (lambda m: m.Embedding(7, 4, padding_idx=0), [IDS], True),
    "mlp": (build_mlp, [(4, 5)], True),
    "small_cnn_train": (build_cnn, [(2, 3, 4, 4)], True),
    "small_cnn_eval": (build_cnn, [(2, 3, 4, 4)], False),
    "net_eval": (build_net, [(2, 3, 4, 4)], False),
    "tied": (build_tied, [IDS], True),
}


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_torch_state_dict_loads_and_gives_same_outputs_and_gradients(case, device):
    build, specs, training = PARITY_CASES[case]
    torch.manual_seed(0)
    theirs = randomized(build(torch.nn)).train(training)
    ours = build(nn).to(device).train(training)
    result = ours.load_state_dict(torch_state(theirs))
    assert result.missing_keys == [] and result.unexpected_keys == []
    check_parity(ours, theirs, *specs, device=device)
    our_params, their_params = list(ours.named_parameters()), list(theirs.named_parameters())
    assert [name for name, _ in our_params] == [name for name, _ in their_params]
    for (name, mine), (_, reference) in zip(our_params, their_params):
        if reference.grad is None:  # a parameter forward did not use (heads.aux in Net)
            assert mine.grad is None, name
            continue
        assert mine.grad is not None, name
        numpy.testing.assert_allclose(mine.grad.numpy(force=True), reference.grad.numpy(),
                                      atol=1e-5, rtol=1e-5, err_msg=name)
    # running statistics (and num_batches_tracked) evolved the same way during the forward pass
    their_after = torch_state(theirs)
    for key, value in ours.state_dict().items():
        numpy.testing.assert_allclose(value.numpy(force=True), their_after[key], atol=1e-6,
                                      rtol=1e-5, err_msg=key)


# ----- registration and naming ------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("build", [build_net, build_tied, build_cnn], ids=["net", "tied", "cnn"])
def test_names_and_shapes_match_the_same_torch_model(build):
    ours, theirs = build(nn), build(torch.nn)

    def listing(pairs):
        return [(name, tuple(value.shape)) for name, value in pairs]

    assert listing(ours.named_parameters()) == listing(theirs.named_parameters())
    assert listing(ours.named_buffers()) == listing(theirs.named_buffers())
    assert ([(name, type(m).__name__) for name, m in ours.named_modules()]
            == [(name, type(m).__name__) for name, m in theirs.named_modules()])
    assert [name for name, _ in ours.named_children()] == [name for name, _ in theirs.named_children()]
    assert [(key, tuple(v.shape)) for key, v in ours.state_dict().items()] == \
        [(key, tuple(v.shape)) for key, v in theirs.state_dict().items()]
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


def test_shared_parameters_and_modules_are_listed_once():
    model = build_tied(nn)
    params = list(model.parameters())
    assert len(params) == 3 and params[0] is model.out.weight  # embed.weight, first.weight/bias
    assert [name for name, _ in model.named_modules()] == ["", "embed", "out", "first"]
    ids = tl.tensor(IDS)
    model(ids).sum().backward()
    assert model.embed.weight.grad is model.out.weight.grad  # one leaf gets both shares


def test_state_dict_keys_of_batchnorm_and_non_persistent_buffers():
    model = build_net(nn)
    keys = list(model.state_dict())
    assert "features.1.running_mean" in keys and "features.1.running_var" in keys
    assert "features.1.num_batches_tracked" in keys and "scale" in keys
    assert "cache" not in keys  # non-persistent: a buffer, but not saved
    assert "cache" in dict(model.named_buffers())
    assert model.state_dict()["features.1.num_batches_tracked"].dtype == tl.int64


def test_state_dict_is_detached_unless_keep_vars():
    model = nn.Linear(3, 2)
    state = model.state_dict()
    assert not state["weight"].requires_grad
    assert state["weight"].data is model.weight.data  # a view of the live parameter, like PyTorch
    assert model.state_dict(keep_vars=True)["weight"] is model.weight
    assert list(model.state_dict(prefix="layer.")) == ["layer.weight", "layer.bias"]


def test_attribute_registration_rules():
    module = nn.Module()
    module.weight = nn.Parameter(tl.ones(2))
    module.child = nn.Linear(2, 2)
    module.register_buffer("stat", tl.zeros(2))
    module.note = "plain"
    assert list(module._parameters) == ["weight"] and list(module._modules) == ["child"]
    assert list(module._buffers) == ["stat"] and module.note == "plain"
    module.weight = None  # a registered parameter may be cleared
    assert module.weight is None and list(module.parameters()) == list(module.child.parameters())
    module.stat = tl.ones(2)  # re-assigning a buffer keeps it a buffer
    numpy.testing.assert_array_equal(dict(module.named_buffers())["stat"].numpy(), [1.0, 1.0])
    module.child = nn.Tanh()  # replacing a child
    assert isinstance(module.child, nn.Tanh) and list(module.parameters()) == []
    del module.child
    assert "child" not in module._modules
    with pytest.raises(AttributeError, match="child"):
        module.child
    assert "stat" in dir(module)


def test_registration_errors_are_clear():
    module = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="weight"):
        module.weight = tl.zeros(2, 2)
    with pytest.raises(TypeError, match="stat"):
        module.register_buffer("stat", 3)
    with pytest.raises(KeyError):
        module.add_module("a.b", nn.Tanh())
    with pytest.raises(TypeError):
        module.add_module("a", "not a module")

    class Forgot(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="__init__"):
        Forgot()
    with pytest.raises(NotImplementedError):
        nn.Module()(tl.zeros(1))


# ----- modes, gradients, apply, hooks -----------------------------------------------------------
@requires_torch
def test_train_and_eval_propagate_like_torch():
    ours, theirs = build_net(nn), build_net(torch.nn)
    for model in (ours, theirs):
        model.features.eval()
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]
    assert ours.eval() is ours and not any(m.training for m in ours.modules())
    assert ours.train() is ours and all(m.training for m in ours.modules())
    with pytest.raises(ValueError):
        ours.train("yes")


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    model = build_mlp(nn)
    model(tl.randn(4, 5)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=set_to_none)
    for param in model.parameters():
        if set_to_none:
            assert param.grad is None
        else:
            assert param.grad.shape == param.shape and not numpy.any(param.grad.numpy())


def test_requires_grad_():
    model = build_mlp(nn)
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    x = tl.randn(2, 5, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


@requires_torch
def test_apply_visits_children_first_like_torch():
    visited = {"ours": [], "theirs": []}
    build_net(nn).apply(lambda m: visited["ours"].append(type(m).__name__))
    build_net(torch.nn).apply(lambda m: visited["theirs"].append(type(m).__name__))
    assert visited["ours"] == visited["theirs"]


def test_apply_can_reinitialise_every_linear():
    def init_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.5)

    model = build_mlp(nn)
    assert model.apply(init_linear) is model
    for layer in (model[0], model[2]):
        assert numpy.all(layer.weight.numpy(force=True) == 0.5)


def test_forward_hooks_see_and_replace_values_and_can_be_removed():
    layer = nn.Linear(3, 2)
    x = tl.randn(4, 3)
    plain = layer(x).numpy(force=True)
    seen = []

    def hook(module, args, output):
        seen.append((module, args[0], output.shape))
        return output * 2.0

    handle = layer.register_forward_hook(hook)
    numpy.testing.assert_allclose(layer(x).numpy(force=True), 2 * plain, rtol=1e-6)
    assert seen[0][0] is layer and seen[0][1] is x and seen[0][2] == (4, 2)
    handle.remove()
    numpy.testing.assert_allclose(layer(x).numpy(force=True), plain, rtol=1e-6)
    assert len(seen) == 1

    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 0.0,))
    numpy.testing.assert_allclose(layer(x).numpy(force=True),
                                  numpy.broadcast_to(layer.bias.numpy(force=True), (4, 2)))
    pre.remove()
    numpy.testing.assert_allclose(layer(x).numpy(force=True), plain, rtol=1e-6)


# ----- load_state_dict --------------------------------------------------------------------------
def test_load_state_dict_copies_values_and_keeps_dtype():
    source, target = build_mlp(nn), build_mlp(nn)
    state = {key: value.numpy().astype(numpy.float64) for key, value in source.state_dict().items()}
    target.load_state_dict(state)
    state["0.weight"][...] = 7.0  # a copy was taken: the checkpoint can change afterwards
    x = tl.randn(3, 5)
    numpy.testing.assert_array_equal(target(x).numpy(force=True), source(x).numpy(force=True))
    assert all(p.dtype == tl.float32 and p.requires_grad and p.is_leaf for p in target.parameters())


def test_load_state_dict_from_tensors_of_another_model():
    source, target = build_cnn(nn), build_cnn(nn)
    source(tl.randn(2, 3, 4, 4))  # move the running stats away from their defaults
    target.load_state_dict(source.state_dict())
    assert int(target[1].num_batches_tracked.item()) == 1
    source.eval(), target.eval()
    x = tl.randn(2, 3, 4, 4)
    numpy.testing.assert_array_equal(target(x).numpy(force=True), source(x).numpy(force=True))


def test_strict_load_lists_missing_unexpected_and_mismatched_keys_and_loads_nothing():
    model = build_mlp(nn)
    before = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    state = {key: numpy.zeros(value.shape, numpy.float32) for key, value in before.items()}
    del state["2.bias"]
    state["2.scale"] = numpy.ones(3, numpy.float32)
    state["0.weight"] = numpy.zeros((8, 4), numpy.float32)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "Missing key(s) in state_dict: '2.bias'" in message
    assert "Unexpected key(s) in state_dict: '2.scale'" in message
    assert "size mismatch for 0.weight" in message and "[8, 4]" in message and "[8, 5]" in message
    for key, value in model.state_dict().items():  # all or nothing: no partial load
        numpy.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)


@requires_torch
def test_non_strict_load_returns_the_same_keys_as_torch():
    ours, theirs = build_mlp(nn), build_mlp(torch.nn)
    state = torch_state(theirs)
    del state["2.bias"]
    state["extra.weight"] = numpy.ones(2, numpy.float32)
    mine = ours.load_state_dict(state, strict=False)
    reference = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert mine.missing_keys == reference.missing_keys == ["2.bias"]
    assert mine.unexpected_keys == reference.unexpected_keys == ["extra.weight"]
    missing, unexpected = mine  # unpacks like PyTorch's named tuple
    assert missing == ["2.bias"] and unexpected == ["extra.weight"]
    numpy.testing.assert_array_equal(ours[0].weight.numpy(force=True), state["0.weight"])
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked even so
        ours.load_state_dict({"0.weight": numpy.zeros((1, 1), numpy.float32)}, strict=False)


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda model: pickle.loads(pickle.dumps(model))],
                         ids=["deepcopy", "pickle"])
def test_copied_model_is_independent_and_identical(clone):
    model = build_cnn(nn)
    model(tl.randn(2, 3, 4, 4))
    twin = clone(model).eval()
    model.eval()
    x = tl.randn(2, 3, 4, 4)
    numpy.testing.assert_array_equal(twin(x).numpy(force=True), model(x).numpy(force=True))
    assert [name for name, _ in twin.named_buffers()] == [name for name, _ in model.named_buffers()]
    nn.init.zeros_(twin[0].weight)
    assert twin[0].weight is not model[0].weight and numpy.any(model[0].weight.numpy(force=True))
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad


# ----- to(), float(), double() --------------------------------------------------------------------
def test_to_dtype_keeps_parameter_objects_so_an_existing_optimizer_still_works():
    model = build_mlp(nn)
    params = list(model.parameters())
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    model(tl.randn(2, 5)).sum().backward()
    assert model.to(tl.float64) is model
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.dtype == tl.float64 and p.grad.dtype == tl.float64 for p in params)
    before = params[0].numpy(force=True).copy()
    optimizer.zero_grad()
    out = model(tl.randn(2, 5, dtype=tl.float64))
    assert out.dtype == tl.float64
    out.sum().backward()
    optimizer.step()
    assert params[0].dtype == tl.float64
    assert not numpy.allclose(params[0].numpy(force=True), before)
    model.float()
    assert all(p.dtype == tl.float32 for p in model.parameters())


def test_to_dtype_casts_only_floating_tensors():
    norm = nn.BatchNorm1d(3)
    norm.double()
    assert norm.weight.dtype == tl.float64 and norm.running_mean.dtype == tl.float64
    assert norm.num_batches_tracked.dtype == tl.int64
    norm.half()
    assert norm.running_var.dtype == tl.float16 and norm.num_batches_tracked.dtype == tl.int64
    with pytest.raises(TypeError, match="int64"):
        norm.to(tl.int64)


@pytest.mark.parametrize("device", DEVICES)
def test_to_device_moves_everything_and_keeps_objects(device):
    model = build_cnn(nn)
    params = list(model.parameters())
    model.to(device)
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(t.device == device for t in list(model.parameters()) + list(model.buffers()))
    out = model(tl.randn(2, 3, 4, 4, device=device))
    assert out.device == device and out.shape == (2, 3)
    model.cpu()
    assert all(p.device == "cpu" for p in model.parameters())


# ----- repr -------------------------------------------------------------------------------------
REPR_CASES = {
    "sequential": lambda m: m.Sequential(m.Linear(4, 8), m.ReLU(), m.Linear(8, 2)),
    "net": build_net,
    "cnn": build_cnn,
}


@requires_torch
@pytest.mark.parametrize("case", sorted(REPR_CASES))
def test_repr_matches_torch(case):
    assert repr(REPR_CASES[case](nn)) == repr(REPR_CASES[case](torch.nn))


def test_module_forward_is_differentiable_in_float64():
    model = build_cnn(nn).double().eval()
    check_gradcheck(lambda x: model(x), (2, 3, 4, 4))


@requires_torch
@pytest.mark.parametrize("name", [name for name in nn.__all__
                                  if torch is not None and isinstance(getattr(nn, name), type)
                                  and hasattr(torch.nn, name)])
def test_constructor_arguments_match_torch(name):
    """Same names, order, defaults and kinds, so positional and keyword calls port unchanged."""
    def arguments(cls):
        parameters = inspect.signature(cls.__init__).parameters.values()
        # A default that is a function (activation=F.relu) is each library's own: compare names.
        return [(p.name, p.default.__name__ if callable(p.default) else p.default, p.kind)
                for p in parameters]

    theirs = arguments(getattr(torch.nn, name))
    if any(kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
           for _, _, kind in theirs):
        pytest.skip("torch's signature is *args/**kwargs")
    assert arguments(getattr(nn, name)) == theirs
