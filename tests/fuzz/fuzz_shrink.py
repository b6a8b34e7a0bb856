"""Shrink a finding's program while the same difference (same op and kind) remains.

Greedy: try dropping an unused input, a statement, replacing a statement by an input holding
PyTorch's result, dropping loss terms and requires_grad, cutting input shapes down and
simplifying values; keep any change that still shows the difference, until nothing helps or
the budget of re-runs is spent. Names are renumbered last.
"""
import dataclasses
import re

import numpy
import torch

from fuzz_compare import LibraryRun, find_difference
from fuzz_findings import Finding
from fuzz_program import InputTensor

NAME = re.compile(r"\bv(\d+)\b")
DEFAULT_BUDGET = 400


def shrink(finding, budget=DEFAULT_BUDGET):
    """A Finding of the same bug (``same_bug``) on a program as small as the budget allows."""
    current, attempts = finding, 0
    improved = True
    while improved and attempts < budget:
        improved = False
        for candidate in _candidates(current.program):
            attempts += 1
            outcome = find_difference(_refit_upstream(candidate))
            if same_bug(outcome, finding):
                current, improved = outcome, True
                break
            if attempts >= budget:
                break
    renamed = _renumbered(current.program)
    outcome = find_difference(renamed)
    return outcome if same_bug(outcome, finding) else current


def same_bug(outcome, finding):
    """True when ``outcome`` is a Finding like ``finding``: same kind, and same op unless the
    original could not be pinned to one (op ``backward``)."""
    if not isinstance(outcome, Finding) or outcome.kind != finding.kind:
        return False
    return finding.op == "backward" or (outcome.op, outcome.variant) == (finding.op, finding.variant)


def _candidates(program):
    yield from _without_unused_inputs(program)
    for index in reversed(range(len(program.statements))):
        statements = program.statements[:index] + program.statements[index + 1:]
        yield dataclasses.replace(program, statements=statements)
    for index in reversed(range(len(program.statements))):
        materialized = _materialized(program, index)
        if materialized is not None:
            yield materialized
    if program.loss_terms:
        yield dataclasses.replace(program, loss_terms=())
        for index in range(len(program.loss_terms)):
            terms = program.loss_terms[:index] + program.loss_terms[index + 1:]
            yield dataclasses.replace(program, loss_terms=terms)
    for index, tensor in enumerate(program.inputs):
        if tensor.requires_grad:
            yield _with_input(program, index, dataclasses.replace(tensor, requires_grad=False))
    for index, tensor in enumerate(program.inputs):
        for smaller in _smaller_inputs(tensor):
            yield _with_input(program, index, smaller)
    for index, term in enumerate(program.loss_terms):
        if term.upstream is not None:
            ones = numpy.ones_like(numpy.array(term.upstream, dtype=float)).tolist()
            if ones != term.upstream:
                terms = list(program.loss_terms)
                terms[index] = dataclasses.replace(term, upstream=ones)
                yield dataclasses.replace(program, loss_terms=tuple(terms))


def _refit_upstream(program):
    """Cut each loss term's upstream gradient to its tensor's (possibly shrunk) shape, so it does
    not broadcast; the program as it is when PyTorch refuses it."""
    if not program.loss_terms:
        return program
    oracle = LibraryRun(torch)
    for code in [t.source() for t in program.inputs] + [s.code for s in program.statements]:
        if oracle.execute(code) is not None:
            return program
    terms = []
    for term in program.loss_terms:
        if not isinstance(oracle.namespace.get(term.name), torch.Tensor):
            return program
        shape = tuple(oracle.namespace[term.name].shape)
        if term.upstream is None or 0 in shape:
            terms.append(dataclasses.replace(term, upstream=None))
            continue
        upstream = numpy.array(term.upstream, dtype=float)
        if upstream.shape != shape:
            upstream = numpy.resize(upstream, shape)
        terms.append(dataclasses.replace(term, upstream=upstream.tolist()))
    return dataclasses.replace(program, loss_terms=tuple(terms))


def _materialized(program, index):
    """The program with statement ``index`` replaced by an input holding PyTorch's result."""
    statement = program.statements[index]
    if statement.target is None:
        return None
    oracle = LibraryRun(torch)
    for code in [t.source() for t in program.inputs] + [s.code for s in program.statements[:index + 1]]:
        if oracle.execute(code) is not None:
            return None
    value = oracle.namespace[statement.target]
    dtype = str(value.dtype).replace("torch.", "")
    requires_grad = value.requires_grad and value.is_floating_point()
    values = None if value.numel() == 0 else value.detach().tolist()
    tensor = InputTensor(statement.target, tuple(value.shape), dtype, values, requires_grad)
    statements = program.statements[:index] + program.statements[index + 1:]
    return dataclasses.replace(program, inputs=program.inputs + (tensor,), statements=statements)


def _without_unused_inputs(program):
    used = set()
    for text in [s.code for s in program.statements] + [t.source() for t in program.loss_terms]:
        used.update(NAME.findall(text))
    kept = tuple(t for t in program.inputs if t.name[1:] in used)
    if len(kept) < len(program.inputs):
        yield dataclasses.replace(program, inputs=kept)


def _with_input(program, index, tensor):
    inputs = list(program.inputs)
    inputs[index] = tensor
    return dataclasses.replace(program, inputs=tuple(inputs))


def _smaller_inputs(tensor):
    """Versions of ``tensor`` with one dim cut to 1 (or halved), then with simpler values."""
    if tensor.values is None or 0 in tensor.shape or not tensor.shape:
        return
    array = numpy.array(tensor.values)
    for dim, size in enumerate(tensor.shape):
        for new_size in sorted({1, size // 2} - {0, size}):
            smaller = numpy.take(array, range(new_size), axis=dim)
            yield dataclasses.replace(tensor, shape=smaller.shape, values=smaller.tolist())
    if array.dtype.kind == "f":
        finite = numpy.isfinite(array)
        for decimals in (0, 2):
            rounded = numpy.where(finite, numpy.round(array, decimals), array)
            if not numpy.array_equal(rounded, array, equal_nan=True):
                yield dataclasses.replace(tensor, values=rounded.tolist())


def _renumbered(program):
    """The program with names renumbered v0, v1, ... in order of first use."""
    order = {}
    texts = [t.name for t in program.inputs] + [s.code for s in program.statements]
    for text in texts:
        for number in NAME.findall(text):
            order.setdefault(number, f"v{len(order)}")

    def rename(text):
        return NAME.sub(lambda match: order.get(match.group(1), match.group(0)), text)

    inputs = tuple(dataclasses.replace(t, name=rename(t.name)) for t in program.inputs)
    statements = tuple(dataclasses.replace(s, code=rename(s.code), target=s.target and rename(s.target))
                       for s in program.statements)
    terms = tuple(dataclasses.replace(t, name=rename(t.name)) for t in program.loss_terms)
    return dataclasses.replace(program, inputs=inputs, statements=statements, loss_terms=terms)
