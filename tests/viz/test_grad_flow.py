"""Tests for show_grad (norms in labels, colours, legend) and tl.viz.plot_grad_flow."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from tinygrad_lite.viz.grad_flow import GRAD_PALETTE, decade_range, grad_colour
from tests.viz.dot_text import attribute, by_title, parse

pytest.importorskip("graphviz")


def trained_step(seed=0):
    tl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2, bias=False))
    with tl.viz.trace_modules(model):
        loss = (model(tl.randn(4, 3)) ** 2).mean()
    loss.backward()
    return model, loss


def norm_of(*tensors):
    return math.sqrt(sum(float(numpy.sum(tensor.grad.numpy().astype(numpy.float64) ** 2)) for tensor in tensors))


def test_parameter_labels_carry_their_grad_norms_and_colours():
    model, loss = trained_step()
    nodes, _ = parse(tl.viz.draw_graph(loss, model=model, show_grad=True).source)
    decades = decade_range([norm_of(p) for p in model.parameters()])
    for name, parameter in model.named_parameters():
        (node_id,) = by_title(nodes, name)
        lines, attrs = nodes[node_id]
        assert lines[-1] == f"grad {parameter.grad.norm().item():.2e}"
        assert attribute(attrs, "fillcolor") == grad_colour(norm_of(parameter), decades)
    assert "LinearBackward" in {lines[0] for lines, _ in nodes.values()}  # ops stay uncoloured ops


def test_module_boxes_carry_the_norm_over_their_parameters():
    model, loss = trained_step()
    graph = tl.viz.draw_graph(loss, model=model, depth=1, show_grad=True)
    nodes, _ = parse(graph.source)
    first = nodes[by_title(nodes, "0: Linear")[0]][0]
    assert first[-1] == f"grad {norm_of(model[0].weight, model[0].bias):.2e}"
    assert nodes[by_title(nodes, "2: Linear")[0]][0][-1] == f"grad {norm_of(model[2].weight):.2e}"
    assert not any(line.startswith("grad") for line in nodes[by_title(nodes, "1: Tanh")[0]][0])
    legend = graph.source[graph.source.index("legend ["):]
    assert "gradient norm (log scale)" in legend and legend.count("<td bgcolor=") >= 4


def test_missing_and_zero_gradients():
    w, unused = tl.ones(3, requires_grad=True), tl.ones(3, requires_grad=True)
    loss = (w * 0.0).sum() + unused.sum()
    unused.grad = None
    w.grad = tl.zeros(3)
    nodes, _ = parse(tl.viz.draw_graph(loss, params={"w": w, "unused": unused}, show_grad=True).source)
    assert nodes[by_title(nodes, "w")[0]][0][-1] == "grad 0.00e+00"
    assert nodes[by_title(nodes, "unused")[0]][0][-1] == "no grad"


@pytest.mark.parametrize("norm, decades, colour", [
    (1e-9, (-9, -5), GRAD_PALETTE[0]), (1e-5, (-9, -5), GRAD_PALETTE[-1]), (1e3, (-9, -5), GRAD_PALETTE[-1]),
    (1e-7, (-9, -5), GRAD_PALETTE[3]), (0.0, (-1, 0), "#cccccc"),
])
def test_colour_scale_is_log10(norm, decades, colour):
    assert grad_colour(norm, decades) == colour


def test_decade_range_is_at_least_four_decades_below_the_largest():
    assert decade_range([0.5, 2.0]) == (-3, 1)
    assert decade_range([1e-9, 3e-2]) == (-9, -1)
    assert decade_range([0.0]) is None


def test_plot_grad_flow_bars_follow_named_parameters(tmp_path):
    model, _ = trained_step()
    figure = tl.viz.plot_grad_flow(model, tmp_path / "flow" / "grads.png", title="three layers")
    axes = figure.axes[0]
    heights = [bar.get_height() for bar in axes.patches]
    expected = [norm_of(parameter) for parameter in model.parameters()]
    numpy.testing.assert_allclose(heights, expected, rtol=1e-6)
    assert [label.get_text() for label in axes.get_xticklabels()] == ["0.weight", "0.bias", "2.weight"]
    assert axes.get_yscale() == "log" and axes.get_title() == "three layers"
    assert (tmp_path / "flow" / "grads.png").read_bytes().startswith(b"\x89PNG")


def test_plot_grad_flow_before_backward_says_so():
    with pytest.raises(ValueError, match="backward"):
        tl.viz.plot_grad_flow(nn.Linear(2, 2))
