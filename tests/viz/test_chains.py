"""Tests for folding runs of identical nodes and for the max_nodes cap."""
import math
import time

import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from models.residual_mlp import ResidualMLP
from tests.viz.dot_text import parse, titled_edges

pytest.importorskip("graphviz")


def deep_step(residual, depth=12, show_grad=False):
    tl.manual_seed(0)
    model = ResidualMLP(8, width=16, depth=depth, num_classes=3, residual=residual)
    with tl.viz.trace_modules(model):
        loss = F.cross_entropy(model(tl.randn(6, 8)), tl.tensor([0, 1, 2, 0, 1, 2]))
    if show_grad:
        loss.backward()
    return model, loss


@pytest.mark.parametrize("residual", [True, False])
def test_identical_blocks_fold_into_one_node(residual):
    model, loss = deep_step(residual)
    nodes, edges = parse(tl.viz.draw_graph(loss, model=model, depth=2).source)
    titles = [lines[0] for lines, _ in nodes.values()]
    assert "ResidualBlock x12" in titles and not any(title.startswith("blocks.") for title in titles)
    (folded,) = [lines for lines, _ in nodes.values() if lines[0] == "ResidualBlock x12"]
    assert folded[1:3] == ["blocks.0 ... blocks.11", "(6, 16) -> (6, 16)"]
    pairs = titled_edges(nodes, edges)
    assert ("stem.1: Linear", "ResidualBlock x12") in pairs
    after = "norm: LayerNorm" if residual else "head: Linear"  # the plain net's norm is an Identity
    assert ("ResidualBlock x12", after) in pairs
    unfolded, _ = parse(tl.viz.draw_graph(loss, model=model, depth=2, collapse_chains=False).source)
    assert len(unfolded) == len(nodes) + 11


def test_runs_split_where_the_gradient_decade_changes():
    model, loss = deep_step(residual=False, depth=24, show_grad=True)
    nodes, _ = parse(tl.viz.draw_graph(loss, model=model, depth=2, show_grad=True).source)
    runs = [lines for lines, _ in nodes.values() if lines[0].startswith("ResidualBlock x")]
    assert len(runs) >= 2  # the plain net's gradients fall by decades through the blocks
    low_high = [[float(value) for value in lines[-1][len("grad "):].split(" ... ")] for lines in runs]
    for low, high in low_high:  # one run, one decade
        assert math.floor(math.log10(low)) == math.floor(math.log10(high)) and low <= high
    assert min(high for _, high in low_high) < 1e-2 * max(low for low, _ in low_high)  # vanishing, visibly
    drawn_blocks = sum(int(lines[0].rsplit("x", 1)[1]) for lines in runs) + sum(
        1 for lines, _ in nodes.values() if lines[0].endswith(": ResidualBlock"))
    assert drawn_blocks == 24


def test_short_runs_and_op_chains():
    x = tl.randn(3, requires_grad=True)
    nodes, _ = parse(tl.viz.draw_graph((x * 2.0 * 2.0).sum()).source)
    assert sorted(lines[0] for lines, _ in nodes.values()) == [
        "MulScalarBackward", "MulScalarBackward", "SumBackward", "input", "output"]
    y = x
    for _ in range(500):
        y = y * 1.001
    nodes, edges = parse(tl.viz.draw_graph(y.sum()).source)
    assert sorted(lines[0] for lines, _ in nodes.values()) == [
        "MulScalarBackward x500", "SumBackward", "input", "output"]
    assert len(edges) == 3


def test_a_huge_graph_hits_the_cap_quickly_with_a_hint():
    tl.manual_seed(0)
    model = nn.Sequential(*[layer for _ in range(50) for layer in (nn.Linear(8, 8), nn.ReLU())])
    loss = model(tl.randn(2, 8)).sum()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"the graph has 2\d\d nodes, more than max_nodes=50.*depth=1"):
        tl.viz.draw_graph(loss, params=dict(model.named_parameters()), max_nodes=50)
    assert time.perf_counter() - start < 2.0
    with tl.viz.trace_modules(model):
        loss = model(tl.randn(2, 8)).sum()
    with pytest.raises(ValueError, match="has 102 nodes, more than max_nodes=50.*draw fewer, larger boxes with depth=0"):
        tl.viz.draw_graph(loss, model=model, depth=1, max_nodes=50)
    assert len(parse(tl.viz.draw_graph(loss, model=model, depth=0, max_nodes=50).source)[0]) == 3
