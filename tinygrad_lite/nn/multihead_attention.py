"""``MultiheadAttention``: PyTorch's multi-head attention layer, with an optional key/value cache.

Shapes (E = embed_dim, H = num_heads, N batch, L target length, S source length):
query (L, N, E), key (S, N, kdim), value (S, N, vdim) -> output (L, N, E) and weights (N, L, S)
(or (N, H, L, S) with ``average_attn_weights=False``); ``batch_first=True`` swaps the first
two dims, and unbatched (L, E) inputs drop N everywhere.

Masks follow PyTorch's MultiheadAttention convention: in a bool ``attn_mask`` or
``key_padding_mask`` True means "may NOT attend" (the opposite of ``scaled_dot_product_attention``);
a float mask is added to the attention scores.
"""
import math

import numpy

from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn import init
from tinygrad_lite.nn.kv_cache import KVCache
from tinygrad_lite.nn.linear import Linear
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.parameter import empty_parameter
from tinygrad_lite.ops.compare import where
from tinygrad_lite.tensor import Tensor

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention ``concat(head_1..head_H) W_o``, ``head_i = softmax(Q_i K_i^T / sqrt(d)) V_i``.

    Parameters (PyTorch's names): ``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E,) stacking the
    query/key/value projections when ``kdim == vdim == embed_dim``; otherwise ``q_proj_weight``
    (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim) (``in_proj_bias`` still (3E,));
    ``out_proj`` a Linear(E, E). Initialised like PyTorch: Xavier-uniform projections, zero biases.
    ``dropout`` drops attention weights while training. ``add_bias_kv`` and ``add_zero_attn``
    are not supported (they raise).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv=True and add_zero_attn=True are not supported by "
                "tinygrad_lite (append a learned or zero key/value to the inputs instead)"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = False
        self.bias_k = self.bias_v = None
        factory = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_parameter((3 * embed_dim, embed_dim), **factory)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty_parameter((embed_dim, embed_dim), **factory)
            self.k_proj_weight = empty_parameter((embed_dim, self.kdim), **factory)
            self.v_proj_weight = empty_parameter((embed_dim, self.vdim), **factory)
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias", empty_parameter((3 * embed_dim,), bias, **factory))
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's init: Xavier-uniform in-projections, zero in/out biases (out weight as Linear)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    # ----- forward ----------------------------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False, *, kv_cache=None):
        """Attend from ``query`` to ``key``/``value``; returns ``(attn_output, attn_weights or None)``.

        key_padding_mask (N, S) (or (S,) unbatched): True / -inf marks padded keys to ignore.
        attn_mask (L, S) or (N * num_heads, L, S): True / -inf forbids a query-key pair.
        ``is_causal`` is a hint that ``attn_mask`` is the causal mask (it must be given, as in PyTorch).
        ``kv_cache`` (a :class:`KVCache` entry, tinygrad_lite's extension): an appending entry
        stores the new tokens' keys/values and attends over every stored one with a causal mask
        aligned to the end (query i of T new tokens sees the P cached keys and new keys 0..i);
        ``attn_mask``/``key_padding_mask``, when given, must then cover all P + T keys. A static
        entry projects ``key``/``value`` on its first call and reuses them afterwards.
        A query whose keys are all masked gets zero weights and output (PyTorch gives NaN).
        """
        if kv_cache is not None and not isinstance(kv_cache, KVCache):
            raise TypeError(f"MultiheadAttention: kv_cache must be a KVCache, got {type(kv_cache).__name__}")
        reuse_memory = kv_cache is not None and kv_cache.static and kv_cache.key is not None
        batched = self._check_inputs(query, key, value, reuse_memory)
        if not batched:
            self_attention = query is key and key is value
            query = query.unsqueeze(0)
            if self_attention:  # keep the identity: it selects the packed projection
                key = value = query
            elif not reuse_memory:
                key, value = key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        # Internally (N, L, E) is "batch first"; PyTorch's default layout is sequence first.
        seq_first = batched and not self.batch_first
        batch_size = query.shape[1] if seq_first else query.shape[0]
        q, k, v = self._project(query, key, value, reuse_memory, seq_first)
        previous = 0
        if kv_cache is not None:
            if kv_cache.static:
                k, v = (kv_cache.key, kv_cache.value) if reuse_memory else kv_cache.set_static(k, v)
                if k.shape[0] != batch_size:
                    raise RuntimeError(f"MultiheadAttention: the cached memory has batch size "
                                       f"{k.shape[0]} but the query has {batch_size}")
            else:
                previous = kv_cache.length
                k, v = kv_cache.append(k, v)
        target_length, source_length = q.shape[2], k.shape[2]
        mask = self._merged_mask(attn_mask, key_padding_mask, batch_size, target_length,
                                 source_length, q)
        causal_hint = False
        if is_causal and kv_cache is None:
            if attn_mask is None:
                raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                                   "Transformer.generate_square_subsequent_mask to create this mask.")
            causal_hint = key_padding_mask is None and not need_weights
        if kv_cache is not None and not kv_cache.static and target_length > 1:
            mask = _and_allowed(mask, _end_aligned_causal(q, target_length, source_length, previous))
        dropout_p = self.dropout if self.training else 0.0
        if need_weights:
            output, weights = _attention_with_weights(q, k, v, mask, dropout_p)
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        else:
            if causal_hint:
                output = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
            else:
                output = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
            weights = None
        output = self.out_proj(_merge_heads(output, seq_first))
        if not batched:
            output = output.squeeze(0)
        return output, weights

    def _check_inputs(self, query, key, value, reuse_memory):
        """Validate the inputs' types, ranks and sizes; return whether they are batched."""
        named = (("query", query),) if reuse_memory else (("query", query), ("key", key), ("value", value))
        for name, tensor in named:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(tensor).__name__}")
        if query.ndim not in (2, 3):
            raise ValueError(f"MultiheadAttention: query should be unbatched 2D or batched 3D, got "
                             f"shape {list(query.shape)}")
        if query.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: query of shape {list(query.shape)} does not end in "
                             f"embed_dim={self.embed_dim}")
        if reuse_memory:
            return query.ndim == 3
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"MultiheadAttention: query, key and value must all be batched (3D) or unbatched (2D), "
                f"got shapes {list(query.shape)}, {list(key.shape)} and {list(value.shape)}"
            )
        if key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise ValueError(
                f"MultiheadAttention: key {list(key.shape)} and value {list(value.shape)} must end in "
                f"kdim={self.kdim} and vdim={self.vdim}"
            )
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: key {list(key.shape)} and value {list(value.shape)} "
                             "must share their batch and sequence dims")
        batch_dim = 0 if self.batch_first else 1
        if query.ndim == 3 and key.shape[batch_dim] != query.shape[batch_dim]:
            raise ValueError(f"MultiheadAttention: query {list(query.shape)} and key {list(key.shape)} "
                             f"have different batch sizes (dim {batch_dim}, batch_first={self.batch_first})")
        for name, tensor in named:
            if tensor.dtype.kind != "f":
                raise TypeError(f"MultiheadAttention: {name} must be floating point, got {tensor.dtype}")
        return query.ndim == 3

    def _project(self, query, key, value, reuse_memory, seq_first):
        """Input projections split into heads: each (N, H, length, head_dim); k, v None when reused."""
        E = self.embed_dim
        bias = self.in_proj_bias
        if self._qkv_same_embed_dim and query is key and key is value:
            # Self-attention: one matmul for all three projections, split by views.
            first, second, _ = query.shape
            packed = F.linear(query, self.in_proj_weight, bias)
            packed = packed.reshape(first, second, 3, self.num_heads, self.head_dim)
            packed = packed.permute((2, 1, 3, 0, 4) if seq_first else (2, 0, 3, 1, 4))
            return packed[0], packed[1], packed[2]
        biases = (None, None, None) if bias is None else (bias[:E], bias[E:2 * E], bias[2 * E:])
        if self._qkv_same_embed_dim:
            weights = (self.in_proj_weight[:E], self.in_proj_weight[E:2 * E], self.in_proj_weight[2 * E:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        q = _split_heads(F.linear(query, weights[0], biases[0]), self.num_heads, seq_first)
        if reuse_memory:
            return q, None, None
        k = _split_heads(F.linear(key, weights[1], biases[1]), self.num_heads, seq_first)
        v = _split_heads(F.linear(value, weights[2], biases[2]), self.num_heads, seq_first)
        return q, k, v

    def _merged_mask(self, attn_mask, key_padding_mask, batch_size, target_length, source_length, q):
        """One mask broadcastable to (N, H, L, S) in sdpa's convention (bool True = allowed), or None."""
        masks = []
        if attn_mask is not None:
            attn_mask = _check_mask("attn_mask", attn_mask, q)
            expected = {2: (target_length, source_length),
                        3: (batch_size * self.num_heads, target_length, source_length)}
            if tuple(attn_mask.shape) != expected.get(attn_mask.ndim):
                raise RuntimeError(
                    f"MultiheadAttention: attn_mask of shape {list(attn_mask.shape)} should be "
                    f"{list(expected[2])} or {list(expected[3])} (L, S) / (N * num_heads, L, S)"
                    + (" (with a kv_cache, S counts the cached keys too)"
                       if source_length > target_length else "")
                )
            if attn_mask.ndim == 3:
                attn_mask = attn_mask.reshape(batch_size, self.num_heads, target_length, source_length)
            masks.append(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _check_mask("key_padding_mask", key_padding_mask, q)
            if tuple(key_padding_mask.shape) != (batch_size, source_length):
                raise RuntimeError(
                    f"MultiheadAttention: key_padding_mask of shape {list(key_padding_mask.shape)} "
                    f"should be {[batch_size, source_length]} (N, S)"
                )
            masks.append(key_padding_mask.reshape(batch_size, 1, 1, source_length))
        if not masks:
            return None
        if all(mask.dtype.kind == "b" for mask in masks):
            forbidden = masks[0].data if len(masks) == 1 else masks[0].data | masks[1].data
            return Tensor._make(~forbidden, q.device, False, None)
        total = None
        for mask in masks:
            if mask.dtype.kind == "b":
                xp = q.device.xp
                mask = Tensor._make(xp.where(mask.data, xp.asarray(-math.inf, dtype=q.dtype),
                                             xp.asarray(0.0, dtype=q.dtype)), q.device, False, None)
            total = mask if total is None else total + mask
        return total


def _check_mask(name, mask, q):
    if not isinstance(mask, Tensor):
        raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.device != q.device:
        raise RuntimeError(f"MultiheadAttention: {name} is on {mask.device} but the inputs are on {q.device}")
    if mask.dtype.kind != "b" and mask.dtype != q.dtype:
        raise RuntimeError(f"MultiheadAttention: only bool and floating {name} of the query's dtype "
                           f"({q.dtype}) are supported, got {mask.dtype}")
    return mask


def _split_heads(x, num_heads, seq_first):
    """(L, N, E) if ``seq_first`` else (N, L, E) -> (N, H, L, E // H), a strided view."""
    first, second, features = x.shape
    x = x.reshape(first, second, num_heads, features // num_heads)
    return x.permute(1, 2, 0, 3) if seq_first else x.permute(0, 2, 1, 3)


def _merge_heads(x, seq_first):
    """(N, H, L, head_dim) -> (L, N, E) if ``seq_first`` else (N, L, E)."""
    batch, heads, length, head_dim = x.shape
    if seq_first:
        return x.permute(2, 0, 1, 3).reshape(length, batch, heads * head_dim)
    return x.permute(0, 2, 1, 3).reshape(batch, length, heads * head_dim)


def _end_aligned_causal(q, target_length, source_length, previous):
    """Bool (L, S) mask, True where allowed: query i (the (previous + i)-th token) sees keys <= it."""
    xp = q.device.xp
    allowed = xp.tril(xp.ones((target_length, source_length), dtype=numpy.bool_), previous)
    return Tensor._make(allowed, q.device, False, None)


def _and_allowed(mask, allowed):
    """Combine a merged mask (None, bool allowed, or float additive) with a bool allowed-mask."""
    if mask is None:
        return allowed
    if mask.dtype.kind == "b":
        return Tensor._make(mask.data & allowed.data, mask.device, False, None)
    return where(allowed, mask, -math.inf)


def _attention_with_weights(q, k, v, mask, dropout_p):
    """Attention that also returns its weights (N, H, L, S); fully masked rows get zero weights."""
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.mT
    if mask is not None:
        scores = where(mask, scores, -math.inf) if mask.dtype.kind == "b" else scores + mask
        empty = scores.detach().amax(-1, keepdim=True) == -math.inf
        if bool(empty.data.any()):
            # Rows with nothing to attend to would be NaN: zero them before and after the softmax.
            weights = where(empty, 0.0, where(empty, 0.0, scores).softmax(-1))
        else:
            weights = scores.softmax(-1)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, training=True)
    return weights @ v, weights
