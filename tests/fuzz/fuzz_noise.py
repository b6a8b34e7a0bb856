"""Labels for value differences that are likely numerical noise, so they group apart from bugs.

Extreme values (huge or tiny for the dtype, or literals such as 1e30): a difference on a program
holding them is often the rounding of huge terms that cancel; it is labelled so unless it also
shows once they are tamed (replaced by ordinary numbers). Inexact inputs: once an earlier result
matched PyTorch only within tolerance, a small relative difference, or any difference after a
discontinuous op (a cast to int, a comparison, a floor), is likely that rounding amplified.
"""
import dataclasses
import re

import numpy

from fuzz_inputs import FLOAT_DTYPES, HUGE, TINY

EXTREME_SUFFIX = ", with extreme values"
INEXACT_SUFFIX = ", after inexact inputs"
DISCONTINUOUS_OPS = {"eq", "ne", "lt", "le", "gt", "ge", "floor_divide", "div", "where", "masked_fill",
                     "getitem", "max", "min", "argmax", "argmin", "sign", "clamp", "relu"}
SMALL_RELATIVE_ERROR = {"float16": 0.1, "float32": 1e-2, "float64": 1e-6}
EXTREME_LITERAL = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)e([+-]?)([2-9]\d\d?)")
TINY_MARGIN = 1000  # values up to this many times TINY count as tiny


def has_extreme_values(program):
    """True when a float input holds a huge or tiny value for its dtype, or the code a literal
    like ``1e30`` / ``1e-30``."""
    if EXTREME_LITERAL.search(" ".join(s.code for s in program.statements)):
        return True
    return any(_extreme_mask(tensor).any() for tensor in program.inputs)


def tamed(program):
    """The program with extreme input values replaced by 2 (huge) or 0.5 (tiny), signs kept,
    and extreme literals in the code by ``2.0`` / ``0.5``."""
    inputs = []
    for tensor in program.inputs:
        mask = _extreme_mask(tensor)
        if mask.any():
            array = numpy.array(tensor.values, dtype=numpy.float64)
            ordinary = numpy.where(numpy.abs(array) >= 1, 2.0, 0.5) * numpy.sign(array)
            tensor = dataclasses.replace(tensor, values=numpy.where(mask, ordinary, array).tolist())
        inputs.append(tensor)
    statements = tuple(dataclasses.replace(s, code=EXTREME_LITERAL.sub(_tame_literal, s.code))
                       for s in program.statements)
    return dataclasses.replace(program, inputs=tuple(inputs), statements=statements)


def _tame_literal(match):
    return "0.5" if match.group(2) == "-" else "2.0"


def _extreme_mask(tensor):
    if tensor.values is None or tensor.dtype not in FLOAT_DTYPES:
        return numpy.zeros((), dtype=bool)
    magnitudes = numpy.abs(numpy.array(tensor.values, dtype=numpy.float64))
    finite = numpy.isfinite(magnitudes)
    huge = finite & (magnitudes >= HUGE[tensor.dtype])
    tiny = finite & (magnitudes > 0) & (magnitudes <= TINY[tensor.dtype] * TINY_MARGIN)
    return huge | tiny


def is_exact(theirs, ours):
    """True when two snapshots hold bit-for-bit the same values (NaN where NaN)."""
    if isinstance(theirs, str) or isinstance(ours, str) or theirs[0] != ours[0]:
        return theirs == ours if isinstance(theirs, str) else False
    return numpy.array_equal(theirs[3], ours[3], equal_nan=theirs[3].dtype.kind == "f")


def looks_amplified(op, theirs, ours, precision):
    """True when the difference is small for ``precision``, the result is an integer or bool
    tensor, or ``op`` is discontinuous: what rounding of inexact inputs can cause."""
    reference, array = theirs[3], ours[3]
    if reference.dtype.kind != "f" or op in DISCONTINUOUS_OPS:
        return True
    reference, array = reference.astype(numpy.float64), array.astype(numpy.float64)
    finite = numpy.isfinite(reference) & numpy.isfinite(array)
    if not finite.any():
        return False
    error = numpy.abs(array[finite] - reference[finite]) / numpy.maximum(numpy.abs(reference[finite]), 1e-3)
    return float(error.max()) < SMALL_RELATIVE_ERROR[precision]
