"""``embedding``: pick rows of a weight matrix by integer ids (a differentiable table lookup).

The lookup is the indexing op ``weight[ids]``, whose backward accumulates repeated ids with an
unbuffered add, so a row used k times gets the sum of its k gradients.
"""
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.ops.compare import KeepWhere
from tinygrad_lite.tensor import Tensor

__all__ = ["embedding"]


class _ScaleGradient(Function):
    """Identity forward; backward scales the gradient by a fixed per-position ``factor`` (or
    None) and keeps it only where ``keep`` (or None) is True.

    Used to divide by id frequencies and to give padding positions a zero gradient without
    touching the looked-up values. Padding is selected away, not multiplied by 0: an infinite
    or NaN gradient there still gives 0, as in PyTorch.
    """

    def forward(self, x, factor, keep):
        self.factor, self.keep = factor, keep
        return x

    def backward(self, grad_output):
        if self.factor is not None:
            grad_output = grad_output * self.constant(self.factor)
        return grad_output if self.keep is None else self.derivative(KeepWhere, grad_output, keep=self.keep)


def _check_ids(input, num_embeddings):
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding: input must be an integer Tensor of ids, got {type(input).__name__}")
    if input.dtype.kind not in "iu" or input.dtype.itemsize < 4:
        raise RuntimeError(
            f"embedding: expected the ids (argument 'input') to be an int64 or int32 tensor, got "
            f"{input.dtype}"
        )
    ids = input.data
    if ids.size:
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            raise IndexError(
                f"embedding: index {bad} is out of range for num_embeddings {num_embeddings} "
                f"(valid ids are 0..{num_embeddings - 1})"
            )


def _renormalize_rows(weight, ids, max_norm, norm_type):
    """Scale, in place, every looked-up row whose ``norm_type``-norm exceeds ``max_norm``."""
    xp = weight.device.xp
    with no_grad():
        rows = xp.unique(ids.reshape(-1))
        selected = weight.data[rows]
        if norm_type == float("inf"):
            norms = xp.abs(selected).max(axis=1)
        else:
            norms = (xp.abs(selected) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        # The 1e-7 keeps the new norm just under max_norm, as PyTorch's renorm does.
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(weight.dtype)
        weight.data[rows] = selected * scale[:, None]
        weight._version += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) for integer ids ``input`` of any shape.

    Returns (*input.shape, embedding_dim). Repeated ids accumulate their gradients; positions
    holding ``padding_idx`` send no gradient to that row. ``max_norm`` renormalises the looked-up
    rows of ``weight`` in place (as PyTorch does); ``scale_grad_by_freq`` divides each id's
    gradient by how often it occurs in ``input``. ``sparse`` is accepted, but the gradient is
    always a dense tensor (there are no sparse tensors here).
    """
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = list(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"embedding: 'weight' must be a 2-D tensor, got {shape}")
    num_embeddings = weight.shape[0]
    _check_ids(input, num_embeddings)
    if input.device != weight.device:
        raise RuntimeError(f"embedding: ids are on {input.device} but weight is on {weight.device}")
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} must be within num_embeddings ({num_embeddings})"
            )
        padding_idx %= num_embeddings
    if max_norm is not None:
        _renormalize_rows(weight, input.data, float(max_norm), float(norm_type))
    # A 0-d id would index like an int, giving a view of the weight: the lookup is a copy.
    rows = weight[input] if input.ndim else weight[input.reshape(1)].reshape(weight.shape[1:])
    if rows.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        ids = input.data[..., None]  # (*ids.shape, 1): one entry per looked-up row
        factor = _frequency_factor(ids, weight) if scale_grad_by_freq else None
        keep = None if padding_idx is None else ids != padding_idx
        rows = _ScaleGradient.apply(rows, factor=factor, keep=keep)
    return rows


def _frequency_factor(ids, weight):
    """``1 / count`` of each position's id among all ids, in the weight's dtype."""
    xp = weight.device.xp
    counts = xp.bincount(ids.reshape(-1), minlength=weight.shape[0])
    return (1.0 / counts[ids]).astype(weight.dtype)
