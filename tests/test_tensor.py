"""Tests for tinygrad_lite/tensor.py: the Tensor's own state, conversions, display and protocols."""
import copy
import pickle

import numpy
import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch


def test_metadata():
    x = tl.ones(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
    assert x.dtype == tl.float32 and x.device == "cpu"
    assert x.ndim == 3 and x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and len(x) == 2 and x.element_size() == 4
    assert x.is_leaf and not x.requires_grad and x.grad is None and x.grad_fn is None
    assert not x.is_cuda
    with pytest.raises(IndexError, match="range"):
        x.size(3)


def test_0d_tensor_protocols():
    x = tl.tensor(2.5)
    assert x.shape == () and x.ndim == 0 and x.numel() == 1
    with pytest.raises(TypeError, match="0-d"):
        len(x)
    with pytest.raises(TypeError, match="0-d"):
        iter(x)
    assert x.item() == 2.5 and float(x) == 2.5 and bool(x)


def test_numpy_shares_memory_and_refuses_requires_grad():
    x = tl.zeros(3)
    array = x.numpy()
    array[0] = 4.0
    assert x.tolist()[0] == 4.0
    needs_grad = tl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        needs_grad.numpy()
    assert needs_grad.detach().numpy().tolist() == [1.0, 1.0]
    assert needs_grad.numpy(force=True).tolist() == [1.0, 1.0]
    non_leaf = needs_grad * 2.0
    with pytest.raises(RuntimeError, match="requires grad"):
        non_leaf.numpy()


def test_numpy_array_protocol():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    assert numpy.asarray(x).tolist() == [1.0, 2.0]
    assert numpy.asarray(x, dtype=numpy.float64).dtype == numpy.float64


def test_item_and_tolist():
    assert tl.tensor([[3]]).item() == 3 and isinstance(tl.tensor([[3]]).item(), int)
    assert isinstance(tl.tensor(1.5).item(), float)
    assert tl.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert tl.tensor(True).item() is True
    with pytest.raises(RuntimeError, match="3 elements"):
        tl.ones(3).item()


def test_bool_of_a_multi_element_tensor_raises():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tl.ones(2))
    with pytest.raises(RuntimeError, match="ambiguous"):
        if tl.ones(2) > 0:
            pass
    assert bool(tl.tensor([1.0])) and not bool(tl.tensor([0]))


def test_iteration_yields_rows_with_gradient():
    x = tl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [row.tolist() for row in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[1] * 2.0).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]


def test_integer_tensor_as_python_index():
    assert [10, 20, 30][tl.tensor(2)] == 30
    assert int(tl.tensor([7])) == 7
    with pytest.raises(TypeError, match="integer"):
        [1, 2][tl.tensor(1.0)]


@pytest.mark.parametrize("tensor, expected", [
    (tl.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (tl.tensor([1, 2]), "tensor([1, 2])"),
    (tl.tensor(3.5), "tensor(3.5000)"),
    (tl.tensor([1.0], dtype=tl.float64), "tensor([1.], dtype=tl.float64)"),
    (tl.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
    (tl.tensor([1], dtype=tl.int32), "tensor([1], dtype=tl.int32)"),
])
def test_repr(tensor, expected):
    assert repr(tensor) == expected
    assert str(tensor) == expected


def test_repr_of_a_non_leaf_names_its_grad_fn():
    x = tl.tensor([1.0], requires_grad=True)
    assert repr(x * x) == "tensor([1.], grad_fn=<MulBackward>)"
    assert "..." in repr(tl.zeros(5000))


def test_requires_grad_rules():
    x = tl.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = tl.ones(2, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        tl.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        tl.tensor([True]).requires_grad = True


def test_detach_shares_data_and_cuts_the_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    detached = y.detach()
    assert not detached.requires_grad and detached.grad_fn is None and detached.is_leaf
    assert numpy.shares_memory(detached.numpy(), y.detach().numpy())
    assert y.detach_() is y and y.grad_fn is None and not y.requires_grad


def test_to_dtype_device_and_shortcuts():
    x = tl.tensor([1.7, -2.2])
    assert x.to(tl.float64).dtype == tl.float64
    assert x.to("cpu") is x
    assert x.double().dtype == tl.float64 and x.half().dtype == tl.float16
    assert x.long().tolist() == [1, -2] and x.long().dtype == tl.int64
    assert x.float() is x


def test_tensors_hash_by_identity():
    a, b = tl.ones(2), tl.ones(2)
    assert len({a, b}) == 2
    table = {a: "a"}
    assert table[a] == "a"


def test_numpy_array_on_the_left_defers_to_tensor():
    result = numpy.ones(2, dtype=numpy.float32) + tl.ones(2)
    assert isinstance(result, tl.Tensor) and result.tolist() == [2.0, 2.0]


def test_copy_and_pickle():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    clone = copy.deepcopy(x)
    assert clone.tolist() == [1.0, 2.0] and clone.requires_grad and clone is not x
    restored = pickle.loads(pickle.dumps(tl.tensor([[1, 2]])))
    assert restored.tolist() == [[1, 2]] and restored.dtype == tl.int64


def test_from_array_wraps_without_copying():
    array = numpy.zeros(2, dtype=numpy.float32)
    x = tl.Tensor.from_array(array, requires_grad=True)
    assert x.data is array and x.requires_grad and x.device == "cpu"


@requires_torch
def test_every_documented_method_exists_and_matches_torch_name():
    names = ("add sub mul div pow neg abs exp log log1p sqrt rsqrt sin cos tanh sigmoid relu clamp clip "
             "maximum minimum sum mean var std prod max min amax amin argmax argmin logsumexp norm "
             "reshape view flatten unflatten squeeze unsqueeze permute transpose expand expand_as "
             "broadcast_to repeat contiguous gather scatter_add index_select masked_fill softmax "
             "log_softmax add_ mul_ zero_ fill_ copy_ clamp_ detach requires_grad_ retain_grad "
             "backward to cpu cuda float half double long numpy item tolist size numel dim").split()
    for name in names:
        assert hasattr(tl.Tensor, name), name
        assert hasattr(torch.Tensor, name), name
    functions = ("exp sum gather softmax cat stack split chunk where einsum tril triu matmul "
                 "maximum minimum clamp log_softmax logsumexp").split()
    for name in functions:
        assert callable(getattr(tl, name)), name


def test_top_level_numel_detach_save_load_and_packages_exist():
    x = tl.ones(2, 3, requires_grad=True)
    assert tl.numel(x) == 6
    detached = tl.detach(x)
    assert not detached.requires_grad and detached.shape == (2, 3)
    assert callable(tl.save) and callable(tl.load)
    assert hasattr(tl.data, "DataLoader") and hasattr(tl.metrics, "accuracy")


@pytest.mark.parametrize("value, error, message", [
    (tl.ones(3), RuntimeError, "shape"), (tl.ones(2, dtype=tl.float64), RuntimeError, "dtype"),
    ([1.0, 1.0], TypeError, "Tensor or None")], ids=["shape", "dtype", "list"])
def test_assigned_grad_must_match_the_tensor(value, error, message):
    x = tl.ones(2, requires_grad=True)
    with pytest.raises(error, match=message):
        x.grad = value
    x.grad = tl.full((2,), 3.0)
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    assert x.grad is None


def test_a_hook_may_not_change_the_gradients_shape():
    x = tl.ones(2, requires_grad=True)
    x.register_hook(lambda grad: grad.sum())
    with pytest.raises(RuntimeError, match="returned by hook.*shape"):
        (x * 2.0).sum().backward()


@pytest.mark.parametrize("values, printed", [
    ([0.522, 1.0, -3.25], "tensor([ 0.5220,  1.0000, -3.2500])"),
    ([1.0, 2.0, 3.0], "tensor([1., 2., 3.])"),
    ([1e-5, 1.0], "tensor([1.0000e-05, 1.0000e+00])"),
    ([float("nan"), 1.5, float("inf")], "tensor([   nan, 1.5000,    inf])"),
    ([[1.25, -2.0], [3.0, 4.0]], "tensor([[ 1.2500, -2.0000],\n        [ 3.0000,  4.0000]])"),
    (3.5, "tensor(3.5000)"),
])
def test_repr_lays_floats_out_like_pytorch(values, printed):
    assert repr(tl.tensor(values)) == printed
