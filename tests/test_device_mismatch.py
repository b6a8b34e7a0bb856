"""Every device-mismatch error in tinygrad_lite, triggered on a CPU-only machine.

A fake second device (NumPy arrays, but not the ``cpu`` device object) stands in for a GPU, so
each check that refuses tensors on different devices runs here: it must raise and name both
devices (PyTorch's rule). Cross-device copies that PyTorch allows are pinned too.
"""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.data.dataloader import default_collate
from tinygrad_lite.nn.utils.rnn import pack_padded_sequence

FAKE_NAME = "fake:1"


def _fake_device():
    """A ``tl.device`` named fake:1 whose arrays are NumPy's; built without touching the library."""
    device = object.__new__(tl.device)
    device.type, device.index, device.xp, device._name = "fake", 1, numpy, FAKE_NAME
    return device


FAKE = _fake_device()


def fake(values, dtype=None, requires_grad=False):
    """A tensor on the fake device (floats default to float32, as ``tl.tensor``'s do)."""
    array = numpy.asarray(values, dtype=dtype)
    if dtype is None and array.dtype == numpy.float64:
        array = array.astype(numpy.float32)
    return tl.Tensor._make(array, FAKE, requires_grad, None)


def cpu(values, **kwargs):
    return tl.tensor(values, **kwargs)


def _ones(*shape):
    return numpy.ones(shape, dtype=numpy.float32)


def _backward_with_gradient_on_cpu():
    (fake([1.0, 2.0], requires_grad=True) * 2).backward(cpu([1.0, 1.0]))


def _autograd_grad_with_output_gradient_on_cpu():
    x = fake([1.0], requires_grad=True)
    tl.autograd.grad(x * 2, x, grad_outputs=cpu([1.0]))


def _lstm_with_cell_state_on_fake():
    nn.LSTM(2, 3)(cpu(_ones(4, 1, 2)), (cpu(numpy.zeros((1, 1, 3), numpy.float32)),
                                        fake(numpy.zeros((1, 1, 3)))))


def _kv_cache_continued_on_another_device():
    cache = nn.KVCache()
    cache.append(cpu(_ones(1, 1, 1, 2)), cpu(_ones(1, 1, 1, 2)))
    cache.append(fake(_ones(1, 1, 1, 2)), fake(_ones(1, 1, 1, 2)))


# name -> (call, error type); every call mixes the CPU with the fake device once.
MISMATCHES = {
    # Function.apply: every op with two or more tensor inputs.
    "add": (lambda: cpu([1.0, 2.0]) + fake([1.0, 2.0]), RuntimeError),
    "matmul": (lambda: cpu(_ones(2, 2)) @ fake(_ones(2, 2)), RuntimeError),
    "cat": (lambda: tl.cat([cpu([1.0]), fake([2.0])]), RuntimeError),
    "stack": (lambda: tl.stack([fake([1.0]), cpu([2.0])]), RuntimeError),
    "where": (lambda: tl.where(fake([True]), cpu([1.0]), cpu([2.0])), RuntimeError),
    "gather": (lambda: cpu([1.0, 2.0]).gather(0, fake([1])), RuntimeError),
    "scatter_add": (lambda: cpu([1.0, 2.0]).scatter_add(0, cpu([1]), fake([5.0])), RuntimeError),
    "in-place add_": (lambda: cpu([1.0]).add_(fake([2.0])), RuntimeError),
    "linear": (lambda: F.linear(cpu(_ones(1, 2)), fake(_ones(3, 2))), RuntimeError),
    "rnn cell state": (lambda: nn.GRUCell(2, 3)(cpu(_ones(1, 2)), fake(_ones(1, 3))),
                       RuntimeError),
    # The engine's seed gradients.
    "backward gradient": (_backward_with_gradient_on_cpu, RuntimeError),
    "autograd.grad grad_outputs": (_autograd_grad_with_output_gradient_on_cpu, RuntimeError),
    # Indexing.
    "masked_fill mask": (lambda: cpu([1.0, 2.0]).masked_fill(fake([True, False]), 0.0),
                         RuntimeError),
    # Losses.
    "cross_entropy target": (lambda: F.cross_entropy(cpu(_ones(2, 3)), fake([0, 2])),
                             RuntimeError),
    "cross_entropy weight": (lambda: F.cross_entropy(cpu(_ones(2, 3)), cpu([0, 2]),
                                                     weight=fake(_ones(3))), RuntimeError),
    "mse_loss target": (lambda: F.mse_loss(cpu(_ones(2)), fake(_ones(2))), RuntimeError),
    "binary_cross_entropy_with_logits pos_weight": (
        lambda: F.binary_cross_entropy_with_logits(cpu(_ones(2)), cpu(_ones(2)),
                                                   pos_weight=fake(_ones(2))), RuntimeError),
    # Normalization, embedding.
    "layer_norm weight": (lambda: F.layer_norm(cpu(_ones(2, 3)), (3,), weight=fake(_ones(3))),
                          RuntimeError),
    "batch_norm running_mean": (
        lambda: F.batch_norm(cpu(_ones(2, 3)), fake(numpy.zeros(3)), cpu(_ones(3))),
        RuntimeError),
    "embedding ids": (lambda: nn.Embedding(4, 2)(fake([0, 3])), RuntimeError),
    # Attention.
    "scaled_dot_product_attention key": (
        lambda: F.scaled_dot_product_attention(cpu(_ones(1, 2, 4)), fake(_ones(1, 2, 4)),
                                               cpu(_ones(1, 2, 4))), RuntimeError),
    "scaled_dot_product_attention attn_mask": (
        lambda: F.scaled_dot_product_attention(cpu(_ones(1, 2, 4)), cpu(_ones(1, 2, 4)),
                                               cpu(_ones(1, 2, 4)),
                                               attn_mask=fake(numpy.ones((2, 2), bool))),
        RuntimeError),
    "MultiheadAttention key_padding_mask": (
        lambda: nn.MultiheadAttention(4, 2)(*[cpu(_ones(2, 1, 4))] * 3,
                                            key_padding_mask=fake(numpy.zeros((1, 2), bool))),
        RuntimeError),
    "AdditiveAttention keys": (
        lambda: nn.AdditiveAttention(2, 2, 3)(cpu(_ones(1, 2)), fake(_ones(1, 4, 2))),
        RuntimeError),
    "AdditiveAttention mask": (
        lambda: nn.AdditiveAttention(2, 2, 3)(cpu(_ones(1, 2)), cpu(_ones(1, 4, 2)),
                                              mask=fake(numpy.ones((1, 4), bool))),
        RuntimeError),
    # Recurrent layers.
    "RNN hidden state": (lambda: nn.RNN(2, 3)(cpu(_ones(4, 1, 2)), fake(numpy.zeros((1, 1, 3)))),
                         RuntimeError),
    "LSTM cell state": (_lstm_with_cell_state_on_fake, RuntimeError),
    "KVCache.append": (_kv_cache_continued_on_another_device, ValueError),
    # Utilities.
    "parameters_to_vector": (lambda: nn.utils.parameters_to_vector([cpu([1.0]), fake([2.0])]),
                             RuntimeError),
    "default_collate": (lambda: default_collate([cpu([1.0]), fake([2.0])]), RuntimeError),
}


@pytest.mark.parametrize("name", MISMATCHES)
def test_mixing_devices_raises_naming_both(name):
    call, error = MISMATCHES[name]
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert "cpu" in message and FAKE_NAME in message, message


def test_pack_padded_sequence_wants_lengths_on_the_cpu():
    """PyTorch's rule: lengths are a CPU tensor (or a list), whatever the data's device."""
    with pytest.raises(RuntimeError, match=rf"lengths must be a 1-D CPU int64 tensor .* on "
                                           rf"{FAKE_NAME}"):
        pack_padded_sequence(cpu(_ones(3, 2, 1)), fake([3, 2]))


def test_load_state_dict_copies_onto_the_module_device():
    """As in PyTorch: values on another device are copied, not refused."""
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": fake([[1.0, 2.0]]), "bias": fake([3.0])})
    assert layer.weight.device == "cpu" and layer.bias.device == "cpu"
    assert layer.weight.tolist() == [[1.0, 2.0]] and layer.bias.tolist() == [3.0]


def test_copy_crosses_devices():
    target = cpu([0.0, 0.0])
    target.copy_(fake([1.0, 2.0]))
    assert target.device == "cpu" and target.tolist() == [1.0, 2.0]


def test_the_fake_device_is_a_distinct_device():
    assert FAKE != "cpu" and FAKE != tl.device("cpu") and str(FAKE) == FAKE_NAME
    assert (fake([1.0]) * 2).device is FAKE  # ops on one device work and stay there


def _assign_grad_from_another_device():
    parameter = cpu([1.0], requires_grad=True)
    parameter.grad = fake([1.0])


def _hook_moving_the_gradient():
    x = cpu([1.0], requires_grad=True)
    x.register_hook(lambda grad: fake(grad.numpy()))
    (x * 2).sum().backward()


def _index_from_another_device():
    return cpu([1.0, 2.0])[fake([1])]


# Checks PyTorch makes outside single ops: gradients given back by the user, index tensors.
OTHER_CHECKS = {
    "grad assigned from another device": _assign_grad_from_another_device,
    "hook returning a gradient on another device": _hook_moving_the_gradient,
    "index tensor on another (non-CPU) device": _index_from_another_device,
}


@pytest.mark.parametrize("name", OTHER_CHECKS)
def test_gradients_and_indices_from_another_device_are_refused(name):
    with pytest.raises(RuntimeError) as caught:
        OTHER_CHECKS[name]()
    assert "cpu" in str(caught.value) and FAKE_NAME in str(caught.value)


def test_setitem_copies_a_value_from_another_device_like_copy_():
    target = cpu([1.0, 2.0])
    target[0] = fake(5.0)
    target[1:] = fake([7.0])
    assert target.device == "cpu" and target.tolist() == [5.0, 7.0]
