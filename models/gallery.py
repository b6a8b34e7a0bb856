"""The catalogue of every architecture in ``models/``: a tiny instance, an example input and a one-line
description, in one place (``examples.visualize`` draws them; the tests check each builds and runs).

    for exhibit in GALLERY:
        model, inputs = exhibit.build()          # seeded, tiny, in eval mode
        outputs = exhibit.outputs(model, inputs)  # a tuple of tensors
        exhibit.loss(model, inputs).backward()   # a scalar that trains it (its own objective)

Tiny means one or two layers of width 8-16 and a batch of two, so every graph stays small enough
to read and the whole catalogue builds in well under a second. ``BigramModel`` (counts) and
``Gazetteer`` (rules) are in ``models/`` but are not networks: they have no graph to draw, so they
are listed in :data:`NOT_NETWORKS` instead.

Shapes: each exhibit's ``build`` returns ``(model, inputs)`` with ``inputs`` a tuple of tensors
(float32 features or int64 ids); ``outputs`` is a tuple of tensors; ``loss`` is a scalar.
"""
from dataclasses import dataclass
from typing import Callable

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from models.bert import BERT, BertForMaskedLM, BertForSequenceClassification
from models.cnn import CNN
from models.feedforward import FeedForward
from models.forecaster import Forecaster
from models.gan import Discriminator, Generator
from models.gpt import GPT
from models.lenet import LeNet32
from models.lstm_lm import LSTMLanguageModel
from models.mlp import MLP
from models.residual_mlp import ResidualMLP
from models.resnet import ResNet
from models.seq2seq import Seq2Seq
from models.sequence_classifier import SequenceClassifier
from models.span_qa import BertForQuestionAnswering
from models.tagger import BiLSTMTagger
from models.text_classifier import MeanEmbeddingClassifier, RecurrentTextClassifier
from models.text_cnn import TextCNN
from models.transformer_translator import TransformerTranslator
from models.word2vec import SkipGram

__all__ = ["Exhibit", "GALLERY", "NOT_NETWORKS", "ResidualVsPlain", "exhibit", "residual_pair"]

BATCH = 2
VOCAB = 12
LENGTH = 5
NOT_NETWORKS = {"BigramModel": "add-one-smoothed bigram counts (models/bigram.py)",
                "Gazetteer": "the rule baseline for NER (models/gazetteer.py)"}


@dataclass(frozen=True)
class Exhibit:
    """One architecture: ``name`` (a file-name-safe id), ``title`` (the class), ``source`` (its
    file), ``description`` (one line), ``make`` (() -> (model, inputs)), ``objective`` ((model,
    outputs, inputs) -> scalar loss) and ``lesson``: what its gradient-flow picture teaches, or ""
    when it teaches nothing worth a picture."""

    name: str
    title: str
    source: str
    description: str
    make: Callable
    objective: Callable
    lesson: str = ""

    def build(self, seed=0):
        """``(model, inputs)``: the tiny model in eval mode and its example inputs, seeded."""
        tl.manual_seed(seed)
        model, inputs = self.make()
        return model.eval(), inputs

    def outputs(self, model, inputs):
        """The model's outputs on ``inputs`` as a tuple of tensors (``None`` outputs dropped)."""
        result = model(*inputs)
        result = result if isinstance(result, tuple) else (result,)
        return tuple(output for output in result if isinstance(output, tl.Tensor))

    def loss(self, model, inputs):
        """A scalar loss of the model on its example inputs (its training objective on fake targets)."""
        return self.objective(model, self.outputs(model, inputs), inputs)


def _ids(*shape, high=VOCAB, low=1):
    return tl.randint(low, high, shape)


def _labels(count, classes):
    """Fixed fake labels 0, 1, ..., classes - 1, 0, 1, ... as int64 (count,)."""
    return tl.tensor(numpy.arange(count) % classes)


def _classes(logits):
    """Cross-entropy of (N, C) logits against :func:`_labels`."""
    return F.cross_entropy(logits, _labels(logits.shape[0], logits.shape[1]))


def _classification(model, outputs, inputs):
    return _classes(outputs[0])


def _next_token(model, outputs, inputs):
    """Cross-entropy of every position's logits (N, T, V) against the input ids shifted by one."""
    logits, ids = outputs[0], inputs[-1] if len(inputs) == 2 else inputs[0]
    targets = tl.cat([ids[:, 1:], ids[:, :1]], 1)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _next_token_tags(model, outputs, inputs):
    """Cross-entropy of the tag logits (N, T, tags) against fixed tags."""
    logits = outputs[0]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), _labels(logits.shape[0] * logits.shape[1],
                                                                         logits.shape[2]))


def _regression(model, outputs, inputs):
    return outputs[0].pow(2).mean()


def _mean(model, outputs, inputs):
    return sum(output.float().mean() for output in outputs)


def _span(model, outputs, inputs):
    start, end = outputs  # (N, T) each; the context is positions 2.. (see _span_qa)
    gold = _labels(start.shape[0], start.shape[1] - 2) + 2
    return (F.cross_entropy(start, gold) + F.cross_entropy(end, gold)) / 2


def _images(side):
    return (tl.randn(BATCH, 1, side, side),)


def _mlp():
    return MLP(64, hidden_sizes=(16, 16), num_classes=10), _images(8)


def _feedforward():
    return FeedForward(3, 4, 1), (tl.randn(BATCH, 3),)


def _cnn():
    return CNN(side=8, num_classes=10), _images(8)


def _lenet():
    return LeNet32(num_classes=10, side=32), _images(32)


def _resnet():
    return ResNet(side=8, num_classes=10, widths=(8, 16)), _images(8)


def _residual_mlp(residual, depth=6):
    return ResidualMLP(64, width=16, depth=depth, num_classes=10, residual=residual), _images(8)


def _sequence_classifier():
    return SequenceClassifier(8, 12, 10, cell="lstm", bidirectional=True), (tl.randn(BATCH, 8, 8),)


def _forecaster():
    return Forecaster(hidden_size=12, cell="gru", horizon=3), (tl.randn(BATCH, 10),)


def _generator():
    return Generator(latent_dim=8, side=8, hidden_sizes=(16, 32)), (tl.randn(BATCH, 8),)


def _discriminator():
    return Discriminator(side=8, hidden_sizes=(32, 16)), _images(8)


def _gpt():
    return GPT(VOCAB, block_size=8, n_layer=2, n_head=2, n_embd=16), (_ids(BATCH, LENGTH, low=0),)


def _lstm_lm():
    return LSTMLanguageModel(VOCAB, 16, 16, num_layers=2, dropout=0.0), (_ids(BATCH, LENGTH, low=0),)


def _skipgram():
    return SkipGram(VOCAB, 8), (_ids(BATCH), _ids(BATCH), _ids(BATCH, 3))


def _padded_ids():
    ids = _ids(BATCH, LENGTH)
    ids[1, 3:] = 0  # the second text is shorter: padding id 0
    return ids


def _mean_embedding():
    return MeanEmbeddingClassifier(VOCAB, 8, 3), (_padded_ids(),)


def _recurrent_text():
    return RecurrentTextClassifier(VOCAB, 8, 12, 3, bidirectional=True), (_padded_ids(),)


def _text_cnn():
    return TextCNN(VOCAB, 8, 3, widths=(2, 3), num_filters=6), (_padded_ids(),)


def _seq2seq():
    model = Seq2Seq(VOCAB, embedding_dim=8, hidden_size=12, attention="bahdanau")
    return model, (_padded_ids(), _ids(BATCH, 3))


def _translator():
    model = TransformerTranslator(VOCAB, d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                  dim_feedforward=32, dropout=0.0, max_len=16)
    return model, (_padded_ids(), _ids(BATCH, 4))


def _bert():
    return BERT(VOCAB, max_len=8, d_model=16, n_layer=1, n_head=2, d_ff=32, dropout=0.0)


def _bert_mlm():
    return BertForMaskedLM(_bert()), (_padded_ids(),)


def _bert_classifier():
    return BertForSequenceClassification(_bert(), 3, dropout=0.0), (_padded_ids(),)


def _span_qa():
    ids = _ids(BATCH, LENGTH)
    segments = tl.tensor([[0, 0, 1, 1, 1]] * BATCH)
    return BertForQuestionAnswering(_bert()), (ids, segments, segments == 1)


def _tagger():
    model = BiLSTMTagger(VOCAB, 10, 5, word_dim=8, char_dim=4, char_channels=6, hidden_size=8,
                         word_dropout=0.0, dropout=0.0)
    return model, (_padded_ids(), _ids(BATCH, LENGTH, 4, high=10))


def _exhibits():
    return (
        Exhibit("mlp", "MLP", "models/mlp.py", "Multilayer perceptron: flatten, Linear + ReLU hidden layers, "
                "Linear logits.", _mlp, _classification),
        Exhibit("feedforward", "FeedForward", "models/feedforward.py", "The 3-4-1 binary classifier of seed 000 "
                "exercise 1: a ReLU hidden layer, one logit for a sigmoid.", _feedforward, _regression),
        Exhibit("cnn", "CNN", "models/cnn.py", "Two conv3x3 + ReLU + max-pool stages, dropout and a Linear "
                "classifier for 8x8 digits.", _cnn, _classification),
        Exhibit("lenet", "LeNet32", "models/lenet.py", "LeNet-5's layout with 3x3 kernels: two conv + pool "
                "stages, then 120-84-10 Linear layers on 32x32 images.", _lenet, _classification),
        Exhibit("resnet", "ResNet", "models/resnet.py", "A small ResNet: conv stem, BasicBlocks with "
                "identity or 1x1-projection shortcuts, global average pooling.", _resnet, _classification),
        Exhibit("residual_mlp", "ResidualMLP", "models/residual_mlp.py", "A deep MLP of pre-norm residual "
                "blocks x + tanh(Linear(LayerNorm(x))).", lambda: _residual_mlp(True), _classification),
        Exhibit("plain_mlp", "ResidualMLP(residual=False)", "models/residual_mlp.py", "The same depth of plain "
                "tanh(Linear(x)) layers, no skip path and no norm.", lambda: _residual_mlp(False),
                _classification),
        Exhibit("sequence_classifier", "SequenceClassifier", "models/sequence_classifier.py", "A bidirectional "
                "LSTM reads an image row by row; its final states feed a Linear.", _sequence_classifier,
                _classification),
        Exhibit("forecaster", "Forecaster", "models/forecaster.py", "A GRU over a window of a time series; the "
                "last step's state predicts the next values.", _forecaster, _regression),
        Exhibit("gan_generator", "Generator", "models/gan.py", "The GAN's generator: noise through Linear + "
                "BatchNorm + LeakyReLU layers to a tanh image.", _generator, _mean),
        Exhibit("gan_discriminator", "Discriminator", "models/gan.py", "The GAN's discriminator: an MLP with "
                "LeakyReLU and dropout giving one real/fake logit.", _discriminator, _mean),
        Exhibit("gpt", "GPT", "models/gpt.py", "A decoder-only Transformer language model: token + position "
                "embeddings, pre-norm causal blocks, tied LM head.", _gpt, _next_token,
                "the residual stream (the Add nodes' skip edges) hands the same gradient, about 1, to the attention "
                "and MLP of every block; only the LayerNorm gains get little"),
        Exhibit("lstm_lm", "LSTMLanguageModel", "models/lstm_lm.py", "A 2-layer LSTM language model with tied "
                "input and output embeddings.", _lstm_lm, _next_token,
                "the tied embedding/decoder weight gets ~100x the gradient of the first LSTM layer's input weights: "
                "the signal fades on its way down the stack"),
        Exhibit("word2vec", "SkipGram", "models/word2vec.py", "word2vec's skip-gram with negative sampling: "
                "centre and context embeddings scored by dot products.", _skipgram, _mean),
        Exhibit("mean_embedding_classifier", "MeanEmbeddingClassifier", "models/text_classifier.py",
                "A bag of words: the mean of a text's word embeddings (padding excluded), then a Linear.",
                _mean_embedding, _classification),
        Exhibit("recurrent_text_classifier", "RecurrentTextClassifier", "models/text_classifier.py",
                "Word embeddings read by a packed bidirectional LSTM; the final states classify the text.",
                _recurrent_text, _classification),
        Exhibit("text_cnn", "TextCNN", "models/text_cnn.py", "Kim's TextCNN: 1-D convolutions of several widths "
                "over word embeddings, max over time, a Linear.", _text_cnn, _classification),
        Exhibit("seq2seq", "Seq2Seq", "models/seq2seq.py", "A BiLSTM encoder and an LSTM-cell decoder with "
                "Bahdanau (additive) attention over the source.", _seq2seq, _next_token),
        Exhibit("transformer_translator", "TransformerTranslator", "models/transformer_translator.py",
                "An encoder-decoder Transformer (nn.Transformer, pre-norm) with sinusoidal positions.",
                _translator, _next_token),
        Exhibit("bert_mlm", "BertForMaskedLM", "models/bert.py", "BERT pretraining: a bidirectional encoder and "
                "the masked-language-model head tied to the token embedding.", _bert_mlm, _next_token),
        Exhibit("bert_classifier", "BertForSequenceClassification", "models/bert.py", "BERT fine-tuning: the "
                "pooled [CLS] vector through dropout and a Linear.", _bert_classifier, _classification),
        Exhibit("span_qa", "BertForQuestionAnswering", "models/span_qa.py", "Extractive QA: BERT and a Linear "
                "giving start and end logits over the context tokens.", _span_qa, _span),
        Exhibit("tagger", "BiLSTMTagger", "models/tagger.py", "The NER tagger: word embeddings and a character "
                "CNN read by a packed BiLSTM, tag logits per word.", _tagger, _next_token_tags),
    )


GALLERY = _exhibits()


def exhibit(name):
    """The exhibit called ``name`` (KeyError listing the names otherwise)."""
    for candidate in GALLERY:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no exhibit {name!r}; the gallery has {[candidate.name for candidate in GALLERY]}")


class ResidualVsPlain(tl.nn.Module):
    """The residual lesson as one module: ``residual`` and ``plain``, two ``ResidualMLP`` of the same
    depth, widths and tanh blocks, differing only in the skip path and LayerNorm. images (N, 1, 8, 8)
    -> ``(residual logits, plain logits)``, each (N, 10)."""

    def __init__(self, depth, width):
        super().__init__()
        self.residual = ResidualMLP(64, width, depth, residual=True)
        self.plain = ResidualMLP(64, width, depth, residual=False)

    def forward(self, images):
        """Both nets' logits for the same images."""
        return self.residual(images), self.plain(images)


def residual_pair(depth=12, width=16, seed=0):
    """``(pair, images, labels)``: a seeded :class:`ResidualVsPlain`, a batch of images (16, 1, 8, 8)
    and fake labels (16,) int64; after one backward through both losses, drawn together, the two
    nets' gradients share one colour scale."""
    tl.manual_seed(seed)
    pair = ResidualVsPlain(depth, width)
    return pair, tl.randn(16, 1, 8, 8), _labels(16, 10)
