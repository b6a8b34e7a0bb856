"""Draw the autograd graph of a small MLP's loss and render it to a PNG.

    python -m examples.render_graph                   # writes out/render_graph/graph.png
    python -m examples.render_graph --path my/graph.svg --format svg
    python -m examples.render_graph --path examples/readme/mlp_graph.png   # the README's picture

The DOT text is written beside the picture (``.gv``): the tests compare the README's copy with
what the code draws today, so a stale picture fails the suite until this command is rerun.

The MLP is built from raw tensors (no nn.Module): two hidden ReLU layers and a linear head.
Naming the weights with dotted names ('layer1.weight', ...) groups them by layer in the drawing,
exactly as ``params=dict(model.named_parameters())`` does for a module.
"""
import argparse
import os
import sys

if __package__ in (None, ""):  # allow `python examples/render_graph.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import viz

__all__ = ["make_params", "mlp", "draw", "main"]


def make_params(sizes):
    """Weights (out, in) and biases (out,) for consecutive layer sizes, named like nn.Linear's."""
    names = [f"layer{index + 1}" for index in range(len(sizes) - 2)] + ["head"]
    params = {}
    for name, fan_in, fan_out in zip(names, sizes[:-1], sizes[1:]):
        scale = fan_in ** -0.5
        params[f"{name}.weight"] = (tl.randn(fan_out, fan_in) * scale).requires_grad_()
        params[f"{name}.bias"] = tl.zeros(fan_out, requires_grad=True)
    return params


def mlp(x, params):
    """Logits (N, classes) for inputs (N, features): Linear-ReLU-Linear-ReLU-Linear."""
    h = F.linear(x, params["layer1.weight"], params["layer1.bias"]).relu()
    h = F.linear(h, params["layer2.weight"], params["layer2.bias"]).relu()
    return F.linear(h, params["head.weight"], params["head.bias"])


def draw():
    """The graph of a cross-entropy loss of the MLP on a seeded batch of 4 samples."""
    tl.manual_seed(0)
    x = tl.randn(4, 8)                  # a batch of 4 samples with 8 features
    y = tl.randint(0, 3, (4,))          # 3 classes
    params = make_params([8, 16, 16, 3])
    loss = F.cross_entropy(mlp(x, params), y)
    return viz.draw_graph(loss, params=params)


def main(argv=None):
    """Build the MLP, compute a cross-entropy loss on a tiny batch, draw and render its graph."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=os.path.join("out", "render_graph", "graph.png"),
                        help="the picture to write")
    parser.add_argument("--format", default="png", help="any format dot knows: png, svg, pdf...")
    args = parser.parse_args(argv)
    graph = draw()
    print(f"graph has {graph.source.count('->')} edges")
    os.makedirs(os.path.dirname(args.path) or ".", exist_ok=True)
    with open(os.path.splitext(args.path)[0] + ".gv", "w", encoding="utf-8") as handle:
        handle.write(graph.source)
    try:
        written = viz.render(graph, args.path, format=args.format)
    except RuntimeError as error:
        parser.exit(2, f"error: {error}\n")
    print(f"graph: {written}")
    return written


if __name__ == "__main__":
    main()
