"""models/span_qa.py: shapes and masking, the loss by hand, the vectorised span decoder on hand-made
logits, the end conditioned on the start, float64 gradients through BERT and the span head."""
import numpy
import pytest

import tinygrad_lite as tl
from models.bert import BERT
from models.span_qa import (MASKED, POSITION_SCALE, BertForQuestionAnswering, best_span, init_sinusoidal_positions,
                            span_loss)

IDS = numpy.array([[2, 7, 8, 3, 9, 10, 11, 3], [2, 7, 3, 12, 13, 3, 0, 0]], dtype=numpy.int64)
SEGMENTS = numpy.array([[0, 0, 0, 0, 1, 2, 1, 1], [0, 0, 0, 1, 1, 1, 0, 0]], dtype=numpy.int64)
CONTEXT = numpy.array([[0, 0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 0, 0, 0]], dtype=bool)


def tiny_model(dtype=tl.float32, end_given_start=False):
    tl.manual_seed(0)
    return BertForQuestionAnswering(BERT(16, max_len=8, d_model=8, n_layer=1, n_head=2, d_ff=16, dropout=0.0,
                                         n_segments=3), end_given_start=end_given_start).to(dtype)


def test_logits_cover_only_the_context():
    start, end = tiny_model()(tl.tensor(IDS), tl.tensor(SEGMENTS), tl.tensor(CONTEXT))
    assert start.shape == end.shape == (2, 8)
    for logits in (start.detach().numpy(), end.detach().numpy()):
        assert (logits[~CONTEXT] == MASKED).all() and (numpy.abs(logits[CONTEXT]) < 10).all()


def test_loss_is_the_mean_of_the_start_and_end_cross_entropies():
    model = tiny_model()
    starts, ends = tl.tensor([4, 3]), tl.tensor([6, 4])
    start, end = model(tl.tensor(IDS), tl.tensor(SEGMENTS), tl.tensor(CONTEXT))
    by_hand = 0.0
    for logits, gold in ((start.detach().numpy(), [4, 3]), (end.detach().numpy(), [6, 4])):
        log_probs = logits - numpy.log(numpy.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
            - logits.max(1, keepdims=True)
        by_hand += -log_probs[[0, 1], gold].mean() / 2
    loss = model.loss(tl.tensor(IDS), tl.tensor(SEGMENTS), tl.tensor(CONTEXT), starts, ends)
    assert loss.item() == pytest.approx(by_hand, rel=1e-5)


def test_best_span_keeps_start_before_end_and_the_length_limit():
    start = tl.tensor([[-5.0, 5.0, 1.0, 0.0], [0.0, 0.0, 0.0, 9.0], [MASKED, 1.0, 2.0, MASKED]])
    end = tl.tensor([[9.0, 0.0, 1.0, 3.0], [9.0, 0.0, 0.0, 1.0], [MASKED, 3.0, 0.0, MASKED]])
    # row 0: end 0 needs the poor start 0 (4), so (1, 3) = 5 + 3 wins; row 1: start 3 with end 3;
    # row 2: (1, 1) = 4 beats (2, 2) = 2 and (1, 2) = 1; masked positions never win.
    starts, ends = best_span(start, end, max_answer_length=4)
    assert starts.tolist() == [1, 3, 1] and ends.tolist() == [3, 3, 1]
    starts, ends = best_span(start, end, max_answer_length=2)
    assert starts.tolist()[0] == 1 and ends.tolist()[0] == 2  # (1, 3) is 3 tokens long


def test_an_end_given_the_start_is_one_row_per_start_and_the_loss_reads_the_gold_starts_row():
    model = tiny_model(end_given_start=True)
    start, end = model(tl.tensor(IDS), tl.tensor(SEGMENTS), tl.tensor(CONTEXT))
    assert start.shape == (2, 8) and end.shape == (2, 8, 8)
    ends = end.detach().numpy()
    assert (ends[:, :, ~CONTEXT[0]][0] == MASKED).all() and (numpy.abs(ends[0][:, CONTEXT[0]]) < 10).all()
    assert not numpy.allclose(ends[0, 4], ends[0, 5])  # the start changes the end's scores
    starts, golds = [4, 3], [6, 4]
    loss = model.loss(tl.tensor(IDS), tl.tensor(SEGMENTS), tl.tensor(CONTEXT), tl.tensor(starts), tl.tensor(golds))
    unconditioned = span_loss(start, tl.tensor(ends[[0, 1], starts]), tl.tensor(starts), tl.tensor(golds))
    assert loss.item() == pytest.approx(unconditioned.item(), rel=1e-6)
    # decoding a (B, T, T) table: start 1 prefers end 3 though end 2 scores higher unconditioned
    table = tl.tensor([[[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 2.0, 4.0], [0.0, 0.0, 3.0, 0.0], [0.0] * 4]])
    assert [ids.tolist() for ids in best_span(tl.tensor([[0.0, 2.0, 0.0, 0.0]]), table)] == [[1], [3]]


@pytest.mark.parametrize("end_given_start", [False, True])
def test_float64_gradients_of_the_loss_for_every_parameter(end_given_start):
    model = tiny_model(tl.float64, end_given_start)
    inputs = (tl.tensor(IDS), tl.tensor(SEGMENTS), tl.tensor(CONTEXT), tl.tensor([5, 4]), tl.tensor([6, 4]))
    assert model.loss(*inputs).dtype == tl.float64
    assert tl.autograd.gradcheck(lambda *params: model.loss(*inputs), list(model.parameters()))


def test_sinusoidal_positions_are_close_for_neighbours_and_stay_trainable():
    bert = init_sinusoidal_positions(BERT(16, max_len=32, d_model=8, n_layer=1, n_head=2, d_ff=16))
    table = bert.position_embedding.weight.detach().numpy()
    assert table[0] == pytest.approx([0, 0, 0, 0, POSITION_SCALE, POSITION_SCALE, POSITION_SCALE, POSITION_SCALE])
    assert table[5, 0] == pytest.approx(POSITION_SCALE * numpy.sin(5)) and table[5, 5] == pytest.approx(
        POSITION_SCALE * numpy.cos(5 / 10))  # the second frequency: 10000 ** (-2/8) = 1/10
    distance = numpy.linalg.norm(table - table[10], axis=1)
    assert distance[11] < distance[14] < distance[20] and bert.position_embedding.weight.requires_grad
