"""Tests for models/tagger.py: shapes, padding, float64 gradients, constrained decoding, inputs."""
import itertools

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite import text
from models.tagger import (BiLSTMTagger, CharCNN, bio_constraints, character_classes, encode_sentences,
                           viterbi_decode)

SENTENCES = [["Ada", "Lovelace", "visited", "Oslo", "."], ["Hi", "."]]
TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")


def vocabularies():
    words = text.WordTokenizer(sorted({token.lower() for sentence in SENTENCES for token in sentence}))
    chars = text.CharTokenizer.train([token for sentence in SENTENCES for token in sentence])
    return words, chars


def tiny_tagger(words, chars, **options):
    tl.manual_seed(0)
    return BiLSTMTagger(words.vocab_size, chars.vocab_size, len(TAGS), word_dim=6, char_dim=4, char_channels=5,
                        hidden_size=4, word_pad_id=words.pad_id, unk_id=words.unk_id, char_pad_id=chars.pad_id,
                        **options)


def test_encode_sentences_pads_words_and_characters():
    words, chars = vocabularies()
    word_ids, char_ids = encode_sentences(SENTENCES + [["Zed"]], words, chars, max_word_length=4)
    assert word_ids.shape == (3, 5) and char_ids.shape == (3, 5, 4) and word_ids.dtype == numpy.int64
    assert word_ids[1, 2:].tolist() == [words.pad_id] * 3 and word_ids[2, 0] == words.unk_id
    assert word_ids[0, 0] == words.token_to_id("ada")
    assert char_ids[0, 1].tolist() == chars.encode("Love")  # cut to max_word_length
    assert char_ids[1, 0].tolist() == chars.encode("Hi") + [chars.pad_id] * 2
    assert (char_ids[1, 2:] == chars.pad_id).all()


def test_shapes_and_padding_changes_nothing():
    words, chars = vocabularies()
    model = tiny_tagger(words, chars).eval()
    word_ids, char_ids = encode_sentences(SENTENCES, words, chars)
    logits = model(tl.tensor(word_ids), tl.tensor(char_ids))
    assert logits.shape == (2, 5, len(TAGS)) and logits.dtype == tl.float32
    alone = model(tl.tensor(word_ids[1:, :2]), tl.tensor(char_ids[1:, :2, :2]))
    numpy.testing.assert_allclose(logits.detach().numpy()[1, :2], alone.detach().numpy()[0], rtol=1e-5, atol=1e-6)
    assert CharCNN(chars.vocab_size, 4, 5, char_pad_id=chars.pad_id)(tl.tensor(char_ids)).shape == (2, 5, 5)


def test_word_dropout_only_in_training():
    words, chars = vocabularies()
    model = tiny_tagger(words, chars, word_dropout=0.5)
    word_ids = tl.tensor(encode_sentences(SENTENCES * 20, words, chars)[0])
    dropped = model.drop_words(word_ids).numpy()
    real = word_ids.numpy() != words.pad_id
    assert 0.35 < (dropped[real] == words.unk_id).mean() < 0.65 and (dropped[~real] == words.pad_id).all()
    assert (model.eval().drop_words(word_ids).numpy() == word_ids.numpy()).all()


def test_character_classes():
    chars = text.CharTokenizer.train(["aZ9-"])
    classes = character_classes(chars)
    assert classes.tolist() == [0] * 5 + [[4, 3, 2, 1][i] for i in range(4)]  # code-point order: - 9 Z a


def test_char_dropout_zeroes_whole_words_only_in_training():
    words, chars = vocabularies()
    model = tiny_tagger(words, chars, char_dropout=0.5)
    spellings = tl.ones(40, 5, 3)
    dropped = model.drop_spellings(spellings).numpy()
    assert set(numpy.unique(dropped.sum(2))) <= {0.0, 3.0} and 0.35 < (dropped[..., 0] == 0).mean() < 0.65
    assert (model.eval().drop_spellings(spellings).numpy() == 1).all()


def test_gradcheck_float64_every_parameter():
    words, chars = vocabularies()
    model = tiny_tagger(words, chars, word_dropout=0.0, dropout=0.0, char_classes=character_classes(chars)).double()
    word_ids, char_ids = (tl.tensor(array) for array in encode_sentences(SENTENCES, words, chars, 3))
    tags = tl.tensor(numpy.array([[1, 2, 0, 3, 0], [0, 0, -100, -100, -100]]))
    # The character padding row is seen by the convolution at a word's edges but, as PyTorch's
    # padding_idx, gets no gradient (it stays zero), so a numerical check of it would disagree.
    # The same holds for the class embedding's padding class.
    skipped = ("chars.embedding.weight", "chars.class_embedding.weight")
    parameters = [p for name, p in model.named_parameters() if name not in skipped]
    assert len(parameters) == len(list(model.parameters())) - 2
    assert tl.autograd.gradcheck(lambda *params: model.loss(word_ids, char_ids, tags), parameters)


def test_bio_constraints():
    allowed, start = bio_constraints(TAGS)
    assert start.tolist() == [True, True, False, True, False]
    assert allowed[1, 2] and allowed[2, 2] and not allowed[0, 2] and not allowed[3, 2] and not allowed[2, 4]
    assert allowed[:, [0, 1, 3]].all()


def test_viterbi_is_the_best_valid_path_by_brute_force():
    rng = numpy.random.default_rng(0)
    log_probs = rng.standard_normal((3, 4, len(TAGS)))
    lengths = numpy.array([4, 2, 1])
    allowed, start = bio_constraints(TAGS)
    paths = viterbi_decode(log_probs, lengths, allowed, start)
    for row, length in enumerate(lengths):
        valid = [path for path in itertools.product(range(len(TAGS)), repeat=int(length))
                 if start[path[0]] and all(allowed[a, b] for a, b in zip(path, path[1:]))]
        best = max(valid, key=lambda path: log_probs[row, numpy.arange(length), list(path)].sum())
        assert paths[row, :length].tolist() == list(best)
        assert (paths[row, length:] == 0).all()


def test_decode_never_starts_with_an_inside_tag():
    words, chars = vocabularies()
    model = tiny_tagger(words, chars).eval()
    with tl.no_grad():
        model.head.bias.copy_(tl.tensor([0.0, 0.0, 9.0, 0.0, 0.0]))  # I-PER everywhere by argmax
    word_ids, char_ids = encode_sentences(SENTENCES, words, chars)
    paths = model.decode(tl.tensor(word_ids), tl.tensor(char_ids), *bio_constraints(TAGS))
    assert paths[0].tolist() == [1, 2, 2, 2, 2] and paths[1].tolist() == [1, 2, 0, 0, 0]
