"""``tinygrad_lite.viz``: draw the autograd graph behind tensors, torchviz style.

    graph = tl.viz.draw_graph(loss, params={"layer1.weight": w1, "layer1.bias": b1})
    print(graph.source)                        # DOT text; needs only the graphviz package
    tl.viz.render(graph, "out/graph.png")      # needs the Graphviz `dot` program

Three layers: :mod:`.graph` walks the graph into a plain node/edge description,
:mod:`.dot` turns it into a ``graphviz.Digraph`` and renders with ``dot``.
"""
from tinygrad_lite.viz.dot import check_dot, render, to_digraph
from tinygrad_lite.viz.graph import GraphDescription, GraphEdge, GraphNode, describe_graph

__all__ = ["draw_graph", "render", "check_dot", "describe_graph", "to_digraph",
           "GraphDescription", "GraphNode", "GraphEdge"]


def draw_graph(*outputs, params=None, show_shapes=True, show_saved=False):
    """Draw the autograd graph of ``outputs`` as a ``graphviz.Digraph``.

    outputs: one or more Tensors (several outputs share one graph).
    params: optional dict name -> Tensor, e.g. ``dict(model.named_parameters())``; named leaves
        are drawn as parameters (light blue), grouped in a cluster per dotted module prefix.
    show_shapes: show tensor shapes (and each op's output shape) in the labels.
    show_saved: also draw what each op saved for backward (orange, dashed edges); nodes
        already through a backward without ``retain_graph`` have nothing saved any more.

    Colours: ops grey, inputs (unnamed leaves) pink, parameters light blue, outputs green,
    saved tensors orange. Raises ImportError (``pip install graphviz``) without the graphviz
    package; ``.source`` then works without the ``dot`` program, rendering needs it.
    """
    from tinygrad_lite.viz.dot import require_graphviz

    require_graphviz()  # fail before walking a big graph
    description = describe_graph(*outputs, params=params, show_shapes=show_shapes,
                                 show_saved=show_saved)
    return to_digraph(description)
