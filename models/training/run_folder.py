"""An example's output folder: ``<out>/<name>/`` with metrics.json, history.json, plots, graph."""
import math
import numbers
import os

import tinygrad_lite as tl
from models.data.json_file import write_json


class RunFolder:
    """Where one example writes its results. Every file is written to a temporary name and
    renamed, so an interrupted run never leaves a half-written file behind."""

    def __init__(self, out, name):
        self.name = name
        self.path = os.path.join(out, name)
        os.makedirs(self.path, exist_ok=True)

    def file(self, filename):
        """The path of ``filename`` inside the folder."""
        return os.path.join(self.path, filename)

    def write_metrics(self, metrics):
        """Write ``metrics.json``: a flat object of final numbers (and short strings)."""
        for key, value in metrics.items():
            if not isinstance(value, (numbers.Real, str)) or isinstance(value, bool):
                raise TypeError(f"metrics.json is flat: {key!r} is a {type(value).__name__}")
        clean = {key: _plain(value) for key, value in metrics.items()}
        self._write_json("metrics.json", clean)
        return self.file("metrics.json")

    def write_history(self, history):
        """Write ``history.json``: whatever per-epoch records the example kept (lists or dicts)."""
        self._write_json("history.json", history)
        return self.file("history.json")

    def save_graph(self, output, model, filename="graph.png"):
        """Render ``output``'s autograd graph with the model's parameter names to a PNG (DOT text
        in a ``.gv`` file where graphviz's ``dot`` is not installed); returns the path written."""
        graph = tl.viz.draw_graph(output, params=dict(model.named_parameters()), max_nodes=None)
        path = self.file(filename)
        try:
            return tl.viz.render(graph, path, format="png")
        except RuntimeError as missing_dot:
            source_path = os.path.splitext(path)[0] + ".gv"
            with open(source_path, "w", encoding="utf-8") as handle:
                handle.write(graph.source)
            print(f"graph: wrote DOT text to {source_path} ({missing_dot})")
            return source_path

    def save_step_graph(self, model, loader, device="cpu", loss_fn=None, samples=8, filename="graph.png"):
        """Draw the graph of one training step's loss (train mode, so dropout shows) on the first
        ``samples`` of ``loader``'s first batch; ``loss_fn(model_output, target)`` defaults to
        cross-entropy. Returns the path written and prints it."""
        import tinygrad_lite.nn.functional as F  # noqa: PLC0415

        loss_fn = loss_fn or F.cross_entropy
        model.train()
        x, y = next(iter(loader))
        loss = loss_fn(model(x[:samples].to(device)), y[:samples].to(device))
        path = self.save_graph(loss, model, filename)
        print(f"graph: {path}")
        return path

    def _write_json(self, filename, value):
        write_json(self.file(filename), value, default=_plain)


def _plain(value):
    """Python numbers for JSON (NumPy scalars included); NaN and inf become null."""
    if isinstance(value, str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None
