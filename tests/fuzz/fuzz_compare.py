"""Run one fuzz program on PyTorch and on tinygrad_lite in lockstep and report the first difference.

After every line both namespaces hold the same names; every tensor bound so far is compared
(shape, dtype, requires_grad, values), so a wrong write through a view shows at the statement
that made it. After backward, each leaf's ``.grad`` is compared (None-ness, shape, dtype,
values). A gradient difference is pinned to an op by re-running ever longer prefixes of the
program with a loss on the prefix's last result.
"""
import dataclasses
import functools
import warnings

import numpy
import torch

import tinygrad_lite
from fuzz_noise import (EXTREME_SUFFIX, INEXACT_SUFFIX, has_extreme_values, is_exact, looks_amplified,
                        tamed)
from fuzz_findings import ErrorTypeNote, Finding, describe_array, describe_error
from fuzz_known import is_known_difference
from fuzz_program import LossTerm

# rtol, atol per element, by the least precise float dtype the program has computed in
TOLERANCES = {"float16": (3e-2, 3e-2), "float32": (1e-4, 1e-5), "float64": (1e-9, 1e-12)}
GRAD_TOLERANCES = {"float16": (5e-2, 3e-2), "float32": (1e-3, 1e-4), "float64": (1e-7, 1e-9)}
FLOAT_PRECISION = {"float16": 0, "float32": 1, "float64": 2}
UPSTREAM_PATTERN = (1.0, -2.0, 0.5, 1.5, -1.0, 2.0, -0.5)
NUMERIC_KINDS = ("values", "nan positions", "inf values")
BOTH_REFUSED = "both refused"  # same exception type on both sides: the program ends, no finding


@functools.lru_cache(maxsize=16384)
def _compiled(code):
    return compile(code, "<fuzz>", "exec")


class LibraryRun:
    """One library's namespace while a program executes line by line."""

    def __init__(self, lib):
        self.lib = lib
        self.namespace = {"lib": lib, "F": lib.nn.functional, "nan": float("nan"), "inf": float("inf")}

    def execute(self, code):
        """Run one line; return the exception it raised, or None."""
        try:
            with warnings.catch_warnings(), numpy.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                exec(_compiled(code), self.namespace)
        except Exception as error:  # noqa: BLE001 - any refusal is an answer to compare
            return error
        return None

    def snapshot(self, expression):
        """(shape, dtype, requires_grad, array copy) of a tensor, or ``repr`` of anything else."""
        value = eval(_compiled_expression(expression), self.namespace)
        if isinstance(value, torch.Tensor):
            array = value.detach().cpu().numpy().copy()
            return (tuple(value.shape), str(value.dtype).replace("torch.", ""), value.requires_grad, array)
        if isinstance(value, tinygrad_lite.Tensor):
            array = numpy.array(value.detach().numpy(), copy=True)
            return (tuple(value.shape), value.dtype.name, value.requires_grad, array)
        return repr(value)


@functools.lru_cache(maxsize=4096)
def _compiled_expression(expression):
    return compile(expression, "<fuzz>", "eval")


def value_difference(theirs, ours, grad=False, weakest="float64"):
    """The kind of difference between two snapshots, or None when they agree.

    Float tolerances are those of ``weakest``, the least precise float dtype the program has
    computed in so far (a float64 result of float32 work is only float32-accurate).
    """
    if isinstance(theirs, str) or isinstance(ours, str):
        return None if theirs == ours else "type"
    their_shape, their_dtype, their_requires_grad, reference = theirs
    shape, dtype, requires_grad, array = ours
    if their_shape != shape:
        return "shape"
    if their_dtype != dtype:
        return "dtype"
    kind = _float_difference(reference, array, dtype, grad, weakest) if reference.dtype.kind == "f" else (
        None if numpy.array_equal(reference, array) else "values")
    if kind is None and not grad and their_requires_grad != requires_grad:
        return "requires_grad"
    return kind


def _float_difference(reference, array, dtype, grad, weakest):
    reference, array = reference.astype(numpy.float64), array.astype(numpy.float64)
    if not numpy.array_equal(numpy.isnan(reference), numpy.isnan(array)):
        return "nan positions"
    # Near the top of the range, whether a result overflows to inf depends on the order of
    # operations: inf and a finite value beyond max/16 of the same sign count as equal.
    edge = float(numpy.finfo(dtype).max) / 16
    beyond_edge = ((numpy.isinf(reference) & (numpy.abs(array) >= edge))
                   | (numpy.isinf(array) & (numpy.abs(reference) >= edge)))
    overflow_tie = beyond_edge & (numpy.sign(reference) == numpy.sign(array))
    if not numpy.array_equal(numpy.where(numpy.isinf(reference) & ~overflow_tie, reference, 0),
                             numpy.where(numpy.isinf(array) & ~overflow_tie, array, 0)):
        return "inf values"
    finite = numpy.isfinite(reference) & numpy.isfinite(array)
    if not finite.any():
        return None
    precision = weakest if FLOAT_PRECISION[weakest] < FLOAT_PRECISION[dtype] else dtype
    rtol, atol = (GRAD_TOLERANCES if grad else TOLERANCES)[precision]
    close = numpy.isclose(array[finite], reference[finite], rtol=rtol, atol=atol)
    return None if close.all() else "values"


def _describe_snapshot(snapshot):
    if isinstance(snapshot, str):
        return snapshot
    shape, dtype, requires_grad, array = snapshot
    grad = ", requires_grad" if requires_grad else ""
    return f"{describe_array(array)} shape={shape} dtype={dtype}{grad}"


def _stages(program):
    """(target, op, variant, code) for each line of the program before backward."""
    for tensor in program.inputs:
        yield tensor.name, "tensor", "input", tensor.source()
    for statement in program.statements:
        yield statement.target, statement.op, statement.variant, statement.code


def run_lockstep(program):
    """Execute ``program`` on both libraries; the first Finding, an ErrorTypeNote, or None.

    Gradient findings come back with op ``backward``; ``find_difference`` pins them to an op.
    """
    return Lockstep(program).run()


class Lockstep:
    """Both libraries' namespaces for one program, advanced one line at a time."""

    def __init__(self, program):
        self.program = program
        self.theirs, self.ours = LibraryRun(torch), LibraryRun(tinygrad_lite)
        self.weakest = "float64"
        self.inexact = False  # some float result so far matched PyTorch only within tolerance

    def run(self):
        """The first difference, an ErrorTypeNote, or None."""
        bound = []
        for target, op, variant, code in _stages(self.program):
            outcome = self._compare_line(op, variant, code)
            if outcome is not None:
                return None if outcome is BOTH_REFUSED else outcome
            if target is not None and target not in bound:
                bound.append(target)
            for name in bound:
                difference = self._compare_expression(name, op, variant)
                if difference is not None:
                    return difference
        backward = self.program.backward_source()
        if backward is None:
            return None
        outcome = self._compare_line("backward", "", backward, kind_prefix="backward: ")
        if outcome is not None:
            return None if outcome is BOTH_REFUSED else outcome
        for name in self.program.leaves_with_grad():
            difference = self._compare_expression(f"{name}.grad", "backward", "")
            if difference is not None:
                return difference
        return None

    def _compare_line(self, op, variant, code, kind_prefix=""):
        their_error, our_error = self.theirs.execute(code), self.ours.execute(code)
        if their_error is None and our_error is None:
            return None
        show = code.split(" = ")[0] if " = " in code else "'(see the last line)'"
        if their_error is not None and our_error is not None:
            if type(their_error) is type(our_error):
                return BOTH_REFUSED
            return ErrorTypeNote(op, variant, describe_error(their_error), describe_error(our_error),
                                 self.program)
        if our_error is not None:
            kind = f"{kind_prefix}only ours raises ({type(our_error).__name__})"
            result = self.theirs.namespace.get(show)
            empty = isinstance(result, torch.Tensor) and result.numel() == 0
            return Finding(op, variant, kind, show, "no error", describe_error(our_error), self.program,
                           theirs_empty=empty)
        kind = f"{kind_prefix}only PyTorch raises ({type(their_error).__name__})"
        return Finding(op, variant, kind, show, describe_error(their_error),
                       "no error", self.program)

    def _compare_expression(self, expression, op, variant):
        their_snapshot, our_snapshot = self.theirs.snapshot(expression), self.ours.snapshot(expression)
        grad = expression.endswith(".grad")
        if grad and (their_snapshot == "None" or our_snapshot == "None"):
            if their_snapshot == our_snapshot:
                return None
            return Finding(op, variant, "grad None-ness", expression, _describe_snapshot(their_snapshot),
                           _describe_snapshot(our_snapshot), self.program)
        if not isinstance(their_snapshot, str) and their_snapshot[1] in FLOAT_PRECISION:
            if FLOAT_PRECISION[their_snapshot[1]] < FLOAT_PRECISION[self.weakest]:
                self.weakest = their_snapshot[1]
        kind = value_difference(their_snapshot, our_snapshot, grad=grad, weakest=self.weakest)
        if kind is None:
            self.inexact = self.inexact or not is_exact(their_snapshot, our_snapshot)
            return None
        if kind in NUMERIC_KINDS and has_extreme_values(self.program):
            kind += EXTREME_SUFFIX
        elif kind == "values" and self.inexact and looks_amplified(op, their_snapshot, our_snapshot,
                                                                   self.weakest):
            kind += INEXACT_SUFFIX
        return Finding(op, variant, ("grad " if grad else "") + kind, expression,
                       _describe_snapshot(their_snapshot), _describe_snapshot(our_snapshot), self.program)


def find_difference(program):
    """The first difference of ``program`` (gradient ones pinned to an op), an ErrorTypeNote, or None.

    Known, deliberate differences (fuzz_known) count as no difference. A value difference on a
    program with extreme values is re-checked with them tamed and labelled by what it shows.
    """
    outcome = _pinned_difference(program)
    if isinstance(outcome, Finding) and outcome.kind.endswith(EXTREME_SUFFIX):
        outcome = _without_extremes_if_alike(outcome)
    if isinstance(outcome, Finding) and is_known_difference(outcome):
        return None
    return outcome


def _pinned_difference(program):
    outcome = run_lockstep(program)
    if isinstance(outcome, Finding) and outcome.op == "backward":
        outcome = _pin_backward_finding(outcome)
    return outcome


def _without_extremes_if_alike(finding):
    """The same difference on the program with its extreme values tamed, when it shows there
    too (then it is not about extreme values); else ``finding`` as it is."""
    tame = tamed(finding.program)
    outcome = _pinned_difference(tame) if tame != finding.program else None
    plain_kind = finding.kind[:-len(EXTREME_SUFFIX)]
    if isinstance(outcome, Finding) and (outcome.op, outcome.kind) == (finding.op, plain_kind):
        return outcome
    return finding


def _pin_backward_finding(finding):
    """Re-run ever longer prefixes, with the program's own loss terms on names they bind and
    then also a term on their last result; the first prefix that differs names the op."""
    program = finding.program
    for length in range(1, len(program.statements) + 1):
        for with_last_result in (False, True):
            prefix = _prefix_with_loss(program, length, with_last_result)
            if prefix is None:
                continue
            outcome = run_lockstep(prefix)
            if isinstance(outcome, Finding) and outcome.op == "backward":
                statement = program.statements[length - 1]
                return dataclasses.replace(finding, op=statement.op, variant=statement.variant)
    return finding  # no prefix shows it alone: it stays labelled "backward"


def _prefix_with_loss(program, length, with_last_result):
    """The first ``length`` statements with the program's loss terms on names already bound
    (plus one on the last result when asked and it requires grad); None when there is no term."""
    statements = program.statements[:length]
    bound = {tensor.name for tensor in program.inputs} | {s.target for s in statements}
    terms = [term for term in program.loss_terms if term.name in bound]
    target = statements[-1].target
    if with_last_result and target is not None and target not in {term.name for term in terms}:
        theirs = LibraryRun(torch)
        for code in [tensor.source() for tensor in program.inputs] + [s.code for s in statements]:
            if theirs.execute(code) is not None:
                return None
        value = theirs.namespace.get(target)
        if not (isinstance(value, torch.Tensor) and value.requires_grad):
            return None
        terms.append(LossTerm(target, upstream_values(tuple(value.shape))))
    elif with_last_result or not terms:
        return None
    return dataclasses.replace(program, statements=statements, loss_terms=tuple(terms))


def upstream_values(shape):
    """A fixed, non-constant upstream gradient of ``shape`` as nested lists (None for 0-size)."""
    count = int(numpy.prod(shape, dtype=numpy.int64))
    if count == 0:
        return None
    flat = numpy.resize(numpy.array(UPSTREAM_PATTERN), count)
    return flat.reshape(shape).tolist()
