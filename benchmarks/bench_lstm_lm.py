"""Char-level LSTM language-model step: embedding 64 -> LSTM 128 -> linear 96, batch 32, seq 64.

Run: python -m benchmarks.bench_lstm_lm [--threads 1] [--repeats 30]
One training step (cross-entropy over every position, Adam, float32) for tinygrad_lite,
PyTorch (if installed) on the same weights and data, and a hand-written NumPy step (forward,
backpropagation through time and Adam written out by hand: the floor for a NumPy framework).
"""
import math

from benchmarks.harness import adam_training_step, run_benchmark
from benchmarks.numpy_adam import adam_update

BATCH, STEPS, VOCAB, EMBEDDING, HIDDEN = 32, 64, 96, 64, 128


def make_data(numpy):
    rng = numpy.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (BATCH, STEPS + 1))
    bound = 1 / math.sqrt(HIDDEN)

    def uniform(shape, limit):
        return rng.uniform(-limit, limit, shape).astype(numpy.float32)

    weights = {
        "embedding.weight": rng.standard_normal((VOCAB, EMBEDDING)).astype(numpy.float32),
        "lstm.weight_ih_l0": uniform((4 * HIDDEN, EMBEDDING), bound),
        "lstm.weight_hh_l0": uniform((4 * HIDDEN, HIDDEN), bound),
        "lstm.bias_ih_l0": uniform(4 * HIDDEN, bound),
        "lstm.bias_hh_l0": uniform(4 * HIDDEN, bound),
        "head.weight": uniform((VOCAB, HIDDEN), bound),
        "head.bias": uniform(VOCAB, bound),
    }
    return tokens[:, :-1], tokens[:, 1:], weights


def framework_step(lib, inputs, targets, weights):
    """The step in PyTorch's API: ``lib`` is tinygrad_lite or torch, the code is the same."""
    nn, F = lib.nn, lib.nn.functional

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBEDDING)
            self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, tokens):
            output, _ = self.lstm(self.embedding(tokens))
            return self.head(output)

    model = CharLSTM()
    model.load_state_dict({name: lib.tensor(value) for name, value in weights.items()})
    x, y = lib.tensor(inputs), lib.tensor(targets)

    def loss():
        return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))

    return adam_training_step(lib, model.parameters(), loss)


def _sigmoid(numpy, x):
    return 0.5 * numpy.tanh(0.5 * x) + 0.5


def numpy_step(numpy, inputs, targets, weights):
    """Forward, backpropagation through time and Adam by hand, the frameworks' arithmetic."""
    names = list(weights)
    params = [weights[name].copy() for name in names]
    moments = [(numpy.zeros_like(p), numpy.zeros_like(p)) for p in params]
    state = {"step": 0}
    tokens = inputs.T.reshape(-1)  # time-major rows: row t*B + b
    labels = targets.T.reshape(-1)
    rows = numpy.arange(tokens.shape[0])
    H = HIDDEN

    def step():
        embedding, w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
        x = embedding[tokens]
        gates_x = (x @ w_ih.T + (b_ih + b_hh)).reshape(STEPS, BATCH, 4 * H)
        h = numpy.zeros((BATCH, H), numpy.float32)
        c = numpy.zeros((BATCH, H), numpy.float32)
        hs, cs, acts = [h], [c], []
        for t in range(STEPS):
            gates = gates_x[t] + h @ w_hh.T
            sig = _sigmoid(numpy, gates)
            g = numpy.tanh(gates[:, 2 * H:3 * H])
            i, f, o = sig[:, :H], sig[:, H:2 * H], sig[:, 3 * H:]
            c = f * c + i * g
            tanh_c = numpy.tanh(c)
            h = o * tanh_c
            hs.append(h)
            cs.append(c)
            acts.append((i, f, g, o, tanh_c))
        hidden = numpy.stack(hs[1:]).reshape(-1, H)
        logits = hidden @ w_out.T + b_out
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = numpy.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -numpy.log(probs[rows, labels]).mean()
        d_logits = probs
        d_logits[rows, labels] -= 1
        d_logits /= rows.shape[0]
        d_w_out, d_b_out = d_logits.T @ hidden, d_logits.sum(axis=0)
        d_hidden = (d_logits @ w_out).reshape(STEPS, BATCH, H)
        d_gates = numpy.empty((STEPS, BATCH, 4 * H), numpy.float32)
        d_h = numpy.zeros((BATCH, H), numpy.float32)
        d_c = numpy.zeros((BATCH, H), numpy.float32)
        for t in range(STEPS - 1, -1, -1):
            i, f, g, o, tanh_c = acts[t]
            d_h = d_h + d_hidden[t]
            d_c = d_c + d_h * o * (1 - tanh_c * tanh_c)
            d_gates[t, :, :H] = d_c * g * i * (1 - i)
            d_gates[t, :, H:2 * H] = d_c * cs[t] * f * (1 - f)
            d_gates[t, :, 2 * H:3 * H] = d_c * i * (1 - g * g)
            d_gates[t, :, 3 * H:] = d_h * tanh_c * o * (1 - o)
            d_h = d_gates[t] @ w_hh
            d_c = d_c * f
        d_gates = d_gates.reshape(-1, 4 * H)
        d_w_hh = d_gates.T @ numpy.stack(hs[:-1]).reshape(-1, H)
        d_w_ih = d_gates.T @ x
        d_bias = d_gates.sum(axis=0)
        d_embedding = numpy.zeros_like(embedding)
        numpy.add.at(d_embedding, tokens, d_gates @ w_ih)
        grads = [d_embedding, d_w_ih, d_w_hh, d_bias, d_bias, d_w_out, d_b_out]
        state["step"] += 1
        adam_update(numpy, params, grads, moments, state["step"])
        return loss

    return step


def main():
    run_benchmark(__doc__.splitlines()[0], 30,
                  f"char-LSTM LM step: batch {BATCH}, seq {STEPS}, vocab {VOCAB}, "
                  f"embedding {EMBEDDING}, hidden {HIDDEN}, Adam",
                  make_data, framework_step, numpy_step, 1e3, "ms")


if __name__ == "__main__":
    main()
