"""The test suite's two shared helpers: ``check_gradcheck`` and ``check_parity`` (with PyTorch).

Every op test goes through these, so adding an op's coverage is a one-liner:

    check_gradcheck(lambda x, w: F.linear(x, w), (4, 3), (2, 3))
    check_parity(lambda x: x.tanh(), lambda x: x.tanh(), (3, 4))

Shapes become random float64 arrays (seeded); arrays are used as given. ``run_with_gradients``
runs our side alone the way check_parity does (the device matrix and the float32 checks of the
op registry, tests/ops/op_registry.py, compare such runs).
"""
import numpy
import pytest

import tinygrad_lite as tl

try:
    import torch
except ImportError:  # PyTorch is an optional reference: parity tests skip without it
    torch = None
else:
    # The references run on tiny tensors: handing each op (and each backward) to a thread
    # pool costs far more than it saves, three times the whole parity run on 2 cores.
    torch.set_num_threads(1)

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


def check_gradcheck(fn, *specs, seed=0, device="cpu", eps=1e-6, atol=1e-5, rtol=1e-3, grad_inputs=None,
                    second_order=False):
    """gradcheck ``fn`` in float64 on random inputs (float arrays require grad, others don't).

    ``grad_inputs`` optionally lists which positions require grad (default: every float input).
    ``second_order=True`` checks the gradients of the gradients instead (gradgradcheck).
    """
    arrays = random_arrays(specs, seed)
    tensors = []
    for position, array in enumerate(arrays):
        wants_grad = array.dtype.kind == "f" and (grad_inputs is None or position in grad_inputs)
        tensors.append(tl.tensor(array, device=device, requires_grad=wants_grad))
    check = tl.autograd.gradgradcheck if second_order else tl.autograd.gradcheck
    assert check(fn, tensors, eps=eps, atol=atol, rtol=rtol)


def _to_numpy(value):
    if isinstance(value, tl.Tensor):
        return value.numpy(force=True)
    return value.detach().cpu().numpy()


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def dtype_name(dtype):
    """``float32`` for ``tl.float32``, ``torch.float32`` and ``numpy.dtype('float32')`` alike."""
    return str(dtype).replace("torch.", "").replace("tl.", "")


def _backward_with_random_weights(outputs, seed, as_tensor):
    """Back-propagate ``sum(output * w)`` over the outputs that require grad; False if none does.

    Each ``w`` is seeded standard normal in its output's shape and dtype, so two frameworks given
    the same outputs back-propagate the same upstream gradient; ``as_tensor(w, output)`` makes it
    a tensor beside its output (an op may move its output to another device).
    """
    rng = numpy.random.default_rng(seed + 1)
    total = None
    for output in outputs:
        if not output.requires_grad:
            continue
        weight = rng.standard_normal(tuple(output.shape)).astype(_to_numpy(output).dtype)
        term = (output * as_tensor(weight, output)).sum()
        total = term if total is None else total + term
    if total is None:
        return False
    total.backward()
    return True


def _input_arrays(specs, seed, dtype):
    """Seeded arrays for ``specs``; float ones cast to ``dtype`` unless it is None."""
    arrays = random_arrays(specs, seed)
    if dtype is None:
        return arrays
    return [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]


def _wants_grad(array, position, grad, grad_inputs):
    return grad and array.dtype.kind == "f" and (grad_inputs is None or position in grad_inputs)


def run_with_gradients(fn, *specs, seed=0, dtype=None, device="cpu", grad_inputs=None):
    """Run ``fn`` on tensors made from ``specs``; back-propagate check_parity's upstream gradient.

    Returns ``(outputs, gradients)``: every output, and each input's ``.grad`` (None where the
    input needs no grad or got none). Float inputs require grad (only ``grad_inputs`` positions
    when given); ``dtype=None`` keeps the arrays' own dtypes.
    """
    arrays = _input_arrays(specs, seed, dtype)
    inputs = [tl.tensor(a, device=device, requires_grad=_wants_grad(a, i, True, grad_inputs))
              for i, a in enumerate(arrays)]
    outputs = _outputs(fn(*inputs))
    _backward_with_random_weights(outputs, seed, lambda w, output: tl.tensor(w, device=output.device))
    return outputs, [tensor.grad for tensor in inputs]


def _assert_same_tensor(mine, reference, atol, rtol, what):
    assert tuple(mine.shape) == tuple(reference.shape), f"{what}: shape {tuple(mine.shape)} != {tuple(reference.shape)}"
    assert dtype_name(mine.dtype) == dtype_name(reference.dtype), f"{what}: dtype {mine.dtype} != {reference.dtype}"
    numpy.testing.assert_allclose(_to_numpy(mine), _to_numpy(reference), atol=atol, rtol=rtol, err_msg=what)


def check_parity(tl_fn, torch_fn, *specs, seed=0, dtype=numpy.float32, atol=1e-5, rtol=1e-5,
                 grad=True, device="cpu", grad_inputs=None):
    """Run ``tl_fn`` and ``torch_fn`` on the same inputs; compare outputs and input gradients.

    Shapes, dtypes and values of every output and of every input's gradient must match, and an
    output must require grad exactly when PyTorch's does. Float inputs require grad (only the
    ``grad_inputs`` positions when given); both sides are back-propagated with the same random
    upstream gradient. ``dtype`` is what float inputs are cast to (None keeps the arrays' own
    dtypes). Skips when PyTorch is not installed.
    """
    if torch is None:
        pytest.skip("PyTorch is not installed")
    arrays = _input_arrays(specs, seed, dtype)
    wants = [_wants_grad(a, i, grad, grad_inputs) for i, a in enumerate(arrays)]
    ours = [tl.tensor(a, device=device, requires_grad=w) for a, w in zip(arrays, wants)]
    theirs = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    our_outputs, their_outputs = _outputs(tl_fn(*ours)), _outputs(torch_fn(*theirs))
    assert len(our_outputs) == len(their_outputs), (len(our_outputs), len(their_outputs))
    for position, (mine, reference) in enumerate(zip(our_outputs, their_outputs)):
        _assert_same_tensor(mine, reference, atol, rtol, f"output {position}")
        if grad:
            assert mine.requires_grad == reference.requires_grad, (
                f"output {position}: requires_grad {mine.requires_grad}, PyTorch's {reference.requires_grad}")
    if not grad or not _backward_with_random_weights(their_outputs, seed, lambda w, output: torch.tensor(w)):
        return
    _backward_with_random_weights(our_outputs, seed, lambda w, output: tl.tensor(w, device=output.device))
    for position, (mine, reference) in enumerate(zip(ours, theirs)):
        if reference.grad is None:
            assert mine.grad is None or not numpy.any(_to_numpy(mine.grad)), f"input {position}"
            continue
        if mine.grad is None:  # no gradient means a zero one, as PyTorch's None means for us
            assert not numpy.any(_to_numpy(reference.grad)), f"input {position} got no gradient"
            continue
        _assert_same_tensor(mine.grad, reference.grad, atol, rtol, f"gradient of input {position}")


def with_parameters(module, tensors, call):
    """Run ``call()`` with the module's parameters temporarily replaced by ``tensors`` (in order)."""
    names = [name for name, _ in module.named_parameters()]
    saved = dict(module._parameters)
    module._parameters.update(zip(names, tensors))
    try:
        return call()
    finally:
        module._parameters.update(saved)
