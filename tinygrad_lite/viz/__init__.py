"""``tinygrad_lite.viz``: draw the autograd graph behind tensors, op by op or module by module.

    graph = tl.viz.draw_graph(loss, params=dict(model.named_parameters()))   # every op
    with tl.viz.trace_modules(model):
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    graph = tl.viz.draw_graph(loss, model=model, depth=1, show_grad=True)  # a box per module call
    tl.viz.render(graph, "out/graph.svg", format="svg")   # needs the Graphviz `dot` program
    tl.viz.plot_grad_flow(model, "out/grad_flow.png")     # gradient norm per parameter

Layers: :mod:`.graph` walks the graph into a plain node/edge description; :mod:`.module_trace`
records which module call made which node and :mod:`.module_graph` groups nodes into module
boxes; :mod:`.grad_flow` colours by gradient norm; :mod:`.chains` folds repeated runs;
:mod:`.dot` turns the description into a ``graphviz.Digraph`` and renders with ``dot``.
"""
from tinygrad_lite.viz import chains
from tinygrad_lite.viz.dot import RANKDIRS, check_dot, render, to_digraph
from tinygrad_lite.viz.grad_flow import annotate_gradients, plot_grad_flow
from tinygrad_lite.viz.graph import GraphDescription, GraphEdge, GraphNode, describe_graph
from tinygrad_lite.viz.module_graph import group_by_module
from tinygrad_lite.viz.module_trace import ModuleCall, ModuleTrace, find_trace, trace_modules

__all__ = ["draw_graph", "render", "check_dot", "trace_modules", "plot_grad_flow", "describe_graph",
           "to_digraph", "GraphDescription", "GraphNode", "GraphEdge", "ModuleTrace", "ModuleCall"]


def _check_options(depth, rankdir, max_nodes):
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"draw_graph: depth must be None (every op) or an int >= 0, got {depth!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")


def _module_trace(model, depth):
    trace = find_trace(model)
    if trace is None:
        raise ValueError(
            f"draw_graph(depth={depth}) needs to know which module made each node: run the forward "
            "inside `with tl.viz.trace_modules(model):` and pass model=model (or draw inside the context)")
    return trace


def _check_size(description, max_nodes, depth):
    count = len(description.nodes)
    if max_nodes is None or count <= max_nodes:
        return
    if depth is None:
        hint = ("draw it by module instead: draw_graph(..., model=model, depth=1) after a forward inside "
                "tl.viz.trace_modules(model)")
    elif depth > 0:
        hint = f"draw fewer, larger boxes with depth={depth - 1}"
    else:
        hint = "draw a smaller part of the model"
    raise ValueError(f"draw_graph: the graph has {count} nodes, more than max_nodes={max_nodes}, which "
                     f"would be unreadable (and slow for dot to lay out); {hint}, or pass a larger max_nodes")


def draw_graph(*outputs, params=None, show_shapes=True, show_saved=False, depth=None, model=None,
               show_grad=False, rankdir="TB", collapse_chains=True, max_nodes=400):
    """Draw the autograd graph of ``outputs`` as a ``graphviz.Digraph``.

    outputs: one or more Tensors (several outputs share one graph).
    params: optional dict name -> Tensor, e.g. ``dict(model.named_parameters())``; named leaves
        are drawn as parameters (light blue), grouped in a cluster per dotted module prefix.
        With ``model=`` and no ``params`` the model's named parameters are used.
    show_shapes: show tensor shapes (and each op's output shape) in the labels.
    show_saved: also draw what each op saved for backward (orange, dashed edges); nodes
        already through a backward without ``retain_graph`` have nothing saved any more.
    depth: None draws every op. An int draws each module call at that depth of the call tree
        (0: the model's own call, 1: the modules it calls, ...) as one box (class, qualified
        name, input -> output shapes, parameter count); a leaf module above that depth is a box
        too, and ops outside every box stay ops. Needs the forward to have run inside
        ``tl.viz.trace_modules(model)``: pass ``model=``, or draw inside the context. Every call
        of a shared module is its own box, labelled ``(call 2)``... Containers never called
        themselves (``ModuleList``) are no level: GPT's blocks are at depth 1.
    model: the traced ``nn.Module`` (see ``depth``); also names the parameters.
    show_grad: after ``backward()``, colour parameter nodes and module boxes (norm over their
        parameters) by log10 of the gradient norm, print the norm in the label, and add a legend.
    rankdir: ``"TB"`` top to bottom, ``"LR"`` left to right (or ``"BT"``, ``"RL"``).
    collapse_chains: fold every run of >= 3 identical consecutive nodes (same op or module
        class, shapes and, with ``show_grad``, gradient decade) into one node ``xN``.
    max_nodes: more nodes than this after collapsing raises ValueError suggesting ``depth=``
        (None: no limit).

    Colours: ops grey, module boxes yellow, inputs (unnamed leaves) pink, parameters light blue,
    outputs green, saved tensors orange. SVG output has a tooltip on every node (full shapes,
    dtypes, the op's saved tensors); the Digraph has ``_repr_svg_`` for notebooks. Raises
    ImportError (``pip install graphviz``) without the graphviz package; ``.source`` then works
    without the ``dot`` program, rendering needs it.
    """
    from tinygrad_lite.viz.dot import require_graphviz

    require_graphviz()  # fail before walking a big graph
    _check_options(depth, rankdir, max_nodes)
    trace = _module_trace(model, depth) if depth is not None else None
    if params is None and model is not None:
        params = dict(model.named_parameters())
    description = describe_graph(*outputs, params=params, show_shapes=show_shapes, show_saved=show_saved)
    if trace is not None:
        description = group_by_module(description, trace, depth, show_shapes)
    if show_grad:
        annotate_gradients(description)
    if collapse_chains:
        description = chains.collapse_chains(description)
    _check_size(description, max_nodes, depth)
    return to_digraph(description, rankdir=rankdir)
