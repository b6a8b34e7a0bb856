"""Tests for tinygrad_lite/nn/containers.py: Sequential, ModuleList, ModuleDict.

Each structural operation is done on the tinygrad_lite container and on torch's, and the
resulting names (and reprs) are compared.
"""
import collections

import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn


def _names(module):
    return [name for name, _ in module.named_parameters()]


def _kinds(container):
    return [type(module).__name__ for module in container]


def _both(build):
    """Build the same container with both frameworks (torch may be missing: then just ours)."""
    return build(nn), (build(torch.nn) if torch is not None else None)


# ----- Sequential -------------------------------------------------------------------------------
def _sequential(m):
    return m.Sequential(m.Linear(2, 3), m.Tanh(), m.Linear(3, 4), m.Sigmoid())


def test_sequential_forward_chains_modules():
    model = _sequential(nn).double()
    x = tl.randn(5, 2, dtype=tl.float64)
    expected = model[3](model[2](model[1](model[0](x))))
    numpy.testing.assert_array_equal(model(x).numpy(force=True), expected.numpy(force=True))
    check_gradcheck(lambda inputs: model(inputs), (5, 2))
    empty = nn.Sequential()
    assert empty(x) is x


@requires_torch
def test_sequential_matches_torch_after_loading_its_weights():
    ours, theirs = _both(_sequential)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    check_parity(ours, theirs, (5, 2))


def test_sequential_indexing_slicing_len_and_iteration():
    model = _sequential(nn)
    assert len(model) == 4
    assert _kinds(model) == ["Linear", "Tanh", "Linear", "Sigmoid"]
    assert model[0] is model._modules["0"] and model[-1] is model._modules["3"]
    head = model[1:3]
    assert isinstance(head, nn.Sequential) and _kinds(head) == ["Tanh", "Linear"]
    assert head[1] is model[2]  # slicing shares the modules
    assert _names(head) == ["2.weight", "2.bias"]  # and keeps their names, like PyTorch
    with pytest.raises(IndexError, match="4"):
        model[4]
    with pytest.raises(IndexError):
        model[-5]


@requires_torch
@pytest.mark.parametrize("edit", ["append", "del_int", "del_negative", "del_slice", "setitem",
                                  "insert", "extend", "pop"])
def test_sequential_edits_give_torch_names(edit):
    ours, theirs = _both(_sequential)
    for m, model in ((nn, ours), (torch.nn, theirs)):
        if edit == "append":
            assert model.append(m.Linear(4, 1)) is model
        elif edit == "del_int":
            del model[1]
        elif edit == "del_negative":
            del model[-2]
        elif edit == "del_slice":
            del model[0:2]
        elif edit == "setitem":
            model[2] = m.Linear(3, 5)
        elif edit == "insert":
            model.insert(1, m.Linear(3, 3))
        elif edit == "extend":
            model.extend([m.Linear(4, 2), m.Tanh()])
        else:
            assert type(model.pop(1)).__name__ == "Tanh"
    assert _kinds(ours) == _kinds(theirs)
    assert _names(ours) == _names(theirs)
    assert repr(ours) == repr(theirs)


@requires_torch
def test_sequential_from_ordered_dict_uses_the_keys_as_names():
    def build(m):
        return m.Sequential(collections.OrderedDict(encoder=m.Linear(2, 3), act=m.Tanh(),
                                                    decoder=m.Linear(3, 1)))

    ours, theirs = _both(build)
    assert _names(ours) == _names(theirs) == ["encoder.weight", "encoder.bias", "decoder.weight",
                                              "decoder.bias"]
    assert ours.encoder is ours[0] and repr(ours) == repr(theirs)
    del ours[1], theirs[1]  # PyTorch renumbers after a deletion
    assert _names(ours) == _names(theirs)


def test_sequential_rejects_non_modules():
    model = _sequential(nn)
    with pytest.raises(TypeError):
        model[0] = "not a module"
    with pytest.raises(TypeError):
        nn.Sequential(nn.Tanh(), lambda x: x)


# ----- ModuleList -------------------------------------------------------------------------------
def _module_list(m):
    return m.ModuleList([m.Linear(2, 2), m.Tanh(), m.Linear(2, 3)])


@requires_torch
def test_module_list_registers_parameters_like_torch():
    class Stack:
        @staticmethod
        def build(m):
            class Model(m.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = _module_list(m)

            return Model()

    ours, theirs = _both(Stack.build)
    assert _names(ours) == _names(theirs) == ["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                              "layers.2.bias"]
    assert list(ours.state_dict()) == list(theirs.state_dict())


@requires_torch
@pytest.mark.parametrize("edit", ["append", "extend", "iadd", "insert", "insert_end", "setitem",
                                  "del_int", "del_slice", "pop"])
def test_module_list_edits_give_torch_names(edit):
    ours, theirs = _both(_module_list)
    for m, layers in ((nn, ours), (torch.nn, theirs)):
        if edit == "append":
            assert layers.append(m.Linear(3, 1)) is layers
        elif edit == "extend":
            layers.extend([m.Sigmoid(), m.Linear(3, 3)])
        elif edit == "iadd":
            layers += [m.Sigmoid()]
        elif edit == "insert":
            layers.insert(1, m.Linear(2, 5))
        elif edit == "insert_end":
            layers.insert(3, m.Linear(2, 5))
        elif edit == "setitem":
            layers[1] = m.Linear(2, 2)
        elif edit == "del_int":
            del layers[0]
        elif edit == "del_slice":
            del layers[:2]
        else:
            assert type(layers.pop(1)).__name__ == "Tanh"
    assert _kinds(ours) == _kinds(theirs)
    assert _names(ours) == _names(theirs)
    assert repr(ours) == repr(theirs)


@requires_torch
def test_module_list_repr_folds_repeated_layers_like_torch():
    def build(m):
        return m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Tanh(), m.Linear(2, 2)] +
                            [m.Sequential(m.Linear(2, 2), m.Tanh()) for _ in range(3)])

    ours, theirs = _both(build)
    assert repr(ours) == repr(theirs)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_module_list_indexing():
    layers = _module_list(nn)
    assert len(layers) == 3 and layers[-1] is layers[2]
    assert isinstance(layers[1:], nn.ModuleList) and _kinds(layers[1:]) == ["Tanh", "Linear"]
    assert [type(layer).__name__ for layer in layers] == ["Linear", "Tanh", "Linear"]
    with pytest.raises(IndexError, match="3"):
        layers[3]
    with pytest.raises(NotImplementedError):
        layers(tl.zeros(1, 2))


def test_module_list_used_in_forward_trains_every_layer():
    layers = _module_list(nn)
    x = tl.randn(4, 2)
    for layer in layers:
        x = layer(x)
    x.sum().backward()
    assert all(p.grad is not None and numpy.any(p.grad.numpy()) for p in layers.parameters())


# ----- ModuleDict -------------------------------------------------------------------------------
def _module_dict(m):
    return m.ModuleDict({"encoder": m.Linear(2, 3), "act": m.Tanh(), "decoder": m.Linear(3, 2)})


@requires_torch
def test_module_dict_behaves_like_torch():
    ours, theirs = _both(_module_dict)
    assert list(ours.keys()) == list(theirs.keys()) == ["encoder", "act", "decoder"]
    assert _names(ours) == _names(theirs)
    assert repr(ours) == repr(theirs)
    for m, modules in ((nn, ours), (torch.nn, theirs)):
        modules["extra"] = m.Linear(2, 2)
        modules.update([("head", m.Linear(2, 1))])
        modules.update({"act": m.Sigmoid()})  # replacing keeps the key's position
        del modules["encoder"]
        assert type(modules.pop("decoder")).__name__ == "Linear"
    assert list(ours.keys()) == list(theirs.keys()) == ["act", "extra", "head"]
    assert _names(ours) == _names(theirs)
    assert repr(ours) == repr(theirs)


def test_module_dict_mapping_methods():
    modules = _module_dict(nn)
    assert len(modules) == 3 and "act" in modules and "missing" not in modules
    assert list(modules) == ["encoder", "act", "decoder"]
    assert [type(v).__name__ for v in modules.values()] == ["Linear", "Tanh", "Linear"]
    assert [key for key, _ in modules.items()] == ["encoder", "act", "decoder"]
    assert modules["encoder"] is modules.encoder
    with pytest.raises(KeyError):
        modules["missing"]
    with pytest.raises(NotImplementedError):
        modules(tl.zeros(1))
    modules.clear()
    assert len(modules) == 0 and list(modules.parameters()) == []
