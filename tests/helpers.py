"""The test suite's two shared helpers: ``check_gradcheck`` and ``check_parity`` (with PyTorch).

Every op test goes through these, so adding an op's coverage is a one-liner:

    check_gradcheck(lambda x, w: F.linear(x, w), (4, 3), (2, 3))
    check_parity(lambda x: x.tanh(), lambda x: x.tanh(), (3, 4))

Shapes become random float64 arrays (seeded); arrays are used as given.
"""
import numpy
import pytest

import tinygrad_lite as tl

try:
    import torch
except ImportError:  # PyTorch is an optional reference: parity tests skip without it
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
requires_cuda = pytest.mark.skipif(not tl.cuda.is_available(), reason="no CUDA GPU / CuPy")
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.cuda, requires_cuda])]


def random_arrays(specs, seed=0, dtype=numpy.float64):
    """Shapes -> seeded standard-normal arrays of ``dtype``; arrays pass through unchanged."""
    rng = numpy.random.default_rng(seed)
    arrays = []
    for spec in specs:
        if isinstance(spec, numpy.ndarray):
            arrays.append(spec)
        else:
            arrays.append(rng.standard_normal(spec).astype(dtype))
    return arrays


def check_gradcheck(fn, *specs, seed=0, device="cpu", eps=1e-6, atol=1e-5, rtol=1e-3, grad_inputs=None):
    """gradcheck ``fn`` in float64 on random inputs (float arrays require grad, others don't).

    ``grad_inputs`` optionally lists which positions require grad (default: every float input).
    """
    arrays = random_arrays(specs, seed)
    tensors = []
    for position, array in enumerate(arrays):
        wants_grad = array.dtype.kind == "f" and (grad_inputs is None or position in grad_inputs)
        tensors.append(tl.tensor(array, device=device, requires_grad=wants_grad))
    assert tl.autograd.gradcheck(fn, tensors, eps=eps, atol=atol, rtol=rtol)


def _to_numpy(value):
    if isinstance(value, tl.Tensor):
        return value.numpy(force=True)
    return value.detach().cpu().numpy()


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def check_parity(tl_fn, torch_fn, *specs, seed=0, dtype=numpy.float32, atol=1e-5, rtol=1e-5,
                 grad=True, device="cpu"):
    """Run ``tl_fn`` and ``torch_fn`` on the same inputs; compare outputs and input gradients.

    Float inputs require grad; both sides are back-propagated with the same random upstream
    gradient. Skips when PyTorch is not installed.
    """
    if torch is None:
        pytest.skip("PyTorch is not installed")
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in random_arrays(specs, seed)]
    ours = [tl.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    our_outputs, their_outputs = _outputs(tl_fn(*ours)), _outputs(torch_fn(*theirs))
    assert len(our_outputs) == len(their_outputs)
    for mine, reference in zip(our_outputs, their_outputs):
        assert tuple(mine.shape) == tuple(reference.shape), (mine.shape, reference.shape)
        assert str(mine.dtype) == str(reference.dtype).replace("torch.", ""), (mine.dtype, reference.dtype)
        numpy.testing.assert_allclose(_to_numpy(mine), _to_numpy(reference), atol=atol, rtol=rtol)
    if not grad:
        return
    rng = numpy.random.default_rng(seed + 1)
    our_total, their_total = None, None
    for mine, reference in zip(our_outputs, their_outputs):
        if not reference.requires_grad:
            continue
        weight = rng.standard_normal(tuple(reference.shape)).astype(dtype)
        our_term = (mine * tl.tensor(weight, device=device)).sum()
        their_term = (reference * torch.tensor(weight)).sum()
        our_total = our_term if our_total is None else our_total + our_term
        their_total = their_term if their_total is None else their_total + their_term
    if their_total is None:
        return
    our_total.backward()
    their_total.backward()
    for position, (mine, reference) in enumerate(zip(ours, theirs)):
        if reference.grad is None:
            assert mine.grad is None or not numpy.any(_to_numpy(mine.grad)), f"input {position}"
            continue
        assert mine.grad is not None, f"input {position} got no gradient"
        numpy.testing.assert_allclose(_to_numpy(mine.grad), _to_numpy(reference.grad), atol=atol,
                                      rtol=rtol, err_msg=f"gradient of input {position}")


def with_parameters(module, tensors, call):
    """Run ``call()`` with the module's parameters temporarily replaced by ``tensors`` (in order)."""
    names = [name for name, _ in module.named_parameters()]
    saved = dict(module._parameters)
    module._parameters.update(zip(names, tensors))
    try:
        return call()
    finally:
        module._parameters.update(saved)
