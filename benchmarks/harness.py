"""Shared benchmark harness: thread pinning, interleaved timing, medians, ratio tables.

A benchmark module defines ``make_data(numpy)``, one ``framework_step(lib, *data)`` written
against the PyTorch API (it runs unchanged with ``lib`` = tinygrad_lite or torch) and a
hand-written ``numpy_step(numpy, *data)``, then calls ``run_benchmark``. NumPy is imported only
after the thread count is set, so the BLAS limit takes effect.
"""
import argparse
import os
import statistics
import time

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def parse_args(description, default_repeats):
    """Common flags: --threads (default 1, the stable comparison here) and --repeats."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=default_repeats, help="timed rounds per variant")
    return parser.parse_args()


def configure_threads(threads):
    """Pin BLAS (via env vars, read when NumPy loads BLAS) and torch to ``threads`` threads."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass
    torch = optional_torch()
    if torch is not None:
        torch.set_num_threads(threads)


def optional_torch():
    """PyTorch if installed (the benchmarks compare against it when they can), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def time_interleaved(variants, repeats, warmup=3):
    """Run each variant once per round, round-robin, so drift and stalls hit all of them alike.

    ``variants``: dict name -> zero-argument callable. Returns dict name -> list of seconds.
    """
    for _ in range(warmup):
        for function in variants.values():
            function()
    timings = {name: [] for name in variants}
    for _ in range(repeats):
        for name, function in variants.items():
            start = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - start)
    return timings


def report(title, timings, unit_scale, unit, per=1, baseline="pytorch"):
    """Print median (and quartiles) per variant, and each one's ratio to ``baseline``."""
    medians = {name: statistics.median(values) / per for name, values in timings.items()}
    print(f"\n{title}")
    print(f"{'variant':<16}{'median':>12}{'p25':>10}{'p75':>10}   ratio vs {baseline}")
    for name, values in timings.items():
        quartiles = statistics.quantiles(values, n=4)
        ratio = medians[name] / medians[baseline] if baseline in medians else float("nan")
        print(f"{name:<16}{medians[name] * unit_scale:>10.2f}{unit:<2}"
              f"{quartiles[0] / per * unit_scale:>10.2f}{quartiles[2] / per * unit_scale:>10.2f}"
              f"   {ratio:>6.2f}x")
    return medians


def adam_training_step(lib, parameters, compute_loss, lr=1e-3):
    """A closure doing one Adam step on ``compute_loss()``: the same code for either library."""
    optimizer = lib.optim.Adam(parameters, lr=lr)

    def step():
        loss = compute_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def run_benchmark(description, default_repeats, title, make_data, framework_step, numpy_step,
                  unit_scale, unit, per=1):
    """Parse flags, pin threads, then time tinygrad_lite, PyTorch (if installed) and NumPy interleaved.

    Ratios are against PyTorch when it is installed, else against the NumPy floor.
    """
    args = parse_args(description, default_repeats)
    configure_threads(args.threads)
    import numpy

    import tinygrad_lite

    torch = optional_torch()
    data = make_data(numpy)
    variants = {"tinygrad_lite": framework_step(tinygrad_lite, *data)}
    if torch is not None:
        variants["pytorch"] = framework_step(torch, *data)
    variants["numpy"] = numpy_step(numpy, *data)
    timings = time_interleaved(variants, args.repeats)
    return report(f"{title}, {args.threads} thread(s)", timings, unit_scale, unit, per=per,
                  baseline="pytorch" if torch is not None else "numpy")
