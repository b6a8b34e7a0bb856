"""What a fuzz run reports: a Finding (a difference from PyTorch) or an ErrorTypeNote (both refused,
with different exception types), and the short printouts of errors and arrays they carry."""
import dataclasses

import numpy

from fuzz_program import Program


@dataclasses.dataclass(frozen=True)
class Finding:
    """A difference: where it showed (``op``/``variant`` of the statement), what kind, both answers."""

    op: str
    variant: str
    kind: str
    show: str
    theirs: str
    ours: str
    program: Program
    theirs_empty: bool = False  # PyTorch's result (where it gave one) has no elements

    def signature(self):
        """Groups findings that are most likely one bug: ``op: kind`` (the variant is not part of
        it; a raising kind names the exception type)."""
        return f"{self.op}: {self.kind}"

    def report(self):
        """The reproducer and both answers, ready to print."""
        return (f"{self.program.source(self.show)}\n"
                f"# PyTorch:        {self.theirs}\n# tinygrad_lite:  {self.ours}")


@dataclasses.dataclass(frozen=True)
class ErrorTypeNote:
    """Both libraries refused the same line, with different exception types (not a finding)."""

    op: str
    variant: str
    theirs: str
    ours: str
    program: Program

    def signature(self):
        """Groups notes by op and the two exception types."""
        their_type, our_type = self.theirs.split(":")[0], self.ours.split(":")[0]
        return f"{_label(self.op, self.variant)}: PyTorch {their_type}, ours {our_type}"


def _label(op, variant):
    return f"{op}[{variant}]" if variant else op


def describe_error(error):
    """``Type: first line of the message`` (short)."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message[:160]}"


def describe_array(array):
    """A compact, exact-enough printout of a small array."""
    return numpy.array2string(array, threshold=24, precision=6, separator=", ").replace("\n", "")
