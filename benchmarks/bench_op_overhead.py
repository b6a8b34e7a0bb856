"""Per-op overhead: forward + backward through a 1,000-op chain on a (4,) tensor.

Run: python -m benchmarks.bench_op_overhead [--threads 1] [--repeats 50]
Prints microseconds per op (forward+backward) for tinygrad_lite, PyTorch (if installed) and a
hand-written NumPy chain (the floor: the same arithmetic with no framework at all).
"""
from benchmarks.harness import run_benchmark

CHAIN = 1000


def make_data(numpy):
    rng = numpy.random.default_rng(0)
    return rng.standard_normal(4).astype(numpy.float32), rng.standard_normal(4).astype(numpy.float32)


def framework_chain(lib, x, w):
    """``y = tanh(y * w)`` 500 times, then backward: ``lib`` is tinygrad_lite or torch."""
    x = lib.tensor(x, requires_grad=True)
    w = lib.tensor(w, requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 2):
            y = (y * w).tanh()
        y.sum().backward()
        x.grad = w.grad = None

    return run


def numpy_chain(numpy, x, w):
    """The same mul-then-tanh chain with hand-written backward: what no framework can beat."""
    def run():
        saved, y = [], x
        for _ in range(CHAIN // 2):
            product = y * w
            y = numpy.tanh(product)
            saved.append((product, y))
        grad, grad_w = numpy.ones_like(y), numpy.zeros_like(w)
        previous = [x] + [out for _, out in saved[:-1]]
        for (product, out), before in zip(reversed(saved), reversed(previous)):
            grad = grad * (1.0 - out * out)
            grad_w += grad * before
            grad = grad * w
        return grad, grad_w

    return run


def main():
    run_benchmark(__doc__.splitlines()[0], 50,
                  f"per-op overhead, (4,) tensor, {CHAIN}-op chain (mul, tanh), forward+backward",
                  make_data, framework_chain, numpy_chain, 1e6, "us", per=CHAIN)


if __name__ == "__main__":
    main()
