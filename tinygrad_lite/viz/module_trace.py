"""``trace_modules``: record which module call produced which autograd nodes during a forward pass.

Inside ``with tl.viz.trace_modules(model):`` every module of ``model`` carries a forward pre-hook
and a forward hook (removed again on exit, so nothing is recorded, and nothing costs, outside the
context). The pre-hook pushes a :class:`ModuleCall` on a per-thread stack; the forward hook pops
it and claims the nodes of that call: every node reachable backwards from the call's outputs
without crossing its inputs or a node an earlier, unrelated call already claimed. Nested calls
finish first, so each node belongs to its innermost call; the outer calls reach it through
``ModuleCall.parent``.

Depth counts nested *calls*: the model's own call is depth 0, a module it calls is depth 1, and so
on. Containers that are never called themselves (``ModuleList``, ``ModuleDict``) are transparent,
so GPT's ``blocks.0`` is at depth 1 (a called ``Sequential`` is a level of its own, as in
``named_modules()``). Every call of a module is a separate :class:`ModuleCall` (``index`` counts
the calls of that module: weight sharing and RNN steps give several boxes of one module).

Limitation: a forward that reads a tensor with history that is neither an argument nor the
output of another traced call (a module attribute computed earlier, outside any module) has that
history claimed as its own.
"""
import contextlib
import threading
import weakref
from dataclasses import dataclass, field
from typing import Optional

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.tensor import Tensor

__all__ = ["ModuleCall", "ModuleTrace", "trace_modules", "find_trace"]

#: The latest trace of each model, so ``draw_graph(..., model=model)`` finds it after the context.
_LATEST = weakref.WeakKeyDictionary()
_ACTIVE = threading.local()


@dataclass(eq=False)
class ModuleCall:
    """One call of one module: where it sits (``name``, ``depth``, ``parent``), what went in/out.

    ``inputs``/``outputs`` are the Tensors among the (nested) arguments and results, in order;
    ``index`` is 0 for the module's first call in the trace, 1 for its second...; ``children``
    is True once another traced call ran inside this one.
    """

    module: object
    name: str
    depth: int
    index: int
    parent: Optional["ModuleCall"]
    inputs: list
    outputs: list = field(default_factory=list)
    children: bool = False

    def ancestors(self):
        """This call, then its parent, ... up to the outermost traced call."""
        call = self
        while call is not None:
            yield call
            call = call.parent

    def title(self, module_calls):
        """``"fc1: Linear"`` (the model: just its class), with `` (call 2)`` when the module had
        ``module_calls`` > 1 calls."""
        title = f"{self.name}: {type(self.module).__name__}" if self.name else type(self.module).__name__
        if module_calls > 1:
            title += f" (call {self.index + 1})"
        return title


def flatten_tensors(value):
    """The Tensors inside ``value`` (nested tuples, lists, dicts), in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [tensor for item in value for tensor in flatten_tensors(item)]
    return []


class ModuleTrace:
    """What one ``trace_modules`` context recorded: the calls, and which call made each node."""

    def __init__(self, model):
        self.model = model
        self.names = {}
        for name, module in model.named_modules():
            self.names.setdefault(id(module), name)
        self.calls = []
        self.owner = weakref.WeakKeyDictionary()  # Function node -> innermost ModuleCall
        self._counts = {}
        self._local = threading.local()

    def _stack(self):
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def enter(self, module, args):
        """Forward pre-hook: open a call of ``module``."""
        stack = self._stack()
        parent = stack[-1] if stack else None
        if parent is not None:
            parent.children = True
        index = self._counts.get(id(module), 0)
        self._counts[id(module)] = index + 1
        call = ModuleCall(module, self.names[id(module)], len(stack), index, parent, flatten_tensors(args))
        self.calls.append(call)
        stack.append(call)

    def leave(self, module, args, output):
        """Forward hook: close the call of ``module`` and claim the nodes its outputs came from."""
        stack = self._stack()
        # A forward that raised (and was caught by its caller) never reached its forward hook.
        while stack and stack[-1].module is not module:
            stack.pop()
        if not stack:
            return
        call = stack.pop()
        call.outputs = flatten_tensors(output)
        self._claim(call)

    def _claim(self, call):
        boundary = {id(tensor.grad_fn) for tensor in call.inputs if tensor.grad_fn is not None}
        pending = [tensor.grad_fn for tensor in call.outputs if tensor.grad_fn is not None]
        seen = set()
        while pending:
            node = pending.pop()
            if id(node) in seen or id(node) in boundary or not isinstance(node, Function):
                continue
            seen.add(id(node))
            owner = self.owner.get(node)
            if owner is None:
                self.owner[node] = call
            elif not any(ancestor is call for ancestor in owner.ancestors()):
                continue  # made by an earlier call outside this one: its history is not ours
            pending.extend(parent for parent in node.next if isinstance(parent, Function))

    def calls_of(self, module):
        """How many times ``module`` was called while the trace was active."""
        return self._counts.get(id(module), 0)

    def call_of(self, node):
        """The innermost call that produced the Function ``node``, or None."""
        return self.owner.get(node)


@contextlib.contextmanager
def trace_modules(model):
    """Record, while active, which call of ``model`` or its submodules produced each graph node.

        with tl.viz.trace_modules(model):
            loss = F.cross_entropy(model(x), y)
        tl.viz.draw_graph(loss, model=model, depth=1)

    Yields the :class:`ModuleTrace`; ``draw_graph(..., model=model)`` finds the latest trace of
    ``model`` after the context, and inside it any ``depth=`` graph uses the active trace.
    """
    from tinygrad_lite.nn.module import Module  # viz draws nn's modules; nn never imports viz

    if not isinstance(model, Module):
        raise TypeError(f"trace_modules: expected an nn.Module, got {type(model).__name__}")
    trace = ModuleTrace(model)
    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(trace.enter))
        handles.append(module.register_forward_hook(trace.leave))
    active = getattr(_ACTIVE, "traces", None)
    if active is None:
        active = _ACTIVE.traces = []
    active.append(trace)
    _LATEST[model] = trace
    try:
        yield trace
    finally:
        for handle in handles:
            handle.remove()
        active.remove(trace)


def find_trace(model):
    """The trace to group nodes by: ``model``'s latest, else the innermost active one (or None)."""
    if model is not None:
        from tinygrad_lite.nn.module import Module

        if not isinstance(model, Module):
            raise TypeError(f"draw_graph: model must be an nn.Module, got {type(model).__name__}")
        return _LATEST.get(model)
    active = getattr(_ACTIVE, "traces", None)
    return active[-1] if active else None
