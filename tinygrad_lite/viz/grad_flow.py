"""Gradient flow: colour graph nodes by the norm of their gradient, and plot it per parameter.

After ``backward()``, parameter nodes (and module boxes: the norm over all their parameters) get
the label line ``grad 1.23e-04`` and a fill on a log10 scale from blue (small, vanishing) through
pale yellow to red (large), shared by the graph legend and :func:`plot_grad_flow`'s bars. A
parameter without a gradient says ``no grad``; an exactly zero gradient is grey.
"""
import math
import os

__all__ = ["GRAD_PALETTE", "gradient_norm", "grad_colour", "text_colour", "grad_text", "decade_range", "annotate_gradients",
           "plot_grad_flow"]

#: Colour stops from the smallest decade to the largest (ColorBrewer's RdYlBu, reversed).
GRAD_PALETTE = ("#4575b4", "#91bfdb", "#e0f3f8", "#ffffbf", "#fee090", "#fc8d59", "#d73027")
ZERO_COLOUR = "#cccccc"


def gradient_norm(tensors):
    """The L2 norm over the ``.grad`` of ``tensors`` together (float64), or None if none has one."""
    total, found, seen = 0.0, False, set()
    for tensor in tensors:
        if id(tensor) in seen or tensor.grad is None:
            continue
        seen.add(id(tensor))
        grad = tensor.grad.data
        xp = tensor.grad.device.xp
        total += float((xp.abs(grad.astype(xp.float64)) ** 2).sum())
        found = True
    return math.sqrt(total) if found else None


#: The colour scale spans at least this many decades below the largest norm, so a graph whose
#: gradients are all healthy is not painted as if its smallest one were vanishing.
MIN_DECADES = 4


def decade_range(norms):
    """``(low, high)`` whole decades spanning the positive ``norms`` (at least MIN_DECADES wide)."""
    logs = [math.log10(norm) for norm in norms if norm]
    if not logs:
        return None
    high = math.ceil(max(logs))
    return (min(math.floor(min(logs)), high - MIN_DECADES), high)


def _mix(colour_a, colour_b, weight):
    a = [int(colour_a[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(colour_b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * weight):02x}" for x, y in zip(a, b))


def grad_colour(norm, decades):
    """Fill colour of a gradient ``norm`` on the log scale ``decades`` = ``(low, high)``."""
    if not norm:
        return ZERO_COLOUR
    low, high = decades
    position = min(max((math.log10(norm) - low) / (high - low), 0.0), 1.0) * (len(GRAD_PALETTE) - 1)
    index = min(int(position), len(GRAD_PALETTE) - 2)
    return _mix(GRAD_PALETTE[index], GRAD_PALETTE[index + 1], position - index)


def text_colour(fill):
    """``"white"`` on a dark ``#rrggbb`` fill, ``"black"`` on a light one."""
    red, green, blue = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"


def grad_text(norm):
    """The label line for a gradient norm (three significant digits)."""
    return "no grad" if norm is None else f"grad {norm:.2e}"


def _node_parameters(node):
    if node.role == "parameter":
        return [node.source]
    if node.role == "module":
        return list(node.source.module.parameters())
    return []


def annotate_gradients(description):
    """Label and colour the parameter and module nodes of ``description`` by gradient norm (in place).

    Sets each such node's ``grad_norm``, ``fill`` and last label line, adds the gradient's
    decade to its ``signature`` (so only boxes of similar gradients fold into one chain), and
    the scale to ``description.grad_decades`` for the legend.
    """
    norms = {}
    for node in description.nodes:
        parameters = _node_parameters(node)
        if parameters:
            norms[node.node_id] = gradient_norm(parameters)
    description.grad_decades = decade_range(norms.values())
    for node in description.nodes:
        if node.node_id not in norms:
            continue
        norm = node.grad_norm = norms[node.node_id]
        node.lines = node.lines + (grad_text(norm),)
        node.tooltip += f"\ngradient norm {'none' if norm is None else f'{norm:.6g}'}"
        if norm is not None and description.grad_decades is not None:
            node.fill = grad_colour(norm, description.grad_decades)
        if node.signature is not None:
            decade = math.floor(math.log10(norm)) if norm else norm
            node.signature = node.signature + (decade,)
    return description


def plot_grad_flow(model, path=None, title=None):
    """Bar chart (log scale) of the gradient norm of each parameter of ``model`` after backward.

    One bar per entry of ``model.named_parameters()``, in that order, coloured like the graph's
    gradient scale; parameters without a gradient are marked "no grad". Returns the matplotlib
    ``Figure`` (saved to ``path`` when given). Raises ValueError when no parameter has a gradient.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_grad_flow needs matplotlib: `pip install matplotlib`") from error
    names, norms = [], []
    for name, parameter in model.named_parameters():
        names.append(name)
        norms.append(gradient_norm([parameter]))
    decades = decade_range([norm for norm in norms if norm is not None])
    if decades is None:
        raise ValueError("plot_grad_flow: no parameter has a non-zero gradient; call loss.backward() first")
    figure = Figure(figsize=(min(max(6.0, 0.22 * len(names) + 2.0), 40.0), 4.8), layout="constrained")
    axes = figure.add_subplot()
    heights = [norm if norm else 10.0 ** decades[0] for norm in norms]
    colours = [grad_colour(norm, decades) if norm is not None else "white" for norm in norms]
    axes.bar(range(len(names)), heights, color=colours, edgecolor="#555555", linewidth=0.5)
    axes.set_yscale("log")
    axes.set_ylim(10.0 ** decades[0] / 2, 10.0 ** decades[1] * 2)
    step = max(1, len(names) // 60)
    axes.set_xticks(range(0, len(names), step), names[::step], rotation=90, fontsize=7)
    for index, norm in enumerate(norms):
        if norm is None:
            axes.text(index, 10.0 ** decades[0], "no grad", rotation=90, fontsize=6, ha="center", va="bottom")
    axes.set_ylabel("gradient norm ||dL/dW||")
    axes.set_title(title or f"gradient norm per parameter of {type(model).__name__}")
    axes.grid(axis="y", which="major", alpha=0.3)
    if path is not None:
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        figure.savefig(path, dpi=110)
    return figure
