"""Tests for tinygrad_lite/nn/parameter.py: Parameter wraps data as a trainable leaf."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, requires_torch, torch
from tinygrad_lite import nn


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_parameter_shares_data_and_is_a_trainable_leaf(device, dtype):
    source = tl.tensor([[1.0, -2.0, 3.0]], dtype=dtype, device=device)
    param = nn.Parameter(source)
    assert isinstance(param, tl.Tensor)
    assert param.data is source.data  # shares storage, like torch.nn.Parameter
    assert param.requires_grad and param.is_leaf and param.grad_fn is None
    assert param.dtype == dtype and param.device == device
    numpy.testing.assert_array_equal(param.numpy(force=True), [[1.0, -2.0, 3.0]])


def test_parameter_requires_grad_false_and_empty_default():
    frozen = nn.Parameter(tl.zeros(2, 3), requires_grad=False)
    assert not frozen.requires_grad and frozen.shape == (2, 3)
    empty = nn.Parameter()
    assert empty.shape == (0,) and empty.requires_grad


def test_parameter_from_list_and_numpy_keeps_torch_dtype_rules():
    assert nn.Parameter([1.0, 2.0]).dtype == tl.float32
    assert nn.Parameter(numpy.zeros(2)).dtype == tl.float64


def test_parameter_of_integers_cannot_require_grad():
    with pytest.raises(RuntimeError):
        nn.Parameter(tl.tensor([1, 2, 3]))
    assert nn.Parameter(tl.tensor([1, 2, 3]), requires_grad=False).dtype == tl.int64


def test_ops_on_a_parameter_give_plain_tensors_with_gradients_to_the_parameter():
    param = nn.Parameter(tl.tensor([1.0, 2.0, 3.0]))
    out = (param * param).sum()
    assert type(out) is tl.Tensor and type(param.detach()) is tl.Tensor
    out.backward()
    numpy.testing.assert_allclose(param.grad.numpy(), [2.0, 4.0, 6.0])


@requires_torch
def test_parameter_repr_matches_torch():
    ours = nn.Parameter(tl.tensor([0.0, 2.0]))
    theirs = torch.nn.Parameter(torch.tensor([0.0, 2.0]))
    assert repr(ours) == repr(theirs)


def test_only_parameters_are_registered_by_a_module():
    module = nn.Module()
    module.weight = nn.Parameter(tl.ones(2))
    module.plain = tl.ones(2, requires_grad=True)  # a plain Tensor is an ordinary attribute
    assert [name for name, _ in module.named_parameters()] == ["weight"]
