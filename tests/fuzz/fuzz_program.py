"""A fuzz program: a few input tensors, a few one-line statements and a loss, as plain records.

The statements are Python source written against two names, ``lib`` (``torch`` or
``tinygrad_lite``) and ``F`` (its ``nn.functional``), so the very same text runs on both
libraries and prints as a self-contained reproducer.
"""
import dataclasses

HEADER_NAMES = 'nan, inf = float("nan"), float("inf")'


@dataclasses.dataclass(frozen=True)
class InputTensor:
    """One input: ``values`` are nested Python lists (a number for 0-d), unused for 0-size shapes."""

    name: str
    shape: tuple
    dtype: str
    values: object
    requires_grad: bool

    def source(self):
        """The line that creates this input, e.g. ``v0 = lib.tensor([1.5, nan], dtype=lib.float32)``."""
        grad = ", requires_grad=True" if self.requires_grad else ""
        if 0 in self.shape:
            return f"{self.name} = lib.zeros({self.shape}, dtype=lib.{self.dtype}{grad})"
        return f"{self.name} = lib.tensor({self.values!r}, dtype=lib.{self.dtype}{grad})"


@dataclasses.dataclass(frozen=True)
class Statement:
    """One op applied: ``code`` binds ``target`` (None for a statement such as setitem).

    ``op`` names the catalogue entry and ``variant`` a coarse sub-kind (e.g. the index mix);
    together they label a finding. ``mutates`` marks in-place ops and setitem.
    """

    op: str
    variant: str
    code: str
    target: str = None
    mutates: bool = False


@dataclasses.dataclass(frozen=True)
class LossTerm:
    """``(name * upstream).sum()`` in the loss (``name.sum()`` when the upstream gradient is all
    ones); ``upstream`` is None for a 0-size tensor."""

    name: str
    upstream: object

    def source(self):
        """The term as code; the upstream gradient takes the tensor's own dtype."""
        if self.upstream is None or _all_ones(self.upstream):
            return f"{self.name}.sum()"
        return f"({self.name} * lib.tensor({self.upstream!r}, dtype={self.name}.dtype)).sum()"


@dataclasses.dataclass(frozen=True)
class Program:
    """Inputs, statements, then ``loss = sum of terms; loss.backward()`` when there are terms."""

    inputs: tuple
    statements: tuple
    loss_terms: tuple = ()

    def backward_source(self):
        """The loss and backward lines as one line, or None without loss terms."""
        if not self.loss_terms:
            return None
        return "loss = " + " + ".join(term.source() for term in self.loss_terms) + "; loss.backward()"

    def leaves_with_grad(self):
        """Names of the inputs whose ``.grad`` is compared after backward."""
        return [tensor.name for tensor in self.inputs if tensor.requires_grad]

    def size(self):
        """A rough measure for picking the smallest of several equivalent reproducers."""
        elements = sum(max(1, _numel(tensor.shape)) for tensor in self.inputs)
        return (len(self.statements), len(self.inputs) + len(self.loss_terms), elements)

    def source(self, show):
        """A runnable script that executes the program on PyTorch and on tinygrad_lite.

        ``show`` is the expression printed at the end of each run (e.g. ``"v3"`` or ``"v0.grad"``).
        """
        lines = ["import torch", "import tinygrad_lite", HEADER_NAMES,
                 "for lib in (torch, tinygrad_lite):", "    F = lib.nn.functional"]
        lines += ["    " + tensor.source() for tensor in self.inputs]
        lines += ["    " + statement.code for statement in self.statements]
        if self.backward_source():
            lines.append("    " + self.backward_source())
        lines.append(f"    print(lib.__name__, {show})")
        return "\n".join(lines)


def _all_ones(values):
    if isinstance(values, list):
        return all(_all_ones(value) for value in values)
    return values == 1.0


def _numel(shape):
    count = 1
    for size in shape:
        count *= size
    return count
