"""MLP training step: 784-256-256-10, batch 128, ReLU, cross-entropy, Adam (float32).

Run: python -m benchmarks.bench_mlp_step [--threads 1] [--repeats 100]
Prints ms per step for tinygrad_lite, PyTorch (if installed) and a hand-written NumPy step
(forward, backward and Adam written out by hand: the floor for any NumPy framework).
"""
import math

from benchmarks.numpy_adam import adam_update
from benchmarks.harness import adam_training_step, run_benchmark

SIZES = (784, 256, 256, 10)
BATCH = 128


def make_data(numpy):
    rng = numpy.random.default_rng(0)
    inputs = rng.standard_normal((BATCH, SIZES[0])).astype(numpy.float32)
    labels = rng.integers(0, SIZES[-1], BATCH)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / math.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(numpy.float32))
        weights.append(rng.uniform(-bound, bound, fan_out).astype(numpy.float32))
    return inputs, labels, weights


def framework_step(lib, inputs, labels, weights):
    """The step in PyTorch's API: ``lib`` is tinygrad_lite or torch, the code is the same."""
    F = lib.nn.functional
    params = [lib.tensor(w, requires_grad=True) for w in weights]
    x, y = lib.tensor(inputs), lib.tensor(labels)

    def loss():
        hidden = x
        for layer in range(0, len(params) - 2, 2):
            hidden = F.linear(hidden, params[layer], params[layer + 1]).relu()
        return F.cross_entropy(F.linear(hidden, params[-2], params[-1]), y)

    return adam_training_step(lib, params, loss)


def numpy_step(numpy, inputs, labels, weights):
    """Forward, backward and Adam by hand, the same arithmetic as the frameworks."""
    params = [w.copy() for w in weights]
    moments = [(numpy.zeros_like(w), numpy.zeros_like(w)) for w in params]
    state = {"step": 0}
    rows = numpy.arange(BATCH)

    def step():
        activations, hidden = [inputs], inputs
        for layer in range(0, len(params) - 2, 2):
            hidden = numpy.maximum(hidden @ params[layer].T + params[layer + 1], 0)
            activations.append(hidden)
        logits = hidden @ params[-2].T + params[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = numpy.exp(shifted)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -numpy.log(probs[rows, labels]).mean()
        grad = probs
        grad[rows, labels] -= 1
        grad /= BATCH
        grads = [None] * len(params)
        for layer in range(len(params) - 2, -1, -2):
            below = activations[layer // 2]
            grads[layer] = grad.T @ below
            grads[layer + 1] = grad.sum(axis=0)
            if layer:
                grad = (grad @ params[layer]) * (below > 0)
        state["step"] += 1
        adam_update(numpy, params, grads, moments, state["step"])
        return loss

    return step


def main():
    run_benchmark(__doc__.splitlines()[0], 100,
                  f"MLP step {'-'.join(map(str, SIZES))}, batch {BATCH}, Adam",
                  make_data, framework_step, numpy_step, 1e3, "ms")


if __name__ == "__main__":
    main()
