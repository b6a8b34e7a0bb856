"""Quick differential fuzz run against PyTorch (the long run: tests/fuzz/differential.py).

A fixed seed and a case count that takes ~20-30 s; TL_FUZZ_CASES and TL_FUZZ_SEED change them.
On any finding the test fails and lists one shrunk, runnable reproducer per distinct finding.
"""
import os

from helpers import requires_torch

CASES = int(os.environ.get("TL_FUZZ_CASES", "3000"))
SEED = int(os.environ.get("TL_FUZZ_SEED", "0"))
SHRINK_BUDGET = 60  # re-runs per reproducer, for the MOST_SHRUNK most frequent signatures
MOST_SHRUNK = 40


@requires_torch
def test_random_programs_match_pytorch():
    from differential import format_report, run_cases  # imports torch: only once it is known present

    summary = run_cases(SEED, CASES)
    assert summary.cases_run == CASES
    found = summary.findings or summary.fuzzer_errors
    assert not found, format_report(summary, SHRINK_BUDGET, MOST_SHRUNK)
