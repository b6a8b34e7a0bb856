"""``scaled_dot_product_attention``: ``softmax(Q K^T * scale + mask) V``.

Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
dims broadcast as in matmul. The scale, the mask and the softmax run as one fused op
(:class:`MaskedSoftmax`) so the attention matrix is written as few times as possible; its
backward is made of Tensor ops, so higher-order gradients still work.

A query row whose keys are all masked out gets zero weights (and so a zero output and zero
gradients) instead of NaN, which is also what PyTorch 2.5+ returns.
"""
import math

import numpy

from tinygrad_lite.amp.autocast_mode import LOWER_PRECISION, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.nn.functional.dropout import dropout
from tinygrad_lite.ops.softmax import row_max
from tinygrad_lite.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]

# Causal masks depend only on (L, S, device, dtype): building one per call would cost a full
# L x S pass on every forward of every layer, so the few sizes a model uses are kept.
_CAUSAL_BIAS_CACHE = {}
_CAUSAL_BIAS_CACHE_LIMIT = 64


class MaskedSoftmax(Function):
    """``softmax(scores * scale + mask + bias)`` over the last dim, in one pass over memory.

    Inputs: ``scores`` (..., L, S) and optionally a float ``mask`` Tensor broadcastable to it
    (it may require grad: its gradient is the gradient of the shifted scores). ``bias`` is a
    raw 0/-inf array (a bool or causal mask) that needs no gradient. Rows left with only -inf
    entries give all-zero weights, never NaN.
    """

    saves_output = True

    def forward(self, scores, *mask, scale=1.0, bias=None):
        xp = self.xp
        self.scale = scale
        if scores.shape[-1] == 0:  # no keys: empty weights (the output becomes zeros)
            return scores.copy()
        logits = scores * scale if scale != 1.0 else None
        for term in (mask[0] if mask else None, bias):
            if term is None:
                continue
            if logits is None:
                # dtype= keeps a float16 query with a float32 mask in float16, as PyTorch does.
                logits = xp.add(scores, term, dtype=scores.dtype)
            else:
                logits += term
        source = scores if logits is None else logits
        peak = row_max(xp, source, source.ndim - 1)
        # A fully masked row has peak -inf, and -inf - -inf would be NaN. Flooring the peak at
        # the lowest finite value keeps such rows at exp(-inf) = 0 and leaves others untouched.
        xp.maximum(peak, float(numpy.finfo(scores.dtype).min), out=peak)
        if logits is None:
            logits = scores - peak
        else:
            logits -= peak
        xp.exp(logits, out=logits)
        total = logits.sum(axis=-1, keepdims=True)
        # A row that kept any key sums to >= 1 (its peak gives exp(0)); only empty rows sum to
        # 0, and dividing those by 1 leaves them at zero.
        xp.maximum(total, 1.0, out=total)
        logits /= total
        return logits

    def backward(self, grad_output):
        if not GradMode.enabled:
            return self._array_backward(grad_output.data)
        weights = self.output()
        grad_logits = weights * (grad_output - (grad_output * weights).sum(-1, keepdim=True))
        needs = self.needs_input_grad
        grad_scores = None
        if needs[0]:
            grad_scores = grad_logits * self.scale if self.scale != 1.0 else grad_logits
        if len(needs) == 1:
            return (grad_scores,)
        return grad_scores, (grad_logits if needs[1] else None)


    def _array_backward(self, grad):
        """First order: the same arithmetic on arrays, the products written in place."""
        xp, weights = self.xp, self.saved_output
        grad_logits = grad * weights
        row_sums = xp.sum(grad_logits, axis=-1, keepdims=True)
        xp.subtract(grad, row_sums, out=grad_logits)
        grad_logits *= weights
        needs = self.needs_input_grad
        grad_scores = None
        if needs[0]:
            grad_scores = grad_logits * self.scale if self.scale != 1.0 else grad_logits
            grad_scores = self.constant(grad_scores)
        if len(needs) == 1:
            return (grad_scores,)
        return grad_scores, (self.constant(grad_logits) if needs[1] else None)


def _fail(message):
    raise RuntimeError(f"scaled_dot_product_attention: {message}")


def _check_inputs(query, key, value, attn_mask, dropout_p, is_causal):
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} must be a Tensor, got "
                            f"{type(tensor).__name__}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        _fail(f"expected query, key and value to be at least 2-D, got shapes {list(query.shape)}, "
              f"{list(key.shape)} and {list(value.shape)}")
    if not query.dtype == key.dtype == value.dtype or query.dtype.kind != "f":
        _fail(f"expected query, key and value to share one floating dtype, got {query.dtype}, "
              f"{key.dtype} and {value.dtype}")
    if not query.device == key.device == value.device:
        _fail(f"expected query, key and value on one device, got {query.device}, {key.device} "
              f"and {value.device}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        _fail(f"query {list(query.shape)}, key {list(key.shape)} and value {list(value.shape)} do "
              "not fit (need query/key to share the last dim E and key/value to share the "
              "sequence dim S)")
    if dropout_p > 1.0:
        _fail(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if attn_mask is None:
        return
    if is_causal:
        _fail("explicit attn_mask should not be set when is_causal=True")
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"scaled_dot_product_attention: attn_mask must be a Tensor, got "
                        f"{type(attn_mask).__name__}")
    if attn_mask.dtype.kind != "b" and attn_mask.dtype not in (numpy.float32, query.dtype):
        _fail(f"expected attn_mask dtype to be tl.bool, tl.float32 or to match the query dtype "
              f"{query.dtype}, got {attn_mask.dtype}")
    if attn_mask.device != query.device:
        _fail(f"attn_mask is on {attn_mask.device} but query is on {query.device}")


def _check_batch_dims(query, key, value):
    """The leading dims must broadcast, or matmul would fail deep inside with NumPy's message."""
    try:
        numpy.broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2]), tuple(value.shape[:-2]))
    except ValueError:
        _fail(f"the leading (batch/head) dims of query {list(query.shape)}, key {list(key.shape)} "
              f"and value {list(value.shape)} do not broadcast (set enable_gqa=True to share key/value "
              "heads between query heads)")


def _check_mask_shape(attn_mask, scores_shape):
    try:
        shape = numpy.broadcast_shapes(scores_shape, tuple(attn_mask.shape))
    except ValueError:
        shape = None
    if shape != scores_shape:
        _fail(f"attn_mask of shape {list(attn_mask.shape)} does not broadcast to the attention "
              f"scores of shape {list(scores_shape)} (..., L, S)")


def _repeat_heads(tensor, num_heads, name):
    """(..., H_kv, S, E) -> (..., num_heads, S, E), each kv head serving consecutive query heads."""
    if tensor.ndim < 3 or num_heads % tensor.shape[-3]:
        _fail(f"with enable_gqa, the number of heads in {name} (shape {list(tensor.shape)}, dim -3) "
              f"must divide the {num_heads} query heads")
    groups = num_heads // tensor.shape[-3]
    if groups == 1:
        return tensor
    lead, (heads, length, features) = tensor.shape[:-3], tensor.shape[-3:]
    expanded = tensor.unsqueeze(-3).expand(lead + (heads, groups, length, features))
    return expanded.reshape(lead + (num_heads, length, features))


def _causal_bias(length, source_length, device, dtype):
    """(L, S) array: 0 where key j <= query i (top-left aligned, like PyTorch), -inf above."""
    cache_key = (length, source_length, device, dtype)
    bias = _CAUSAL_BIAS_CACHE.get(cache_key)
    if bias is None:
        xp = device.xp
        bias = xp.full((length, source_length), -math.inf, dtype=dtype)
        bias[xp.tri(length, source_length, dtype=bool)] = 0.0
        if len(_CAUSAL_BIAS_CACHE) >= _CAUSAL_BIAS_CACHE_LIMIT:
            del _CAUSAL_BIAS_CACHE[next(iter(_CAUSAL_BIAS_CACHE))]
        _CAUSAL_BIAS_CACHE[cache_key] = bias
    return bias


def _bool_bias(attn_mask, dtype):
    """A bool mask (True = attend) as an additive 0/-inf array of the mask's own (small) shape."""
    xp = attn_mask.device.xp
    bias = xp.zeros(attn_mask.shape, dtype=dtype)
    bias[~attn_mask.data] = -math.inf
    return bias


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """Attention ``softmax(query @ key^T * scale + mask) @ value`` with optional dropout.

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> output (..., L, Ev).
    The leading dims (batch, heads) broadcast as in matmul.

    ``attn_mask`` broadcasts to the scores (..., L, S): a bool mask marks the keys that take
    part (True = attend), a float mask (bool, float32 or the query dtype) is added to the
    scores (use -inf to exclude a key); a float mask that requires grad gets a gradient.
    ``is_causal=True`` lets query i see keys 0..i only (top-left aligned when L != S, as in
    PyTorch: for one new query against a longer cached key sequence pass no mask at all, or
    build the bottom-right aligned mask yourself); it cannot be combined with ``attn_mask``.
    ``scale`` defaults to ``1 / sqrt(E)``. ``dropout_p`` drops attention weights (always, as
    in PyTorch's functional form: pass 0.0 in evaluation). ``enable_gqa`` lets key/value have
    fewer heads (dim -3) than query, each shared by a group of consecutive query heads.

    A query row whose keys are all masked gets zero weights and a zero output (no NaN).
    """
    query, key, value, attn_mask = autocast_inputs(LOWER_PRECISION, query, key, value, attn_mask)
    _check_inputs(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa and query.ndim >= 3:
        key = _repeat_heads(key, query.shape[-3], "key")
        value = _repeat_heads(value, query.shape[-3], "value")
    _check_batch_dims(query, key, value)
    features = query.shape[-1]
    # With E = 0 the scores are empty sums, 0 whatever the scale: PyTorch's 1/sqrt(0) = inf
    # never meets them (it scales query and key before their product), so no NaN either.
    factor = float(scale) if scale is not None else 1.0 / math.sqrt(features) if features else 1.0
    scores = query @ key.mT
    inputs, bias = (scores,), None
    if is_causal:
        bias = _causal_bias(query.shape[-2], key.shape[-2], query.device, query.dtype)
    elif attn_mask is not None:
        _check_mask_shape(attn_mask, tuple(scores.shape))
        if attn_mask.dtype.kind == "b":
            bias = _bool_bias(attn_mask, query.dtype)
        else:
            inputs = (scores, attn_mask)
    weights = MaskedSoftmax.apply(*inputs, scale=factor, bias=bias)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value
