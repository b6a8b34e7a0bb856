"""``embedding``: pick rows of a weight matrix by integer ids (a differentiable table lookup).

The lookup is the indexing op ``weight[ids]``, whose backward accumulates repeated ids with an
unbuffered add, so a row used k times gets the sum of its k gradients.
"""
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.tensor import Tensor

__all__ = ["embedding"]


class _ScaleGradient(Function):
    """Identity forward; backward multiplies the gradient by a fixed per-position factor.

    Used to give padding positions a zero gradient and to divide by id frequencies without
    touching the looked-up values.
    """

    def forward(self, x, factor):
        self.factor = factor
        return x

    def backward(self, grad_output):
        return grad_output * self.constant(self.factor)


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
    rows = weight[input]
    if rows.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        rows = _ScaleGradient.apply(rows, factor=_gradient_factor(input.data, padding_idx,
                                                                  scale_grad_by_freq, weight))
    return rows


def _gradient_factor(ids, padding_idx, scale_grad_by_freq, weight):
    """Per-position gradient factor of shape (*ids.shape, 1): 0 at padding, 1/count by frequency."""
    xp = weight.device.xp
    factor = xp.ones(ids.shape + (1,), dtype=weight.dtype)
    if scale_grad_by_freq:
        counts = xp.bincount(ids.reshape(-1), minlength=weight.shape[0])
        factor = factor / counts[ids][..., None].astype(weight.dtype)
    if padding_idx is not None:
        factor = xp.where((ids == padding_idx)[..., None], xp.asarray(0.0, dtype=weight.dtype), factor)
    return factor
