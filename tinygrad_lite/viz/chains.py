"""Fold long runs of identical nodes (``Block -> Block -> ... -> Block``) into one ``xN`` node.

A run is a path ``a -> b -> c ...`` in which every node has the same ``signature`` (op name or
module class, and shapes), each node but the last has exactly one outgoing edge and each node but
the first exactly one incoming edge, so folding hides no branch: what enters the first node and
leaves the last is redrawn on the folded node. Runs shorter than ``min_run`` stay as they are.
"""
import dataclasses

from tinygrad_lite.viz.graph import GraphDescription, GraphEdge

__all__ = ["collapse_chains"]


def _degrees(description):
    incoming, outgoing = {}, {}
    for edge in description.edges:
        outgoing.setdefault(edge.source, []).append(edge.target)
        incoming.setdefault(edge.target, []).append(edge.source)
    return incoming, outgoing


def _runs(description):
    """Lists of node ids, each a maximal foldable run, in the order of their first node."""
    nodes = {node.node_id: node for node in description.nodes}
    incoming, outgoing = _degrees(description)

    def link(node_id):  # the next node of a run through node_id, or None
        targets = outgoing.get(node_id, [])
        if len(targets) != 1 or nodes[node_id].signature is None:
            return None
        target = targets[0]
        if len(incoming.get(target, [])) != 1 or nodes[target].signature != nodes[node_id].signature:
            return None
        return target

    successors = {node_id: link(node_id) for node_id in nodes}
    has_predecessor = {target for target in successors.values() if target is not None}
    runs = []
    for node in description.nodes:
        if node.node_id in has_predecessor or successors[node.node_id] is None:
            continue
        run = [node.node_id]
        while successors[run[-1]] is not None:
            run.append(successors[run[-1]])
        runs.append(run)
    return runs


def _folded_node(members):
    """One node standing for ``members``: ``xN`` after the class or op, the first and last names."""
    first, last = members[0], members[-1]
    if first.role == "module":
        lines = [f"{type(first.source.module).__name__} x{len(members)}",
                 f"{first.source.name or '(model)'} ... {last.source.name or '(model)'}"]
    else:
        lines = [f"{first.lines[0]} x{len(members)}"]
    lines.extend(first.lines[1:])
    norms = [member.grad_norm for member in members if member.grad_norm is not None]
    if norms and lines[-1].startswith("grad "):
        lines[-1] = f"grad {min(norms):.2e} ... {max(norms):.2e}"
    tooltip = f"{len(members)} identical consecutive nodes folded:\n" + "\n".join(
        member.tooltip.split("\n")[0] for member in members)
    return dataclasses.replace(first, lines=tuple(lines), tooltip=tooltip, source=[m.source for m in members])


def collapse_chains(description, min_run=3):
    """A new description with every run of >= ``min_run`` identical nodes folded into one."""
    nodes = {node.node_id: node for node in description.nodes}
    folded_into = {}
    folded = {}
    for run in _runs(description):
        if len(run) >= min_run:
            folded[run[0]] = _folded_node([nodes[node_id] for node_id in run])
            folded_into.update({node_id: run[0] for node_id in run})
    result = GraphDescription(grad_decades=description.grad_decades)
    for node in description.nodes:
        if node.node_id in folded:
            result.nodes.append(folded[node.node_id])
        elif node.node_id not in folded_into:
            result.nodes.append(node)
    for edge in description.edges:
        source = folded_into.get(edge.source, edge.source)
        target = folded_into.get(edge.target, edge.target)
        if source != target:
            result.edges.append(GraphEdge(source, target, edge.kind))
    return result
