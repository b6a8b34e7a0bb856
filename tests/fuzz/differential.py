"""Differential fuzzing of tinygrad_lite against PyTorch on random small programs.

Each case ``(seed, index)`` draws a program (fuzz_generator), runs it on both libraries in
lockstep (fuzz_compare) and records the first difference. Findings are grouped by signature
(op and kind of difference; the variants are counted inside); the smallest example of each is
shrunk (fuzz_shrink) and printed as a script that runs on both libraries. Deliberate
differences (fuzz_known) are skipped.

Long run (from the repository root; needs torch)::

    python tests/fuzz/differential.py --cases 200000 --seed 1 --workers 2
    python tests/fuzz/differential.py --minutes 20 --seed 1          # as many cases as fit
    python tests/fuzz/differential.py --seed 1 --replay 1234         # one case, printed

The quick CI run is tests/fuzz/test_differential.py (TL_FUZZ_CASES sets its case count).
"""
import argparse
import collections
import dataclasses
import multiprocessing
import sys
import time
import traceback

import torch

from fuzz_compare import find_difference
from fuzz_findings import ErrorTypeNote, Finding
from fuzz_generator import case_rng, generate_program
from fuzz_known import is_known_error_type_difference
from fuzz_shrink import DEFAULT_BUDGET, shrink

CHUNK = 50


@dataclasses.dataclass
class Group:
    """All cases with one signature: how many, their indices (the first few), how many of each
    variant, the smallest example."""

    count: int = 0
    cases: list = dataclasses.field(default_factory=list)
    variants: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    example: object = None

    def add(self, index, outcome):
        """Count ``outcome`` of case ``index``; keep the smallest program as the example."""
        self.count += 1
        self.variants[outcome.variant] += 1
        if len(self.cases) < 10:
            self.cases.append(index)
        if self.example is None or outcome.program.size() < self.example.program.size():
            self.example = outcome


@dataclasses.dataclass
class Summary:
    """What a run found: findings and error-type notes by signature, fuzzer crashes, case count."""

    seed: int
    cases_run: int = 0
    findings: dict = dataclasses.field(default_factory=lambda: collections.defaultdict(Group))
    notes: dict = dataclasses.field(default_factory=lambda: collections.defaultdict(Group))
    fuzzer_errors: list = dataclasses.field(default_factory=list)

    def record(self, index, outcome):
        """Add one case's outcome (Finding, ErrorTypeNote, a fuzzer traceback string, or None)."""
        self.cases_run += 1
        if isinstance(outcome, Finding):
            self.findings[outcome.signature()].add(index, outcome)
        elif isinstance(outcome, ErrorTypeNote) and not is_known_error_type_difference(outcome):
            self.notes[outcome.signature()].add(index, outcome)
        elif isinstance(outcome, str):
            self.fuzzer_errors.append((index, outcome))


def run_case(seed, index):
    """The outcome of case ``index``: a Finding, an ErrorTypeNote, None, or a fuzzer traceback."""
    try:
        return find_difference(generate_program(case_rng(seed, index)))
    except Exception:  # noqa: BLE001 - a fuzzer bug is reported, not allowed to end a long run
        return traceback.format_exc()


def _run_chunk(arguments):
    seed, start, stop = arguments
    return [(index, run_case(seed, index)) for index in range(start, stop)]


def run_cases(seed, cases, start=0, workers=1, minutes=None, progress=None):
    """Run cases ``start .. start + cases`` (or until ``minutes`` pass); returns a Summary."""
    summary = Summary(seed)
    deadline = time.monotonic() + 60 * minutes if minutes else None
    stop = start + cases
    chunks = ((seed, first, min(first + CHUNK, stop)) for first in range(start, stop, CHUNK))
    began = time.monotonic()

    def consume(results):
        for index, outcome in results:
            summary.record(index, outcome)
        if progress:
            progress(summary, time.monotonic() - began)
        return deadline is not None and time.monotonic() > deadline

    if workers <= 1:
        for chunk in chunks:
            if consume(_run_chunk(chunk)):
                break
        return summary
    with multiprocessing.get_context("spawn").Pool(workers, initializer=torch.set_num_threads,
                                                   initargs=(1,)) as pool:
        for results in pool.imap_unordered(_run_chunk, chunks):
            if consume(results):
                pool.terminate()
                break
    return summary


def print_progress(summary, elapsed):
    """One status line per chunk."""
    rate = summary.cases_run / max(elapsed, 1e-9)
    print(f"[{elapsed:7.1f}s] {summary.cases_run} cases ({rate:.0f}/s), "
          f"{sum(g.count for g in summary.findings.values())} findings in {len(summary.findings)} "
          f"signatures, {len(summary.fuzzer_errors)} fuzzer errors", flush=True)


def format_report(summary, shrink_budget=DEFAULT_BUDGET, most_shrunk=None):
    """Findings by signature (count, cases, one reproducer shrunk with ``shrink_budget`` re-runs
    for the ``most_shrunk`` most frequent signatures, as drawn for the rest), then the
    error-type notes and fuzzer errors."""
    lines = [f"seed {summary.seed}: {summary.cases_run} cases, "
             f"{sum(g.count for g in summary.findings.values())} findings, "
             f"{len(summary.findings)} distinct signatures"]
    ranked = sorted(summary.findings.items(), key=lambda item: -item[1].count)
    for rank, (signature, group) in enumerate(ranked):
        shrunk = shrink_budget and (most_shrunk is None or rank < most_shrunk)
        example = shrink(group.example, shrink_budget) if shrunk else group.example
        variants = ", ".join(f"{variant or '-'}: {n}" for variant, n in group.variants.most_common(8))
        lines += ["", "=" * 100, f"{group.count} x {signature}", f"# variants {variants}",
                  f"# cases {group.cases}; replay one with: python tests/fuzz/differential.py "
                  f"--seed {summary.seed} --replay {group.cases[0]}",
                  example.report()]
    if summary.notes:
        lines += ["", "=" * 100, "Both refused, with different exception types (not findings):"]
        for signature, group in sorted(summary.notes.items(), key=lambda item: -item[1].count):
            lines.append(f"  {group.count} x {signature}   e.g. case {group.cases[0]}: "
                         f"PyTorch {group.example.theirs!r} / ours {group.example.ours!r}")
    for index, error in summary.fuzzer_errors[:5]:
        lines += ["", f"FUZZER ERROR in case {index}:", error]
    return "\n".join(lines)


def replay(seed, index):
    """Print case ``index``'s program and outcome (unshrunk and shrunk)."""
    program = generate_program(case_rng(seed, index))
    outcome = find_difference(program)
    print(program.source("'done'"))
    if isinstance(outcome, Finding):
        print("\n" + outcome.report() + "\n\nshrunk:\n" + shrink(outcome).report())
    else:
        print(f"\noutcome: {outcome}")


def main(argv=None):
    """Command-line entry: a long run, or the replay of one case."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first case index")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long")
    parser.add_argument("--replay", type=int, default=None, help="run and print one case")
    parser.add_argument("--no-shrink", action="store_true")
    args = parser.parse_args(argv)
    if args.replay is not None:
        replay(args.seed, args.replay)
        return 0
    if args.minutes is None and args.cases == parser.get_default("cases"):
        parser.error("give --cases or --minutes")
    torch.set_num_threads(1)  # small tensors: threads only add overhead, and the machine is shared
    summary = run_cases(args.seed, args.cases, args.start, args.workers, args.minutes, print_progress)
    print(format_report(summary, 0 if args.no_shrink else DEFAULT_BUDGET))
    return 1 if summary.findings or summary.fuzzer_errors else 0


if __name__ == "__main__":
    sys.exit(main())
