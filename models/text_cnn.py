"""TextCNN (Kim 2014): parallel 1-D convolutions over word embeddings, max over time, dropout, Linear
(seed 004 #12 embeddings feeding a network, 000 #7 text classification; the 1-D CNN of issue 11).

Each width k (3, 4, 5 by default) has ``num_filters`` detectors of k-word phrases; a text's score
for a detector is its best match anywhere in the text (max-over-time pooling), so the features
do not depend on the text's length. Padding never counts: padded positions' embeddings are zeroed,
the sequence is extended by ``max(widths) - 1`` zero steps so a short text still fills every
window, and only windows that start on a word take part in the max.

Shapes: input int64 ids (N, T), padded at the end with ``padding_id``; output logits (N, num_classes).
The embeddings may start from a given (vocab_size, embedding_dim) array (e.g. word2vec vectors).
"""
import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from models.text_classifier import padding_mask, token_embedding


class TextCNN(nn.Module):
    """Embeddings -> Conv1d per width (ReLU) -> max over time -> concatenate -> dropout -> Linear."""

    def __init__(self, vocab_size, embedding_dim, num_classes, padding_id=0, widths=(3, 4, 5),
                 num_filters=100, dropout=0.5, embeddings=None):
        super().__init__()
        self.padding_id = padding_id
        self.widths = tuple(widths)
        self.embedding = token_embedding(vocab_size, embedding_dim, padding_id, embeddings)
        self.convs = nn.ModuleList([nn.Conv1d(embedding_dim, num_filters, width) for width in self.widths])
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(num_filters * len(self.widths), num_classes)

    def features(self, ids):
        """The max-pooled filter responses, (N, len(widths) * num_filters)."""
        vectors = self.embedding(ids)
        mask, _ = padding_mask(ids, self.padding_id, vectors.dtype)
        steps = ids.shape[1]
        # (N, D, T + max width - 1): zero steps after the text so every start position has a window.
        channels = F.pad((vectors * mask.unsqueeze(2)).transpose(1, 2), (0, max(self.widths) - 1))
        # ReLU responses are >= 0, so zeroing windows that start on padding keeps them out of the max
        # (position 0 always counts, so an all-padding row still pools to something finite).
        starts = mask.clone()
        starts[:, 0] = 1.0
        pooled = [(F.relu(conv(channels)[:, :, :steps]) * starts.unsqueeze(1)).amax(2) for conv in self.convs]
        return tl.cat(pooled, 1)

    def forward(self, ids):
        """Logits (N, num_classes) for padded ids (N, T)."""
        return self.head(self.dropout(self.features(ids)))
