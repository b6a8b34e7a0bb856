import numpy
import pytest

import tinygrad_lite as tl
from models.bert import BERT, BertForMaskedLM, BertForSequenceClassification, mask_tokens, masked_mean

SPECIALS = (0, 1, 2, 3, 4)


def tiny_bert(**overrides):
    config = dict(vocab_size=12, max_len=8, d_model=8, n_layer=2, n_head=2, d_ff=16, dropout=0.0)
    config.update(overrides)
    return BERT(**config)


def random_ids(batch, length, vocab_size=12, seed=0):
    return tl.tensor(numpy.random.default_rng(seed).integers(5, vocab_size, (batch, length)))


def test_shapes_of_every_head():
    bert = tiny_bert()
    ids = random_ids(3, 6)
    hidden, pooled = bert(ids)
    assert hidden.shape == (3, 6, 8) and pooled.shape == (3, 8)
    assert float(abs(pooled.numpy(force=True)).max()) <= 1.0  # tanh pooler
    assert BertForMaskedLM(bert)(ids).shape == (3, 6, 12)
    assert BertForSequenceClassification(bert, 5)(ids).shape == (3, 5)


def test_config_rebuilds_the_same_architecture():
    bert = tiny_bert(norm_first=True)
    twin = BERT(**bert.config)
    twin.load_state_dict(bert.state_dict())
    ids = random_ids(2, 5)
    assert numpy.array_equal(twin(ids)[0].numpy(force=True), bert(ids)[0].numpy(force=True))


def test_mlm_decoder_weight_is_the_token_embedding():
    bert = tiny_bert()
    mlm = BertForMaskedLM(bert)
    assert mlm.decoder.weight is bert.token_embedding.weight
    names = [name for name, _ in mlm.named_parameters()]
    assert "decoder.weight" not in names and "decoder.bias" in names  # one shared Parameter, own bias


def test_padding_changes_no_real_position():
    bert = tiny_bert().eval()
    ids = random_ids(2, 5)
    padded = tl.tensor(numpy.concatenate([ids.numpy(), numpy.zeros((2, 3), numpy.int64)], axis=1))
    short, short_pooled = bert(ids)
    long, long_pooled = bert(padded)
    numpy.testing.assert_allclose(long.numpy(force=True)[:, :5], short.numpy(force=True), atol=1e-5)
    numpy.testing.assert_allclose(long_pooled.numpy(force=True), short_pooled.numpy(force=True), atol=1e-5)


def test_segments_change_the_output_and_too_long_input_fails():
    bert = tiny_bert().eval()
    ids = random_ids(1, 4)
    segments = tl.tensor(numpy.array([[0, 0, 1, 1]]))
    assert not numpy.allclose(bert(ids)[0].numpy(force=True), bert(ids, segment_ids=segments)[0].numpy(force=True))
    with pytest.raises(ValueError, match="max_len"):
        bert(random_ids(1, 9))


def test_mean_pooling_averages_the_real_tokens_only():
    bert = tiny_bert().eval()
    model = BertForSequenceClassification(bert, 4, dropout=0.0, pooling="mean").eval()
    ids = numpy.array([[2, 5, 6, 7, 0, 0], [2, 8, 9, 10, 11, 5]])
    hidden, _ = bert(tl.tensor(ids))
    hidden = hidden.numpy(force=True)
    expected = numpy.stack([hidden[0, :4].mean(0), hidden[1].mean(0)])
    numpy.testing.assert_allclose(masked_mean(tl.tensor(hidden), tl.tensor(ids != 0)).numpy(), expected, rtol=1e-5,
                                  atol=1e-6)
    logits = expected @ model.classifier.weight.numpy(force=True).T + model.classifier.bias.numpy(force=True)
    numpy.testing.assert_allclose(model(tl.tensor(ids)).numpy(force=True), logits, rtol=1e-4, atol=1e-6)
    short = model(tl.tensor(ids[:1, :4])).numpy(force=True)  # the padding changes nothing
    numpy.testing.assert_allclose(short, logits[:1], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="pooling"):
        BertForSequenceClassification(bert, 4, pooling="max")


@pytest.mark.parametrize("norm_first, pooling", [(False, "cls"), (True, "cls"), (True, "mean")])
def test_gradcheck_float64_every_parameter(norm_first, pooling):
    bert = BERT(vocab_size=7, max_len=4, d_model=4, n_layer=1, n_head=2, d_ff=6, dropout=0.0,
                norm_first=norm_first)
    model = BertForSequenceClassification(bert, 3, dropout=0.0, pooling=pooling).double()
    ids = tl.tensor(numpy.array([[2, 5, 6, 0], [2, 6, 5, 5]]))
    assert model(ids).dtype == tl.float64
    assert tl.autograd.gradcheck(lambda *params: model(ids), list(model.parameters()))


def test_gradcheck_float64_masked_lm_loss():
    mlm = BertForMaskedLM(BERT(vocab_size=7, max_len=4, d_model=4, n_layer=1, n_head=2, d_ff=6,
                               dropout=0.0)).double()
    ids = tl.tensor(numpy.array([[2, 4, 6, 5], [2, 6, 4, 0]]))
    labels = tl.tensor(numpy.array([[-100, 5, -100, -100], [-100, -100, 6, -100]]))
    assert tl.autograd.gradcheck(lambda *params: mlm.loss(ids, labels), list(mlm.parameters()))


def test_loss_equals_cross_entropy_of_the_full_logits_at_chosen_positions():
    mlm = BertForMaskedLM(tiny_bert()).eval()
    ids = random_ids(2, 6)
    labels = numpy.full((2, 6), -100)
    labels[0, 1], labels[1, 4] = 7, 9
    logits = mlm(ids).numpy(force=True)
    chosen = numpy.stack([logits[0, 1], logits[1, 4]]).astype(numpy.float64)
    log_probs = chosen - numpy.log(numpy.exp(chosen).sum(1, keepdims=True))
    expected = -(log_probs[0, 7] + log_probs[1, 9]) / 2
    assert mlm.loss(ids, tl.tensor(labels)).item() == pytest.approx(expected, rel=1e-5)
    predicted, true = mlm.predict_masked(ids, labels)
    assert true.tolist() == [7, 9] and predicted.tolist() == [chosen[0].argmax(), chosen[1].argmax()]


def test_mask_tokens_statistics():
    rng = numpy.random.default_rng(0)
    ids = rng.integers(0, 50, size=(400, 500))
    inputs, labels = mask_tokens(ids, 50, 4, SPECIALS, numpy.random.default_rng(1))
    special = numpy.isin(ids, SPECIALS)
    chosen = labels != -100
    assert not (chosen & special).any() and numpy.array_equal(inputs[special], ids[special])
    assert chosen[~special].mean() == pytest.approx(0.15, abs=0.003)
    assert numpy.array_equal(labels[chosen], ids[chosen])
    assert numpy.array_equal(inputs[~chosen], ids[~chosen])
    masked = inputs[chosen] == 4
    kept = inputs[chosen] == ids[chosen]
    replaced = ~masked & ~kept
    assert masked.mean() == pytest.approx(0.8, abs=0.005)
    # a random replacement may draw the token itself (1 in 45 here), so "kept" is 10% + 10% / 45
    assert kept.mean() == pytest.approx(0.1 + 0.1 / 45, abs=0.005)
    assert replaced.mean() == pytest.approx(0.1 - 0.1 / 45, abs=0.005)
    assert not numpy.isin(inputs[chosen][replaced], SPECIALS).any()
    again = mask_tokens(ids, 50, 4, SPECIALS, numpy.random.default_rng(1))
    assert numpy.array_equal(again[0], inputs) and numpy.array_equal(again[1], labels)
