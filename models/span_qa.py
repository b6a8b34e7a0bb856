"""Extractive question answering with BERT: start and end logits over the context's tokens
(seed 000 #7: question answering as an application of language models).

The input is one sequence ``[CLS] question [SEP] context [SEP]`` with segment id 0 on the
question part and 1 on the context part. A Linear on BERT's hidden states gives every position a
start and an end score; positions outside the context (``[CLS]``, the question, the separators,
padding) are masked out, so a softmax over a row is a distribution over context tokens only. The
loss is the mean of the start and the end cross-entropies (BERT's SQuAD recipe), and the answer is
the span ``start <= end <= start + max_answer_length - 1`` with the highest ``start_logit +
end_logit``, found for the whole batch at once (:func:`best_span`).

With ``end_given_start`` the end score of a pair also has a bilinear term ``(W h_start + b) .
h_end / sqrt(d_model)``: the end is chosen knowing where the span starts (trained with the gold
start; XLNet's SQuAD head conditions its end logits on the start likewise), so the two ends of an
unseen multi-word name no longer have to be found independently.

Trained from random weights, the encoder learns where a sentence begins and ends (which words
belong with the question's name) far sooner when its learned position embeddings start as
sinusoids (:func:`init_sinusoidal_positions`): nearby positions then start with similar vectors
instead of unrelated random ones.

Shapes: ids, segment_ids (B, T) int64, context_mask (B, T) bool (True on context tokens) ->
start_logits (B, T), end_logits (B, T), or (B, T, T) indexed [start, end] with ``end_given_start``;
:func:`best_span` -> starts, ends int64 (B,).
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
    """BERT (``models.bert.BERT``) and a Linear(d_model, 2) span head; with ``end_given_start`` also
    a Linear(d_model, d_model) whose image of the start token's vector scores every end token (a
    bilinear start-end term), so the end of a span is chosen knowing where it starts."""

    def __init__(self, bert, end_given_start=False):
        super().__init__()
        self.bert = bert
        width = bert.config["d_model"]
        self.span_head = nn.Linear(width, 2)
        nn.init.normal_(self.span_head.weight, mean=0.0, std=0.02)
        nn.init.zeros_(self.span_head.bias)
        self.end_given_start = nn.Linear(width, width) if end_given_start else None
        if end_given_start:
            nn.init.normal_(self.end_given_start.weight, mean=0.0, std=0.02)
            nn.init.zeros_(self.end_given_start.bias)

    def forward(self, ids, segment_ids, context_mask, attention_mask=None):
        """``(start_logits, end_logits)``, ``MASKED`` wherever ``context_mask`` is False: start (B, T);
        end (B, T) or, with ``end_given_start``, (B, T, T) where row ``s`` scores the ends of a span
        starting at ``s``."""
        hidden, _ = self.bert(ids, segment_ids, attention_mask)
        outside = context_mask.logical_not()
        logits = self.span_head(hidden).masked_fill(outside.unsqueeze(2), MASKED)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        if self.end_given_start is not None:
            pair = self.end_given_start(hidden) @ hidden.transpose(1, 2) / hidden.shape[-1] ** 0.5
            end_logits = (end_logits.unsqueeze(1) + pair).masked_fill(outside.unsqueeze(1), MASKED)
        return start_logits, end_logits

    def loss(self, ids, segment_ids, context_mask, start_positions, end_positions, attention_mask=None):
        """Mean of the start and end cross-entropies for gold token positions (B,) int64 (the end
        given the gold start when the end is conditioned on it)."""
        start_logits, end_logits = self(ids, segment_ids, context_mask, attention_mask)
        if end_logits.ndim == 3:
            end_logits = end_logits[tl.arange(len(end_logits), device=end_logits.device), start_positions]
        return span_loss(start_logits, end_logits, start_positions, end_positions)


def span_loss(start_logits, end_logits, start_positions, end_positions):
    """``(cross_entropy(start) + cross_entropy(end)) / 2`` over the batch."""
    return (F.cross_entropy(start_logits, start_positions) + F.cross_entropy(end_logits, end_positions)) / 2


def best_span(start_logits, end_logits, max_answer_length=16):
    """``(starts, ends)`` int64 (B,): for each row the pair ``start <= end < start +
    max_answer_length`` maximising ``start_logits[start] + end_logits[end]`` (``end_logits[start,
    end]`` when they are (B, T, T), conditioned on the start); one (B, T, T) score table and one
    argmax, no loop over the batch. Masked positions lose to any context position."""
    length = start_logits.shape[1]
    positions = tl.arange(length, device=start_logits.device)
    width = positions.unsqueeze(0) - positions.unsqueeze(1)  # [start, end] -> end - start
    allowed = (width >= 0) & (width < max_answer_length)
    with tl.no_grad():
        ends = end_logits.detach() if end_logits.ndim == 3 else end_logits.detach().unsqueeze(1)
        scores = start_logits.detach().unsqueeze(2) + ends
        # below any allowed pair, even one of two masked positions (2 * MASKED)
        best = scores.masked_fill(allowed.logical_not(), 3 * MASKED).reshape(len(scores), -1).argmax(1)
    starts = best // length
    return starts, best - starts * length
