"""Matrix products: ``matmul`` (``@``, with batching and 1-D rules as in PyTorch) and ``einsum``."""
import string

from tinygrad_lite import dtypes
from tinygrad_lite.amp.autocast_mode import LOWER_PRECISION, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.ops.compare import KeepWhere
from tinygrad_lite.ops.operands import cast, promote_pair
from tinygrad_lite.tensor import Tensor


class MatMul(Function):
    """Product of two tensors with >= 2 dims (batch dims broadcast; the engine reduces grads)."""

    saves_inputs = ((1,), (0,))  # each factor is read only by the other's gradient

    def forward(self, a, b):
        return self.xp.matmul(a, b)

    def backward(self, grad_output):
        a, b = self.saved_inputs
        needs_a, needs_b = self.needs_input_grad
        if GradMode.enabled:  # create_graph: products of Tensors, differentiable again
            return (grad_output @ b.mT if needs_a else None, a.mT @ grad_output if needs_b else None)
        matmul, grad = self.xp.matmul, grad_output.data
        return (self.constant(matmul(grad, b.data.swapaxes(-1, -2))) if needs_a else None,
                self.constant(matmul(a.data.swapaxes(-1, -2), grad)) if needs_b else None)


def _check_batch_dims(shape_a, shape_b):
    batch_a, batch_b = shape_a[:-2], shape_b[:-2]
    for size_a, size_b in zip(reversed(batch_a), reversed(batch_b)):
        if size_a != size_b and 1 not in (size_a, size_b):
            raise RuntimeError(
                f"matmul: the batch dims of shapes {list(shape_a)} and {list(shape_b)} do not "
                f"broadcast ({list(batch_a)} vs {list(batch_b)})"
            )


def _check_product_dtypes(name, operand_dtypes):
    """PyTorch multiplies matrices of one dtype only. Ours also promotes integer (or bool)
    operands mixed with float ones (a documented difference), but refuses float dtypes that
    differ and integer dtypes that differ, as PyTorch does."""
    distinct = set(operand_dtypes)
    floats = [dtype for dtype in distinct if dtype.kind == "f"]
    others = [dtype for dtype in distinct if dtype.kind != "f"]
    if len(floats) > 1 or len(others) > 1:
        names = " and ".join(str(dtype) for dtype in operand_dtypes)
        raise RuntimeError(f"{name}: expected the operands to have the same dtype, but got {names}; "
                           "convert with .to()")


def _refuse_bool_products(name):
    """PyTorch has no bool matrix-product kernel (it only skips the kernel for empty results)."""
    raise NotImplementedError(f"{name}: matrix products are not implemented for bool operands "
                              "(as in PyTorch); convert them with .int() or .float()")


def matmul(input, other):
    """Matrix product with PyTorch's rules: 1-D operands are vectors, leading dims broadcast."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError(
            f"matmul: both operands must be tensors, got {type(input).__name__} and "
            f"{type(other).__name__}"
        )
    input, other = autocast_inputs(LOWER_PRECISION, input, other)
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {list(input.shape)} "
            f"and {list(other.shape)}"
        )
    if input.shape[-1] != other.shape[-2 if other.ndim > 1 else 0]:
        raise RuntimeError(
            f"matmul: shapes {list(input.shape)} and {list(other.shape)} cannot be multiplied "
            f"({input.shape[-1]} != {other.shape[-2 if other.ndim > 1 else 0]})"
        )
    if input.ndim > 2 and other.ndim > 2 and input.shape[:-2] != other.shape[:-2]:
        _check_batch_dims(input.shape, other.shape)
    _check_product_dtypes("matmul", (input.dtype, other.dtype))
    input, other = promote_pair(input, other)
    vector_left, vector_right = input.ndim == 1, other.ndim == 1
    if vector_left:
        input = input.unsqueeze(0)
    if vector_right:
        other = other.unsqueeze(-1)
    if input.dtype.kind == "b" and input.shape[-1] and input.numel() and other.numel():
        _refuse_bool_products("matmul")
    result = MatMul.apply(input, other)
    if vector_right:
        result = result.squeeze(-1)
    if vector_left:
        result = result.squeeze(-2 if result.ndim > 1 else -1)  # vector @ vector is 0-d
    return result


def mm(input, mat2):
    """Product of two 2-D matrices."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {list(input.shape)} and {list(mat2.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of two 3-D tensors."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got {list(input.shape)} and {list(mat2.shape)}")
    if input.shape[0] != mat2.shape[0]:  # bmm does not broadcast the batch, matmul does
        raise RuntimeError(f"bmm: batch sizes differ: {list(input.shape)} and {list(mat2.shape)}")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got {list(input.shape)} and {list(other.shape)}")
    return matmul(input, other)


class Einsum(Function):
    """Einstein summation over explicit subscripts (``...`` already spelled out as letters).

    A letter repeated within one operand takes its diagonal (``'ii->i'``); batch letters of
    size 1 broadcast, as ``...`` does in PyTorch.
    """

    saves_inputs = True

    def forward(self, *arrays, inputs, output):
        self.inputs, self.output = inputs, output
        if len(arrays) > 1 and set("".join(inputs)) <= set(output) and all(
                len(set(subscripts)) == len(subscripts) for subscripts in inputs):
            return _broadcast_product(arrays, inputs, output)
        return self.xp.einsum(",".join(inputs) + "->" + output, *arrays, optimize=len(arrays) > 2)

    def backward(self, grad_output):
        operands = self.saved_inputs
        grads = []
        for position, (subscripts, needed) in enumerate(zip(self.inputs, self.needs_input_grad)):
            if not needed:
                grads.append(None)
                continue
            others = [op for i, op in enumerate(operands) if i != position]
            other_subscripts = [s for i, s in enumerate(self.inputs) if i != position]
            available = set(self.output).union(*other_subscripts)
            target = "".join(letter for letter in dict.fromkeys(subscripts) if letter in available)
            equation = ",".join([self.output] + other_subscripts) + "->" + target
            grad = einsum(equation, grad_output, *others)
            grads.append(self._onto_operand(grad, target, subscripts, operands[position].shape))
        return tuple(grads)

    def _onto_operand(self, grad, target, subscripts, shape):
        """Place ``grad`` (subscripts ``target``) on an operand of ``shape`` and ``subscripts``.

        Letters summed away in this operand only are spread by ``expand``, dims this operand
        broadcast are summed back, and a repeated letter puts the gradient on its diagonal.
        """
        seen = set()
        kept = []
        for letter in subscripts:
            first = letter not in seen
            seen.add(letter)
            kept.append(grad.shape[target.index(letter)] if first and letter in target else 1)
        grad = grad.reshape(kept)
        if any(size == 1 != grad_size for size, grad_size in zip(shape, grad.shape)):
            # this operand's size-1 dim was broadcast against another's: sum the gradient back
            grad = grad.sum_to_size(tuple(1 if size == 1 else grad_size
                                          for size, grad_size in zip(shape, grad.shape)))
        if tuple(grad.shape) != tuple(shape):
            grad = grad.expand(shape)
        diagonal = _diagonal_mask(self.xp, subscripts, shape)
        return grad if diagonal is None else KeepWhere.apply(grad, keep=diagonal)


def _broadcast_product(arrays, inputs, output):
    """An einsum that sums nothing, as PyTorch computes it: a broadcast product (NumPy's einsum
    accumulates from +0, turning -0.0 products into +0.0)."""
    result = None
    for array, subscripts in zip(arrays, inputs):
        order = sorted(range(len(subscripts)), key=lambda dim: output.index(subscripts[dim]))
        shape = [array.shape[subscripts.index(letter)] if letter in subscripts else 1
                 for letter in output]
        aligned = array.transpose(order).reshape(shape)
        result = aligned if result is None else result * aligned
    return result


def _diagonal_mask(xp, subscripts, shape):
    """Bool array, broadcastable to ``shape``: True where every repeated letter's indices agree.

    None when no letter repeats.
    """
    mask = None
    for letter in dict.fromkeys(subscripts):
        axes = [axis for axis, other in enumerate(subscripts) if other == letter]
        for axis in axes[1:]:
            first, later = [1] * len(shape), [1] * len(shape)
            first[axes[0]], later[axis] = shape[axes[0]], shape[axis]
            agree = xp.arange(shape[axes[0]]).reshape(first) == xp.arange(shape[axis]).reshape(later)
            mask = agree if mask is None else mask & agree
    return mask


def _parse_einsum(equation, shapes):
    """Explicit ``inputs`` and ``output`` subscripts with any ``...`` spelled out as letters."""
    equation = equation.replace(" ", "")
    if "->" in equation:
        left, output = equation.split("->")
    else:
        left, output = equation, None
    inputs = left.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError(f"einsum(): the equation has {len(inputs)} operands but {len(shapes)} "
                           "were given")
    used = set(equation)
    spare = [letter for letter in string.ascii_letters if letter not in used]
    ellipsis_rank = max(
        (len(shape) - len(s.replace("...", "")) for s, shape in zip(inputs, shapes) if "..." in s),
        default=0,
    )
    ellipsis = "".join(spare[:ellipsis_rank])
    expanded = []
    for subscripts, shape in zip(inputs, shapes):
        if "..." in subscripts:
            rank = len(shape) - len(subscripts.replace("...", ""))
            subscripts = subscripts.replace("...", ellipsis[ellipsis_rank - rank:])
        if len(subscripts) != len(shape):
            raise RuntimeError(
                f"einsum(): operand subscripts {subscripts!r} do not match its shape {list(shape)}"
            )
        for letter in set(subscripts):
            sizes = {size for size, other in zip(shape, subscripts) if other == letter}
            if len(sizes) > 1:
                raise RuntimeError(f"einsum(): subscript {letter} is repeated for operand of shape "
                                   f"{list(shape)} but the sizes don't match, {sorted(sizes)}")
        expanded.append(subscripts)
    if output is None:
        counts = {}
        for letter in "".join(expanded):
            counts[letter] = counts.get(letter, 0) + 1
        output = ellipsis + "".join(sorted(l for l, c in counts.items() if c == 1 and l not in ellipsis))
    else:
        output = output.replace("...", ellipsis)
    return expanded, output


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; ``...`` broadcasts batch dims,
    a repeated letter takes a diagonal (``'ii->i'``, ``'ii'`` is the trace).

    Operands share one dtype (integers mixed with floats are promoted); float dtypes that differ
    are refused, as in PyTorch.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = autocast_inputs(LOWER_PRECISION, *operands)
    inputs, output = _parse_einsum(equation, [op.shape for op in operands])
    _check_product_dtypes("einsum", [operand.dtype for operand in operands])
    dtype = operands[0].dtype
    for operand in operands[1:]:
        dtype = dtypes.promote_types(dtype, operand.dtype)
    summed = set("".join(inputs)) - set(output)
    if dtype.kind == "b" and summed and len(operands) > 1:
        _refuse_bool_products("einsum")
    if dtype.kind in "biu" and summed and len(operands) == 1:
        dtype = dtypes.int64  # a sum of one integer operand gives int64, as PyTorch's sum()
    operands = tuple(cast(operand, dtype) for operand in operands)
    if len(operands) == 1 and sorted(inputs[0]) == sorted(output):  # a view, as in PyTorch
        if inputs[0] == output:
            return operands[0][...]
        return operands[0].permute([inputs[0].index(letter) for letter in output])
    operands, inputs = _presummed(operands, inputs, output)
    if len(operands) == 1 and sorted(inputs[0]) == sorted(output):  # summed already: a copy
        order = [inputs[0].index(letter) for letter in output]
        return operands[0] if order == sorted(order) else operands[0].permute(order)
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)


def _presummed(operands, inputs, output):
    """PyTorch's first einsum step: a summed letter that only one operand holds with a size
    other than 1 is summed out of that operand before any product, and one of size 1 everywhere
    is dropped. ``'i...,i...->i'`` on (1, 2, 1) and (1, 1, 3) is then sum(a) * sum(b), as in
    PyTorch, so infinities meet as PyTorch's do (-inf, where summing products gives NaN)."""
    if len(operands) == 1 and len(set(inputs[0])) != len(inputs[0]):
        return operands, inputs  # a diagonal: Einsum takes it
    sizes = [dict(zip(subscripts, operand.shape)) for subscripts, operand in zip(inputs, operands)]
    reduced_operands, reduced_inputs = [], []
    for position, (operand, subscripts) in enumerate(zip(operands, inputs)):
        if len(set(subscripts)) != len(subscripts):  # a diagonal first: Einsum takes it
            reduced_operands.append(operand)
            reduced_inputs.append(subscripts)
            continue
        alone = [dim for dim, letter in enumerate(subscripts) if letter not in output and all(
            other.get(letter, 1) == 1 for i, other in enumerate(sizes) if i != position)]
        if alone:
            # (size-1 letters are dropped between operands, summed, as a copy, within one)
            if len(operands) == 1 or any(operand.shape[d] != 1 for d in alone):
                operand = operand.sum(alone)
            else:
                operand = operand.reshape([size for d, size in enumerate(operand.shape)
                                           if d not in alone])
            subscripts = "".join(letter for d, letter in enumerate(subscripts) if d not in alone)
        reduced_operands.append(operand)
        reduced_inputs.append(subscripts)
    return tuple(reduced_operands), reduced_inputs
