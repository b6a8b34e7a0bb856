"""Drafting one line of a fuzz program: the context an op builder sees, and its small helpers.

An op builder is a function ``build(ctx) -> Draft | None``. It picks names bound so far
(``ctx.pick``), looks at their PyTorch values (``ctx.shape``, ``ctx.value``), may create fresh
inputs (``ctx.new_input``) and returns the code of one expression or statement.
"""
import dataclasses

import numpy
import torch

from fuzz_compare import LibraryRun
from fuzz_inputs import FLOAT_DTYPES, random_dtype, random_input
from fuzz_program import LossTerm, Statement

MAX_RESULT_ELEMENTS = 4096
KEEP_REFUSED_LINE_PROBABILITY = 0.12
EXTRA_LOSS_TERM_PROBABILITY = 0.25
NO_BACKWARD_PROBABILITY = 0.08
UPSTREAM_CHOICES = (-2.0, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
SCALAR_LITERALS = ("0", "1", "2", "-1", "3", "0.5", "-1.5", "2.5", "0.0", "-0.0", "True", "False",
                   "inf", "-inf", "nan", "1e30", "1e-30")


@dataclasses.dataclass(frozen=True)
class Draft:
    """What an op builder returns: the op's name, its code (an expression, or a whole statement
    when ``binds`` is False), a coarse variant label, and whether it writes in place."""

    op: str
    code: str
    variant: str = ""
    mutates: bool = False
    binds: bool = True


# -- predicates for ctx.pick -----------------------------------------------------------------
def any_tensor(ctx, name):
    """Every bound tensor."""
    return True


def float_tensor(ctx, name):
    """Floating-point tensors."""
    return ctx.is_float(name)


def integer_tensor(ctx, name):
    """Integer and bool tensors."""
    return not ctx.is_float(name)


def nonempty(ctx, name):
    """Tensors with at least one element."""
    return ctx.value(name).numel() > 0


def at_least_1d(ctx, name):
    """Tensors with at least one dim."""
    return ctx.value(name).ndim >= 1


def writable(ctx, name):
    """Tensors an in-place op may write to: not a leaf that requires grad."""
    value = ctx.value(name)
    return not (value.is_leaf and value.requires_grad)


def without_grad(ctx, name):
    """Tensors that need no grad (setitem targets)."""
    return not ctx.value(name).requires_grad


class DraftContext:
    """The program so far, as seen by an op builder: names, their PyTorch values, fresh inputs."""

    def __init__(self, rng):
        self.rng = rng
        self.oracle = LibraryRun(torch)
        self.inputs, self.statements, self.names = [], [], []
        self._pending_inputs = []
        self._counter = 0

    # -- names and values -------------------------------------------------------------------
    def fresh_name(self):
        """A new variable name, ``v0``, ``v1``, ..."""
        name = f"v{self._counter}"
        self._counter += 1
        return name

    def value(self, name):
        """The PyTorch tensor bound to ``name`` now."""
        return self.oracle.namespace[name]

    def shape(self, name):
        """The shape of ``name`` as a tuple."""
        return tuple(self.value(name).shape)

    def ndim(self, name):
        """The number of dims of ``name``."""
        return self.value(name).ndim

    def dtype(self, name):
        """The dtype name of ``name``, e.g. ``"float32"``."""
        return str(self.value(name).dtype).replace("torch.", "")

    def is_float(self, name):
        """True for a floating-point tensor."""
        return self.value(name).is_floating_point()

    def pick(self, predicate=any_tensor, *more):
        """A bound name (recent ones more likely) passing every predicate, or None."""
        candidates = [n for n in self.names if all(_holds(p, self, n) for p in (predicate,) + more)]
        if not candidates:
            return None
        weights = numpy.arange(1, len(candidates) + 1, dtype=float) ** 2
        return candidates[self.rng.choice(len(candidates), p=weights / weights.sum())]

    def evaluate(self, expression):
        """Evaluate ``expression`` on PyTorch; the value, or None if it raises."""
        try:
            return eval(expression, dict(self.oracle.namespace))
        except Exception:  # noqa: BLE001 - the oracle refusing is an ordinary answer
            return None

    def chance(self, probability):
        """True with ``probability``."""
        return bool(self.rng.random() < probability)

    def choice(self, options):
        """One of ``options`` (a sequence), uniformly."""
        return options[int(self.rng.integers(0, len(options)))]

    # -- fresh inputs ----------------------------------------------------------------------
    def new_input(self, shape=None, dtype=None, requires_grad=None, kind="normal", upper=None):
        """Create an input tensor for the line being drafted; returns its name."""
        tensor = random_input(self.rng, self.fresh_name(), shape, dtype, requires_grad, kind, upper)
        error = self.oracle.execute(tensor.source())
        if error is not None:
            raise RuntimeError(f"the fuzzer built an invalid input: {tensor.source()}: {error}")
        self._pending_inputs.append(tensor)
        return tensor.name

    def add_starting_input(self):
        """A random input at the top of the program."""
        self.new_input()
        self._commit_inputs()

    def discard_pending(self):
        """Forget inputs created for a draft that was abandoned."""
        self._pending_inputs = []

    def _commit_inputs(self):
        self.inputs.extend(self._pending_inputs)
        self.names.extend(tensor.name for tensor in self._pending_inputs)
        self._pending_inputs = []

    # -- literals ----------------------------------------------------------------------------
    def scalar(self, integral=False):
        """A Python scalar literal (special values included); ``integral`` keeps to ints."""
        if integral:
            return str(int(self.rng.integers(-3, 4)))
        return self.choice(SCALAR_LITERALS)

    def dim(self, ndim, invalid_probability=0.02):
        """A dim for a tensor of ``ndim`` dims (0-d tensors accept 0 and -1), negative ones too."""
        bound = max(ndim, 1)
        if self.chance(invalid_probability):
            return self.choice([bound, -bound - 1])
        return int(self.rng.integers(-bound, bound))

    def partner_shape(self, shape):
        """A shape that broadcasts with ``shape``: same, fewer dims, 1s, extra leading dims."""
        shape = list(shape)
        roll = self.rng.random()
        if roll < 0.3:
            return tuple(shape)
        if roll < 0.5:
            return tuple(shape[int(self.rng.integers(0, len(shape) + 1)):])
        if roll < 0.75:
            return tuple(1 if self.chance(0.5) else size for size in shape)
        if roll < 0.95 and len(shape) < 4:
            return (self.choice([1, 2, 3]),) + tuple(1 if self.chance(0.3) else s for s in shape)
        return tuple(int(self.rng.integers(0, 4)) for _ in range(int(self.rng.integers(0, 4))))

    def operand(self, name, scalar_probability=0.3, dtype=None):
        """A second operand for a broadcasting op on ``name``: a scalar literal, a bound tensor
        whose shape broadcasts, or a fresh input of a partner shape. Returns (code, kind)."""
        if self.chance(scalar_probability):
            return self.scalar(), "scalar"
        shape = self.shape(name)
        if self.chance(0.3):
            other = self.pick(lambda ctx, n: n != name and _broadcasts(ctx.shape(n), shape))
            if other is not None:
                return other, "tensor"
        if dtype is None:
            dtype = self.dtype(name) if self.chance(0.6) else random_dtype(self.rng)
        return self.new_input(self.partner_shape(shape), dtype), "tensor"

    def call(self, op, name, arguments="", function_probability=0.3):
        """``lib.op(name, arguments)`` or the method form ``name.op(arguments)``."""
        if self.chance(function_probability):
            return f"lib.{op}({name}{', ' if arguments else ''}{arguments})"
        return f"{name}.{op}({arguments})"

    def size_along(self, name, dim):
        """The size of ``name`` along ``dim`` (1 when ``dim`` is out of range or the tensor is 0-d)."""
        shape = self.shape(name)
        return shape[dim] if -len(shape) <= dim < len(shape) else 1

    def float_dtype(self, name=None):
        """The dtype of ``name`` when it is a float, else a random float dtype."""
        if name is not None and self.is_float(name):
            return self.dtype(name)
        return self.choice(FLOAT_DTYPES)

    # -- drafting lines ----------------------------------------------------------------------
    def try_draft(self, draft):
        """Run the drafted line on PyTorch; keep it if it works. Returns (kept, refused)."""
        target = self.fresh_name() if draft.binds else None
        code = f"{target} = {draft.code}" if draft.binds else draft.code
        statement = Statement(draft.op, draft.variant, code, target, draft.mutates)
        error = self.oracle.execute(code)
        if error is None and target is not None:
            result = self.oracle.namespace[target]
            if not isinstance(result, torch.Tensor) or result.numel() > MAX_RESULT_ELEMENTS:
                self.discard_pending()
                return False, True
        if error is None or self.chance(KEEP_REFUSED_LINE_PROBABILITY):
            self._commit_inputs()
            self.statements.append(statement)
            if target is not None and error is None:
                self.names.append(target)
            return True, error is not None
        self.discard_pending()
        if draft.mutates:
            self._replay()
        return False, True

    def _replay(self):
        """Rebuild the oracle from the kept lines (after a refused in-place line)."""
        self.oracle = LibraryRun(torch)
        for code in [t.source() for t in self.inputs] + [s.code for s in self.statements]:
            self.oracle.execute(code)

    # -- the loss ----------------------------------------------------------------------------
    def loss_terms(self):
        """The latest differentiable name plus, now and then, other differentiable names."""
        if self.chance(NO_BACKWARD_PROBABILITY):
            return ()
        differentiable = [name for name in self.names if self.value(name).requires_grad]
        if not differentiable:
            return ()
        last = differentiable[-1]
        return tuple(LossTerm(name, self._upstream(self.shape(name))) for name in differentiable
                     if name == last or self.chance(EXTRA_LOSS_TERM_PROBABILITY))

    def _upstream(self, shape):
        if 0 in shape:
            return None
        if not shape:
            return float(self.choice(UPSTREAM_CHOICES))
        return self.rng.choice(UPSTREAM_CHOICES, size=shape).tolist()


def _holds(predicate, ctx, name):
    try:
        return predicate(ctx, name)
    except RuntimeError:  # e.g. PyTorch refusing to look at a view whose base was written in place
        return False


def _broadcasts(first, second):
    try:
        numpy.broadcast_shapes(first, second)
    except ValueError:
        return False
    return True


def random_float_input(ctx, shape, like=None, requires_grad=None):
    """A fresh float input of ``shape`` with the dtype of ``like`` when it is a float tensor."""
    return ctx.new_input(shape, ctx.float_dtype(like), requires_grad)
