"""``tinygrad_lite.nn``: Modules, layers and losses built on Tensor ops (``nn.functional`` is ``F``)."""
from tinygrad_lite.nn import functional, init, parallel, utils
from tinygrad_lite.nn.activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,
                                         Softmax, Tanh)
from tinygrad_lite.nn.containers import ModuleDict, ModuleList, Sequential
from tinygrad_lite.nn.conv import Conv1d, Conv2d
from tinygrad_lite.nn.dropout import Dropout
from tinygrad_lite.nn.embedding import Embedding
from tinygrad_lite.nn.flatten import Flatten, Unflatten
from tinygrad_lite.nn.kv_cache import KVCache
from tinygrad_lite.nn.linear import Bilinear, Identity, Linear
from tinygrad_lite.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss,
                                   KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.multihead_attention import MultiheadAttention
from tinygrad_lite.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from tinygrad_lite.nn.parameter import Parameter
from tinygrad_lite.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinygrad_lite.nn.rnn import GRU, LSTM, RNN
from tinygrad_lite.nn.rnn_cells import GRUCell, LSTMCell, RNNCell
from tinygrad_lite.nn.positional_encoding import (LearnedPositionalEncoding,
                                                  SinusoidalPositionalEncoding)
from tinygrad_lite.nn.seq2seq_attention import (AdditiveAttention, BahdanauAttention,
                                                LuongAttention)
from tinygrad_lite.nn.transformer import Transformer, TransformerDecoder, TransformerEncoder
from tinygrad_lite.nn.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer

__all__ = [
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell",
    "AdditiveAttention", "BahdanauAttention", "KVCache", "LearnedPositionalEncoding",
    "LuongAttention", "MultiheadAttention", "SinusoidalPositionalEncoding", "Transformer",
    "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d",
    "Bilinear", "Conv1d", "Conv2d", "CrossEntropyLoss", "Dropout", "ELU", "Embedding", "Flatten",
    "GELU", "HuberLoss", "Identity", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear",
    "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "NLLLoss",
    "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Tanh",
    "Unflatten", "functional", "init", "parallel", "utils",
]
