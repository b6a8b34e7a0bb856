"""Draw every architecture in models/: its op graph, its module graph and (where it teaches something)
its gradient flow, with an index.html gallery page linking them all.

    python -m examples.visualize                  # out/graphs/index.html and the pictures it links
    python -m examples.visualize --only gpt lstm_lm --out /tmp/pictures
    python -m examples.visualize --readme         # the README's two pictures in examples/readme/

For each model of ``models.gallery`` (a tiny instance on a tiny batch) the forward runs inside
``tl.viz.trace_modules(model)``, so one pass gives both drawings:
  <name>_ops.png/.svg      the op-level autograd graph (depth=None; long identical chains folded)
  <name>_modules.png/.svg  one box per module call at depth 1 (class, name, shapes, parameters)
and, for the models whose gradients are worth a look, after ``loss.backward()``:
  <name>_grad.png/.svg     the module graph coloured by gradient norm (show_grad=True)
  <name>_grad_bars.png     ``tl.viz.plot_grad_flow``: the gradient norm of every parameter
The residual lesson gets one more picture, residual_vs_plain.png: the residual net and the plain
net of the same depth drawn side by side on one colour scale, the plain net's first blocks pale
with vanishing gradients. Open the .svg files in a browser: hovering a node shows its full
shapes, dtypes and (for ops) what it saved for backward.
"""
import argparse
import html
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/visualize.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tinygrad_lite as tl
from tinygrad_lite import viz
from models.gallery import GALLERY, exhibit, residual_pair
from models.training import RunFolder, progress

README_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "readme")
LESSON_DEPTH = 12  # blocks in each net of the residual lesson: the plain one loses ~3 orders of magnitude
# Short chains read best left to right; everything else (branches, deeper views) top to bottom.
LEFT_TO_RIGHT = {"mlp", "feedforward", "cnn", "lenet", "gan_generator", "gan_discriminator", "forecaster",
                 "lstm_lm"}
# Depth 1 of these is one or two container boxes (Sequential, BERT): depth 2 shows their layers.
MODULE_DEPTHS = {name: (1, 2) for name in ("mlp", "cnn", "lenet", "gan_generator", "gan_discriminator", "resnet",
                                           "residual_mlp", "plain_mlp", "bert_mlm", "bert_classifier", "span_qa")}
# Gradient pictures one level deeper where a depth-1 box hides the layers that differ (GPT's blocks).
GRAD_DEPTH = {"gpt": 2}


def traced(entry):
    """``(model, inputs, outputs)`` of one gallery exhibit, its forward run inside ``trace_modules``."""
    model, inputs = entry.build()
    with viz.trace_modules(model):
        outputs = entry.outputs(model, inputs)
    return model, inputs, outputs


def op_graph(model, outputs):
    """The op-level graph of ``outputs`` (parameters named after the model's, long chains folded)."""
    return viz.draw_graph(*outputs, params=dict(model.named_parameters()), collapse_chains=True)


def module_graph(name, model, *outputs, depth=1, show_grad=False):
    """One box per module call at ``depth``; left to right for the short chains of :data:`LEFT_TO_RIGHT`."""
    rankdir = "LR" if name in LEFT_TO_RIGHT and depth == 1 else "TB"
    return viz.draw_graph(*outputs, model=model, depth=depth, show_grad=show_grad, rankdir=rankdir)


def gpt_depth1_graph():
    """The README's GPT at depth 1: embeddings, each Block as one box, final LayerNorm, tied head."""
    model, _, outputs = traced(exhibit("gpt"))
    return module_graph("gpt", model, *outputs)


def residual_lesson(depth=LESSON_DEPTH):
    """``(pair, graph)``: the residual and the plain net after one backward of their losses on
    the same batch, drawn side by side at the depth of their blocks, coloured by gradient norm."""
    pair, images, labels = residual_pair(depth)
    with viz.trace_modules(pair):
        logits = pair(images)
    loss = sum(tl.nn.functional.cross_entropy(net_logits, labels) for net_logits in logits)
    loss.backward()  # independent nets: each gets exactly its own loss's gradient
    # Drawn from the logits: the colours come from .grad, the loss's ops would only add a tail.
    # Shapes left out (every block is (16, 16) -> (16, 16)): two columns of short boxes fit a README.
    graph = viz.draw_graph(*logits, model=pair, depth=3, show_grad=True, show_shapes=False, rankdir="TB",
                           collapse_chains=False)
    return pair, graph


def save(graph, folder, stem):
    """Render ``graph`` to ``<stem>.png`` and ``<stem>.svg`` in ``folder``; returns the file names."""
    names = [f"{stem}.png", f"{stem}.svg"]
    for filename in names:
        viz.render(graph, os.path.join(folder, filename), format=filename.rsplit(".", 1)[1])
    return names


def draw_exhibit(entry, folder):
    """Every picture of one exhibit into ``folder``: ``{kind: png file name}`` in gallery order."""
    model, inputs, outputs = traced(entry)
    pictures = {}
    for depth in MODULE_DEPTHS.get(entry.name, (1,)):
        stem = f"{entry.name}_modules" + ("" if depth == 1 else f"_depth{depth}")
        pictures[f"module graph (depth {depth})"] = save(module_graph(entry.name, model, *outputs, depth=depth),
                                                          folder, stem)[0]
    pictures["op graph"] = save(op_graph(model, outputs), folder, f"{entry.name}_ops")[0]
    if entry.lesson:
        loss = entry.objective(model, outputs, inputs)
        loss.backward()
        graph = module_graph(entry.name, model, *outputs, depth=GRAD_DEPTH.get(entry.name, 1), show_grad=True)
        pictures["gradient flow"] = save(graph, folder, f"{entry.name}_grad")[0]
        bars = f"{entry.name}_grad_bars.png"
        viz.plot_grad_flow(model, path=os.path.join(folder, bars), title=f"{entry.title}: gradient norms")
        pictures["gradient norms"] = bars
    return pictures


def draw_lesson(folder):
    """The residual lesson's pictures into ``folder``: ``{kind: png file name}``."""
    pair, graph = residual_lesson()
    pictures = {"gradient flow, side by side": save(graph, folder, "residual_vs_plain")[0]}
    for name in ("residual", "plain"):
        bars = f"{name}_net_grad_bars.png"
        viz.plot_grad_flow(getattr(pair, name), path=os.path.join(folder, bars),
                           title=f"{name} net, {LESSON_DEPTH} tanh blocks: gradient norms")
        pictures[f"{name} net: gradient norms"] = bars
    return pictures


LESSON_TEXT = (f"The same {LESSON_DEPTH}-block tanh MLP with and without residual connections + LayerNorm, "
               "after one backward pass on the same batch, on one colour scale. The residual net's blocks "
               "all get gradients of one size; the plain net's shrink by about sqrt(3) per block, so its "
               "first blocks hardly learn (see examples.train_residual).")


def figure(folder, caption, png, title):
    """One picture of the page: the PNG, linking to its SVG (tooltips) when there is one."""
    svg = png[:-len(".png")] + ".svg"
    target = svg if os.path.exists(os.path.join(folder, svg)) else png
    return (f'<figure><a href="{html.escape(target)}"><img src="{html.escape(png)}" '
            f'alt="{html.escape(title)}: {html.escape(caption)}"></a><figcaption>{html.escape(caption)}</figcaption></figure>')


def card(folder, title, source, description, lesson, pictures):
    """One model's section: its class, file, description, gradient lesson and pictures."""
    lesson = f'<p class="lesson">Gradient flow: {html.escape(lesson)}.</p>' if lesson else ""
    figures = "".join(figure(folder, caption, png, title) for caption, png in pictures.items())
    return (f'<section id="{pictures_id(title)}"><h2>{html.escape(title)} <small>{html.escape(source)}</small></h2>'
            f'<p>{html.escape(description)}</p>{lesson}<div class="pictures">{figures}</div></section>')


def write_index(folder, sections, models):
    """``index.html`` of ``models`` drawings: one :func:`card` per section ``(title, source,
    description, lesson, {caption: png})``."""
    cards = "\n".join(card(folder, *section) for section in sections)
    path = os.path.join(folder, "index.html")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(PAGE.format(count=models, cards=cards))
    return path


def pictures_id(title):
    """An HTML id for a section title."""
    return "".join(character if character.isalnum() else "-" for character in title).lower()


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tinygrad_lite model gallery</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 24px; background: #fafafa; color: #222; }}
section {{ background: white; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; margin-bottom: 18px; }}
h2 {{ margin: 0 0 4px 0; font-size: 20px; }} h2 small {{ color: #777; font-weight: normal; font-size: 13px; }}
p {{ margin: 0 0 10px 0; }} p.lesson {{ color: #8a4b00; }}
.pictures {{ display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }}
figure {{ margin: 0; border: 1px solid #eee; padding: 6px; background: white; }}
figure img {{ display: block; max-width: 620px; max-height: 560px; object-fit: contain; }}
#the-residual-lesson .pictures {{ display: grid; grid-template-columns: auto minmax(0, 1fr); grid-template-rows: auto 1fr; }}
#the-residual-lesson figure:first-child {{ grid-row: span 2; }}
#the-residual-lesson figure:first-child img {{ max-height: 1300px; max-width: 730px; }}
#the-residual-lesson figure img {{ max-width: 100%; }}
figcaption {{ font-size: 12px; color: #555; margin-top: 4px; text-align: center; }}
</style></head>
<body><h1>tinygrad_lite model gallery</h1>
<p>Every architecture in <code>models/</code> ({count} models), drawn by <code>tl.viz</code> from a tiny
instance: click a picture for its SVG (hover a node for shapes, dtypes and saved tensors).
Regenerate with <code>python -m examples.visualize</code>.</p>
{cards}
</body></html>
"""


def write_readme_pictures(folder=README_FOLDER):
    """The README's pictures and their DOT sources: gpt_depth1 and grad_flow_residual (.png + .gv)."""
    written = []
    for stem, graph in (("gpt_depth1", gpt_depth1_graph()), ("grad_flow_residual", residual_lesson()[1])):
        with open(os.path.join(folder, f"{stem}.gv"), "w", encoding="utf-8") as handle:
            handle.write(graph.source)
        written.append(viz.render(graph, os.path.join(folder, f"{stem}.png")))
    return written


def main(argv=None):
    """Draw the gallery (or, with --readme, the README's pictures); returns what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="output root: pictures go to <out>/graphs/")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[entry.name for entry in GALLERY],
                        help="draw only these models (default: all)")
    parser.add_argument("--readme", action="store_true",
                        help="write the README's pictures to examples/readme/ instead of the gallery")
    args = parser.parse_args(argv)
    try:
        viz.check_dot()
    except RuntimeError as missing:
        parser.exit(2, f"error: {missing}\n")
    if args.readme:
        written = write_readme_pictures()
        print("\n".join(written))
        return {"pictures": len(written)}

    started = time.process_time()
    run = RunFolder(args.out, "graphs")
    entries = [entry for entry in GALLERY if args.only is None or entry.name in args.only]
    sections = [("The residual lesson", "models/residual_mlp.py", LESSON_TEXT, "", draw_lesson(run.path))]
    for entry in progress(entries, "models", unit="model"):
        sections.append((entry.title, entry.source, entry.description, entry.lesson, draw_exhibit(entry, run.path)))
    index = write_index(run.path, sections, len(entries))
    pictures = sum(len(pictures) for *_, pictures in sections)
    print(f"{pictures} pictures (the residual lesson and {len(entries)} models): {index} "
          f"({time.process_time() - started:.1f} s CPU in this process)")
    return {"models": len(entries), "pictures": pictures, "index": index}


if __name__ == "__main__":
    main()
