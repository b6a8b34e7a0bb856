"""``linear`` and ``bilinear``: the affine maps behind ``nn.Linear`` and ``nn.Bilinear``."""
import math

from tinygrad_lite.amp.autocast_mode import LOWER_PRECISION, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.ops.reduce import SumToSize
from tinygrad_lite.tensor import Tensor

__all__ = ["linear", "bilinear"]


def _rows_times(array, matrix):
    """``array @ matrix`` for ``array`` (*, k): one 2-D BLAS call over all leading dims (NumPy
    would otherwise run one small product per leading index). A strided array (a batch-first
    view of time-major RNN states) is copied first: the copy costs far less than the products."""
    if array.ndim > 2:
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        flat = array.reshape(math.prod(array.shape[:-1]), array.shape[-1]) @ matrix
        return flat.reshape(array.shape[:-1] + (matrix.shape[-1],))
    return array @ matrix


class Linear(Function):
    """``x @ W.T + b`` fused into one node: one BLAS call forward, two backward."""

    saves_inputs = ((1,), (0,), ())  # x for the weight's gradient, the weight for x's; no bias

    def forward(self, x, weight, bias=None):
        out = _rows_times(x, weight.T)
        if bias is not None:
            self.bias_shape = bias.shape
            out += bias
        return out

    def backward(self, grad_output):
        if GradMode.enabled:
            return self._graph_backward(grad_output)
        x, weight = self.saved_inputs[0], self.saved_inputs[1]
        needs, grad = self.needs_input_grad, grad_output.data
        # The same products as the Tensor ops below, on the arrays: no graph is being built.
        grad_x = self.constant(_rows_times(grad, weight.data)) if needs[0] else None
        grad_weight = None
        if needs[1]:
            rows = math.prod(x.shape[:-1])
            grad_weight = self.constant(grad.reshape(rows, grad.shape[-1]).T
                                        @ x.data.reshape(rows, x.shape[-1]))
        if len(needs) == 2:
            return grad_x, grad_weight
        grad_bias = self.derivative(SumToSize, grad_output, shape=self.bias_shape) if needs[2] else None
        return grad_x, grad_weight, grad_bias

    def _graph_backward(self, grad_output):
        """create_graph: the gradients as Tensor ops, differentiable again."""
        x, weight = self.saved_inputs[0], self.saved_inputs[1]
        needs = self.needs_input_grad
        grad_x = None
        if needs[0]:
            if grad_output.ndim > 2 and grad_output.data.flags.c_contiguous:  # one BLAS call
                flat = grad_output.reshape(math.prod(grad_output.shape[:-1]), grad_output.shape[-1]) @ weight
                grad_x = flat.reshape(grad_output.shape[:-1] + (weight.shape[-1],))
            else:
                grad_x = grad_output @ weight
        grad_weight = None
        if needs[1]:
            rows = math.prod(x.shape[:-1])  # explicit, so 0-size features reshape too
            flat_grad = grad_output.reshape(rows, grad_output.shape[-1])
            grad_weight = flat_grad.mT @ x.reshape(rows, x.shape[-1])
        if len(needs) == 2:
            return grad_x, grad_weight
        grad_bias = grad_output.sum_to_size(self.bias_shape) if needs[2] else None
        return grad_x, grad_weight, grad_bias


def _broadcasts_to(shape, target):
    """True when ``shape`` broadcasts to exactly ``target`` (PyTorch expands linear's bias so)."""
    if len(shape) > len(target):
        return False
    return all(size in (1, wanted) for size, wanted in zip(shape[::-1], target[::-1]))


def _check_devices_dtypes(name, *tensors):
    reference = tensors[0]
    for tensor in tensors[1:]:
        if tensor is None:
            continue
        if tensor.dtype != reference.dtype:
            raise RuntimeError(
                f"{name}: expected matching dtypes, got input {reference.dtype} and parameter "
                f"{tensor.dtype} (shape {list(tensor.shape)}); convert with .to(dtype)"
            )


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; input (*, in_features), weight (out, in), bias (out,)."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("linear: input and weight must be tensors")
    input, weight, bias = autocast_inputs(LOWER_PRECISION, input, weight, bias)
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {list(input.shape)} does not fit weight of shape "
            f"{list(weight.shape)} (need input.shape[-1] == weight.shape[1])"
        )
    output_shape = tuple(input.shape[:-1]) + (weight.shape[0],)
    if bias is not None and not _broadcasts_to(tuple(bias.shape), output_shape):
        raise RuntimeError(
            f"linear: bias of shape {list(bias.shape)} does not broadcast to the output's "
            f"{list(output_shape)} ({weight.shape[0]} out features)"
        )
    _check_devices_dtypes("linear", input, weight, bias)
    if input.ndim == 1:
        return linear(input.unsqueeze(0), weight, bias).squeeze(0)
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1^T W_k x2 + b_k``; input1 (*, in1), input2 (*, in2), weight (out, in1, in2)."""
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear: inputs {list(input1.shape)} and {list(input2.shape)} do not fit weight "
            f"{list(weight.shape)} (need in1 == weight.shape[1], in2 == weight.shape[2])"
        )
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: batch shapes differ: {list(input1.shape[:-1])} vs {list(input2.shape[:-1])}"
        )
    from tinygrad_lite.ops.linalg import einsum

    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
