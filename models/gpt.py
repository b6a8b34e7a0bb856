"""A decoder-only Transformer language model written the GPT-2 way (seed 004 #11: what a language
model is and how it works; seed 000 #1: the basic architecture of an LLM).

The model reads token ids and, at every position, scores each vocabulary entry as the next token:
p(x_t | x_<t) = softmax(logits[:, t - 1]). Token embeddings plus learned position embeddings enter
a stack of pre-norm blocks ``x + attn(LayerNorm(x))``, ``x + mlp(LayerNorm(x))``; causal
self-attention lets position t see positions 0..t only, so one forward pass trains all T
next-token predictions at once. A final LayerNorm and an LM head whose weight *is* the token
embedding (weight tying) turn the residual stream into logits. Initialised as GPT-2: N(0, 0.02)
weights, zero biases, and the projections that write into the residual stream scaled by
1/sqrt(2 * n_layer) so its variance does not grow with depth.

Where the documents go wrong: 004 #11's model is an LSTM that predicts only from the last step
(``output[-1]``), wasting T - 1 training targets per sequence; 000 #1 describes an encoder and a
decoder, but GPT-style LLMs are decoder-only, one causal stack.

Shapes: ids (B, T) int64 with T <= block_size -> logits (B, T, vocab_size). With
``kv_cache=nn.KVCache()`` each call feeds only the new tokens: positions continue from
``kv_cache.length`` and attention reads the keys/values cached by earlier calls.
"""
import math

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.utils.checkpoint import checkpoint

INIT_STD = 0.02


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused q/k/v projection: (B, T, C) -> (B, T, C)."""

    def __init__(self, n_embd, n_head, dropout=0.0, bias=True):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_head, self.dropout = n_head, dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x, kv_cache=None):
        """(B, T, C) -> (B, T, C); with an ``nn.KVCache`` entry, also attends over its cached positions."""
        batch, length, channels = x.shape
        q, k, v = (self._split_heads(part) for part in self.qkv(x).split(channels, dim=2))
        cached = 0
        if kv_cache is not None:
            cached = kv_cache.length
            k, v = kv_cache.append(k, v)
        y = self._attend(q, k, v, cached)
        y = y.transpose(1, 2).reshape(batch, length, channels)
        return self.resid_dropout(self.proj(y))

    def _split_heads(self, x):
        """(B, T, C) -> (B, n_head, T, C // n_head)."""
        batch, length, channels = x.shape
        return x.reshape(batch, length, self.n_head, channels // self.n_head).transpose(1, 2)

    def _attend(self, q, k, v, cached):
        """Causal attention of T new queries over ``cached`` earlier keys plus the T new ones."""
        dropout_p = self.dropout if self.training else 0.0
        new = q.shape[-2]
        if cached == 0:
            return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        if new == 1:  # the newest token may see every key
            return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        # is_causal aligns the mask top-left; new query i is token cached + i, so shift it right.
        allowed = tl.ones(new, cached + new, dtype=tl.bool, device=q.device).tril(cached)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout_p)


class MLP(nn.Module):
    """Position-wise feed-forward: Linear(C, 4C) -> exact GELU -> Linear(4C, C) -> dropout."""

    def __init__(self, n_embd, dropout=0.0, bias=True):
        super().__init__()
        self.fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = nn.GELU()
        self.proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        """(B, T, C) -> (B, T, C)."""
        return self.dropout(self.proj(self.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm Transformer block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``, (B, T, C) -> (B, T, C)."""

    def __init__(self, n_embd, n_head, dropout=0.0, bias=True):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, dropout, bias)

    def forward(self, x, kv_cache=None):
        """(B, T, C) -> (B, T, C); ``kv_cache`` is this block's own cache entry (or None)."""
        x = x + self.attn(self.ln_1(x), kv_cache=kv_cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Decoder-only Transformer language model: ids (B, T) -> next-token logits (B, T, vocab_size).

    ``block_size`` is the longest context (the number of learned positions); ``n_layer`` blocks of
    ``n_head`` heads over a width of ``n_embd``; ``dropout`` after the embeddings, on the attention
    weights and after each residual branch; ``bias=False`` drops the biases of every Linear and
    LayerNorm. ``lm_head.weight`` is ``token_embedding.weight`` (one Parameter).
    ``gradient_checkpointing=True`` (or setting the attribute) recomputes each block's
    activations in backward during training instead of keeping them (``tl.utils.checkpoint``):
    less memory for one more forward pass, with the same gradients.
    """

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, dropout=0.0, bias=True,
                 gradient_checkpointing=False):
        super().__init__()
        self.block_size = block_size
        self.gradient_checkpointing = gradient_checkpointing
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.position_embedding = nn.Embedding(block_size, n_embd)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(n_embd, n_head, dropout, bias) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, bias=bias)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.lm_head.weight = self.token_embedding.weight
        self._init_weights(n_layer)

    def _init_weights(self, n_layer):
        """GPT-2's init: N(0, 0.02) for embeddings and Linear weights, residual projections / sqrt(2L)."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=INIT_STD)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        for block in self.blocks:
            for projection in (block.attn.proj, block.mlp.proj):
                nn.init.normal_(projection.weight, mean=0.0, std=INIT_STD / math.sqrt(2 * n_layer))

    def forward(self, ids, kv_cache=None):
        """Logits (B, T, vocab_size) for int64 ids (B, T).

        With ``kv_cache`` (an ``nn.KVCache``) the ids are the tokens after the ``kv_cache.length``
        already cached ones: their positions start there, and each block appends its keys/values.
        """
        start = 0 if kv_cache is None else kv_cache.length
        length = ids.shape[1]
        if start + length > self.block_size:
            raise ValueError(f"GPT: {start + length} positions ({start} cached + {length} new) exceed "
                             f"block_size={self.block_size}; crop the context to the last "
                             f"{self.block_size} tokens")
        positions = tl.arange(start, start + length, device=ids.device)
        x = self.dropout(self.token_embedding(ids) + self.position_embedding(positions))
        for index, block in enumerate(self.blocks):
            if self.gradient_checkpointing and self.training and kv_cache is None:
                x = checkpoint(block, x)
            else:
                x = block(x, kv_cache=None if kv_cache is None else kv_cache.child(index))
        return self.lm_head(self.ln_f(x))

    def loss(self, ids, targets):
        """Mean next-token cross-entropy: ids (B, T), targets (B, T) (usually ids shifted by one) -> scalar."""
        logits = self(ids)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
