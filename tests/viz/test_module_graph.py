"""Tests for draw_graph(depth=...): the exact boxes and edges of small known models at each depth."""
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from models.gpt import GPT
from tests.viz.dot_text import by_title, parse, titled_edges
from tests.viz.test_module_trace import Shared

pytest.importorskip("graphviz")


class TwoInTwoOut(nn.Module):
    """Two inputs projected and added; two outputs (ReLU of the sum, and its row sums)."""

    def __init__(self):
        super().__init__()
        self.a_proj = nn.Linear(3, 4)
        self.b_proj = nn.Linear(2, 4)

    def forward(self, a, b):
        hidden = self.a_proj(a) + self.b_proj(b)
        return hidden.relu(), hidden.sum(dim=1)


def traced_mlp():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    with tl.viz.trace_modules(model):
        loss = model(tl.randn(4, 3)).sum()
    return model, loss


def draw(*outputs, **options):
    nodes, edges = parse(tl.viz.draw_graph(*outputs, **options).source)
    return nodes, titled_edges(nodes, edges)


MLP_BOXES = {"0: Linear": ["0: Linear", "(4, 3) -> (4, 5)", "20 params"],
             "1: ReLU": ["1: ReLU", "(4, 5) -> (4, 5)"],
             "2: Linear": ["2: Linear", "(4, 5) -> (4, 2)", "12 params"]}
MLP_EDGES = [("0: Linear", "1: ReLU"), ("1: ReLU", "2: Linear"), ("2: Linear", "SumBackward"),
             ("SumBackward", "output")]


@pytest.mark.parametrize("depth, boxes, edges", [
    (0, {"Sequential": ["Sequential", "(4, 3) -> (4, 2)", "32 params"]},
     [("Sequential", "SumBackward"), ("SumBackward", "output")]),
    (1, MLP_BOXES, MLP_EDGES),
    (5, MLP_BOXES, MLP_EDGES),  # leaf modules stay boxes at any deeper depth
])
def test_mlp_boxes_and_edges_at_each_depth(depth, boxes, edges):
    model, loss = traced_mlp()
    nodes, drawn_edges = draw(loss, model=model, depth=depth)
    drawn_boxes = {lines[0]: lines for lines, attrs in nodes.values() if "filled,bold" in attrs}
    assert drawn_boxes == boxes
    assert drawn_edges == sorted(edges)
    assert len(nodes) == len(boxes) + 2  # + SumBackward (outside the model) + output


def test_op_graph_is_unchanged_without_depth():
    model, loss = traced_mlp()
    nodes, _ = draw(loss, model=model)
    assert sorted(lines[0] for lines, _ in nodes.values()) == sorted(
        ["output", "SumBackward", "LinearBackward", "ReluBackward", "LinearBackward",
         "0.weight", "0.bias", "2.weight", "2.bias"])  # model= names the parameters


def test_shared_module_calls_are_separate_boxes_with_the_weights_between():
    model = Shared()
    with tl.viz.trace_modules(model):
        loss = model(tl.randn(2, 4)).sum()
    nodes, edges = draw(loss, model=model, depth=1)
    assert edges == sorted([
        ("fc: Linear (call 1)", "TanhBackward"), ("TanhBackward", "fc: Linear (call 2)"),
        ("fc: Linear (call 2)", "SumBackward"), ("SumBackward", "output"),
        ("fc.weight", "fc: Linear (call 1)"), ("fc.weight", "fc: Linear (call 2)"),
        ("fc.bias", "fc: Linear (call 1)"), ("fc.bias", "fc: Linear (call 2)")])
    nodes, edges = draw(loss, model=model, depth=0)
    assert edges == [("Shared", "SumBackward"), ("SumBackward", "output")]  # weights hidden inside


def test_multiple_inputs_and_outputs():
    tl.manual_seed(0)
    model = TwoInTwoOut()
    a, b = tl.randn(5, 3, requires_grad=True), tl.randn(5, 2, requires_grad=True)
    with tl.viz.trace_modules(model):
        relu, sums = model(a, b)
    nodes, edges = draw(relu, sums, model=model, depth=0)
    assert edges == sorted([("input", "TwoInTwoOut"), ("input", "TwoInTwoOut"),
                            ("TwoInTwoOut", "output 0"), ("TwoInTwoOut", "output 1")])
    (box,) = by_title(nodes, "TwoInTwoOut")
    assert nodes[box][0][1:] == ["(5, 3), (5, 2) -> (5, 4), (5,)", "28 params"]
    nodes, edges = draw(relu, sums, model=model, depth=1)
    assert edges == sorted([("input", "a_proj: Linear"), ("input", "b_proj: Linear"),
                            ("a_proj: Linear", "AddBackward"), ("b_proj: Linear", "AddBackward"),
                            ("AddBackward", "ReluBackward"), ("AddBackward", "SumBackward"),
                            ("ReluBackward", "output 0"), ("SumBackward", "output 1")])


def test_gpt_depths():
    tl.manual_seed(0)
    model = GPT(vocab_size=20, block_size=8, n_layer=2, n_head=2, n_embd=16)
    ids = tl.randint(0, 20, (2, 6))
    with tl.viz.trace_modules(model):
        loss = model.loss(ids, ids)
    nodes, edges = draw(loss, model=model, depth=1)
    boxes = sorted(lines[0] for lines, attrs in nodes.values() if "filled,bold" in attrs)
    assert boxes == ["blocks.0: Block", "blocks.1: Block", "lm_head: Linear", "ln_f: LayerNorm",
                     "position_embedding: Embedding", "token_embedding: Embedding"]
    # the tied embedding weight feeds the embedding and the head: it stays a node between them
    assert ("token_embedding.weight", "lm_head: Linear") in edges
    assert ("token_embedding.weight", "token_embedding: Embedding") in edges
    assert ("blocks.0: Block", "blocks.1: Block") in edges and len(nodes) < 20
    nodes, edges = draw(loss, model=model, depth=2)
    boxes = sorted(lines[0] for lines, attrs in nodes.values() if "filled,bold" in attrs)
    assert boxes.count("blocks.1.attn: CausalSelfAttention") == 1 and "blocks.0: Block" not in boxes
    assert len(by_title(nodes, "AddBackward")) == 5  # embeddings + two residual adds per block


@pytest.mark.parametrize("call, words", [
    (lambda loss, model: tl.viz.draw_graph(loss, depth=1), "tl.viz.trace_modules(model)"),
    (lambda loss, model: tl.viz.draw_graph(loss, model=nn.Linear(2, 2), depth=1), "trace_modules"),
    (lambda loss, model: tl.viz.draw_graph(loss, model=model, depth=-1), "depth must be None"),
    (lambda loss, model: tl.viz.draw_graph(loss, model=3, depth=1), "model must be an nn.Module"),
])
def test_depth_without_a_trace_says_what_to_do(call, words):
    model, loss = traced_mlp()
    with pytest.raises((ValueError, TypeError), match=words.replace("(", r"\(").replace(")", r"\)")):
        call(loss, model)


def test_graph_made_outside_the_trace_is_refused():
    model, _ = traced_mlp()
    loss = model(tl.randn(4, 3)).sum()
    with pytest.raises(ValueError, match="none of these nodes were made inside"):
        tl.viz.draw_graph(loss, model=model, depth=1)
