"""Tests for tl.viz.trace_modules: which module call made which node, at what depth, and no cost outside."""
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from tinygrad_lite.viz.module_trace import find_trace


class Shared(nn.Module):
    """One Linear called twice (weight sharing), with an op of the model's own in between."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(self.fc(x).tanh())


def test_calls_depths_and_owners_of_a_sequential():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    with tl.viz.trace_modules(model) as trace:
        out = model(tl.randn(4, 3))
    assert [(call.name, call.depth, call.index) for call in trace.calls] == [
        ("", 0, 0), ("0", 1, 0), ("1", 1, 0), ("2", 1, 0)]
    root, first, relu, last = trace.calls
    assert [call.parent for call in trace.calls] == [None, root, root, root]
    assert root.children and not first.children
    assert [tuple(t.shape) for t in first.inputs] == [(4, 3)] and [tuple(t.shape) for t in last.outputs] == [(4, 2)]
    assert trace.call_of(out.grad_fn) is last  # the innermost call owns the node
    assert trace.call_of(out.grad_fn.next[0]) is relu


def test_a_shared_module_gives_one_call_per_use():
    model = Shared()
    with tl.viz.trace_modules(model) as trace:
        out = model(tl.randn(2, 4))
    calls = [call for call in trace.calls if call.module is model.fc]
    assert [call.index for call in calls] == [0, 1] and trace.calls_of(model.fc) == 2
    assert [call.title(2) for call in calls] == ["fc: Linear (call 1)", "fc: Linear (call 2)"]
    tanh = out.grad_fn.next[0]
    assert trace.call_of(out.grad_fn) is calls[1] and trace.call_of(tanh) is trace.calls[0]
    assert trace.call_of(tanh.next[0]) is calls[0]


def test_nothing_is_hooked_or_recorded_outside_the_context():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    with tl.viz.trace_modules(model) as trace:
        assert all(len(module._forward_hooks) == 1 for module in model.modules())
        assert find_trace(None) is trace
        model(tl.randn(1, 3))
    assert all(not module._forward_hooks and not module._forward_pre_hooks for module in model.modules())
    assert find_trace(None) is None and find_trace(model) is trace
    count = len(trace.calls)
    out = model(tl.randn(1, 3))
    assert len(trace.calls) == count and trace.call_of(out.grad_fn) is None


def test_history_of_an_earlier_call_is_not_claimed_again():
    encoder, decoder = nn.Linear(3, 3), nn.Linear(3, 3)
    model = nn.ModuleDict({"encoder": encoder, "decoder": decoder})
    with tl.viz.trace_modules(model) as trace:
        memory = encoder(tl.randn(2, 3))
        out = decoder(memory * 2.0)  # the scaling is made outside every call
    scale = out.grad_fn.next[0]
    assert trace.call_of(scale) is None
    assert trace.call_of(scale.next[0]).module is encoder
    assert [call.depth for call in trace.calls] == [0, 0]  # the ModuleDict itself is never called


def test_rejects_what_is_not_a_module():
    with pytest.raises(TypeError, match="expected an nn.Module, got Tensor"):
        with tl.viz.trace_modules(tl.ones(2)):
            pass
