"""A BiLSTM sequence tagger with character features, for named-entity recognition (seed 000 #13,
"如何处理 LLM 中的命名实体识别（NER）问题？": how to handle named-entity recognition).

The question lists fine-tuning, transfer and "rules and pattern matching"; the rule side is
:mod:`models.gazetteer`. A tagger that only embeds whole words cannot tag a name it never saw: the
name is ``<unk>`` like any other unknown word. So each word is also read letter by letter: a
character CNN (embeddings -> Conv1d -> ReLU -> max over the word's own characters) gives a vector
that sees capitals, digits, hyphens and suffixes ("-sen", "Corp"), helped by an embedding of each
character's class (upper, lower, digit, other) so a capital letter rare in training names still
reads as a capital. Word dropout replaces training words by ``<unk>`` at random and character
dropout blanks a word's spelling vector, so the network learns to tag from the context as well
instead of memorising the training names. The word vectors and the character vectors are
concatenated and read by a bidirectional LSTM over each sentence's own length (packed, so
padding changes nothing); a Linear maps each position to tag scores. Decoding
(:func:`viterbi_decode`) takes the best tag sequence that is valid BIO (``I-X`` only after ``B-X``
or ``I-X``) instead of each position's argmax, which would let an unknown capitalised first word
become ``I-ORG``: a CRF's constraint without its learned transition scores.

Shapes: ``word_ids`` int64 (B, T) padded with ``word_pad_id``; ``char_ids`` int64 (B, T, L) padded
with ``char_pad_id``; output logits (B, T, num_tags). :func:`encode_sentences` builds both inputs.
"""
import numpy

import tinygrad_lite as tl
from tinygrad_lite import nn
import tinygrad_lite.nn.functional as F


def encode_sentences(sentences, words, chars, max_word_length=20):
    """``(word_ids int64 (N, T), char_ids int64 (N, T, L))`` of token lists ``sentences``.

    ``words`` is a ``tl.text.WordTokenizer`` (tokens are looked up lower-cased; unknown ones get
    ``unk_id``) and ``chars`` a ``tl.text.CharTokenizer``; T is the longest sentence, L the longest
    word cut to ``max_word_length`` characters; both pad with their tokenizer's ``pad_id``.
    """
    lengths = [len(sentence) for sentence in sentences]
    steps = max(lengths + [1])
    tokens = [token for sentence in sentences for token in sentence]
    spelled = [chars.encode(token)[:max_word_length] for token in tokens]
    letters = max([len(one) for one in spelled] + [1])
    rows = numpy.repeat(numpy.arange(len(sentences)), lengths)
    columns = numpy.concatenate([numpy.arange(length) for length in lengths] + [numpy.zeros(0, int)])
    word_ids = numpy.full((len(sentences), steps), words.pad_id, dtype=numpy.int64)
    word_ids[rows, columns] = [words.token_to_id(token.lower()) for token in tokens]
    char_ids = numpy.full((len(sentences), steps, letters), chars.pad_id, dtype=numpy.int64)
    char_ids[rows, columns] = _padded_rows(spelled, letters, chars.pad_id)
    return word_ids, char_ids


def character_classes(chars):
    """int64 (chars.vocab_size,): the class of each id of the ``tl.text.CharTokenizer`` ``chars``:
    0 special token, 1 lower-case letter, 2 upper-case letter, 3 digit, 4 anything else."""
    classes = numpy.zeros(chars.vocab_size, dtype=numpy.int64)
    for char_id in range(chars.vocab_size):
        character = chars.decode([char_id])
        if len(character) == 1:
            classes[char_id] = (1 if character.islower() else 2 if character.isupper()
                                else 3 if character.isdigit() else 4)
    return classes


def bio_constraints(tag_names):
    """``(allowed (K, K) bool, start (K,) bool)``: which tag may follow which (``allowed[previous,
    next]``) and which may begin a sentence, for BIO tag names such as ``("O", "B-PER", "I-PER")``:
    ``I-X`` only after ``B-X`` or ``I-X``, never first; every other tag anywhere."""
    inside = numpy.array([name.startswith("I-") for name in tag_names])
    kinds = [name[2:] for name in tag_names]
    same_kind = numpy.array([[kinds[a] == kinds[b] and tag_names[a] != "O" for b in range(len(kinds))]
                             for a in range(len(kinds))])
    return same_kind | ~inside[None, :], ~inside


def viterbi_decode(log_probs, lengths, allowed, start):
    """Best tag ids (N, T) int64 under the constraints: the path maximising the summed
    ``log_probs`` (N, T, K) over positions < ``lengths`` (N,) among sequences whose first tag is in
    ``start`` and whose every step is ``allowed``; positions past a length hold 0. NumPy arrays in
    and out, vectorised over the batch (the loop runs over time steps)."""
    log_probs = numpy.asarray(log_probs, dtype=numpy.float64)
    count, steps, num_tags = log_probs.shape
    lengths = numpy.asarray(lengths)
    penalty = numpy.where(allowed, 0.0, -numpy.inf)
    score = log_probs[:, 0] + numpy.where(start, 0.0, -numpy.inf)
    back = numpy.zeros((count, steps, num_tags), dtype=numpy.int64)
    for step in range(1, steps):
        candidates = score[:, :, None] + penalty[None]  # (N, previous, next)
        best_previous = candidates.argmax(1)
        running = (step < lengths)[:, None]
        back[:, step] = numpy.where(running, best_previous, numpy.arange(num_tags)[None, :])
        score = numpy.where(running, candidates.max(1) + log_probs[:, step], score)
    path = numpy.zeros((count, steps), dtype=numpy.int64)
    path[:, -1] = score.argmax(1)
    for step in range(steps - 1, 0, -1):
        path[:, step - 1] = back[numpy.arange(count), step, path[:, step]]
    path[numpy.arange(steps)[None, :] >= lengths[:, None]] = 0
    return path


def _padded_rows(sequences, width, pad_id):
    table = numpy.full((len(sequences), width), pad_id, dtype=numpy.int64)
    lengths = numpy.array([len(one) for one in sequences], dtype=numpy.int64)
    if len(sequences):
        table[numpy.arange(width)[None, :] < lengths[:, None]] = numpy.concatenate(
            [numpy.asarray(one, dtype=numpy.int64) for one in sequences] + [numpy.zeros(0, numpy.int64)])
    return table


class CharCNN(nn.Module):
    """One vector per word from its characters: embeddings (char_dim) -> Conv1d (``channels``
    filters, ``kernel_size`` wide, same padding) -> ReLU -> max over the word's characters.
    ``char_ids`` (B, T, L) -> (B, T, channels); a padding word gives zeros.

    ``char_classes`` (optional int64 (char_vocab_size,), :func:`character_classes`) adds an
    embedding of each character's class (lower, upper, digit, other) to its own: a letter seen in
    few training names still reads as "a capital followed by lower-case letters", the shape that
    marks a name in any language written this way.
    """

    def __init__(self, char_vocab_size, char_dim=16, channels=48, kernel_size=3, char_pad_id=0, char_classes=None):
        super().__init__()
        self.char_pad_id = char_pad_id
        self.embedding = nn.Embedding(char_vocab_size, char_dim, padding_idx=char_pad_id)
        self.conv = nn.Conv1d(char_dim, channels, kernel_size, padding=kernel_size // 2)
        self.class_embedding = None if char_classes is None else nn.Embedding(5, char_dim, padding_idx=0)
        self.register_buffer("char_classes", None if char_classes is None else tl.tensor(numpy.asarray(
            char_classes, dtype=numpy.int64)))

    def forward(self, char_ids):
        batch, steps, letters = char_ids.shape
        flat = char_ids.reshape(batch * steps, letters)
        vectors = self.embedding(flat)
        if self.class_embedding is not None:
            vectors = vectors + self.class_embedding(self.char_classes[flat])
        filters = self.conv(vectors.permute(0, 2, 1)).relu()  # (B*T, channels, L)
        # After the ReLU every value is >= 0, so zeroing padding characters keeps them out of the max.
        real = (flat != self.char_pad_id).to(filters.dtype).unsqueeze(1)
        return (filters * real).amax(2).reshape(batch, steps, -1)


class BiLSTMTagger(nn.Module):
    """Word embedding (+ word dropout) and :class:`CharCNN` features -> dropout -> BiLSTM ->
    dropout -> Linear: tag logits (B, T, num_tags) for ``word_ids`` (B, T) and ``char_ids`` (B, T, L).

    ``word_dropout`` is the chance that a training word is read as ``unk_id`` (its characters
    stay) and ``char_dropout`` the chance that its character vector is zeroed (its word id stays):
    with both, a training name often shows neither its identity nor its spelling, and the network
    must learn what the context says (a name after "Senator" is a person); ``dropout`` applies to
    the LSTM's input and output; ``char_classes`` as in :class:`CharCNN`.
    """

    def __init__(self, vocab_size, char_vocab_size, num_tags, word_dim=64, char_dim=16, char_channels=48,
                 hidden_size=64, word_pad_id=0, unk_id=1, char_pad_id=0, word_dropout=0.3, dropout=0.3,
                 char_classes=None, char_dropout=0.0):
        super().__init__()
        self.word_pad_id, self.unk_id, self.word_dropout = word_pad_id, unk_id, word_dropout
        self.char_dropout = char_dropout
        self.word_embedding = nn.Embedding(vocab_size, word_dim, padding_idx=word_pad_id)
        self.chars = CharCNN(char_vocab_size, char_dim, char_channels, char_pad_id=char_pad_id,
                             char_classes=char_classes)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(word_dim + char_channels, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def drop_words(self, word_ids):
        """In training, each real word id becomes ``unk_id`` with probability ``word_dropout``."""
        if not self.training or self.word_dropout == 0:
            return word_ids
        dropped = (tl.rand(*word_ids.shape, device=word_ids.device) < self.word_dropout) & (
            word_ids != self.word_pad_id)
        return tl.where(dropped, tl.full_like(word_ids, self.unk_id), word_ids)

    def drop_spellings(self, spellings):
        """In training, each word's character vector (B, T, C) becomes zeros with probability
        ``char_dropout``, so the tag must then come from the context alone."""
        if not self.training or self.char_dropout == 0:
            return spellings
        keep = tl.rand(*spellings.shape[:2], 1, device=spellings.device) >= self.char_dropout
        return spellings * keep.to(spellings.dtype)

    def forward(self, word_ids, char_ids):
        """Tag logits (B, T, num_tags); positions past a sentence's end hold the Linear's bias."""
        features = tl.cat([self.word_embedding(self.drop_words(word_ids)),
                           self.drop_spellings(self.chars(char_ids))], 2)
        lengths = (word_ids != self.word_pad_id).sum(1).clamp(min=1).numpy(force=True).astype(numpy.int64)
        packed = nn.utils.pack_padded_sequence(self.dropout(features), lengths, batch_first=True,
                                               enforce_sorted=False)
        output, _ = self.lstm(packed)
        states, _ = nn.utils.pad_packed_sequence(output, batch_first=True, total_length=word_ids.shape[1])
        return self.head(self.dropout(states))

    def decode(self, word_ids, char_ids, allowed, start):
        """Best valid tag ids (B, T) int64 NumPy (0 past each sentence's end) by
        :func:`viterbi_decode` over the log-softmax of the logits; ``allowed`` and ``start`` as
        :func:`bio_constraints` returns them. Runs without building a graph."""
        with tl.no_grad():
            log_probs = F.log_softmax(self(word_ids, char_ids), -1).numpy(force=True)
        lengths = (word_ids != self.word_pad_id).sum(1).numpy(force=True)
        return viterbi_decode(log_probs, lengths, allowed, start)

    def loss(self, word_ids, char_ids, tag_ids):
        """Mean cross-entropy over real positions; ``tag_ids`` (B, T) int64, -100 on padding."""
        logits = self(word_ids, char_ids)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tag_ids.reshape(-1), ignore_index=-100)
