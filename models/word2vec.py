"""Word embeddings learned by skip-gram with negative sampling, word2vec's recipe (seed 004 #14:
what a word embedding is and what it is used for).

Every word has two vectors: an input vector ``v`` (used when it is the centre word) and an output
vector ``u`` (used when it is a context word). For an observed pair (centre c, context o) and K
"negative" words k drawn from the unigram distribution raised to 3/4, the loss is

    -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c),

so observed pairs are pulled together and random pairs pushed apart; words seen in similar
contexts end up with similar input vectors, which are the embeddings. Frequent words are
subsampled (word2vec's keep probability ``(sqrt(f / t) + 1) * t / f`` for a word of frequency f)
and each centre word looks at a window of random width 1..window, so near words count more.

Where the document goes wrong: 004 #14 calls the vectors both "high-dimensional" and "dense
low-dimensional" (they are the latter: 64-300 numbers, against a one-hot of vocabulary size), and
its code is a bare ``nn.Embedding`` with no objective: a lookup table learns nothing by itself.

Shapes: centres (B,), contexts (B,), negatives (B, K) int64 ids -> per-pair losses (B,).
"""
import re

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn


class SkipGram(nn.Module):
    """Input (centre) and output (context) embeddings, both (vocab_size, embedding_dim).

    Initialised as word2vec.c: input vectors U(-0.5/d, 0.5/d), output vectors zero, so every
    untrained score is 0 and the untrained loss is (K + 1) log 2 whatever the words."""

    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.vocab_size, self.embedding_dim = vocab_size, embedding_dim
        self.input_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.output_embeddings = nn.Embedding(vocab_size, embedding_dim)
        bound = 0.5 / embedding_dim
        nn.init.uniform_(self.input_embeddings.weight, -bound, bound)
        nn.init.zeros_(self.output_embeddings.weight)

    def forward(self, centres, contexts, negatives):
        """Negative-sampling loss of each pair: centres (B,), contexts (B,), negatives (B, K) -> (B,)."""
        v = self.input_embeddings(centres)                        # (B, D)
        u_context = self.output_embeddings(contexts)              # (B, D)
        u_negative = self.output_embeddings(negatives)            # (B, K, D)
        positive_score = (u_context * v).sum(dim=-1)              # (B,)
        negative_scores = (u_negative @ v.unsqueeze(-1)).squeeze(-1)  # (B, K)
        return -F.logsigmoid(positive_score) - F.logsigmoid(-negative_scores).sum(dim=-1)

    def loss(self, centres, contexts, negatives):
        """Mean negative-sampling loss over the B pairs (a scalar tensor)."""
        return self(centres, contexts, negatives).mean()

    def embeddings(self):
        """The word vectors (vocab_size, embedding_dim) as a NumPy array: the input embeddings."""
        return self.input_embeddings.weight.detach().numpy(force=True).copy()


def token_counts(sentences, vocab_size):
    """How often each id occurs in ``sentences`` (a list of lists of ids): int64 (vocab_size,)."""
    flat = _concatenate(sentences)[0]
    return numpy.bincount(flat, minlength=vocab_size).astype(numpy.int64)


def keep_probabilities(counts, threshold):
    """word2vec.c's subsampling: a word of frequency ``f = count / total`` is kept with probability
    ``min(1, (sqrt(f / t) + 1) * t / f)``; ``threshold`` t None or 0 keeps every word. (vocab,) float64."""
    counts = numpy.asarray(counts, dtype=numpy.float64)
    if not threshold:
        return numpy.ones_like(counts)
    frequency = counts / max(counts.sum(), 1.0)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        keep = (numpy.sqrt(frequency / threshold) + 1.0) * threshold / frequency
    return numpy.where(counts > 0, numpy.minimum(keep, 1.0), 1.0)


def negative_distribution(counts, power=0.75):
    """The noise distribution of negatives: counts ** power, normalised (unseen ids get 0)."""
    weights = numpy.asarray(counts, dtype=numpy.float64) ** power
    return weights / weights.sum()


def skipgram_pairs(sentences, window, rng, keep=None):
    """(centres, contexts) int64 arrays of every skip-gram pair in ``sentences``, vectorised.

    Each token first survives subsampling with probability ``keep[id]`` (None keeps all), then
    draws a window width b in 1..``window`` and pairs with the surviving tokens at distance
    <= b on either side in its own sentence (word2vec's dynamic window)."""
    tokens, sentence_of = _concatenate(sentences)
    if keep is not None:
        survives = rng.random(tokens.size) < keep[tokens]
        tokens, sentence_of = tokens[survives], sentence_of[survives]
    widths = rng.integers(1, window + 1, size=tokens.size)
    offsets = numpy.concatenate([numpy.arange(-window, 0), numpy.arange(1, window + 1)])
    positions = numpy.arange(tokens.size)[:, None] + offsets[None, :]          # (N, 2 * window)
    inside = (positions >= 0) & (positions < tokens.size)
    positions = numpy.clip(positions, 0, max(tokens.size - 1, 0))
    valid = inside & (numpy.abs(offsets)[None, :] <= widths[:, None])
    valid &= sentence_of[positions] == sentence_of[:, None]
    centre_index, slot = numpy.nonzero(valid)
    return tokens[centre_index], tokens[positions[centre_index, slot]]


def _concatenate(sentences):
    """All ids in one int64 array and, for each, the index of its sentence."""
    lengths = numpy.fromiter((len(sentence) for sentence in sentences), dtype=numpy.int64,
                             count=len(sentences))
    if lengths.sum() == 0:
        return numpy.zeros(0, numpy.int64), numpy.zeros(0, numpy.int64)
    tokens = numpy.concatenate([numpy.asarray(sentence, dtype=numpy.int64) for sentence in sentences])
    return tokens, numpy.repeat(numpy.arange(len(sentences)), lengths)


def draw_negatives(distribution, shape, rng):
    """int64 ids of ``shape`` drawn from ``distribution`` (inverse-CDF sampling)."""
    cumulative = numpy.cumsum(distribution)
    draws = rng.random(shape) * cumulative[-1]
    return numpy.searchsorted(cumulative, draws, side="right").clip(0, len(distribution) - 1).astype(numpy.int64)


def nsg_loss(model, centres, contexts, negatives, device="cpu", batch_size=8192):
    """Mean negative-sampling loss of ``model`` on fixed pairs and negatives (NumPy int arrays)."""
    total = 0.0
    with tl.no_grad():
        for start in range(0, len(centres), batch_size):
            stop = start + batch_size
            batch = [tl.tensor(array[start:stop], device=device) for array in (centres, contexts, negatives)]
            total += float(model(*batch).sum().item())
    return total / max(len(centres), 1)


def heldout_pairs(sentences, counts, window=4, negatives=5, subsample=1e-3, seed=0):
    """Fixed evaluation data: ``(centres, contexts, negative ids (P, negatives))`` of ``sentences``
    drawn with ``seed``, subsampled and noise-sampled with the training ``counts``, so the pairs
    follow the distribution the model was trained on."""
    rng = numpy.random.default_rng(seed)
    centres, contexts = skipgram_pairs(sentences, window, rng, keep_probabilities(counts, subsample))
    return centres, contexts, draw_negatives(negative_distribution(counts), (len(centres), negatives), rng)


def train_skipgram(sentences, vocab_size, embedding_dim=64, window=4, negatives=5, epochs=3, lr=0.01,
                   batch_size=1024, seed=0, device="cpu", subsample=1e-3, progress=True, history=None):
    """Train a :class:`SkipGram` on ``sentences`` (a list of lists of token ids) and return it.

    Each epoch draws fresh subsampling (``subsample`` is word2vec's t; None or 0 turns it off),
    window widths, pair order and ``negatives`` noise words per pair (unigram ** 0.75 of these
    sentences' counts), then takes Adam steps on mini-batches of ``batch_size`` pairs. Everything
    random comes from ``seed``. ``history``, when a list, receives ``{"epoch", "train_loss",
    "pairs"}`` per epoch; ``progress`` shows a tqdm bar over epochs.
    """
    rng = numpy.random.default_rng(seed)
    tl.manual_seed(seed)
    model = SkipGram(vocab_size, embedding_dim).to(device)
    counts = token_counts(sentences, vocab_size)
    keep = keep_probabilities(counts, subsample)
    noise = negative_distribution(counts)
    optimizer = tl.optim.Adam(model.parameters(), lr=lr)
    epochs_iter = range(1, epochs + 1)
    if progress:
        from models.training import progress as progress_bar
        epochs_iter = progress_bar(epochs_iter, "word2vec")
    for epoch in epochs_iter:
        centres, contexts = skipgram_pairs(sentences, window, rng, keep)
        order = rng.permutation(len(centres))
        noise_ids = draw_negatives(noise, (len(centres), negatives), rng)
        loss_sum = 0.0
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = [tl.tensor(array, device=device) for array in
                     (centres[rows], contexts[rows], noise_ids[start:start + batch_size])]
            loss = model.loss(*batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.item()) * len(rows)
        train_loss = loss_sum / max(len(order), 1)
        if progress:
            epochs_iter.set_postfix(loss=f"{train_loss:.3f}", pairs=len(order))
        if history is not None:
            history.append({"epoch": epoch, "train_loss": train_loss, "pairs": int(len(order))})
    return model


def word_sentences(tokenizer, text):
    """``text``'s paragraphs (blocks between blank lines) as int64 id arrays of words only: special
    ids (``<unk>`` included, as word2vec drops words under its min_count) and punctuation removed."""
    is_word = numpy.array([token_id >= len(tokenizer.special_tokens) and
                           bool(_WORD.match(tokenizer.id_to_token(token_id)))
                           for token_id in range(tokenizer.vocab_size)])
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text):
        ids = numpy.asarray(tokenizer.encode(paragraph), dtype=numpy.int64)
        ids = ids[is_word[ids]]
        if ids.size > 1:
            sentences.append(ids)
    return sentences


_WORD = re.compile(r"\w")


def pca_2d(vectors):
    """The rows of ``vectors`` (N, D) projected on their two principal axes (SVD of the centred
    rows): (N, 2) float64."""
    centred = numpy.asarray(vectors, dtype=numpy.float64)
    centred = centred - centred.mean(axis=0)
    _, _, axes = numpy.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:2].T


def nearest_neighbours(model, ids, k=5):
    """For each id in ``ids``: ``(neighbour ids (k,), cosine similarities (k,))`` by the input
    embeddings, most similar first, the word itself excluded. Returns two arrays (len(ids), k)."""
    vectors = model.embeddings().astype(numpy.float64)
    unit = vectors / numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    ids = numpy.asarray(ids, dtype=numpy.int64)
    similarity = unit[ids] @ unit.T                                            # (Q, vocab)
    similarity[numpy.arange(len(ids)), ids] = -numpy.inf
    neighbours = numpy.argsort(-similarity, axis=1, kind="stable")[:, :k]
    return neighbours, numpy.take_along_axis(similarity, neighbours, axis=1)
