"""Tests for the rendered picture: layout direction, SVG tooltips, notebook display."""
import shutil
import xml.etree.ElementTree as ElementTree

import pytest

import tinygrad_lite as tl
from tests.viz.test_module_graph import traced_mlp

pytest.importorskip("graphviz")
requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
XLINK = "{http://www.w3.org/1999/xlink}"


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_rankdir(rankdir):
    model, loss = traced_mlp()
    assert f"rankdir={rankdir}" in tl.viz.draw_graph(loss, model=model, depth=1, rankdir=rankdir).source


@pytest.mark.parametrize("options, words", [
    (dict(rankdir="sideways"), "rankdir must be one of"),
    (dict(max_nodes=0), "max_nodes must be a positive int"),
])
def test_bad_layout_options(options, words):
    with pytest.raises(ValueError, match=words):
        tl.viz.draw_graph(tl.ones(2, requires_grad=True) * 2.0, **options)


def svg_tooltips(svg_text):
    root = ElementTree.fromstring(svg_text)
    return [element.get(f"{XLINK}title") for element in root.iter() if element.get(f"{XLINK}title")]


@requires_dot
def test_svg_is_xml_with_tooltips(tmp_path):
    model, loss = traced_mlp()
    graph = tl.viz.draw_graph(loss, model=model, show_saved=True)
    tips = svg_tooltips(open(tl.viz.render(graph, tmp_path / "ops.svg", format="svg"), encoding="utf-8").read())
    linear = [tip for tip in tips if tip.startswith("LinearBackward\noutput (4, 2) float32")]
    assert linear == ["LinearBackward\noutput (4, 2) float32\ninputs (4, 5) float32, (2, 5) float32, (2,) float32\n"
                      "saved saved_inputs[0] (4, 5) float32; saved_inputs[1] (2, 5) float32"]
    assert "parameter 0.weight\n(5, 3) float32" in tips
    loss.backward()
    graph = tl.viz.draw_graph(loss, model=model, depth=1, show_grad=True)
    tips = svg_tooltips(graph._repr_svg_())
    (box,) = [tip for tip in tips if tip.startswith("2: Linear")]
    assert box.split("\n")[:4] == ["2: Linear (depth 1)", "inputs (4, 5) float32", "outputs (4, 2) float32",
                                   "12 parameters"]
    assert box.split("\n")[4].startswith("gradient norm ")


@requires_dot
def test_notebook_display_paths_work():
    model, loss = traced_mlp()
    graph = tl.viz.draw_graph(loss, model=model, depth=1)
    assert graph._repr_svg_().lstrip().startswith(("<?xml", "<svg"))
    bundle = graph._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
