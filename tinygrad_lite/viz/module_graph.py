"""Group an op-level graph description into module boxes at one depth of the module-call tree.

Each op goes into the box of the call that made it at ``depth`` (see
:mod:`tinygrad_lite.viz.module_trace` for how depth counts): the call of its ancestry at exactly
that depth, or a leaf call (one that called no other module) above it, so a ``Linear`` called
directly by the model stays a box at any depth. Ops made outside every such box (the loss, a
block's residual additions once the block is opened) stay ops. A parameter, or a saved tensor,
whose consumers all sit in one box disappears into it (it is counted in the box's label); one
shared across boxes (tied weights) stays a node with an edge into each.
"""
import dataclasses

from tinygrad_lite.viz.graph import GraphDescription, GraphEdge, GraphNode
from tinygrad_lite.viz.labels import array_summary, count_text, shape_text

__all__ = ["group_by_module", "box_of_call"]


def box_of_call(call, depth):
    """The call whose box holds what ``call`` made, at ``depth``; None when it stays open."""
    for ancestor in reversed(list(call.ancestors())):
        if ancestor.depth == depth or not ancestor.children:
            return ancestor
    return None


def _shapes_text(tensors):
    texts = [shape_text(tensor.shape) for tensor in tensors]
    if len(texts) > 3:
        texts = texts[:2] + [f"... {len(texts) - 2} more"]
    return ", ".join(texts) if texts else "-"


def _parameters(module):
    return list(module.parameters())


def _box_node(call, trace, show_shapes):
    """The node drawn for one module call: class, qualified name, shapes, parameter count."""
    count = sum(int(parameter.numel()) for parameter in _parameters(call.module))
    lines = [call.title(trace.calls_of(call.module))]
    if show_shapes:
        lines.append(f"{_shapes_text(call.inputs)} -> {_shapes_text(call.outputs)}")
    if count:
        lines.append(f"{count_text(count)} params")
    tooltip = [f"{lines[0]} (depth {call.depth})",
               "inputs " + (", ".join(array_summary(tensor) for tensor in call.inputs) or "none"),
               "outputs " + (", ".join(array_summary(tensor) for tensor in call.outputs) or "none"),
               f"{count} parameters"]
    signature = ("module", type(call.module).__name__, tuple(tuple(t.shape) for t in call.inputs),
                 tuple(tuple(t.shape) for t in call.outputs), count)
    return GraphNode("", "module", tuple(lines), tooltip="\n".join(tooltip), signature=signature, source=call)


def _consumers(description):
    consumers = {}
    for edge in description.edges:
        consumers.setdefault(edge.source, []).append(edge.target)
    return consumers


def _absorbed_into(node, consumer_boxes):
    """The box a parameter/saved node disappears into, or None when it stays drawn."""
    boxes = {id(box): box for box in consumer_boxes}
    if len(boxes) != 1 or None in consumer_boxes:
        return None
    (box,) = boxes.values()
    if node.role == "saved":
        return box
    if node.role == "parameter" and any(p is node.source for p in _parameters(box.module)):
        return box
    return None


def group_by_module(description, trace, depth, show_shapes=True):
    """A new :class:`GraphDescription` with the ops of each module call at ``depth`` as one box."""
    box_of = {}  # node_id -> ModuleCall (None: drawn as itself)
    for node in description.nodes:
        call = trace.call_of(node.source) if node.role == "op" else None
        box_of[node.node_id] = box_of_call(call, depth) if call is not None else None
    if not any(box_of.values()) and not any(trace.call_of(node.source) for node in description.nodes
                                             if node.role == "op"):
        raise ValueError(
            "draw_graph: none of these nodes were made inside tl.viz.trace_modules(model) (the trace of "
            "this model recorded other forward passes); run this forward inside the context")
    consumers = _consumers(description)
    for node in description.nodes:
        if node.role in ("parameter", "saved"):
            boxes = [box_of[target] for target in consumers.get(node.node_id, [])]
            box_of[node.node_id] = _absorbed_into(node, boxes)

    grouped = GraphDescription(grad_decades=description.grad_decades)
    drawn = {}  # old node_id or id(call) -> new node_id
    for node in description.nodes:
        call = box_of[node.node_id]
        key = node.node_id if call is None else id(call)
        if key not in drawn:
            new = _box_node(call, trace, show_shapes) if call is not None else dataclasses.replace(node)
            new.node_id = drawn[key] = f"n{len(grouped.nodes)}"
            grouped.nodes.append(new)
        drawn[node.node_id] = drawn[key]
    seen_box_edges = set()
    for edge in description.edges:
        source, target = drawn[edge.source], drawn[edge.target]
        if source == target:
            continue  # inside one box
        touches_box = box_of[edge.source] is not None or box_of[edge.target] is not None
        if touches_box:
            if (source, target, edge.kind) in seen_box_edges:
                continue
            seen_box_edges.add((source, target, edge.kind))
        grouped.edges.append(GraphEdge(source, target, edge.kind))
    return grouped
