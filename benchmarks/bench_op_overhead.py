"""Per-op overhead: forward + backward through a 1,000-op chain on a (4,) tensor.

Run: python -m benchmarks.bench_op_overhead [--threads 1] [--repeats 50]
Prints microseconds per op (forward+backward) for tinygrad_lite, PyTorch (if installed) and a
hand-written NumPy chain (the floor: the same arithmetic with no framework at all).
"""
from benchmarks.harness import configure_threads, optional_torch, parse_args, report, time_interleaved

CHAIN = 1000


def tinygrad_chain(tl, op):
    x = tl.randn(4, requires_grad=True)
    w = tl.randn(4, requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 2):
            y = op(y, w)
        y.sum().backward()
        x.grad = w.grad = None

    return run


def torch_chain(torch, op):
    x = torch.randn(4, requires_grad=True)
    w = torch.randn(4, requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 2):
            y = op(y, w)
        y.sum().backward()
        x.grad = w.grad = None

    return run


def numpy_chain(numpy):
    """The same mul-then-tanh chain with hand-written backward: what no framework can beat."""
    x = numpy.random.default_rng(0).standard_normal(4).astype(numpy.float32)
    w = numpy.random.default_rng(1).standard_normal(4).astype(numpy.float32)

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
    args = parse_args(__doc__.splitlines()[0], default_repeats=50)
    configure_threads(args.threads)
    import numpy

    import tinygrad_lite as tl

    torch = optional_torch()
    variants = {"tinygrad_lite": tinygrad_chain(tl, lambda y, w: (y * w).tanh())}
    if torch is not None:
        variants["pytorch"] = torch_chain(torch, lambda y, w: (y * w).tanh())
    variants["numpy"] = numpy_chain(numpy)
    timings = time_interleaved(variants, args.repeats)
    report(f"per-op overhead, (4,) tensor, {CHAIN}-op chain (mul, tanh), forward+backward, "
           f"{args.threads} thread(s)", timings, 1e6, "us", per=CHAIN,
           baseline="pytorch" if torch is not None else "numpy")


if __name__ == "__main__":
    main()
