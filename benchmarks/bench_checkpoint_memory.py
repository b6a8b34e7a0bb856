"""Peak memory of one GPT training step with and without gradient checkpointing.

Run: python -m benchmarks.bench_checkpoint_memory [--layers 8] [--batch 8] [--block 128]
Each variant runs in a fresh Python process, which builds the same seeded GPT (dropout on) and
measures forward + backward with tracemalloc (NumPy reports its arrays to it): the peak above
what the model and its data already held. The checkpointed run recomputes each block in
backward, so it keeps one block's activations instead of all of them; the script checks that
both runs give identical gradients and prints the peaks, their ratio and the step times.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy

MIB = 2 ** 20


def parse_args(argv=None):
    """The model size, and (for the child processes) which variant to run and where to write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=8, help="Transformer blocks")
    parser.add_argument("--embedding", type=int, default=128, help="model width (n_embd)")
    parser.add_argument("--heads", type=int, default=4, help="attention heads")
    parser.add_argument("--batch", type=int, default=8, help="sequences per step")
    parser.add_argument("--block", type=int, default=128, help="tokens per sequence")
    parser.add_argument("--vocab", type=int, default=256, help="vocabulary size")
    parser.add_argument("--child", choices=["plain", "checkpoint"], help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def training_step(args, gradient_checkpointing):
    """One forward + backward of a seeded GPT: (peak bytes during the step, seconds, gradients)."""
    import tinygrad_lite as tl
    from models.gpt import GPT

    tl.manual_seed(0)
    model = GPT(args.vocab, args.block, args.layers, args.heads, args.embedding, dropout=0.1,
                gradient_checkpointing=gradient_checkpointing)
    model.train()
    rng = numpy.random.default_rng(0)
    ids = tl.tensor(rng.integers(0, args.vocab, (args.batch, args.block + 1)))
    inputs, targets = ids[:, :-1], ids[:, 1:]
    tracemalloc.start()
    start = time.perf_counter()
    model.loss(inputs, targets).backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    grads = {name: parameter.grad.numpy() for name, parameter in model.named_parameters()}
    return peak, seconds, grads


def run_child(args):
    """In the child process: one step, its peak and time as JSON, its gradients as .npz."""
    peak, seconds, grads = training_step(args, args.child == "checkpoint")
    numpy.savez(args.result + ".npz", **grads)
    with open(args.result + ".json", "w") as handle:
        json.dump({"peak_bytes": peak, "seconds": seconds}, handle)


def measure(variant, args, folder):
    """Run ``variant`` in a fresh process: (its peak bytes and seconds, its gradients)."""
    result = os.path.join(folder, variant)
    command = [sys.executable, "-m", "benchmarks.bench_checkpoint_memory", "--child", variant,
               "--result", result, "--layers", str(args.layers), "--embedding", str(args.embedding),
               "--heads", str(args.heads), "--batch", str(args.batch), "--block", str(args.block),
               "--vocab", str(args.vocab)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(command, check=True, cwd=root)
    with open(result + ".json") as handle:
        stats = json.load(handle)
    with numpy.load(result + ".npz") as grads:
        return stats, dict(grads)


def compare(args):
    """Both variants, gradients checked identical; returns the summary printed as a table."""
    with tempfile.TemporaryDirectory() as folder:
        plain, plain_grads = measure("plain", args, folder)
        checkpointed, checkpoint_grads = measure("checkpoint", args, folder)
    identical = plain_grads.keys() == checkpoint_grads.keys() and all(
        numpy.array_equal(plain_grads[name], checkpoint_grads[name]) for name in plain_grads)
    return {"plain_peak_mib": plain["peak_bytes"] / MIB,
            "checkpoint_peak_mib": checkpointed["peak_bytes"] / MIB,
            "memory_ratio": checkpointed["peak_bytes"] / plain["peak_bytes"],
            "plain_seconds": plain["seconds"], "checkpoint_seconds": checkpointed["seconds"],
            "gradients_identical": identical}


def main(argv=None):
    """Print peak memory and time of a GPT step with and without checkpointing; returns them."""
    args = parse_args(argv)
    if args.child:
        run_child(args)
        return None
    summary = compare(args)
    print(f"GPT step: {args.layers} layers, width {args.embedding}, batch {args.batch} x "
          f"{args.block} tokens, dropout 0.1 (tracemalloc peak during forward + backward)")
    print(f"{'variant':<16}{'peak MiB':>10}{'seconds':>10}")
    print(f"{'plain':<16}{summary['plain_peak_mib']:>10.1f}{summary['plain_seconds']:>10.2f}")
    print(f"{'checkpointed':<16}{summary['checkpoint_peak_mib']:>10.1f}"
          f"{summary['checkpoint_seconds']:>10.2f}")
    print(f"memory ratio {summary['memory_ratio']:.2f}; gradients identical: "
          f"{summary['gradients_identical']}")
    if not summary["gradients_identical"] or summary["memory_ratio"] >= 1:
        raise SystemExit("checkpointing must lower the peak and keep the gradients identical")
    return summary


if __name__ == "__main__":
    main()
