"""Random small programs: a few inputs, 1-6 ops from the catalogue, and a loss.

PyTorch is the oracle while a program is drafted: each drafted line runs on it at once, so an
op builder can ask for the shape, dtype or values of what came before (to pick valid dims,
indices, partner shapes). A line PyTorch refuses is usually dropped and another op drafted;
now and then it is kept as the program's last line, to check that we refuse it too.
"""
import numpy

from fuzz_catalogue import CATALOGUE
from fuzz_draft import DraftContext
from fuzz_inputs import weighted_choice
from fuzz_program import Program

MAX_OPS = 6
MAX_INPUTS_AT_START = 3
MAX_DRAFT_ATTEMPTS = 40


def generate_program(rng):
    """A random Program drawn from ``rng`` (a numpy Generator)."""
    ctx = DraftContext(rng)
    for _ in range(int(rng.integers(1, MAX_INPUTS_AT_START + 1))):
        ctx.add_starting_input()
    wanted, attempts = int(rng.integers(1, MAX_OPS + 1)), 0
    while len(ctx.statements) < wanted and attempts < MAX_DRAFT_ATTEMPTS:
        attempts += 1
        draft = weighted_choice(rng, CATALOGUE)(ctx)
        if draft is None:
            ctx.discard_pending()
            continue
        kept, refused = ctx.try_draft(draft)
        if kept and refused:
            break
    return Program(tuple(ctx.inputs), tuple(ctx.statements), ctx.loss_terms())


def case_rng(seed, index):
    """The Generator of case ``index`` of run ``seed``: every case can be replayed alone."""
    return numpy.random.default_rng([seed, index])
