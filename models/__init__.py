"""The architectures of the source documents, one per file, built only on the public tinygrad_lite API."""
from models.mlp import MLP
from models.cnn import CNN
from models.feedforward import FeedForward
from models.lenet import LeNet32
from models.resnet import BasicBlock, ResNet
from models.sequence_classifier import SequenceClassifier
from models.forecaster import Forecaster
from models.gan import Discriminator, Generator
from models.residual_mlp import ResidualBlock, ResidualMLP
from models.gpt import GPT
from models.lstm_lm import LSTMLanguageModel
from models.word2vec import SkipGram
from models.bigram import BigramModel
from models.text_classifier import MeanEmbeddingClassifier, RecurrentTextClassifier
from models.text_cnn import TextCNN
from models.seq2seq import Seq2Seq
from models.transformer_translator import EncodedSource, TransformerTranslator
from models.bert import BERT, BertForMaskedLM, BertForSequenceClassification
from models.span_qa import BertForQuestionAnswering
from models.tagger import BiLSTMTagger, CharCNN
from models.gazetteer import Gazetteer

__all__ = ["MLP", "CNN", "FeedForward", "LeNet32", "BasicBlock", "ResNet", "SequenceClassifier",
           "Forecaster", "Discriminator", "Generator", "ResidualBlock", "ResidualMLP",
           "GPT", "LSTMLanguageModel", "SkipGram", "BigramModel",
           "MeanEmbeddingClassifier", "RecurrentTextClassifier", "TextCNN",
           "Seq2Seq", "EncodedSource", "TransformerTranslator", "BERT", "BertForMaskedLM",
           "BertForSequenceClassification", "BertForQuestionAnswering", "BiLSTMTagger", "CharCNN",
           "Gazetteer"]
