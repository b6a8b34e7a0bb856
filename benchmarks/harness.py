"""Shared benchmark harness: thread pinning, interleaved timing, medians, ratio tables.

A benchmark module defines ``make_data(numpy)``, one ``framework_step(lib, *data)`` written
against the PyTorch API (it runs unchanged with ``lib`` = tinygrad_lite or torch) and a
hand-written ``numpy_step(numpy, *data)``, then calls ``run_benchmark``. NumPy is imported only
after the thread count is set, so the BLAS limit takes effect.

``run_benchmark`` also measures each variant's peak memory (``peak_memory``): a fresh process
builds the variant and runs two steps (the first creates the optimizer state), reporting the
tracemalloc peak (NumPy arrays and Python objects: tinygrad_lite and NumPy only, PyTorch's
allocator is invisible to it) and the rise of the RSS high-water mark over the RSS before
building (every variant; after a tiny matmul has loaded the library's kernels). Both include
the model, optimizer state and the step's activations, and the RSS rise also whatever a
library loads on first use (PyTorch's oneDNN and its code pages: most of its 130+ MiB).
The third column, ``step MiB``, compares the frameworks fairly: the RSS a steady-state step
needs above what lives between steps (weights, optimizer state, data), measured on one more
step after free memory went back to the kernel (glibc ``malloc_trim``) and the high-water mark
was reset (``/proc/self/clear_refs``); "-" where Linux or glibc lacks either.
"""
import argparse
import ctypes
import gc
import importlib
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def parse_args(description, default_repeats, argv=None):
    """Common flags: --threads (default 1, the stable comparison here), --repeats, --device."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=default_repeats, help="timed rounds per variant")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory column (one fresh process per variant)")
    parser.add_argument("--device", default="cpu",
                        help="cpu (default) or cuda[:N]: both frameworks make every tensor there "
                             "(their default device) and each timed step ends with a synchronize; "
                             "the NumPy floor and the CPU memory columns are left out")
    return parser.parse_args(argv)


def on_device(device, tinygrad_lite, torch):
    """Make ``device`` both frameworks' default device before their variants are built, and
    return a function wrapping a step so it waits for that device's queued kernels (GPU work is
    asynchronous: a step's time is only known once it has run). CPU: steps are left as they are.
    """
    if device == "cpu":
        return lambda name, step: step
    try:
        tinygrad_lite.set_default_device(device)
    except (RuntimeError, ValueError) as error:  # no usable GPU: say why, without a traceback
        raise SystemExit(f"--device {device}: {error}") from None
    synchronizers = {"tinygrad_lite": lambda: tinygrad_lite.cuda.synchronize(device)}
    if torch is not None:
        if not torch.cuda.is_available():
            raise SystemExit(f"--device {device}: this PyTorch build sees no CUDA GPU "
                             f"(torch {torch.__version__}); install a CUDA build to compare")
        torch.set_default_device(device)
        synchronizers["pytorch"] = lambda: torch.cuda.synchronize(device)

    def synchronized(name, step):
        wait = synchronizers[name]

        def step_then_wait():
            result = step()
            wait()
            return result

        return step_then_wait

    return synchronized


def configure_threads(threads, with_torch=True):
    """Pin BLAS (via env vars, read when NumPy loads BLAS) and torch to ``threads`` threads."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass
    torch = optional_torch() if with_torch else None
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


def _mebibytes(value):
    return "-" if value is None else f"{value / 2 ** 20:.1f}"


def report(title, timings, unit_scale, unit, per=1, baseline="pytorch", memory=None):
    """Print median (and quartiles) per variant, and each one's ratio to ``baseline``.

    ``memory``: optional dict name -> ``peak_memory`` result, printed as three more columns in
    MiB (tracemalloc peak, RSS high-water rise, a steady-state step's RSS); "-" where not
    measurable.
    """
    medians = {name: statistics.median(values) / per for name, values in timings.items()}
    print(f"\n{title}")
    header = f"{'variant':<16}{'median':>12}{'p25':>10}{'p75':>10}   ratio vs {baseline}"
    print(header + ("   traced MiB   RSS MiB   step MiB" if memory else ""))
    for name, values in timings.items():
        quartiles = statistics.quantiles(values, n=4)
        ratio = medians[name] / medians[baseline] if baseline in medians else float("nan")
        line = (f"{name:<16}{medians[name] * unit_scale:>10.2f}{unit:<2}"
                f"{quartiles[0] / per * unit_scale:>10.2f}{quartiles[2] / per * unit_scale:>10.2f}"
                f"   {ratio:>6.2f}x")
        if memory:
            peak = memory.get(name, {})
            line += (f"{_mebibytes(peak.get('traced')):>18}{_mebibytes(peak.get('rss')):>10}"
                     f"{_mebibytes(peak.get('step')):>11}")
        print(line)
    return medians


def _proc_status_bytes(field):
    """A ``kB`` field of /proc/self/status in bytes, or None where there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _current_rss():
    """Resident set size of this process in bytes (elsewhere than Linux: the high-water mark)."""
    current = _proc_status_bytes("VmRSS")
    return current if current is not None else _rss_high_water()


def _rss_high_water():
    """This process's RSS high-water mark in bytes: VmHWM (ru_maxrss on Linux survives exec, so
    it would start at the parent's size), else ru_maxrss (KiB, or bytes on macOS)."""
    peak = _proc_status_bytes("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _build_variant(module, variant, numpy, data, step_names):
    """The step closure of ``variant`` ("tinygrad_lite", "pytorch" or "numpy") of a benchmark
    module; ``step_names`` = (framework function name, NumPy function name) in that module."""
    framework_name, numpy_name = step_names
    if variant == "numpy":
        return getattr(module, numpy_name)(numpy, *data)
    lib = importlib.import_module("torch" if variant == "pytorch" else "tinygrad_lite")
    return getattr(module, framework_name)(lib, *data)


def measure_here(module_name, variant, threads, steps=2, step_names=("framework_step", "numpy_step")):
    """Peak memory of building ``variant`` and running ``steps`` steps, in this process.

    Returns dict traced (bytes; None for PyTorch) and rss (bytes). Meant for a fresh process.
    """
    configure_threads(threads, with_torch=variant == "pytorch")
    import numpy

    module = importlib.import_module(module_name)
    data = module.make_data(numpy)
    if variant != "numpy":  # load the library's kernels first: they are not the step's memory
        lib = importlib.import_module("torch" if variant == "pytorch" else "tinygrad_lite")
        (lib.ones(8, 8, requires_grad=True) @ lib.ones(8, 8)).sum().backward()
    baseline = _current_rss()
    tracemalloc.start()
    step = _build_variant(module, variant, numpy, data, step_names)
    for _ in range(steps):
        step()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"traced": None if variant == "pytorch" else traced,
            "rss": max(_rss_high_water() - baseline, 0), "step": _steady_step_peak(step)}


def _steady_step_peak(step):
    """Bytes of RSS one more ``step`` needs above the memory that lives between steps, or None
    without glibc's ``malloc_trim`` or Linux's resettable high-water mark."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # freed memory back to the kernel: not counted as live
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # VmHWM := VmRSS
    except (OSError, AttributeError):
        return None
    baseline = _current_rss()
    step()
    return max(_rss_high_water() - baseline, 0)


def peak_memory(module_name, variant, threads=1, steps=2, step_names=("framework_step", "numpy_step")):
    """``measure_here`` run in a fresh Python process (nothing earlier inflates the peaks)."""
    root = pathlib.Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "benchmarks.harness", module_name, variant, str(threads), str(steps),
               *step_names]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _module_name(function):
    """The importable name of the module defining ``function`` (also when run with ``-m``)."""
    name = function.__module__
    if name == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        return spec.name if spec is not None else None
    return name


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
    prepared = on_device(args.device, tinygrad_lite, torch)
    variants = {}
    variants["tinygrad_lite"] = prepared("tinygrad_lite", framework_step(tinygrad_lite, *data))
    if torch is not None:
        variants["pytorch"] = prepared("pytorch", framework_step(torch, *data))
    if args.device == "cpu":
        variants["numpy"] = numpy_step(numpy, *data)
    timings = time_interleaved(variants, args.repeats)
    module_name = _module_name(framework_step)
    memory = None
    if not args.no_memory and module_name is not None and args.device == "cpu":
        names = (framework_step.__name__, numpy_step.__name__)
        memory = {name: peak_memory(module_name, name, args.threads, step_names=names) for name in variants}
    place = f"{args.threads} thread(s)" if args.device == "cpu" else args.device
    return report(f"{title}, {place}", timings, unit_scale, unit, per=per,
                  baseline="pytorch" if torch is not None else next(iter(variants)), memory=memory)


if __name__ == "__main__":  # python -m benchmarks.harness MODULE VARIANT THREADS STEPS FRAMEWORK NUMPY
    print(json.dumps(measure_here(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                  tuple(sys.argv[5:7]))))
