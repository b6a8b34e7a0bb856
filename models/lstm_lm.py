"""A recurrent language model: embedding -> multi-layer LSTM -> tied output layer (seed 004 #11:
what a language model is and how it works; seed 000 #1: the embedding layer of an LLM).

At every position the model scores each vocabulary entry as the next token,
p(x_t | x_<t) = softmax(logits[:, t - 1]), from the LSTM's state after reading x_0..x_{t-1}.
Dropout is applied to the embeddings, between LSTM layers and before the output layer (Zaremba et
al.); the output layer's weight *is* the embedding matrix (Press & Wolf's weight tying), which
needs the LSTM's output width to equal ``embedding_dim``: when ``hidden_size`` differs, a linear
projection (hidden -> embedding, no bias) sits before the tied layer.

Where the document goes wrong: 004 #11 predicts only from ``output[-1]`` (one target per
sequence instead of T), its LSTM is sequence-first while the example feeds no batch layout, and
its LogSoftmax output cannot feed ``CrossEntropyLoss`` (that would apply log-softmax twice).

Shapes: ids (B, T) int64 -> logits (B, T, vocab_size); the recurrent state is
(h, c), each (num_layers, B, hidden_size), returned with ``return_state=True`` and passed back as
``state`` to continue a sequence (truncated backpropagation through time, or generation).
"""
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn

INIT_RANGE = 0.1


class LSTMLanguageModel(nn.Module):
    """Embedding(V, E) -> dropout -> LSTM(E, H, num_layers) -> dropout -> [Linear(H, E)] -> Linear(E, V).

    ``tie_weights=True`` makes ``decoder.weight`` the same Parameter as ``embedding.weight`` (and
    adds the ``projection`` when ``hidden_size != embedding_dim``); ``tie_weights=False`` gives the
    decoder its own (V, H) weight. Initialised as PyTorch's word-language-model example: embedding
    and decoder weights U(-0.1, 0.1), decoder bias 0, LSTM weights PyTorch's default.
    """

    def __init__(self, vocab_size, embedding_dim, hidden_size, num_layers=2, dropout=0.2, tie_weights=True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        needs_projection = tie_weights and hidden_size != embedding_dim
        self.projection = nn.Linear(hidden_size, embedding_dim, bias=False) if needs_projection else None
        self.decoder = nn.Linear(embedding_dim if tie_weights else hidden_size, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        self._init_weights()

    def _init_weights(self):
        nn.init.uniform_(self.embedding.weight, -INIT_RANGE, INIT_RANGE)
        nn.init.uniform_(self.decoder.weight, -INIT_RANGE, INIT_RANGE)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, ids, state=None, return_state=False):
        """Logits (B, T, vocab_size) for int64 ids (B, T); with ``return_state``, ``(logits, (h, c))``.

        ``state`` is the (h, c) a previous call returned (zeros when None), each
        (num_layers, B, hidden_size): the ids then continue that sequence.
        """
        output, state = self.lstm(self.dropout(self.embedding(ids)), state)
        output = self.dropout(output)
        if self.projection is not None:
            output = self.projection(output)
        logits = self.decoder(output)
        return (logits, state) if return_state else logits

    def loss(self, ids, targets):
        """Mean next-token cross-entropy: ids (B, T), targets (B, T) (usually ids shifted by one) -> scalar."""
        logits = self(ids)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
