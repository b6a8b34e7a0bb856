"""Reporting for the examples: per-epoch progress, test metrics, and the loss graph."""
import os

import tinygrad_lite as tl
from tinygrad_lite import metrics


class EpochLog:
    """Per-epoch progress: a tqdm bar when tqdm is installed, else one plain line per epoch."""

    def __init__(self, epochs):
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=epochs, desc="training", unit="epoch")

    def update(self, row):
        """Report one epoch's ``row`` (epoch, train_loss, test_loss, test_accuracy, seconds)."""
        if self.bar is None:
            print(f"epoch {row['epoch']:3d}  train loss {row['train_loss']:.4f}  "
                  f"test loss {row['test_loss']:.4f}  test accuracy {row['test_accuracy']:.4f}  "
                  f"({row['seconds']:.1f} s)", flush=True)
            return
        self.bar.set_postfix(loss=f"{row['train_loss']:.4f}", test_acc=f"{row['test_accuracy']:.4f}")
        self.bar.update(1)

    def close(self):
        """Finish the bar (no-op for plain lines)."""
        if self.bar is not None:
            self.bar.close()


def print_metrics(title, labels, predictions, loss):
    """Print accuracy, macro precision/recall/F1 and the mean loss; return them as a dict."""
    results = {
        "loss": float(loss),
        "accuracy": float(metrics.accuracy(labels, predictions)),
        "precision": float(metrics.precision(labels, predictions, average="macro")),
        "recall": float(metrics.recall(labels, predictions, average="macro")),
        "f1": float(metrics.f1_score(labels, predictions, average="macro")),
    }
    print(f"{title}: " + "  ".join(f"{name} {value:.4f}" for name, value in results.items()))
    return results


def save_loss_graph(loss, model, path):
    """Draw ``loss``'s graph with parameter names; render PNG, or keep the DOT text if no ``dot``."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    graph = tl.viz.draw_graph(loss, params=dict(model.named_parameters()))
    try:
        written = tl.viz.render(graph, path, format="png")
    except RuntimeError as missing_dot:
        source_path = os.path.splitext(path)[0] + ".gv"
        with open(source_path, "w", encoding="utf-8") as handle:
            handle.write(graph.source)
        print(f"graph: {source_path} (DOT text; {missing_dot})")
        return source_path
    print(f"graph: {written}")
    return written
