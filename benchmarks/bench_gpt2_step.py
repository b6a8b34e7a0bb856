"""GPT-2-style training step, written as users write it, against the same net in PyTorch.

Model (GPT-2's block, pre-LayerNorm): token + learned position embeddings; per block
``x + proj(sdpa(split(Linear(d, 3d)(ln_1(x))), is_causal=True))`` then
``x + Linear(4d, d)(gelu(Linear(d, 4d)(ln_2(x))))`` with the *exact* GELU; final LayerNorm and
an LM head tied to the token embedding. Vocabulary 96, d 128, 4 heads, 2 layers, batch 16 x 64,
cross-entropy, AdamW, float32. Both frameworks start from the same weights.
Run: python -m benchmarks.bench_gpt2_step [--threads 1] [--repeats 30] [--no-memory]

The NumPy variant is a floor for the forward pass and loss only (no backward, no AdamW).
"""
import math

from benchmarks.harness import run_benchmark

VOCAB, D_MODEL, HEADS, LAYERS = 96, 128, 4, 2
BATCH, SEQ = 16, 64
LEARNING_RATE, WEIGHT_DECAY = 1e-3, 0.1


def parameter_shapes(layers=LAYERS, d_model=D_MODEL, vocab=VOCAB, block=SEQ):
    """Names (as ``build_model``'s ``named_parameters``) and shapes of every parameter."""
    shapes = {"token_embedding.weight": (vocab, d_model), "position_embedding.weight": (block, d_model)}
    for index in range(layers):
        prefix = f"blocks.{index}."
        shapes.update({prefix + "ln_1.weight": (d_model,), prefix + "ln_1.bias": (d_model,),
                       prefix + "qkv.weight": (3 * d_model, d_model), prefix + "qkv.bias": (3 * d_model,),
                       prefix + "proj.weight": (d_model, d_model), prefix + "proj.bias": (d_model,),
                       prefix + "ln_2.weight": (d_model,), prefix + "ln_2.bias": (d_model,),
                       prefix + "fc.weight": (4 * d_model, d_model), prefix + "fc.bias": (4 * d_model,),
                       prefix + "fc_proj.weight": (d_model, 4 * d_model),
                       prefix + "fc_proj.bias": (d_model,)})
    shapes.update({"ln_f.weight": (d_model,), "ln_f.bias": (d_model,)})
    return shapes


def initial_weights(numpy, shapes, seed=0):
    """GPT-2's init drawn once in NumPy: N(0, 0.02) matrices, LayerNorm weights 1, other biases 0."""
    rng = numpy.random.default_rng(seed)
    weights = {}
    for name, shape in shapes.items():
        if len(shape) == 2:
            weights[name] = (rng.standard_normal(shape) * 0.02).astype(numpy.float32)
        else:
            fill = 1.0 if name.split(".")[-2].startswith("ln") else 0.0
            weights[name] = numpy.full(shape, fill, numpy.float32)
    return weights


def make_data(numpy, batch=BATCH, seq=SEQ, layers=LAYERS, d_model=D_MODEL, vocab=VOCAB):
    """Token windows (inputs, targets), both (batch, seq) int64, and the initial weights by name."""
    rng = numpy.random.default_rng(0)
    tokens = rng.integers(0, vocab, (batch, seq + 1))
    weights = initial_weights(numpy, parameter_shapes(layers, d_model, vocab, seq))
    return tokens[:, :-1].copy(), tokens[:, 1:].copy(), weights


def build_model(lib, weights, heads=HEADS):
    """The GPT in PyTorch's API (runs unchanged on tinygrad_lite and torch), loaded with ``weights``."""
    nn, F = lib.nn, lib.nn.functional
    vocab, d_model = weights["token_embedding.weight"].shape
    block_size = weights["position_embedding.weight"].shape[0]
    layers = sum(name.endswith("qkv.weight") for name in weights)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
            self.qkv, self.proj = nn.Linear(d_model, 3 * d_model), nn.Linear(d_model, d_model)
            self.fc, self.fc_proj = nn.Linear(d_model, 4 * d_model), nn.Linear(4 * d_model, d_model)

        def forward(self, x):
            batch, length, channels = x.shape
            q, k, v = (part.view(batch, length, heads, channels // heads).transpose(1, 2)
                       for part in self.qkv(self.ln_1(x)).split(channels, dim=2))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(batch, length, channels))
            return x + self.fc_proj(F.gelu(self.fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(vocab, d_model)
            self.position_embedding = nn.Embedding(block_size, d_model)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d_model)
            self.lm_head = nn.Linear(d_model, vocab, bias=False)
            self.lm_head.weight = self.token_embedding.weight

        def forward(self, ids):
            x = self.token_embedding(ids) + self.position_embedding(lib.arange(ids.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    model = GPT()
    with lib.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(lib.tensor(weights[name]))
    return model


def framework_step(lib, inputs, targets, weights, heads=HEADS):
    """One AdamW training step in PyTorch's API: ``lib`` is tinygrad_lite or torch, the code is the same."""
    F = lib.nn.functional
    model = build_model(lib, weights, heads)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = lib.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=LEARNING_RATE)
    x, y = lib.tensor(inputs), lib.tensor(targets)

    def step():
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def numpy_step(numpy, inputs, targets, weights, heads=HEADS):
    """The same model's forward pass and loss by hand (no backward: a floor, not a full step)."""
    batch, length = inputs.shape
    vocab, d_model = weights["token_embedding.weight"].shape
    layers = sum(name.endswith("qkv.weight") for name in weights)
    head_dim = d_model // heads
    causal = numpy.triu(numpy.full((length, length), -numpy.inf, numpy.float32), 1)
    rows = numpy.arange(batch * length)

    def layer_norm(x, prefix):
        centred = x - x.mean(-1, keepdims=True)
        normed = centred / numpy.sqrt((centred * centred).mean(-1, keepdims=True) + 1e-5)
        return normed * weights[prefix + ".weight"] + weights[prefix + ".bias"]

    def linear(x, prefix):
        return x @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]

    def softmax(x):
        x = numpy.exp(x - x.max(-1, keepdims=True))
        return x / x.sum(-1, keepdims=True)

    def gelu(x):  # the tanh form: NumPy has no erf, so the floor is slightly optimistic
        return 0.5 * x * (1.0 + numpy.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))

    def step():
        x = weights["token_embedding.weight"][inputs] + weights["position_embedding.weight"][:length]
        for index in range(layers):
            prefix = f"blocks.{index}."
            qkv = linear(layer_norm(x, prefix + "ln_1"), prefix + "qkv")
            q, k, v = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            attention = softmax(q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(head_dim)) + causal)
            attended = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, d_model)
            x = x + linear(attended, prefix + "proj")
            x = x + linear(gelu(linear(layer_norm(x, prefix + "ln_2"), prefix + "fc")),
                           prefix + "fc_proj")
        logits = (layer_norm(x, "ln_f") @ weights["token_embedding.weight"].T).reshape(-1, vocab)
        shifted = logits - logits.max(-1, keepdims=True)
        log_probs = shifted - numpy.log(numpy.exp(shifted).sum(-1, keepdims=True))
        return -log_probs[rows, targets.reshape(-1)].mean()

    return step


def main():
    run_benchmark(__doc__.splitlines()[0], 30,
                  f"GPT-2-style step ({LAYERS} layers, d {D_MODEL}, {HEADS} heads, vocab {VOCAB}, "
                  f"exact GELU, causal SDPA, tied head), batch {BATCH} x {SEQ}, AdamW; "
                  "numpy = forward + loss only",
                  make_data, framework_step, numpy_step, 1e3, "ms")


if __name__ == "__main__":
    main()
