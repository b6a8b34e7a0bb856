"""Evaluation metrics computed on the host with NumPy (inputs: Tensors, NumPy arrays or lists).

    from tinygrad_lite import metrics
    metrics.accuracy(targets, logits)             # argmax over the last axis of logits
    metrics.f1_score(y_true, y_pred, average="macro")
    metrics.perplexity(loss)                      # exp of a mean cross-entropy in nats
    metrics.entity_f1_score(true_tags, predicted_tags)  # exact span + type, as seqeval
"""
from tinygrad_lite.metrics.classification import (UndefinedMetricWarning, accuracy,
                                                  classification_report, confusion_matrix,
                                                  f1_score, fbeta_score, precision,
                                                  precision_recall_fscore_support, recall,
                                                  top_k_accuracy)
from tinygrad_lite.metrics.entities import (entity_classification_report, entity_f1_score,
                                            entity_precision_recall_fscore, get_entities)
from tinygrad_lite.metrics.language import perplexity

__all__ = ["UndefinedMetricWarning", "accuracy", "classification_report", "confusion_matrix",
           "entity_classification_report", "entity_f1_score", "entity_precision_recall_fscore",
           "f1_score", "fbeta_score", "get_entities", "perplexity", "precision", "precision_recall_fscore_support",
           "recall", "top_k_accuracy"]
