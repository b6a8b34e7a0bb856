"""``scaled_dot_product_attention``: ``softmax(Q K^T * scale + mask) V``, built from Tensor ops.

Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
dims broadcast as in matmul. A query row whose keys are all masked out gets zero weights (and
so a zero output and zero gradients) instead of NaN, which is what PyTorch 2.5+ returns.
"""
import math

import numpy

from tinygrad_lite.nn.functional.dropout import dropout
from tinygrad_lite.ops.compare import where
from tinygrad_lite.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]


def _check_inputs(query, key, value, attn_mask, is_causal):
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} must be a Tensor, got {type(tensor).__name__}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            "scaled_dot_product_attention: expected query, key and value to be at least 2-D, got "
            f"shapes {list(query.shape)}, {list(key.shape)} and {list(value.shape)}"
        )
    if not query.dtype == key.dtype == value.dtype or query.dtype.kind != "f":
        raise RuntimeError(
            "scaled_dot_product_attention: expected query, key and value to share one floating "
            f"dtype, got {query.dtype}, {key.dtype} and {value.dtype}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {list(query.shape)}, key {list(key.shape)} and "
            f"value {list(value.shape)} do not fit (need query/key to share the last dim E and "
            "key/value to share the sequence dim S)"
        )
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError(
                "scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True"
            )
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"scaled_dot_product_attention: attn_mask must be a Tensor, got {type(attn_mask).__name__}")
        if attn_mask.dtype.kind != "b" and attn_mask.dtype != query.dtype:
            raise RuntimeError(
                "scaled_dot_product_attention: expected attn_mask dtype to be bool or to match the "
                f"query dtype {query.dtype}, got {attn_mask.dtype}"
            )


def _repeat_heads(tensor, num_heads, name):
    """(..., H_kv, S, E) -> (..., num_heads, S, E), each kv head serving consecutive query heads."""
    if tensor.ndim < 3 or num_heads % tensor.shape[-3]:
        raise RuntimeError(
            f"scaled_dot_product_attention: with enable_gqa, the number of heads in {name} "
            f"(shape {list(tensor.shape)}, dim -3) must divide the {num_heads} query heads"
        )
    groups = num_heads // tensor.shape[-3]
    if groups == 1:
        return tensor
    lead, (heads, length, features) = tensor.shape[:-3], tensor.shape[-3:]
    expanded = tensor.unsqueeze(-3).expand(lead + (heads, groups, length, features))
    return expanded.reshape(lead + (num_heads, length, features))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """Attention ``softmax(query @ key^T * scale + mask) @ value`` with optional dropout.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).
    ``attn_mask`` broadcasts to (..., L, S): a bool mask marks the keys that take part (True),
    a float mask is added to the scores. ``is_causal`` lets query i see keys 0..i (top-left
    aligned when L != S). ``scale`` defaults to ``1 / sqrt(E)``. ``dropout_p`` drops attention
    weights (always, as PyTorch does: pass 0.0 in evaluation). ``enable_gqa`` lets key/value
    have fewer heads (dim -3) than query, each shared by a group of query heads.
    """
    _check_inputs(query, key, value, attn_mask, is_causal)
    if enable_gqa and query.ndim >= 3:
        key = _repeat_heads(key, query.shape[-3], "key")
        value = _repeat_heads(value, query.shape[-3], "value")
    length, source_length = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = (query @ key.mT) * factor
    if is_causal:
        xp = query.device.xp
        allowed = xp.tril(xp.ones((length, source_length), dtype=numpy.bool_))
        attn_mask = Tensor._make(allowed, query.device, False, None)
    if attn_mask is not None:
        scores = _apply_mask(scores, attn_mask)
        weights = _softmax_allowing_empty_rows(scores)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def _apply_mask(scores, attn_mask):
    try:
        shape = numpy.broadcast_shapes(tuple(scores.shape), tuple(attn_mask.shape))
    except ValueError:
        shape = None
    if shape != tuple(scores.shape):
        raise RuntimeError(
            f"scaled_dot_product_attention: attn_mask of shape {list(attn_mask.shape)} does not "
            f"broadcast to the attention scores of shape {list(scores.shape)} (..., L, S)"
        )
    if attn_mask.device != scores.device:
        raise RuntimeError(
            f"scaled_dot_product_attention: attn_mask is on {attn_mask.device} but query is on {scores.device}"
        )
    if attn_mask.dtype.kind == "b":
        return where(attn_mask, scores, -math.inf)
    return scores + attn_mask


def _softmax_allowing_empty_rows(scores):
    """Softmax over the last dim, with rows that are entirely -inf giving all-zero weights.

    Those rows are replaced by zeros before the softmax, so neither the forward nor the
    backward ever sees the NaN that exp(-inf - (-inf)) would produce.
    """
    empty = scores.detach().amax(-1, keepdim=True) == -math.inf
    if not bool(empty.data.any()):
        return scores.softmax(-1)
    safe = where(empty, 0.0, scores)
    return where(empty, 0.0, safe.softmax(-1))
