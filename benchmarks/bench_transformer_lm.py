"""Decoder-only Transformer LM: training step, and generation with vs without the KV cache.

Model: Embedding(256, 128) + learned positions, 2 x TransformerEncoderLayer(128, 4, 512,
dropout=0, batch_first, pre-norm) under the causal mask, final LayerNorm, Linear(128, 256);
batch 16 x 64 tokens, cross-entropy, Adam, float32.
Run: python -m benchmarks.bench_transformer_lm [--threads 1] [--repeats 30]

Part 1 times one training step for tinygrad_lite and PyTorch (the same ``framework_step`` code)
and, as a floor, a hand-written NumPy *forward pass only* (loss, no backward or Adam).
Part 2 generates 128 tokens greedily from a 16-token prompt (batch 1) with tinygrad_lite,
once re-running the whole sequence at every step and once with ``kv_cache``, and prints tokens/s.
"""
import math
import time

from benchmarks.harness import adam_training_step, run_benchmark

VOCAB, D_MODEL, HEADS, FF, LAYERS = 256, 128, 4, 512, 2
BATCH, SEQ = 16, 64
PROMPT, NEW_TOKENS, MAX_LEN = 16, 128, 256


def make_data(numpy):
    rng = numpy.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (BATCH, SEQ + 1))
    return tokens[:, :-1].copy(), tokens[:, 1:].copy()


def build_model(lib):
    """The LM in PyTorch's API (runs unchanged on tinygrad_lite and torch)."""
    nn = lib.nn

    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(VOCAB, D_MODEL)
            self.position_embedding = nn.Embedding(MAX_LEN, D_MODEL)
            layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.0, batch_first=True,
                                               norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D_MODEL)
            self.head = nn.Linear(D_MODEL, VOCAB)

        def forward(self, ids, mask=None, offset=0, **cache):
            positions = lib.arange(offset, offset + ids.shape[1])
            x = self.token_embedding(ids) + self.position_embedding(positions)
            x = self.blocks(x, mask=mask, is_causal=mask is not None, **cache)
            return self.head(self.norm(x))

    lib.manual_seed(0)
    return LanguageModel()


def framework_step(lib, inputs, targets):
    """One training step in PyTorch's API: ``lib`` is tinygrad_lite or torch, the code is the same."""
    F = lib.nn.functional
    model = build_model(lib)
    x, y = lib.tensor(inputs), lib.tensor(targets)
    mask = lib.nn.Transformer.generate_square_subsequent_mask(SEQ)

    def loss():
        return F.cross_entropy(model(x, mask).reshape(-1, VOCAB), y.reshape(-1))

    return adam_training_step(lib, model.parameters(), loss)


def numpy_step(numpy, inputs, targets):
    """The same model's forward pass and loss by hand (no backward: a floor, not a full step)."""
    rng = numpy.random.default_rng(1)

    def uniform(*shape):
        bound = 1 / math.sqrt(shape[-1])
        return rng.uniform(-bound, bound, shape).astype(numpy.float32)

    tokens = rng.standard_normal((VOCAB, D_MODEL)).astype(numpy.float32)
    positions = rng.standard_normal((MAX_LEN, D_MODEL)).astype(numpy.float32)
    layers = [dict(in_w=uniform(3 * D_MODEL, D_MODEL), in_b=numpy.zeros(3 * D_MODEL, numpy.float32),
                   out_w=uniform(D_MODEL, D_MODEL), out_b=numpy.zeros(D_MODEL, numpy.float32),
                   w1=uniform(FF, D_MODEL), b1=uniform(FF), w2=uniform(D_MODEL, FF), b2=uniform(D_MODEL))
              for _ in range(LAYERS)]
    head_w, head_b = uniform(VOCAB, D_MODEL), uniform(VOCAB)
    mask = numpy.triu(numpy.full((SEQ, SEQ), -numpy.inf, numpy.float32), 1)
    rows = numpy.arange(BATCH * SEQ)
    head_dim = D_MODEL // HEADS

    def layer_norm(x):
        mean = x.mean(-1, keepdims=True)
        centred = x - mean
        return centred / numpy.sqrt((centred * centred).mean(-1, keepdims=True) + 1e-5)

    def softmax(x):
        x = numpy.exp(x - x.max(-1, keepdims=True))
        return x / x.sum(-1, keepdims=True)

    def step():
        x = tokens[inputs] + positions[:SEQ]
        for p in layers:
            qkv = layer_norm(x) @ p["in_w"].T + p["in_b"]
            q, k, v = qkv.reshape(BATCH, SEQ, 3, HEADS, head_dim).transpose(2, 0, 3, 1, 4)
            weights = softmax(q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(head_dim)) + mask)
            attended = (weights @ v).transpose(0, 2, 1, 3).reshape(BATCH, SEQ, D_MODEL)
            x = x + attended @ p["out_w"].T + p["out_b"]
            x = x + numpy.maximum(layer_norm(x) @ p["w1"].T + p["b1"], 0) @ p["w2"].T + p["b2"]
        logits = (layer_norm(x) @ head_w.T + head_b).reshape(-1, VOCAB)
        shifted = logits - logits.max(-1, keepdims=True)
        log_probs = shifted - numpy.log(numpy.exp(shifted).sum(-1, keepdims=True))
        return -log_probs[rows, targets.reshape(-1)].mean()

    return step


def generation_benchmark(repeats):
    """Tokens/s of greedy generation with tinygrad_lite: full recomputation vs the KV cache."""
    import statistics

    import tinygrad_lite as tl

    model = build_model(tl).eval()
    prompt = tl.tensor(make_data(__import__("numpy"))[0][:1, :PROMPT])

    def without_cache():
        ids = prompt
        for _ in range(NEW_TOKENS):
            mask = tl.nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
            next_id = model(ids, mask)[:, -1].argmax(-1, keepdim=True)
            ids = tl.cat([ids, next_id], 1)
        return ids

    def with_cache():
        cache = tl.nn.KVCache()
        logits = model(prompt, kv_cache=cache)
        generated = [prompt]
        for _ in range(NEW_TOKENS):
            next_id = logits[:, -1].argmax(-1, keepdim=True)
            generated.append(next_id)
            logits = model(next_id, offset=cache.length, kv_cache=cache)
        return tl.cat(generated, 1)

    with tl.no_grad():
        assert (without_cache().numpy() == with_cache().numpy()).all(), "cached generation diverged"
        timings = {"no cache": [], "kv cache": []}
        for _ in range(repeats):
            for name, function in (("no cache", without_cache), ("kv cache", with_cache)):
                start = time.perf_counter()
                function()
                timings[name].append(time.perf_counter() - start)
    speeds = {name: NEW_TOKENS / statistics.median(values) for name, values in timings.items()}
    print(f"\nGeneration: {NEW_TOKENS} tokens after a {PROMPT}-token prompt, batch 1, greedy")
    for name, speed in speeds.items():
        print(f"{name:<16}{speed:>10.1f} tokens/s")
    print(f"speed-up from the KV cache: {speeds['kv cache'] / speeds['no cache']:.1f}x")


def main():
    run_benchmark(__doc__.splitlines()[0], 30,
                  f"Transformer LM step ({LAYERS} layers, d_model {D_MODEL}, {HEADS} heads, FF {FF}), "
                  f"batch {BATCH} x {SEQ}, Adam; numpy = forward + loss only",
                  make_data, framework_step, numpy_step, 1e3, "ms")
    generation_benchmark(repeats=3)


if __name__ == "__main__":
    main()
