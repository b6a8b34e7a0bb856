"""Turn a :class:`GraphDescription` into a ``graphviz.Digraph``, and render DOT with ``dot``.

The ``graphviz`` Python package only writes DOT text, so ``.source`` works everywhere; drawing
an image needs the Graphviz ``dot`` program. Both are optional: the package is imported on first
use (ImportError naming ``pip install graphviz``), and ``dot`` is looked up with
``shutil.which`` before any render (RuntimeError naming how to install it). ``dot`` is always run
as an argument list, never through a shell.
"""
import os
import re
import shutil
import subprocess

from tinygrad_lite.viz.grad_flow import grad_colour, text_colour

__all__ = ["ROLE_STYLES", "RANKDIRS", "require_graphviz", "check_dot", "to_digraph", "render"]

#: Fill colours by role, torchviz style: parameters light blue, outputs green, saved orange.
ROLE_STYLES = {
    "op": {"fillcolor": "lightgrey", "style": "rounded,filled"},
    "input": {"fillcolor": "lightpink"},
    "parameter": {"fillcolor": "lightblue"},
    "output": {"fillcolor": "darkolivegreen1"},
    "saved": {"fillcolor": "orange"},
    "module": {"fillcolor": "#fff2cc", "style": "filled,bold", "color": "#7f6000"},
}

#: The layouts ``dot`` offers: top to bottom, left to right, and their reverses.
RANKDIRS = ("TB", "LR", "BT", "RL")

INSTALL_DOT_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install graphviz`"
)

_FORMAT = re.compile(r"^[A-Za-z0-9_:.-]+$")
_digraph_class = None


def require_graphviz():
    """Import and return the ``graphviz`` package, or raise ImportError saying how to get it."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "tinygrad_lite.viz needs the graphviz Python package to build graphs: "
            "`pip install graphviz` (rendering images also needs the `dot` program; "
            f"{INSTALL_DOT_HINT})"
        ) from error
    return graphviz


def check_dot():
    """Return the path of the Graphviz ``dot`` executable, or raise RuntimeError explaining
    how to install it (``.source`` still works without it)."""
    path = shutil.which("dot")
    if path is None:
        raise RuntimeError(
            "rendering a graph needs the Graphviz `dot` executable, which was not found on PATH; "
            f"{INSTALL_DOT_HINT}. The DOT text is available without it as graph.source"
        )
    return path


def _graph_class():
    """A ``graphviz.Digraph`` subclass whose ``render``/``pipe`` check for ``dot`` first."""
    global _digraph_class
    if _digraph_class is None:
        graphviz = require_graphviz()

        class Digraph(graphviz.Digraph):
            """``graphviz.Digraph`` that fails early, with install help, when ``dot`` is missing."""

            def render(self, *args, **kwargs):
                """``graphviz.Digraph.render`` after checking that ``dot`` is installed."""
                check_dot()
                return super().render(*args, **kwargs)

            def pipe(self, *args, **kwargs):
                """``graphviz.Digraph.pipe`` after checking that ``dot`` is installed."""
                check_dot()
                return super().pipe(*args, **kwargs)

            def _repr_svg_(self):
                """The graph as SVG text, so a notebook cell shows it inline."""
                return self.pipe(format="svg", encoding="utf-8")

        _digraph_class = Digraph
    return _digraph_class


def _label(lines):
    # Backslashes in user-given names would otherwise start DOT escapes; "\n" centres each line.
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)


def _tooltip(text):
    return _label(text.split("\n"))


def _node_attributes(node):
    attributes = dict(ROLE_STYLES[node.role])
    if node.fill is not None:
        attributes["fillcolor"] = node.fill
        attributes["fontcolor"] = text_colour(node.fill)
    if node.tooltip:
        attributes["tooltip"] = _tooltip(node.tooltip)
    return attributes


def _legend_label(decades):
    """An HTML-like table: one swatch per decade of the gradient colour scale."""
    low, high = decades
    step = max(1, (high - low) // 10)
    cells = "".join(
        f'<td bgcolor="{grad_colour(10.0 ** decade, decades)}">1e{decade}</td>'
        for decade in range(low, high + 1, step))
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
            f'<tr><td colspan="{len(range(low, high + 1, step))}">gradient norm (log scale)</td></tr>'
            f'<tr>{cells}</tr></table>>')


def _cluster_id(module):
    return "cluster_" + re.sub(r"[^A-Za-z0-9_]", "_", module)


def to_digraph(description, name="autograd_graph", rankdir="TB"):
    """Build a ``graphviz.Digraph`` from a :class:`~tinygrad_lite.viz.graph.GraphDescription`.

    rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right; also ``"BT"``, ``"RL"``).
    Every node carries a tooltip (shown on hover in SVG); with gradient colours a legend node
    shows the scale.

    Parameter nodes go into nested clusters named after their module prefixes
    (``'layer1.weight'`` -> cluster ``layer1``; ``'enc.block.w'`` -> ``enc`` containing
    ``enc.block``); every other node sits at the top level. Output is deterministic.
    """
    graphviz = require_graphviz()
    graph_class = _graph_class()
    graph = graph_class(
        name=name,
        graph_attr={"rankdir": rankdir, "ranksep": "0.3", "nodesep": "0.25"},
        node_attr={"shape": "box", "style": "filled", "fontname": "Helvetica", "fontsize": "10",
                   "height": "0.2", "margin": "0.08,0.04"},
        edge_attr={"arrowsize": "0.6"},
    )
    clusters = {}
    for module in description.modules():
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            if prefix not in clusters:
                clusters[prefix] = graph_class(
                    name=_cluster_id(prefix),
                    graph_attr={"label": prefix, "style": "rounded,dashed", "color": "grey40",
                                "fontname": "Helvetica", "fontsize": "10"},
                )
    for node in description.nodes:
        target = clusters[node.module] if node.module is not None else graph
        target.node(node.node_id, graphviz.nohtml(_label(node.lines)), **_node_attributes(node))
    if description.grad_decades is not None:
        graph.node("legend", _legend_label(description.grad_decades), shape="plaintext", style="",
                   tooltip="gradient norm colour scale: blue small (vanishing), red large")
    # Attach clusters deepest first: ``subgraph`` copies the child's body at call time.
    for prefix in sorted(clusters, key=lambda p: (-p.count("."), p)):
        parent_prefix = prefix.rpartition(".")[0]
        parent = clusters[parent_prefix] if parent_prefix else graph
        parent.subgraph(clusters[prefix])
    for edge in description.edges:
        if edge.kind == "saved":
            graph.edge(edge.source, edge.target, style="dashed", arrowhead="none", color="darkorange")
        else:
            graph.edge(edge.source, edge.target)
    return graph


def render(graph, path, format="png"):
    """Render ``graph`` (a Digraph, or anything with DOT text in ``.source``) to the file ``path``.

    format: any output format ``dot`` knows (``png``, ``svg``, ``pdf``...), written as-is to
    ``path`` (the extension is not inspected). Missing parent folders are created. Returns
    ``path``. Raises RuntimeError when ``dot`` is missing or fails (with its error text).
    """
    source = graph if isinstance(graph, str) else getattr(graph, "source", None)
    if not isinstance(source, str):
        raise TypeError(f"render: expected a graphviz Digraph or DOT text, got {type(graph).__name__}")
    if not isinstance(format, str) or not _FORMAT.match(format):
        raise ValueError(f"render: format must be a Graphviz format name like 'png', got {format!r}")
    dot = check_dot()
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    # "-o" glued to the path: dot never reads a path that starts with "-" as an option.
    completed = subprocess.run(
        [dot, f"-T{format}", f"-o{path}"], input=source.encode("utf-8"), capture_output=True, check=False
    )
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"render: `dot -T{format}` failed (exit {completed.returncode}): {message}")
    return path
