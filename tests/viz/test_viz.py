"""Tests for tinygrad_lite.viz: graph walk, DOT text (roles, clusters, shapes), rendering."""
import re
import shutil
import sys

import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
import tinygrad_lite.viz as viz
from tests.helpers import DEVICES
from tests.viz.dot_text import by_title, parse

pytest.importorskip("graphviz")
requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def mlp(device="cpu", dtype=tl.float32):
    """A two-layer MLP loss with dotted parameter names; returns (loss, params, hidden)."""
    x = tl.randn(4, 3, device=device, dtype=dtype)
    params = {
        "layer1.weight": tl.randn(5, 3, device=device, dtype=dtype, requires_grad=True),
        "layer1.bias": tl.randn(5, device=device, dtype=dtype, requires_grad=True),
        "head.weight": tl.randn(2, 5, device=device, dtype=dtype, requires_grad=True),
    }
    hidden = F.linear(x, params["layer1.weight"], params["layer1.bias"]).relu()
    loss = (hidden @ params["head.weight"].T).sum()
    return loss, params, hidden


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_ops_shapes_names_and_roles(device, dtype):
    loss, params, _ = mlp(device, dtype)
    graph = viz.draw_graph(loss, params=params)
    assert isinstance(graph, pytest.importorskip("graphviz").Digraph)
    nodes, edges = parse(graph.source)
    dtype_name = "float32" if dtype == tl.float32 else "float64"
    titles = [lines[0] for lines, _ in nodes.values()]
    assert sorted(titles) == sorted(["output", "SumBackward", "MatMulBackward", "ReluBackward",
                                     "LinearBackward", "PermuteBackward", "layer1.weight",
                                     "layer1.bias", "head.weight"])
    weight_lines, weight_attrs = nodes[by_title(nodes, "layer1.weight")[0]]
    assert weight_lines[1].startswith(f"(5, 3) {dtype_name}")
    assert "fillcolor=lightblue" in weight_attrs
    assert nodes[by_title(nodes, "layer1.bias")[0]][0][1].startswith("(5,) ")
    output_lines, output_attrs = nodes[by_title(nodes, "output")[0]]
    assert output_lines[1].startswith(f"() {dtype_name}") and "darkolivegreen1" in output_attrs
    # op shapes are derived from the outputs and the recorded broadcast metadata
    matmul_lines, matmul_attrs = nodes[by_title(nodes, "MatMulBackward")[0]]
    assert matmul_lines == ["MatMulBackward", "(4, 2)"]
    assert matmul_attrs.startswith(' fillcolor=lightgrey style="rounded,filled" tooltip=')
    assert nodes[by_title(nodes, "LinearBackward")[0]][0] == ["LinearBackward", "(4, 5)"]
    assert nodes[by_title(nodes, "PermuteBackward")[0]][0] == ["PermuteBackward", "(5, 2)"]
    if device != "cpu":
        assert weight_lines[1].endswith(str(params["layer1.weight"].device))
    assert len(edges) == 8  # leaves->ops (3), ops->ops (4), op->output (1)


def test_edges_follow_data_flow_and_inputs_are_distinct():
    x = tl.randn(3, 1, requires_grad=True)
    w = tl.randn(1, 4, requires_grad=True)
    out = (x + w) * (x + w)
    nodes, edges = parse(viz.draw_graph(out, params={"w": w}).source)
    (x_id,) = by_title(nodes, "input")
    (w_id,) = by_title(nodes, "w")
    assert "fillcolor=lightpink" in nodes[x_id][1] and "fillcolor=lightblue" in nodes[w_id][1]
    assert nodes[x_id][0][1].startswith("(3, 1) ")
    add_ids = by_title(nodes, "AddBackward")
    assert len(add_ids) == 2
    assert all(nodes[i][0][1] == "(3, 4)" for i in add_ids)  # broadcast output shape
    sources_of = {}
    for source, target, _ in edges:
        sources_of.setdefault(target, []).append(source)
    (mul_id,) = by_title(nodes, "MulBackward")
    assert sorted(sources_of[mul_id]) == sorted(add_ids)
    for add_id in add_ids:
        assert sorted(sources_of[add_id]) == sorted([x_id, w_id])


def test_same_input_twice_gives_two_edges():
    a = tl.randn(2, requires_grad=True)
    nodes, edges = parse(viz.draw_graph(a + a).source)
    (a_id,) = by_title(nodes, "input")
    (add_id,) = by_title(nodes, "AddBackward")
    assert [(s, t) for s, t, _ in edges].count((a_id, add_id)) == 2


@pytest.mark.parametrize("show_shapes", [True, False])
def test_show_shapes_toggle(show_shapes):
    loss, params, _ = mlp()
    nodes, _ = parse(viz.draw_graph(loss, params=params, show_shapes=show_shapes).source)
    labels = "|".join("|".join(lines) for lines, _ in nodes.values())
    assert ("(5, 3)" in labels) == show_shapes
    assert ("(4, 2)" in labels) == show_shapes
    assert "layer1.weight" in labels and "float32" in labels
    assert all("(5, 3)" in attrs for lines, attrs in nodes.values() if lines[0] == "layer1.weight")  # tooltip


def test_clusters_group_parameters_by_module_prefix():
    loss, params, _ = mlp()
    source = viz.draw_graph(loss, params=params).source
    clusters = dict(re.findall(r"subgraph (cluster_\w+) \{(.*?)\n\t\}", source, flags=re.S))
    assert sorted(clusters) == ["cluster_head", "cluster_layer1"]
    assert "label=layer1" in clusters["cluster_layer1"]
    assert "layer1.weight" in clusters["cluster_layer1"] and "layer1.bias" in clusters["cluster_layer1"]
    assert "head.weight" in clusters["cluster_head"] and "layer1" not in clusters["cluster_head"]


def test_nested_module_prefixes_give_nested_clusters():
    a = tl.randn(2, requires_grad=True)
    b = tl.randn(2, requires_grad=True)
    c = tl.randn(2, requires_grad=True)
    out = a * b + c
    params = {"encoder.block.weight": a, "encoder.scale": b, "bias": c}
    source = viz.draw_graph(out, params=params).source
    outer = source.index("subgraph cluster_encoder {")
    inner = source.index("subgraph cluster_encoder_block {")
    assert outer < inner  # the inner cluster is written inside the outer one
    assert source.index("encoder.block.weight") > inner
    assert source.count("subgraph") == 2  # an undotted name gets no cluster
    nodes, _ = parse(source)
    assert "lightblue" in nodes[by_title(nodes, "bias")[0]][1]


def test_several_outputs_share_one_graph():
    loss, params, hidden = mlp()
    other = hidden.mean()
    nodes, edges = parse(viz.draw_graph(loss, other, hidden, params=params).source)
    outputs = [lines[0] for lines, attrs in nodes.values() if "darkolivegreen1" in attrs]
    assert outputs == ["output 0", "output 1", "output 2"]
    assert len(by_title(nodes, "ReluBackward")) == 1  # shared history is drawn once
    (relu_id,) = by_title(nodes, "ReluBackward")
    (hidden_id,) = by_title(nodes, "output 2")
    assert (relu_id, hidden_id) in [(s, t) for s, t, _ in edges]
    assert len(by_title(nodes, "MeanBackward") + by_title(nodes, "SumBackward")) >= 2


def test_outputs_as_list_duplicates_and_leaves():
    w = tl.randn(3, requires_grad=True)
    constant = tl.randn(3)
    y = w * 2.0
    nodes, _ = parse(viz.draw_graph([y, y], w, constant, params={"w": w}).source)
    titles = sorted(lines[0] for lines, _ in nodes.values())
    # y once; w is an output and the input of y's op (one node, named); constant alone
    assert titles == sorted(["output 0", "MulScalarBackward", "w", "output 2"])
    assert "darkolivegreen1" in nodes[by_title(nodes, "w")[0]][1]


def test_deterministic_source():
    sources = []
    for _ in range(2):
        tl.manual_seed(0)
        loss, params, _ = mlp()
        sources.append(viz.draw_graph(loss, params=params, show_saved=True).source)
    assert sources[0] == sources[1]


def test_deep_chain_does_not_recurse():
    x = tl.randn(2, requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    nodes, edges = parse(viz.draw_graph(y, collapse_chains=False, max_nodes=None).source)
    assert sys.getrecursionlimit() == limit
    assert len(nodes) == 20002 and len(edges) == 20001
    assert len(by_title(nodes, "MulScalarBackward")) == 20000


def test_show_saved_adds_saved_tensor_nodes_until_backward():
    loss, params, _ = mlp()
    nodes, edges = parse(viz.draw_graph(loss, params=params).source)
    assert not any("orange" in attrs for _, attrs in nodes.values())
    nodes, edges = parse(viz.draw_graph(loss, params=params, show_saved=True).source)
    saved = {i: lines for i, (lines, attrs) in nodes.items() if "fillcolor=orange" in attrs}
    titles = sorted(lines[0] for lines in saved.values())
    # Linear saves x for the weight's gradient (the data needs none, so not the weight), the
    # second layer's MatMul both factors, ReLU its mask
    assert titles == sorted(["saved_inputs[0]", "saved_inputs[0]", "saved_inputs[1]", "keep"]), titles
    assert ["keep", "(4, 5) bool"] in saved.values()
    saved_edges = [(s, t) for s, t, attrs in edges if "dashed" in attrs]
    assert sorted(s for s, _ in saved_edges) == sorted(saved)
    (linear_id,) = by_title(nodes, "LinearBackward")
    assert sum(t == linear_id for _, t in saved_edges) == 1
    loss.backward()
    nodes, _ = parse(viz.draw_graph(loss, params=params, show_saved=True).source)
    assert not any("orange" in attrs for _, attrs in nodes.values())
    assert nodes[by_title(nodes, "LinearBackward")[0]][0][-1] == "(freed by backward)"


@pytest.mark.parametrize("bad_call, error, words", [
    (lambda: viz.draw_graph(), ValueError, "at least one output"),
    (lambda: viz.draw_graph([1.0]), TypeError, "output 0 must be a Tensor, got float"),
    (lambda: viz.draw_graph(tl.ones(1), params=[tl.ones(1)]), TypeError, "dict of name -> Tensor"),
    (lambda: viz.draw_graph(tl.ones(1), params={"w": 1.0}), TypeError, "params['w'] must be a Tensor"),
    (lambda: viz.draw_graph(tl.ones(1), params={0: tl.ones(1)}), TypeError, "keys must be str"),
    (lambda: viz.render(viz.draw_graph(tl.ones(1)), "x.png", format="png; rm"), ValueError, "format"),
    (lambda: viz.render(3, "x.png"), TypeError, "got int"),
])
def test_bad_input_raises_clear_errors(bad_call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        bad_call()


def test_missing_graphviz_package_raises_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match="pip install graphviz"):
        viz.draw_graph(tl.ones(2, requires_grad=True) * 2.0)
    assert len(viz.describe_graph(tl.ones(2, requires_grad=True) * 2.0).nodes) == 3


def test_missing_dot_raises_with_install_help(monkeypatch, tmp_path):
    graph = viz.draw_graph(tl.ones(2, requires_grad=True) * 2.0)
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    assert "MulScalarBackward" in graph.source  # DOT text needs no dot
    for attempt in (lambda: viz.render(graph, tmp_path / "g.png"),
                    lambda: graph.render(tmp_path / "g"),
                    lambda: graph.pipe(format="png")):
        with pytest.raises(RuntimeError) as info:
            attempt()
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "conda install graphviz" in message
    assert list(tmp_path.iterdir()) == []


@requires_dot
def test_render_png(tmp_path):
    loss, params, _ = mlp()
    graph = viz.draw_graph(loss, params=params, show_saved=True)
    path = viz.render(graph, tmp_path / "sub" / "graph.png")
    data = open(path, "rb").read()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    written = graph.render(tmp_path / "again", format="png")
    assert open(written, "rb").read().startswith(PNG_MAGIC)


@requires_dot
def test_render_escapes_odd_names_and_reports_dot_errors(tmp_path):
    w = tl.randn(2, requires_grad=True)
    names = ['we"ird\\name', "<html>"]
    out = w * 2.0
    graph = viz.draw_graph(out, params={names[0]: w})
    svg = open(viz.render(graph, tmp_path / "g.svg", format="svg"), encoding="utf-8").read()
    assert "we&quot;ird\\name" in svg
    graph = viz.draw_graph(w, params={names[1]: w})
    svg = open(viz.render(graph, tmp_path / "h.svg", format="svg"), encoding="utf-8").read()
    assert "&lt;html&gt;" in svg
    with pytest.raises(RuntimeError, match="dot -Tnosuchformat` failed"):
        viz.render(graph, tmp_path / "x", format="nosuchformat")


@requires_dot
def test_example_renders_png(tmp_path, capsys):
    from examples.render_graph import main

    path = main(["--path", str(tmp_path / "mlp.png")])
    assert open(path, "rb").read().startswith(PNG_MAGIC)
    assert "graph:" in capsys.readouterr().out


@requires_dot
def test_a_path_starting_with_a_dash_is_a_file_not_an_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = tl.ones(2, requires_grad=True)
    written = viz.render(viz.draw_graph((x * 2).sum()), "-o.png", format="png")
    assert written == "-o.png" and (tmp_path / "-o.png").read_bytes().startswith(PNG_MAGIC)
