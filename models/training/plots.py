"""Matplotlib PNGs for the examples: curves, bars, confusion matrices and attention heat maps
(no screen needed)."""
import textwrap

import numpy


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def plot_curves(path, curves, title, xlabel="epoch", ylabel="", log_y=False):
    """One line per entry of ``curves`` (label -> list of values, or -> (xs, ys)); saves ``path``."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for label, values in curves.items():
        xs, ys = values if isinstance(values, tuple) else (range(1, len(values) + 1), values)
        axes.plot(list(xs), list(ys), label=label)
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if log_y:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def plot_bars(path, values, title, ylabel="", log_y=False):
    """A bar per entry of ``values`` (label -> number); saves ``path``."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(max(6, 0.35 * len(values)), 4.5))
    axes.bar(range(len(values)), list(values.values()))
    axes.set_xticks(range(len(values)), list(values), rotation=60, ha="right", fontsize=8)
    axes.set(title=title, ylabel=ylabel)
    if log_y:
        axes.set_yscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def plot_confusion_matrix(path, matrix, title="confusion matrix", class_names=None):
    """A (C, C) count matrix (rows: true class, columns: predicted) with counts written in; saves ``path``."""
    pyplot = _pyplot()
    matrix = numpy.asarray(matrix)
    names = class_names or [str(index) for index in range(len(matrix))]
    side = max(4.0, 1.6 + 0.6 * len(matrix))
    figure, axes = pyplot.subplots(figsize=(side, side))
    axes.imshow(matrix, cmap="Blues")
    for (row, column), count in numpy.ndenumerate(matrix):
        axes.text(column, row, str(count), ha="center", va="center", fontsize=7,
                  color="white" if count > matrix.max() / 2 else "black")
    long_names = max(map(len, names)) > 3
    axes.set_xticks(range(len(names)), names, rotation=45 if long_names else 0,
                    ha="right" if long_names else "center")
    axes.set_yticks(range(len(names)), names)
    axes.set(title=textwrap.fill(title, width=int(8 * side)), xlabel="predicted", ylabel="true")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def plot_attention(path, panels, title):
    """Attention heat maps, one row of panels per model: ``panels`` maps a model's name to a list of
    ``(source_tokens, output_tokens, weights (len(output), len(source)))``, source along the x axis
    and output down the y axis; saves ``path``."""
    pyplot = _pyplot()
    rows, columns = len(panels), max(map(len, panels.values()))
    figure, axes = pyplot.subplots(rows, columns, figsize=(3.6 * columns, 2.6 * rows), squeeze=False)
    for row, (name, maps) in enumerate(panels.items()):
        for column, (source, output, weights) in enumerate(maps):
            axes[row, column].imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
            axes[row, column].set_xticks(range(len(source)), source, fontsize=7)
            axes[row, column].set_yticks(range(len(output)), output, fontsize=7)
            axes[row, column].set_title(f"{name}: {''.join(source)}", fontsize=8)
        for column in range(len(maps), columns):
            axes[row, column].axis("off")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path
