"""One Transformer block each: ``TransformerEncoderLayer`` and ``TransformerDecoderLayer``.

Submodule names are PyTorch's (``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``,
``linear2``, ``norm1..3``, ``dropout1..3``), so a torch ``state_dict`` loads as is.
Shapes: (L, N, E) sequence-first, (N, L, E) with ``batch_first=True``, or unbatched (L, E).

Both accept a keyword-only ``kv_cache`` (tinygrad_lite's extension, see :mod:`.kv_cache`): the
layer then processes only the new tokens, appending their keys/values to the cache, and
self-attention is causal over everything cached (the decoder's cross-attention projects the
memory once and reuses it). Without a cache they compute exactly what PyTorch's layers do.
"""
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn.dropout import Dropout
from tinygrad_lite.nn.linear import Linear
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.multihead_attention import MultiheadAttention
from tinygrad_lite.nn.normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer"]


def _activation_function(activation):
    """``"relu"`` / ``"gelu"`` -> the function; a callable (function or Module) is used as given."""
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class _TransformerLayer(Module):
    """What both layers share: their construction, the self-attention and feed-forward blocks.

    ``has_cross_attention`` (the decoder) adds ``multihead_attn``, ``norm3`` and ``dropout3``.
    Children are registered in PyTorch's order, so ``state_dict`` keys come in torch's order.
    """

    has_cross_attention = False

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None,
                 dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        attention_names = ["self_attn", "multihead_attn"] if self.has_cross_attention else ["self_attn"]
        for name in attention_names:
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                   batch_first=batch_first, **factory))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        blocks = range(1, len(attention_names) + 2)
        for block in blocks:
            setattr(self, f"norm{block}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        for block in blocks:
            setattr(self, f"dropout{block}", Dropout(dropout))
        # A string is resolved to a plain function; a Module activation becomes a child, as in PyTorch.
        self.activation = _activation_function(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal, kv_cache):
        cache = None if kv_cache is None else kv_cache.child("self_attn")
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal, kv_cache=cache)[0]
        return self.dropout1(x)

    def _ff_block(self, x, dropout):
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then feed-forward, each with a residual connection and LayerNorm.

    ``norm_first=False`` (post-norm, the original): ``x = norm1(x + SA(x)); x = norm2(x + FF(x))``.
    ``norm_first=True`` (pre-norm): ``x = x + SA(norm1(x)); x = x + FF(norm2(x))``.
    FF(x) = linear2(dropout(activation(linear1(x)))). src (L, N, E) / (N, L, E) / (L, E) -> same shape.
    """

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False, *, kv_cache=None):
        """One encoder block. src_mask (L, S) or (N * nhead, L, S); src_key_padding_mask (N, S).

        ``is_causal`` is PyTorch's hint that ``src_mask`` is the causal mask. With ``kv_cache``
        (GPT-style decoding), ``src`` holds only the new tokens and attention is causal over
        the cached ones plus these.
        """
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal, kv_cache)
            x = x + self._ff_block(self.norm2(x), self.dropout2)
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal, kv_cache))
            x = self.norm2(x + self._ff_block(x, self.dropout2))
        return x


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention over ``memory``, then feed-forward (residuals + LayerNorms).

    Post-norm (``norm_first=False``) or pre-norm (``True``) as in :class:`TransformerEncoderLayer`.
    tgt (T, N, E), memory (S, N, E) (batch first with ``batch_first=True``) -> (T, N, E).
    """

    has_cross_attention = True

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False, *,
                kv_cache=None):
        """One decoder block. tgt_mask (T, T); memory_mask (T, S); padding masks (N, T) / (N, S).

        With ``kv_cache``, ``tgt`` holds only the new tokens; ``memory`` is projected on the
        first call and reused afterwards (it must stay the same for the cached sequence).
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal, kv_cache)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal, kv_cache)
            x = x + self._ff_block(self.norm3(x), self.dropout3)
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal, kv_cache))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal, kv_cache))
            x = self.norm3(x + self._ff_block(x, self.dropout3))
        return x

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal, kv_cache):
        cache = None if kv_cache is None else kv_cache.child("multihead_attn", static=True)
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal, kv_cache=cache)[0]
        return self.dropout2(x)
