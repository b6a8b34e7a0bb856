"""Tensor.register_post_accumulate_grad_hook (tinygrad_lite/autograd/engine.py), which DDP uses."""
import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch


def _seen_grads(module, steps):
    x = module.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    for _ in range(steps):
        (x * x).sum().backward()
    handle.remove()
    (x * x).sum().backward()
    return seen


def test_the_hook_sees_the_accumulated_grad_after_each_backward():
    assert _seen_grads(tl, 2) == [[2.0, 4.0, 6.0], [4.0, 8.0, 12.0]]


@requires_torch
def test_same_calls_as_pytorch():
    assert _seen_grads(tl, 3) == _seen_grads(torch, 3)


def test_autograd_grad_does_not_call_it():
    x = tl.ones(2, requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(calls.append)
    tl.autograd.grad((x * 2).sum(), x)
    assert calls == []


@pytest.mark.parametrize("make, message", [
    (lambda: tl.ones(2), "doesn't require gradient"),
    (lambda: tl.ones(2, requires_grad=True) * 2, "non-leaf"),
])
def test_refused_where_pytorch_refuses(make, message):
    with pytest.raises(RuntimeError, match=message):
        make().register_post_accumulate_grad_hook(print)
