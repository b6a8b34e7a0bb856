"""Walk an autograd graph into a plain description: nodes with a role and a label, and edges.

This layer knows the graph (``Tensor.grad_fn``, ``Function.next``, ``input_meta``, what a node
saved) and nothing about graphviz; :mod:`tinygrad_lite.viz.dot` turns the description into DOT.

Roles of a node:
  ``op``         a :class:`Function` node, labelled with its PyTorch-style name (``MulBackward``)
  ``input``      a leaf tensor that requires grad and has no name in ``params``
  ``parameter``  a leaf tensor named in ``params``
  ``output``     one of the tensors the graph was drawn from
  ``saved``      an array or tensor an op keeps for its backward (only with ``show_saved``)

Edges run the way data flows in the forward pass (input -> op -> output), like torchviz.
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Optional, Tuple

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.tensor import Tensor
from tinygrad_lite.viz.labels import array_summary, dtype_text, shape_text, tensor_lines

__all__ = ["GraphNode", "GraphEdge", "GraphDescription", "describe_graph"]

@dataclass
class GraphNode:
    """One drawn node.

    ``node_id`` is deterministic (``n0``, ``n1``, ... in discovery order); ``lines`` is the label,
    one string per line; ``module`` is the dotted module prefix of a parameter
    (``'encoder.layer1'`` for ``'encoder.layer1.weight'``) or None. ``tooltip`` is the longer text
    an SVG shows on hover (full shapes, dtypes, saved tensors); ``signature`` says which nodes
    count as identical when chains are collapsed (None: never); ``fill`` overrides the role's
    colour (gradient colours); ``grad_norm`` is the gradient norm shown with ``show_grad``;
    ``source`` is what is drawn: a Function, a Tensor or a module call (not compared).
    """

    node_id: str
    role: str
    lines: Tuple[str, ...]
    module: Optional[str] = None
    tooltip: str = ""
    signature: Optional[tuple] = None
    fill: Optional[str] = None
    grad_norm: Optional[float] = None
    source: object = field(default=None, repr=False, compare=False)


@dataclass
class GraphEdge:
    """A directed edge ``source -> target``; ``kind`` is ``'data'`` or ``'saved'``."""

    source: str
    target: str
    kind: str = "data"


@dataclass
class GraphDescription:
    """Everything needed to draw a graph: nodes and edges in a deterministic order."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    #: ``(low, high)`` decades of the gradient colour scale when gradients are shown, else None.
    grad_decades: Optional[tuple] = None

    def modules(self):
        """Sorted dotted module names that own at least one parameter node."""
        return sorted({node.module for node in self.nodes if node.module is not None})


def _is_array(value):
    # NumPy and CuPy arrays both carry these; plain Python scalars, lists of ints, flags don't.
    return hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "ndim")


def _saved_values(node):
    """``(label, tensor_or_array)`` for each Tensor/array in the node's ``__dict__``."""
    found = []
    for key, value in vars(node).items():
        if key.startswith("_"):
            continue  # private bookkeeping (anomaly-mode creation stacks, ...)
        if isinstance(value, (tuple, list)):
            for index, item in enumerate(value):
                if isinstance(item, Tensor) or _is_array(item):
                    found.append((f"{key}[{index}]", item))
        elif isinstance(value, Tensor) or _is_array(value):
            found.append((key, value))
    return found


def _check_params(params):
    """``params`` (name -> Tensor mapping) -> ``{id(tensor): name}``, first name winning."""
    if params is None:
        return {}
    if not hasattr(params, "items"):
        raise TypeError(
            f"draw_graph: params must be a dict of name -> Tensor (e.g. "
            f"dict(model.named_parameters())), got {type(params).__name__}"
        )
    names = {}
    for name, tensor in params.items():
        if not isinstance(name, str):
            raise TypeError(f"draw_graph: params keys must be str, got {type(name).__name__} {name!r}")
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"draw_graph: params[{name!r}] must be a Tensor, got {type(tensor).__name__}"
            )
        names.setdefault(id(tensor), name)  # a tied tensor keeps its first name
    return names


def _check_outputs(outputs):
    """Flatten one level of tuples/lists, check every entry is a Tensor, drop duplicates."""
    flat = []
    for position, output in enumerate(outputs):
        items = output if isinstance(output, (tuple, list)) else (output,)
        for item in items:
            if not isinstance(item, Tensor):
                raise TypeError(
                    f"draw_graph: output {position} must be a Tensor, got {type(item).__name__}"
                )
            if not any(item is seen for seen in flat):
                flat.append(item)
    if not flat:
        raise ValueError("draw_graph: give at least one output tensor, e.g. draw_graph(loss)")
    return flat


class _Builder:
    """Accumulates nodes/edges; objects are keyed by ``id`` while the graph keeps them alive."""

    def __init__(self, param_names, show_shapes, show_saved):
        self.param_names = param_names
        self.show_shapes = show_shapes
        self.show_saved = show_saved
        self.description = GraphDescription()
        self.ids = {}

    def add(self, key, node):
        node.node_id = f"n{len(self.description.nodes)}"
        self.description.nodes.append(node)
        if key is not None:
            self.ids[key] = node.node_id
        return node.node_id

    def edge(self, source, target, kind="data"):
        self.description.edges.append(GraphEdge(source, target, kind))

    def leaf(self, tensor):
        """Node of a leaf tensor (input or named parameter), created on first sight."""
        node_id = self.ids.get(id(tensor))
        if node_id is not None:
            return node_id
        name = self.param_names.get(id(tensor))
        if name is None:
            return self.add(id(tensor), GraphNode("", "input", tensor_lines("input", tensor, self.show_shapes),
                                                  tooltip=f"input {array_summary(tensor)}", source=tensor))
        return self.add(id(tensor), GraphNode("", "parameter", tensor_lines(name, tensor, self.show_shapes),
                                              name.rpartition(".")[0] or None,
                                              tooltip=f"parameter {name}\n{array_summary(tensor)}", source=tensor))

    def op(self, node, meta):
        """Node of a Function; ``meta`` is its output's ``(shape, dtype)`` (entries None when unknown)."""
        shape, dtype = meta
        lines = [node.name()]
        if self.show_shapes and shape is not None:
            lines.append(shape_text(shape))
        if node.released and self.show_saved:
            lines.append("(freed by backward)")
        return self.add(id(node), GraphNode("", "op", tuple(lines), tooltip=_op_tooltip(node, meta),
                                            signature=("op", node.name(), shape), source=node))

    def saved(self, node, node_id):
        """Saved-tensor nodes of ``node``; one node per stored buffer, shared between ops."""
        for label, value in _saved_values(node):
            array = value.data if isinstance(value, Tensor) else value
            saved_id = self.ids.get(("saved", id(array)))
            if saved_id is None:
                title = label
                name = self.param_names.get(id(value)) if isinstance(value, Tensor) else None
                if name is not None:
                    title = f"{label} = {name}"
                details = [dtype_text(array.dtype)]
                if self.show_shapes:
                    details.insert(0, shape_text(array.shape))
                saved_id = self.add(("saved", id(array)), GraphNode(
                    "", "saved", (title, " ".join(details)),
                    tooltip=f"saved for {node.name()}: {label} {array_summary(value)}", source=value))
            self.edge(saved_id, node_id, "saved")


def _meta_text(meta):
    shape, dtype = meta
    return " ".join(text for text in (shape_text(shape) if shape is not None else "?",
                                      dtype_text(dtype) if dtype is not None else "") if text)


def _op_tooltip(node, meta):
    """Full description of an op for the SVG tooltip: output, inputs and what it saved."""
    lines = [node.name(), f"output {_meta_text(meta)}"]
    inputs = [_meta_text(input_meta) for input_meta in _input_metas(node, meta)]
    if inputs:
        lines.append("inputs " + ", ".join(inputs))
    saved = [f"{label} {array_summary(value)}" for label, value in _saved_values(node)]
    if saved:
        lines.append("saved " + "; ".join(saved))
    elif node.released:
        lines.append("saved tensors freed by backward")
    return "\n".join(lines)


def _input_metas(node, meta):
    """``(shape, dtype)`` of each input of ``node`` given its output's (None where unknown).

    ``Function.apply`` records ``input_meta`` only when some input's shape or dtype differs
    from the output's; when it is absent every input had the output's shape and dtype.
    """
    count = len(node.next)
    metas = getattr(node, "input_meta", None)
    if metas is None:
        return [meta] * count
    if len(metas) == count:
        return [(tuple(shape), dtype) for shape, dtype in metas]
    return [(None, None)] * count  # a hand-made node we cannot read: leave its inputs unlabelled


def describe_graph(*outputs, params=None, show_shapes=True, show_saved=False):
    """Walk the autograd graph behind ``outputs`` into a :class:`GraphDescription`.

    outputs: Tensors (or tuples/lists of them) whose history is drawn together.
    params: optional dict name -> Tensor naming leaf tensors; dotted names give ``module``.
    show_shapes: add shapes to tensor labels and (derived) output shapes to op labels.
    show_saved: add a node per array/tensor each op saved for backward (until it is freed).

    The walk is a breadth-first loop with an explicit queue, so depth is not limited by
    Python's recursion limit; the order (and hence every node id) depends only on the graph.
    """
    outputs = _check_outputs(outputs)
    builder = _Builder(_check_params(params), show_shapes, show_saved)
    queue = deque()
    metas = {}
    several = len(outputs) > 1
    for index, output in enumerate(outputs):
        name = builder.param_names.get(id(output))
        title = name or (f"output {index}" if several else "output")
        node = GraphNode("", "output", tensor_lines(title, output, show_shapes),
                         tooltip=f"{title} {array_summary(output)}", source=output)
        output_id = builder.add(id(output) if output.grad_fn is None else None, node)
        node = output.grad_fn
        if node is None:
            continue
        node_id = builder.ids.get(id(node))
        if node_id is None:
            metas[id(node)] = (tuple(output.shape), output.dtype)
            node_id = builder.op(node, metas[id(node)])
            queue.append(node)
        builder.edge(node_id, output_id)
    while queue:
        node = queue.popleft()
        node_id = builder.ids[id(node)]
        if show_saved:
            builder.saved(node, node_id)
        for parent, meta in zip(node.next, _input_metas(node, metas[id(node)])):
            if parent is None:
                continue
            if isinstance(parent, Tensor):
                builder.edge(builder.leaf(parent), node_id)
                continue
            if not isinstance(parent, Function):
                raise TypeError(
                    f"draw_graph: {node.name()}.next holds a {type(parent).__name__}; expected "
                    "a Function, a leaf Tensor or None"
                )
            parent_id = builder.ids.get(id(parent))
            if parent_id is None:
                metas[id(parent)] = meta
                parent_id = builder.op(parent, meta)
                queue.append(parent)
            builder.edge(parent_id, node_id)
    return builder.description
