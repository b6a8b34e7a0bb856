"""``gradcheck``: compare autograd's gradients with central finite differences in float64."""
import numpy

from tinygrad_lite.autograd.engine import grad as autograd_grad
from tinygrad_lite.tensor import Tensor


def _as_outputs(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _differentiable_inputs(inputs):
    chosen = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not chosen:
        raise ValueError("gradcheck: no input requires grad")
    for tensor in chosen:
        if tensor.dtype != numpy.float64:
            raise ValueError(
                f"gradcheck: inputs must be float64 for finite differences to be meaningful, got "
                f"{tensor.dtype} (shape {list(tensor.shape)})"
            )
    return chosen


def _numerical_column(fn, inputs, tensor, flat_index, eps, output_index):
    """d(output)/d(tensor.flat[flat_index]) by central differences, as a flat float64 array."""
    flat = tensor.data.reshape(-1)
    original = flat[flat_index].item()
    # Not under no_grad: fn may itself differentiate (gradgradcheck's first derivatives).
    flat[flat_index] = original + eps
    plus = numpy.array(_as_outputs(fn(*inputs))[output_index].numpy(force=True), numpy.float64)
    flat[flat_index] = original - eps
    minus = numpy.array(_as_outputs(fn(*inputs))[output_index].numpy(force=True), numpy.float64)
    flat[flat_index] = original
    return ((plus - minus) / (2 * eps)).reshape(-1)


def _analytical_jacobians(output, chosen):
    """One (output elements x input elements) Jacobian per input, row by row via autograd.grad."""
    jacobians = [numpy.zeros((output.data.size, t.data.size)) for t in chosen]
    xp = output.device.xp
    for row in range(output.data.size):
        seed = xp.zeros(output.data.size, dtype=output.dtype)
        seed[row] = 1.0
        seed_tensor = Tensor._make(seed.reshape(output.shape), output.device, False, None)
        grads = autograd_grad(output, chosen, seed_tensor, retain_graph=True, allow_unused=True)
        for jacobian, gradient in zip(jacobians, grads):
            if gradient is not None:
                jacobian[row] = numpy.asarray(gradient.numpy(force=True), numpy.float64).reshape(-1)
    return jacobians


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check autograd's gradients of ``fn(*inputs)`` against central differences.

    Every output that requires grad is checked against every float64 input that requires grad.
    Returns True, or raises AssertionError naming the input, the elements and both values
    (returns False instead with ``raise_exception=False``).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    chosen = _differentiable_inputs(inputs)
    outputs = _as_outputs(fn(*inputs))
    for output_index, output in enumerate(outputs):
        if output.dtype.kind != "f":
            continue
        if output.requires_grad:
            jacobians = _analytical_jacobians(output, chosen)
        else:  # no graph means autograd claims a zero gradient: finite differences must agree
            jacobians = [numpy.zeros((output.data.size, t.data.size)) for t in chosen]
        for position, tensor in enumerate(chosen):
            for flat_index in range(tensor.data.size):
                numeric = _numerical_column(fn, inputs, tensor, flat_index, eps, output_index)
                expected = jacobians[position][:, flat_index]
                if not numpy.allclose(expected, numeric, atol=atol, rtol=rtol):
                    worst = int(numpy.argmax(numpy.abs(expected - numeric)))
                    message = (
                        f"gradcheck failed for input {position} (shape {list(tensor.shape)}), "
                        f"element {flat_index}, output {output_index} element {worst}: "
                        f"analytical {expected[worst]!r} vs numerical {numeric[worst]!r}"
                    )
                    if raise_exception:
                        raise AssertionError(message)
                    return False
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check second derivatives: gradcheck of ``inputs -> d(sum(fn(inputs) * w))/d(inputs)``."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    _differentiable_inputs(inputs)
    rng = numpy.random.default_rng(seed)
    weights = [Tensor(rng.standard_normal(o.shape), device=o.device) for o in _as_outputs(fn(*inputs))]

    def first_derivatives(*args):
        outputs = _as_outputs(fn(*args))
        picked = [t for t in args if isinstance(t, Tensor) and t.requires_grad]
        total = (outputs[0] * weights[0]).sum()
        for output, weight in zip(outputs[1:], weights[1:]):
            total = total + (output * weight).sum()
        grads = autograd_grad(total, picked, create_graph=True, allow_unused=True)
        # An unused input has a zero derivative, which gradcheck must still verify numerically.
        return tuple(
            Tensor._make(t.device.xp.zeros_like(t.data), t.device, False, None) if g is None else g
            for g, t in zip(grads, picked)
        )

    return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol)
