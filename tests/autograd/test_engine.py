"""Tests for tinygrad_lite/autograd/engine.py and function.py: the backward pass and graph nodes."""
import gc
import sys
import weakref

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd.function import AccumulateGrad, Function
from helpers import requires_torch, torch


def _chain(length):
    """``x * 1.0001 ** length`` as ``length`` multiplications, summed: (input, scalar output)."""
    x = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0001
    return x, y.sum()


def test_a_100000_op_chain_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    x, loss = _chain(100_000)
    loss.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 100_000] * 2, rtol=1e-10)
    assert sys.getrecursionlimit() == limit
    del loss
    gc.collect()


def _calls_made_by_backward(length):
    """Every function call, Python or C, that ``backward`` makes on a chain of ``length`` ops."""
    _, loss = _chain(length)
    calls = [0]

    def count(frame, event, arg):
        if event in ("call", "c_call"):
            calls[0] += 1

    gc.collect()
    gc.disable()  # a collection mid-backward would add calls (finalizers) unrelated to the graph
    sys.setprofile(count)
    try:
        loss.backward()
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls[0]


def test_backward_work_grows_linearly_with_the_graph():
    """The calls backward makes are exactly a fixed cost plus the same cost per node: no step
    revisits the graph or re-sorts a queue. Counted, not timed, so it holds on any machine."""
    calls = [_calls_made_by_backward(length) for length in (500, 1000, 2000)]
    per_500_nodes = calls[1] - calls[0]
    assert calls[2] - calls[1] == 2 * per_500_nodes


def test_a_deep_chain_of_tensor_ops_with_two_paths():
    x = tl.tensor(0.5, dtype=tl.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = (y + y) * 0.5  # a tiny diamond at every step: each node is used twice
    y.backward()
    assert x.grad.item() == pytest.approx(1.0)


@pytest.mark.parametrize("op, expected", [
    (lambda a: a + a, [2.0, 2.0]),
    (lambda a: a * a, [2.0, -4.0]),
    (lambda a: a * a * a, [3.0, 12.0]),
    (lambda a: a - a, [0.0, 0.0]),
    (lambda a: a / a, [0.0, 0.0]),
    (lambda a: tl.stack([a, a, a]).sum(0), [3.0, 3.0]),
], ids=["a+a", "a*a", "a*a*a", "a-a", "a/a", "stack"])
def test_a_tensor_used_several_times_gets_every_share(op, expected):
    a = tl.tensor([1.0, -2.0], requires_grad=True)
    op(a).sum().backward()
    numpy.testing.assert_allclose(a.grad.numpy(), expected, atol=1e-6)


def test_diamond_graph():
    x = tl.tensor([0.3, -1.2], dtype=tl.float64, requires_grad=True)
    top = x.exp()
    left, right = top.sin(), top * 3.0
    (left * right).sum().backward()
    value = numpy.array([0.3, -1.2])
    e = numpy.exp(value)
    expected = (numpy.cos(e) * 3 * e + numpy.sin(e) * 3) * e
    numpy.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


@requires_torch
def test_diamond_graph_matches_torch_with_intermediate_reuse():
    grads = []
    for lib in (tl, torch):
        x = lib.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=lib.float64, requires_grad=True)
        h = x @ x
        out = (h.tanh() * h + h.sigmoid() @ x).sum()
        out.backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_gradients_accumulate_across_backward_calls():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 2.0).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


class _KeepsAnArray(Function):
    """Identity whose forward stores an array on the node, as masks and indices are stored."""

    def forward(self, x):
        self.kept = x * 2.0
        return x.copy()

    def backward(self, grad_output):
        return grad_output


def test_retain_graph_false_frees_saved_arrays():
    x = tl.tensor([0.1, 0.2, 0.3], requires_grad=True)
    hidden = x * 3.0
    saved_input = weakref.ref(hidden.data)       # Sin saves its input tensor
    activated = _KeepsAnArray.apply(hidden.sin())
    kept_array = weakref.ref(activated.grad_fn.kept)
    exponent = (activated + 1.0).exp()
    saved_output = weakref.ref(exponent.grad_fn.saved_output)
    loss = (exponent * 2.0).sum()
    del hidden, activated, exponent
    gc.collect()
    assert saved_input() is not None and kept_array() is not None and saved_output() is not None
    loss.backward()
    gc.collect()
    assert saved_input() is None, "Sin's saved input outlived backward"
    assert kept_array() is None, "an array forward kept on its node outlived backward"
    assert saved_output() is None, "Exp's saved output outlived backward"
    assert x.grad is not None


def test_second_backward_raises_mentioning_retain_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_retain_graph_true_allows_a_second_backward():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = tl.ones(2, 3, requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(tl.ones(3))
    y.backward(tl.full((2, 3), 0.5))
    assert x.grad.tolist() == [[1.0] * 3] * 2


def test_backward_accepts_an_array_gradient_and_a_single_element_output():
    x = tl.tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == [[6.0]]
    y = tl.tensor([1.0, 2.0], requires_grad=True)
    (y * 3.0).backward(numpy.array([1.0, 2.0], dtype=numpy.float32))
    assert y.grad.tolist() == [3.0, 6.0]


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.ones(2).sum().backward()


def test_backward_on_a_leaf_itself():
    x = tl.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_leaf_grads_are_never_aliased():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    b = tl.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    with tl.no_grad():
        a.grad.mul_(2.0)
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [1.0, 1.0]


def test_leaf_grad_does_not_alias_the_seed_gradient():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    seed = tl.tensor([5.0, 6.0])
    (a + 0.0).backward(seed)
    with tl.no_grad():
        a.grad.zero_()
    assert seed.tolist() == [5.0, 6.0]


def test_grad_of_a_broadcast_input_is_reduced_to_its_shape_and_dtype():
    bias = tl.tensor([1.0, 2.0, 3.0], dtype=tl.float64, requires_grad=True)
    scale = tl.tensor(2.0, requires_grad=True)
    (tl.ones(4, 3, dtype=tl.float64) * bias * scale).sum().backward()
    assert bias.grad.shape == (3,) and bias.grad.dtype == tl.float64
    assert bias.grad.tolist() == [8.0, 8.0, 8.0]
    assert scale.grad.shape == () and scale.grad.dtype == tl.float32 and scale.grad.item() == 24.0


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = tl.tensor([3.0, 4.0], requires_grad=True)
    out = (x * y).sum()
    gx, gy = tl.autograd.grad(out, (x, y))
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    assert x.grad is None and y.grad is None
    with pytest.raises(RuntimeError, match="retain_graph"):
        tl.autograd.grad(out, x)


def test_autograd_grad_with_grad_outputs_several_outputs_and_retain_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    first, second = x * 2.0, x * x
    (gx,) = tl.autograd.grad([first, second], [x], grad_outputs=[tl.ones(2), tl.tensor([1.0, 0.5])],
                             retain_graph=True)
    assert gx.tolist() == [4.0, 4.0]
    (again,) = tl.autograd.grad(second.sum(), x)
    assert again.tolist() == [2.0, 4.0]


def test_autograd_grad_allow_unused():
    x = tl.tensor([1.0], requires_grad=True)
    unused = tl.tensor([1.0], requires_grad=True)
    out = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        tl.autograd.grad(out, [x, unused], retain_graph=True)
    gx, gu = tl.autograd.grad(out, [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_autograd_grad_of_a_non_leaf_input():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3.0
    out = (hidden * hidden).sum()
    (g,) = tl.autograd.grad(out, hidden)
    assert g.tolist() == [6.0, 12.0]


def test_autograd_grad_refuses_inputs_without_grad():
    out = (tl.ones(1, requires_grad=True) * 2.0).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.autograd.grad(out, tl.ones(1))


def test_backward_inputs_restricts_accumulation():
    x = tl.tensor([1.0], requires_grad=True)
    y = tl.tensor([2.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and y.grad is None


def test_backward_inputs_can_name_a_non_leaf():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2.0
    (hidden * hidden).sum().backward(inputs=[hidden])
    assert hidden.grad.tolist() == [4.0, 8.0] and x.grad is None


def test_retain_grad_on_a_non_leaf():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3.0
    hidden.retain_grad()
    assert hidden.retains_grad
    (hidden * hidden).sum().backward()
    assert hidden.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]
    other = x * 2.0
    (other * 1.0).sum().backward()
    assert other.grad is None  # not retained
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        tl.ones(2).retain_grad()


def test_hooks_on_leaves_replace_or_observe_the_gradient():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    observer = x.register_hook(lambda grad: seen.append(grad.tolist()))
    doubler = x.register_hook(lambda grad: grad * 2.0)
    (x * 3.0).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [6.0, 6.0]
    doubler.remove()
    doubler.remove()  # removing twice is harmless
    observer.remove()
    x.grad = None
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and len(seen) == 1


def test_hooks_on_non_leaves_change_what_flows_upstream():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3.0
    handle = hidden.register_hook(lambda grad: grad * 0.0 + 1.0)
    (hidden * hidden).sum().backward(retain_graph=True)
    assert x.grad.tolist() == [3.0, 3.0]
    handle.remove()
    x.grad = None
    (hidden * hidden).sum().backward()
    assert x.grad.tolist() == [18.0, 36.0]


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tl.ones(2).register_hook(lambda grad: grad)


def test_next_functions_mirror_pytorch():
    x = tl.tensor([1.0], requires_grad=True)
    constant = tl.tensor([2.0])
    product = x * constant
    assert product.grad_fn.name() == "MulBackward"
    (leaf_edge, index), (constant_edge, _) = product.grad_fn.next_functions
    assert isinstance(leaf_edge, AccumulateGrad) and leaf_edge.variable is x and index == 0
    assert leaf_edge.name() == "AccumulateGrad" and leaf_edge.next_functions == ()
    assert constant_edge is None
    exp = product.exp()
    assert exp.grad_fn.next_functions == ((product.grad_fn, 0),)
    assert x.grad_fn is None and constant.grad_fn is None
    assert "MulBackward" in repr(product.grad_fn)


def test_ops_on_tensors_without_grad_record_nothing():
    x = tl.ones(3)
    y = (x * 2.0).exp().sum()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_integer_outputs_carry_no_graph():
    x = tl.tensor([1.5, 2.5], requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 2).requires_grad
    assert x.long().grad_fn is None


def test_create_graph_makes_grad_differentiable():
    x = tl.tensor([2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.tolist() == [12.0]
    (second,) = tl.autograd.grad(x.grad.sum(), x)
    assert second.tolist() == [12.0]


def test_function_returning_the_wrong_number_of_gradients_is_reported():
    class Broken(tl.autograd.Function):
        def forward(self, a, b):
            return a + b

        def backward(self, grad_output):
            return (grad_output,)

    x, y = tl.ones(2, requires_grad=True), tl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 1 gradients for 2 inputs"):
        Broken.apply(x, y).sum().backward()


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_a_leaf_used_many_times_sums_every_contribution(shape):
    w = tl.full(shape, 2.0, requires_grad=True)
    x = tl.ones(shape, requires_grad=True)
    y = x
    for _ in range(5):
        y = y * w + w  # w feeds two nodes per step: 10 contributions in all
    y.sum().backward()
    # y_k = y_{k-1} * 2 + 2; dy5/dw = sum over steps of 2**(5-k) * (y_{k-1} + 1)
    values, grad = [1.0], 0.0
    for _ in range(5):
        values.append(values[-1] * 2 + 2)
    for k in range(1, 6):
        grad += 2 ** (5 - k) * (values[k - 1] + 1)
    numpy.testing.assert_allclose(w.grad.numpy(), numpy.full(shape, grad))
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.full(shape, 32.0))


def test_summing_gradients_never_writes_into_a_gradient_someone_else_holds():
    x = tl.ones(3, requires_grad=True)
    middle = x * 1.0
    middle.retain_grad()
    y = middle + middle + middle  # Add's backward hands the same array to both of its inputs
    y.sum().backward()
    numpy.testing.assert_array_equal(middle.grad.numpy(), [3.0, 3.0, 3.0])
    numpy.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    seen = []
    z = tl.ones(3, requires_grad=True)
    shared = z * 2.0
    shared.register_hook(lambda grad: seen.append(grad.numpy().copy()) or None)
    (shared * shared).sum().backward()
    numpy.testing.assert_array_equal(seen[0], [4.0, 4.0, 4.0])
    numpy.testing.assert_array_equal(z.grad.numpy(), [8.0, 8.0, 8.0])


@pytest.mark.parametrize("seed_dtype", [tl.float64, tl.int64])
def test_a_given_gradient_is_cast_to_the_outputs_dtype(seed_dtype):
    x = tl.ones(2, dtype=tl.float16, requires_grad=True)
    (x * 2.0).backward(tl.ones(2, dtype=seed_dtype))
    assert x.grad.dtype == tl.float16 and x.grad.tolist() == [2.0, 2.0]


_ELEMENTWISE_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "floor_divide": lambda a, b: a // b, "pow": lambda a, b: a.abs() ** b,
    "maximum": tl.maximum, "minimum": tl.minimum, "where": lambda a, b: tl.where(a > 0, a, b),
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "bitwise_and": lambda a, b: (a > 0) & (b > 0), "bitwise_or": lambda a, b: (a > 0) | (b > 0),
    "bitwise_xor": lambda a, b: (a > 0) ^ (b > 0), "add_": lambda a, b: a.add_(b),
    "mul_": lambda a, b: a.mul_(b), "clamp": lambda a, b: tl.clamp(a, min=b),
}


@pytest.mark.parametrize("op", _ELEMENTWISE_BINARY.values(), ids=_ELEMENTWISE_BINARY.keys())
def test_shapes_that_do_not_broadcast_raise_pytorchs_error_naming_both(op):
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b "
                                           r"\(5\) at non-singleton dimension 1.*\[2, 3\].*\[4, 5\]"):
        op(tl.randn(2, 3), tl.randn(4, 5))
