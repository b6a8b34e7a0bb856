"""Extractive question answering with BERT: start and end logits over the context's tokens
(seed 000 #7: question answering as an application of language models).

The input is one sequence ``[CLS] question [SEP] context [SEP]`` with segment id 0 on the
question part and 1 on the context part. A Linear on BERT's hidden states gives every position a
start and an end score; positions outside the context (``[CLS]``, the question, the separators,
padding) are masked out, so a softmax over a row is a distribution over context tokens only. The
loss is the mean of the start and the end cross-entropies (BERT's SQuAD recipe), and the answer is
the span ``start <= end <= start + max_answer_length - 1`` with the highest ``start_logit +
end_logit``, found for the whole batch at once (:func:`best_span`).

Trained from random weights, the encoder learns where a sentence begins and ends (which words
belong with the question's name) far sooner when its learned position embeddings start as
sinusoids (:func:`init_sinusoidal_positions`): nearby positions then start with similar vectors
instead of unrelated random ones.

Shapes: ids, segment_ids (B, T) int64, context_mask (B, T) bool (True on context tokens) ->
start_logits, end_logits (B, T); :func:`best_span` -> starts, ends int64 (B,).
"""
import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn

MASKED = -1e4  # a logit no context position reaches: its softmax share underflows to 0 in float32
POSITION_SCALE = 0.1  # sinusoid amplitude: a few times BERT's N(0, 0.02) token vectors in norm


def init_sinusoidal_positions(bert, scale=POSITION_SCALE):
    """Overwrite ``bert.position_embedding`` (max_len, d_model) with ``scale`` times the Transformer's
    sinusoids (sines in the first half of each vector, cosines in the second); still trained."""
    length, width = bert.position_embedding.weight.shape
    angles = numpy.arange(length)[:, None] / 10000 ** (numpy.arange(width // 2)[None] * 2 / width)
    table = numpy.zeros((length, width), dtype=numpy.float32)
    table[:, :width // 2], table[:, width // 2:2 * (width // 2)] = numpy.sin(angles), numpy.cos(angles)
    with tl.no_grad():
        bert.position_embedding.weight.copy_(tl.tensor(scale * table, device=bert.position_embedding.weight.device))
    return bert


class BertForQuestionAnswering(nn.Module):
    """BERT (``models.bert.BERT``) and a Linear(d_model, 2) span head."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert
        self.span_head = nn.Linear(bert.config["d_model"], 2)
        nn.init.normal_(self.span_head.weight, mean=0.0, std=0.02)
        nn.init.zeros_(self.span_head.bias)

    def forward(self, ids, segment_ids, context_mask, attention_mask=None):
        """``(start_logits, end_logits)``, each (B, T), ``MASKED`` wherever ``context_mask`` is False."""
        hidden, _ = self.bert(ids, segment_ids, attention_mask)
        logits = self.span_head(hidden).masked_fill(context_mask.logical_not().unsqueeze(2), MASKED)
        return logits[..., 0], logits[..., 1]

    def loss(self, ids, segment_ids, context_mask, start_positions, end_positions, attention_mask=None):
        """Mean of the start and end cross-entropies for gold token positions (B,) int64."""
        start_logits, end_logits = self(ids, segment_ids, context_mask, attention_mask)
        return span_loss(start_logits, end_logits, start_positions, end_positions)


def span_loss(start_logits, end_logits, start_positions, end_positions):
    """``(cross_entropy(start) + cross_entropy(end)) / 2`` over the batch."""
    return (F.cross_entropy(start_logits, start_positions) + F.cross_entropy(end_logits, end_positions)) / 2


def best_span(start_logits, end_logits, max_answer_length=16):
    """``(starts, ends)`` int64 (B,): for each row the pair ``start <= end < start +
    max_answer_length`` maximising ``start_logits[start] + end_logits[end]``; one (B, T, T) score
    table and one argmax, no loop over the batch. Masked positions lose to any context position."""
    length = start_logits.shape[1]
    positions = tl.arange(length, device=start_logits.device)
    width = positions.unsqueeze(0) - positions.unsqueeze(1)  # [start, end] -> end - start
    allowed = (width >= 0) & (width < max_answer_length)
    with tl.no_grad():
        scores = start_logits.detach().unsqueeze(2) + end_logits.detach().unsqueeze(1)
        # below any allowed pair, even one of two masked positions (2 * MASKED)
        best = scores.masked_fill(allowed.logical_not(), 3 * MASKED).reshape(len(scores), -1).argmax(1)
    starts = best // length
    return starts, best - starts * length
