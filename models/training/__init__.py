"""The examples' shared training harness: command line, progress bar, run folder, plots, loops.

Examples stay tutorials that read top to bottom; what every one of them repeats (parsing
``--epochs --seed --device --out --data``, writing ``metrics.json``/``history.json``, drawing
curves and the graph, the classifier loop and its metrics) lives here once.
"""
from models.training.cli import example_parser, setup
from models.training.progress import progress
from models.training.run_folder import RunFolder
from models.training.plots import plot_attention, plot_bars, plot_confusion_matrix, plot_curves
from models.training.classifier import (classification_metrics, evaluate_classifier, fit_and_report,
                                       report_classifier, split_loaders, train_classifier)

__all__ = ["example_parser", "setup", "progress", "RunFolder", "plot_attention", "plot_bars", "plot_confusion_matrix",
           "plot_curves", "classification_metrics", "evaluate_classifier", "fit_and_report", "report_classifier", "split_loaders",
           "train_classifier"]
