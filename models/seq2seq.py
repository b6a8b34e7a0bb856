"""An LSTM encoder-decoder (Seq2Seq) without attention, with additive (Bahdanau) attention or with
multiplicative (Luong) attention: seed 004 #5 (what a Seq2Seq model is: an encoder squeezes the
input into a fixed-length vector a decoder reads, the ``attention=None`` variant) and #6 (attention:
a weighting of the input positions at every output step). The code of #6 scores the encoder outputs
alone, so its weights never change with what the decoder is writing; here the decoder state is the
query. The Transformer answer to #7, #19 and #29 on the same task is :mod:`models.transformer_translator`.

The encoder is a bidirectional LSTM over the source characters (packed, so each direction stops at
the text's own ends). The decoder is an LSTM trained with teacher forcing: it reads the target
shifted right (``bos`` first) and predicts the next character at every step.

* ``attention=None``: the whole source reaches the decoder through one vector, the encoder's final
  states (Cho et al., 2014): it starts the decoder's state and is fed again at every step.
* ``"bahdanau"``: before each step, the previous decoder state scores every encoder output with
  ``nn.AdditiveAttention``; the context vector enters the LSTM with the previous character (so the
  decoder runs one step at a time).
* ``"luong"``: the LSTM runs first, then its output at each step scores the encoder outputs with
  ``nn.LuongAttention`` ("general" score); ``tanh(W [context; state])`` predicts the character
  (global attention without input feeding, so all steps are computed at once).

Shapes: source ids int64 (N, S) and target ids int64 (N, T), padded at the end with ``pad_id``;
logits (N, T, vocab_size); attention weights (N, T, S), zero on source padding.
"""
import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn

ATTENTION_KINDS = (None, "bahdanau", "luong")


class Seq2Seq(nn.Module):
    """Bidirectional LSTM encoder + LSTM decoder with the chosen ``attention`` (one of
    :data:`ATTENTION_KINDS`). Source and target share one vocabulary of ``vocab_size`` ids.

    Decoding interface (used by :mod:`models.training.seq2seq`): :meth:`encode` maps the source
    to a tuple of batch-first tensors (the *memory*), :meth:`decode_step` maps a memory and
    target prefixes to next-character logits."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=64, attention=None, attention_size=None,
                 pad_id=0):
        super().__init__()
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {attention!r}")
        self.attention_kind, self.pad_id, self.hidden_size = attention, pad_id, hidden_size
        self.config = {"vocab_size": vocab_size, "embedding_dim": embedding_dim, "hidden_size": hidden_size,
                       "attention": attention, "attention_size": attention_size, "pad_id": pad_id}
        memory_size = 2 * hidden_size
        self.source_embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.target_embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.encoder = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(memory_size, 2 * hidden_size)  # encoder summary -> decoder (h_0, c_0)
        if attention == "bahdanau":
            self.attention = nn.AdditiveAttention(hidden_size, memory_size, attention_size or hidden_size)
            self.decoder = nn.LSTMCell(embedding_dim + memory_size, hidden_size)
        else:
            self.attention = (nn.LuongAttention(hidden_size, memory_size, score="general")
                              if attention == "luong" else None)
            extra = 0 if attention == "luong" else memory_size
            self.decoder = nn.LSTM(embedding_dim + extra, hidden_size, batch_first=True)
        self.combine = nn.Linear(hidden_size + memory_size, hidden_size)
        self.output = nn.Linear(hidden_size, vocab_size)

    def encode(self, source_ids):
        """The memory of a source batch (N, S): ``(outputs (N, S, 2H), mask (N, S) bool True on
        characters, summary (N, 2H))``, summary = the forward state after the last character and
        the backward state after the first."""
        lengths = (source_ids != self.pad_id).sum(1).clamp(min=1)
        vectors = self.source_embedding(source_ids)
        packed = nn.utils.pack_padded_sequence(vectors, lengths.numpy(force=True).astype(numpy.int64),
                                               batch_first=True, enforce_sorted=False)
        outputs, (h_n, _) = self.encoder(packed)
        outputs, _ = nn.utils.pad_packed_sequence(outputs, batch_first=True, total_length=source_ids.shape[1])
        summary = h_n.permute(1, 0, 2).reshape(source_ids.shape[0], -1)
        return outputs, source_ids != self.pad_id, summary

    def decode_step(self, memory, target_ids):
        """Logits (N, t, vocab_size) of the character after each prefix of ``target_ids`` (N, t)
        (``bos`` first), given the :meth:`encode` memory of the same N rows."""
        return self.decode(memory, target_ids)[0]

    def decode(self, memory, target_ids):
        """``(logits (N, t, vocab_size), attention weights (N, t, S) or None)`` for teacher-forced
        ``target_ids`` (N, t) over the memory of :meth:`encode`."""
        outputs, mask, summary = memory
        h_0, c_0 = self.bridge(summary).tanh().chunk(2, dim=1)
        inputs = self.target_embedding(target_ids)
        if self.attention_kind == "bahdanau":
            states, contexts, weights = self._attend_each_step(inputs, (h_0, c_0), outputs, mask)
        elif self.attention_kind == "luong":
            states, _ = self.decoder(inputs, (h_0.unsqueeze(0), c_0.unsqueeze(0)))
            contexts, weights = self.attention(states, outputs, mask=mask)
        else:
            contexts = summary.unsqueeze(1).expand(-1, target_ids.shape[1], -1)
            states, _ = self.decoder(tl.cat([inputs, contexts], dim=2), (h_0.unsqueeze(0), c_0.unsqueeze(0)))
            weights = None
        return self.output(self.combine(tl.cat([states, contexts], dim=2)).tanh()), weights

    def _attend_each_step(self, inputs, state, outputs, mask):
        """Bahdanau's decoder: at step i the previous state attends, then the cell reads
        [character; context]. Returns states (N, t, H), contexts (N, t, 2H), weights (N, t, S)."""
        states, contexts, weights = [], [], []
        for step in range(inputs.shape[1]):
            context, weight = self.attention(state[0], outputs, mask=mask)
            state = self.decoder(tl.cat([inputs[:, step], context], dim=1), state)
            states.append(state[0])
            contexts.append(context)
            weights.append(weight)
        return tl.stack(states, dim=1), tl.stack(contexts, dim=1), tl.stack(weights, dim=1)

    def forward(self, source_ids, target_ids):
        """``(logits (N, T, vocab_size), attention weights (N, T, S) or None)`` with teacher forcing."""
        return self.decode(self.encode(source_ids), target_ids)

    def loss(self, source_ids, target_ids):
        """Mean cross-entropy of predicting ``target_ids[:, 1:]`` from ``target_ids[:, :-1]`` (targets
        are ``bos ... eos`` then padding, which is ignored)."""
        logits, _ = self(source_ids, target_ids[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target_ids[:, 1:].reshape(-1),
                               ignore_index=self.pad_id)
