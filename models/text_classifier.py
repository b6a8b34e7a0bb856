"""Text classifiers over word ids: the mean of the word embeddings, or an (bi)LSTM that reads them
(seed 004 #12 embeddings as a model's first layer, #28 bidirectional LSTM, 000 #7 text classification).

The questions show an ``nn.Embedding`` whose output goes straight into a layer with no notion of
padding, so a batch's padding changes its predictions. Here every model takes padded ids and the
padding id, and padding has no effect: the mean divides by each text's own length, and the LSTM
reads a packed batch (``pack_padded_sequence``), so each direction starts and stops at the text's
own ends. The convolutional model of the same family is :mod:`models.text_cnn`.

Shapes: input int64 ids (N, T), padded at the end with ``padding_id``; output logits (N, num_classes).
The embeddings may start from a given (vocab_size, embedding_dim) array (e.g. word2vec vectors).
"""
import numpy

import tinygrad_lite as tl
from tinygrad_lite import nn


def token_embedding(vocab_size, embedding_dim, padding_id, embeddings=None):
    """An ``nn.Embedding`` (trainable), PyTorch-initialised or copied from ``embeddings`` (a
    (vocab_size, embedding_dim) array); the padding row is zero either way."""
    if embeddings is None:
        return nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_id)
    embeddings = numpy.array(embeddings, dtype=numpy.float32)
    if embeddings.shape != (vocab_size, embedding_dim):
        raise ValueError(f"embeddings must be ({vocab_size}, {embedding_dim}), got {embeddings.shape}")
    embeddings[padding_id] = 0.0
    return nn.Embedding.from_pretrained(tl.tensor(embeddings), freeze=False, padding_idx=padding_id)


def padding_mask(ids, padding_id, dtype):
    """``(mask (N, T) of 1.0 on words and 0.0 on padding, lengths (N,) >= 1)`` in ``dtype``; an
    all-padding row counts as length 1 so nothing divides by zero."""
    mask = (ids != padding_id).to(dtype)
    return mask, mask.sum(1).clamp(min=1.0)


class MeanEmbeddingClassifier(nn.Module):
    """The average of a text's word embeddings, then dropout and a Linear (a fastText-style bag
    of words: word order is ignored)."""

    def __init__(self, vocab_size, embedding_dim, num_classes, padding_id=0, dropout=0.0,
                 embeddings=None):
        super().__init__()
        self.padding_id = padding_id
        self.embedding = token_embedding(vocab_size, embedding_dim, padding_id, embeddings)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(embedding_dim, num_classes)

    def features(self, ids):
        """The mean embedding of each text's words, (N, embedding_dim); padding excluded."""
        vectors = self.embedding(ids)
        mask, lengths = padding_mask(ids, self.padding_id, vectors.dtype)
        return (vectors * mask.unsqueeze(2)).sum(1) / lengths.unsqueeze(1)

    def forward(self, ids):
        """Logits (N, num_classes) for padded ids (N, T)."""
        return self.head(self.dropout(self.features(ids)))


class RecurrentTextClassifier(nn.Module):
    """Embeddings -> LSTM over each text's own length -> final hidden state(s) -> Linear.

    ``bidirectional`` concatenates the top layer's forward state after the last word and backward
    state after the first word, (N, 2 * hidden_size). ``dropout`` applies to the embeddings, between
    stacked layers and before the Linear.
    """

    def __init__(self, vocab_size, embedding_dim, hidden_size, num_classes, padding_id=0,
                 num_layers=1, bidirectional=False, dropout=0.0, embeddings=None):
        super().__init__()
        self.padding_id = padding_id
        self.embedding = token_embedding(vocab_size, embedding_dim, padding_id, embeddings)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * self.lstm.num_directions, num_classes)

    def features(self, ids):
        """The top layer's final hidden state(s), (N, num_directions * hidden_size)."""
        vectors = self.dropout(self.embedding(ids))
        _, lengths = padding_mask(ids, self.padding_id, vectors.dtype)
        lengths = lengths.numpy(force=True).astype(numpy.int64)  # packing plans on the host
        packed = nn.utils.pack_padded_sequence(vectors, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        # h_n is (num_layers * directions, N, H) with the top layer last.
        top = h_n[-self.lstm.num_directions:]
        return top.permute(1, 0, 2).reshape(ids.shape[0], -1)

    def forward(self, ids):
        """Logits (N, num_classes) for padded ids (N, T)."""
        return self.head(self.dropout(self.features(ids)))
