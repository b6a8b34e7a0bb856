"""Extreme values (huge or tiny for the dtype, or literals such as 1e30): a value difference on a
program holding them is often the rounding of huge terms that cancel, so it is labelled apart,
unless it also shows once they are tamed (replaced by ordinary numbers)."""
import dataclasses
import re

import numpy

from fuzz_inputs import FLOAT_DTYPES, HUGE, TINY

EXTREME_SUFFIX = ", with extreme values"
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
