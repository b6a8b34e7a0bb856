"""models/gpt.py's GPT written again in PyTorch, with the same parameter names, as its reference.

Used by the parity test (tests/models/test_gpt.py: 50 Adam steps agree at every step) and by
benchmarks/bench_nanogpt_recipe.py (nanoGPT's CPU recipe trained with both frameworks). It is
written independently of models/gpt.py; copy our weights in by name to start both from one init.
PyTorch is imported when a twin is built, so importing this module never needs it.
"""


def torch_gpt(vocab_size, block_size, n_layer, n_head, n_embd, bias=True):
    """A PyTorch GPT (dropout off): token + position embeddings, pre-norm blocks with causal
    attention and an exact-GELU MLP, final LayerNorm, LM head tied to the token embedding.

    ids (B, T) int64 -> logits (B, T, vocab_size); ``bias=False`` drops every Linear and
    LayerNorm bias, as ``GPT(..., bias=False)``. Its ``named_parameters()`` match our model's.
    """
    import torch

    tnn, functional = torch.nn, torch.nn.functional

    class Attention(tnn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = tnn.Linear(n_embd, 3 * n_embd, bias=bias)
            self.proj = tnn.Linear(n_embd, n_embd, bias=bias)

        def forward(self, x):
            batch, length, channels = x.shape
            heads = [part.view(batch, length, n_head, -1).transpose(1, 2)
                     for part in self.qkv(x).split(channels, dim=2)]
            y = functional.scaled_dot_product_attention(*heads, is_causal=True)
            return self.proj(y.transpose(1, 2).reshape(batch, length, channels))

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = tnn.LayerNorm(n_embd, bias=bias), Attention()
            self.ln_2 = tnn.LayerNorm(n_embd, bias=bias)
            self.mlp = tnn.Module()
            self.mlp.fc = tnn.Linear(n_embd, 4 * n_embd, bias=bias)
            self.mlp.proj = tnn.Linear(4 * n_embd, n_embd, bias=bias)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp.proj(functional.gelu(self.mlp.fc(self.ln_2(x))))

    class TorchGPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = tnn.Embedding(vocab_size, n_embd)
            self.position_embedding = tnn.Embedding(block_size, n_embd)
            self.blocks = tnn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = tnn.LayerNorm(n_embd, bias=bias)
            self.lm_head = tnn.Linear(n_embd, vocab_size, bias=False)
            self.lm_head.weight = self.token_embedding.weight

        def forward(self, ids):
            x = self.token_embedding(ids) + self.position_embedding(torch.arange(ids.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return TorchGPT()
