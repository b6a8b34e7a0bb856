"""BERT: a bidirectional Transformer encoder pretrained by masked-language modelling, then
fine-tuned with a small head (seed 004 #8 and #16: what BERT is; #17: its pretraining; #18: its
fine-tuning; seed 000 #6: pretraining and fine-tuning).

Token, position and segment embeddings are summed, normalised (LayerNorm) and dropped out, then an
``nn.TransformerEncoder`` of GELU blocks reads the whole sequence in both directions; a tanh
pooler turns the first position's vector (the ``[CLS]`` token) into one vector per sequence.
Pretraining (:class:`BertForMaskedLM`, :func:`mask_tokens`) hides 15% of the tokens and predicts
them from both sides; fine-tuning (:class:`BertForSequenceClassification`) puts a Linear on the
pooled vector and trains everything on the task's labels.

Where the documents go wrong: 004 #8/#16/#17 give BERT a Transformer *decoder* and 004 #17 trains
it to "predict the next word"; BERT is encoder-only, and a next-word objective could not be
bidirectional (the answer would be visible). It predicts masked tokens instead. 004 #18 applies
its classifier to every position's output, giving (B, T, classes) logits instead of one
prediction per text; here the classifier reads the pooled ``[CLS]`` vector.

Blocks are post-norm (``x = LayerNorm(x + sublayer(x))``) as in BERT, with BERT's initialisation
(N(0, 0.02) weights, zero biases). ``norm_first=True`` gives pre-norm blocks with a final
LayerNorm instead; ``init_std`` changes the 0.02, which BERT chose for a width of 768 and which
makes a narrow model start slowly (its attention and head begin almost silent).

Shapes: ids (B, T) int64 with T <= max_len, segment_ids (B, T) int64 in [0, n_segments),
attention_mask (B, T) bool (True = a real token) -> hidden (B, T, d_model), pooled (B, d_model);
the MLM head -> logits (B, T, vocab_size); the classifier -> logits (B, num_classes).
"""
import json
import os

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, text

INIT_STD = 0.02
IGNORE_INDEX = -100
TOKENIZER_FILE = "tokenizer.json"
POOLINGS = ("cls", "mean")


class BERT(nn.Module):
    """The encoder: ids (B, T) -> ``(hidden (B, T, d_model), pooled (B, d_model))``.

    ``max_len`` learned positions, ``n_layer`` blocks of ``n_head`` heads with a feed-forward
    width ``d_ff``, ``n_segments`` segment (sentence A/B) embeddings, ``pad_id`` the padding token
    (attention never reads it), ``norm_first`` pre-norm blocks, ``init_std`` the std of the
    initial weights. ``config`` holds the constructor arguments: ``BERT(**config)`` rebuilds the
    same architecture.
    """

    def __init__(self, vocab_size, max_len=128, d_model=128, n_layer=2, n_head=4, d_ff=512, dropout=0.1,
                 n_segments=2, pad_id=0, norm_first=False, init_std=INIT_STD):
        super().__init__()
        self.config = {"vocab_size": vocab_size, "max_len": max_len, "d_model": d_model, "n_layer": n_layer,
                       "n_head": n_head, "d_ff": d_ff, "dropout": dropout, "n_segments": n_segments,
                       "pad_id": pad_id, "norm_first": norm_first, "init_std": init_std}
        self.pad_id = pad_id
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(max_len, d_model)
        self.segment_embedding = nn.Embedding(n_segments, d_model)
        self.embedding_norm = nn.LayerNorm(d_model, eps=1e-12)
        self.embedding_dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, n_head, dim_feedforward=d_ff, dropout=dropout,
                                           activation="gelu", layer_norm_eps=1e-12, batch_first=True,
                                           norm_first=norm_first)
        final_norm = nn.LayerNorm(d_model, eps=1e-12) if norm_first else None
        self.encoder = nn.TransformerEncoder(layer, n_layer, norm=final_norm, enable_nested_tensor=False)
        self.pooler = nn.Linear(d_model, d_model)
        init_bert_weights(self, init_std)

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """``(hidden (B, T, d_model), pooled (B, d_model))`` for int64 ids (B, T).

        ``segment_ids`` default to zeros; ``attention_mask`` (True = real token) defaults to
        ``ids != pad_id``, so padded keys are never attended to.
        """
        length = ids.shape[1]
        if length > self.config["max_len"]:
            raise ValueError(f"BERT: {length} tokens exceed max_len={self.config['max_len']}")
        if segment_ids is None:
            segment_ids = tl.zeros_like(ids)
        if attention_mask is None:
            attention_mask = ids != self.pad_id
        positions = tl.arange(length, device=ids.device)
        x = self.token_embedding(ids) + self.position_embedding(positions) + self.segment_embedding(segment_ids)
        x = self.embedding_dropout(self.embedding_norm(x))
        hidden = self.encoder(x, src_key_padding_mask=attention_mask.logical_not())
        pooled = self.pooler(hidden[:, 0]).tanh()
        return hidden, pooled


def init_bert_weights(module, std=INIT_STD):
    """BERT's initialisation of every submodule of ``module``: N(0, std) (BERT's 0.02) for Linear
    and Embedding weights (the attention projections included), zero biases, LayerNorms 1 and 0."""
    for child in module.modules():
        if isinstance(child, (nn.Linear, nn.Embedding)):
            nn.init.normal_(child.weight, mean=0.0, std=std)
        if isinstance(child, nn.Linear) and child.bias is not None:
            nn.init.zeros_(child.bias)
        if isinstance(child, nn.MultiheadAttention):
            nn.init.normal_(child.in_proj_weight, mean=0.0, std=std)
            nn.init.zeros_(child.in_proj_bias)


class BertForMaskedLM(nn.Module):
    """The pretraining model: BERT, then the MLM head ``dense -> GELU -> LayerNorm -> decoder``
    whose decoder weight *is* the token embedding (one Parameter) plus its own output bias.

    ids (B, T) -> logits (B, T, vocab_size). :meth:`loss` scores only the chosen positions.
    """

    def __init__(self, bert):
        super().__init__()
        d_model, vocab_size = bert.config["d_model"], bert.config["vocab_size"]
        self.bert = bert
        self.transform = nn.Linear(d_model, d_model)
        self.transform_norm = nn.LayerNorm(d_model, eps=1e-12)
        self.decoder = nn.Linear(d_model, vocab_size)
        init_bert_weights(self.transform, bert.config["init_std"])
        self.decoder.weight = bert.token_embedding.weight
        nn.init.zeros_(self.decoder.bias)

    def head(self, hidden):
        """Vocabulary logits (..., vocab_size) for hidden vectors (..., d_model)."""
        return self.decoder(self.transform_norm(F.gelu(self.transform(hidden))))

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """Logits (B, T, vocab_size) at every position."""
        hidden, _ = self.bert(ids, segment_ids, attention_mask)
        return self.head(hidden)

    def loss(self, inputs, labels, segment_ids=None, attention_mask=None):
        """Mean cross-entropy over the positions whose label is not -100 (``labels`` int64 (B, T),
        as :func:`mask_tokens` makes them). Only those rows go through the vocabulary projection,
        the largest matrix product of the model (~15% of the positions instead of all)."""
        hidden, _ = self.bert(inputs, segment_ids, attention_mask)
        rows, targets = _chosen_rows(labels)
        chosen = hidden.reshape(-1, hidden.shape[-1])[tl.tensor(rows, device=hidden.device)]
        return F.cross_entropy(self.head(chosen), tl.tensor(targets, device=hidden.device))

    def predict_masked(self, inputs, labels, segment_ids=None, attention_mask=None):
        """``(predicted ids, true ids)``, int64 NumPy arrays (M,), at the M chosen positions of
        ``labels`` (eval mode, no graph)."""
        was_training = self.training
        self.eval()
        with tl.no_grad():
            hidden, _ = self.bert(inputs, segment_ids, attention_mask)
            rows, targets = _chosen_rows(labels)
            chosen = hidden.reshape(-1, hidden.shape[-1])[tl.tensor(rows, device=hidden.device)]
            predicted = self.head(chosen).argmax(-1).numpy(force=True)
        self.train(was_training)
        return predicted, targets


def _chosen_rows(labels):
    """Flat row indices and target ids (int64 NumPy) of the positions where ``labels`` != -100."""
    flat = labels.numpy(force=True).reshape(-1) if isinstance(labels, tl.Tensor) else numpy.asarray(labels).reshape(-1)
    rows = numpy.flatnonzero(flat != IGNORE_INDEX)
    if len(rows) == 0:
        raise ValueError("no position is chosen (every label is -100)")
    return rows, flat[rows].astype(numpy.int64)


class BertForSequenceClassification(nn.Module):
    """Fine-tuning: one vector per text -> dropout -> Linear: ids (B, T) -> logits (B, num_classes).

    ``pooling="cls"`` reads BERT's tanh-pooled ``[CLS]`` vector; ``"mean"`` averages the final
    hidden states over the real tokens (``attention_mask``). Without next-sentence prediction the
    pooler and the ``[CLS]`` position are never trained to summarise a text during masked-LM
    pretraining, while every position's hidden state is: the mean is what carries the pretrained
    features into a classifier trained on few labels.
    """

    def __init__(self, bert, num_classes, dropout=0.1, pooling="cls"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        self.bert = bert
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(bert.config["d_model"], num_classes)
        init_bert_weights(self.classifier, bert.config["init_std"])

    def forward(self, ids, segment_ids=None, attention_mask=None):
        """Logits (B, num_classes) for int64 ids (B, T)."""
        if attention_mask is None:
            attention_mask = ids != self.bert.pad_id
        hidden, pooled = self.bert(ids, segment_ids, attention_mask)
        if self.pooling == "mean":
            pooled = masked_mean(hidden, attention_mask)
        return self.classifier(self.dropout(pooled))


def masked_mean(hidden, attention_mask):
    """Mean of ``hidden`` (B, T, D) over the positions where ``attention_mask`` (B, T) is True -> (B, D)."""
    weights = attention_mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def mask_tokens(ids, vocab_size, mask_id, special_ids, rng, probability=0.15):
    """BERT's masking of int ids (any shape, NumPy) -> ``(inputs, labels)``, int64, same shape.

    Each token that is not in ``special_ids`` is chosen with ``probability``; a chosen token
    becomes ``mask_id`` 80% of the time, a random non-special id 10% and stays itself 10% (so the
    model cannot learn that only ``[MASK]`` needs predicting). ``labels`` hold the original id at
    chosen positions and -100 elsewhere. ``rng`` is a ``numpy.random.Generator``.
    """
    ids = numpy.asarray(ids, dtype=numpy.int64)
    chosen = (rng.random(ids.shape) < probability) & ~numpy.isin(ids, list(special_ids))
    labels = numpy.where(chosen, ids, IGNORE_INDEX)
    action = rng.random(ids.shape)
    ordinary = numpy.setdiff1d(numpy.arange(vocab_size), list(special_ids))
    random_ids = ordinary[rng.integers(0, len(ordinary), size=ids.shape)]
    inputs = numpy.where(chosen & (action < 0.8), mask_id, ids)
    inputs = numpy.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs.astype(numpy.int64), labels.astype(numpy.int64)


def bert_inputs(tokenizer, texts, max_len):
    """Classification inputs: each text as ``[CLS] tokens`` (``tokenizer.bos_id`` plays [CLS]) cut
    to ``max_len`` ids -> ``(ids int64 (N, T) padded with pad_id, T the longest row, lengths (N,))``."""
    rows = [[tokenizer.bos_id, *tokenizer.encode(one)][:max_len] for one in texts]
    lengths = numpy.array([len(row) for row in rows], dtype=numpy.int64)
    ids = numpy.full((len(rows), int(lengths.max(initial=1))), tokenizer.pad_id, dtype=numpy.int64)
    for index, row in enumerate(rows):  # once per dataset, not in a training loop
        ids[index, :len(row)] = row
    return ids, lengths


def save_pretrained(path, bert, tokenizer, pretraining=None):
    """Save ``bert`` as ``{"config", "bert" (state dict), "tokenizer" (file name), "pretraining"}``
    at ``path`` (``tl.save``) with ``tokenizer`` as ``tokenizer.json`` beside it. ``pretraining``
    is a dict of plain values saying what text the model read (:func:`pretraining_provenance`)."""
    folder = os.path.dirname(os.path.abspath(path))
    tokenizer.save(os.path.join(folder, TOKENIZER_FILE))
    tl.save({"config": dict(bert.config), "bert": bert.state_dict(), "tokenizer": TOKENIZER_FILE,
             "pretraining": dict(pretraining or {})}, path)


def pretraining_provenance(path):
    """The ``pretraining`` dict a checkpoint was saved with (``{}`` when it has none)."""
    return dict(tl.load(path).get("pretraining") or {})


def load_pretrained(path, device="cpu"):
    """``(bert, tokenizer)`` from a checkpoint :func:`save_pretrained` wrote (the tokenizer's
    class is read from its file)."""
    state = tl.load(path, map_location=device)
    bert = BERT(**state["config"]).to(device)
    bert.load_state_dict(state["bert"])
    tokenizer_path = os.path.join(os.path.dirname(os.path.abspath(path)), state["tokenizer"])
    with open(tokenizer_path, encoding="utf-8") as file:
        kind = json.load(file).get("type")
    if not hasattr(text, str(kind)):
        raise ValueError(f"{tokenizer_path}: unknown tokenizer type {kind!r}")
    return bert, getattr(text, kind).load(tokenizer_path)
