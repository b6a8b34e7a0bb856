"""What the sequence-to-sequence examples share: batches, the teacher-forcing loop, decoding through
``tl.text.generate`` and exact match (``examples.train_seq2seq``, ``examples.train_translator``).

The interface a model needs (``models.seq2seq.Seq2Seq`` is one):

``model.loss(source_ids, target_ids) -> scalar Tensor``
    source_ids int64 (N, S) and target_ids int64 (N, T), both right-padded with the pad id;
    each target row is ``bos ... eos`` and the model predicts ``target_ids[:, 1:]`` from
    ``target_ids[:, :-1]`` (teacher forcing), ignoring padding.
``model.encode(source_ids) -> memory``
    A Tensor or a tuple of Tensors whose first dimension is the batch (N, ...): everything the
    decoder needs from the source (encoder outputs, padding mask, ...).
``model.decode_step(memory, target_ids[, kv_cache=None]) -> logits (N, t, V)``
    The logits of the token after every prefix of ``target_ids`` (N, t), ``bos`` first. Only the
    last position is used when decoding. A model may take ``kv_cache=`` (an ``nn.KVCache``): it is
    then given only the tokens it has not seen yet and reads its position offset from
    ``kv_cache.length``, as ``tl.text.generate`` does for a language model.

:func:`decoder_over` turns a model and the memory of B sources into the callable ``tl.text.generate``
expects (target ids (N, t) -> logits (N, t, V)). ``generate`` calls it first with the B prompts
(one ``bos`` each); with ``num_beams=K`` every later call has N = B * K rows laid out source by
source (row ``b * K + k`` is beam k of source b), and a beam reorder only moves rows within one
source. So the memory is repeated K times per source (``repeat_interleave`` order) when N = B * K,
and a KV cache's cross-attention entries, filled on the first call, are expanded by ``generate``.
"""
import inspect
import time

import numpy

import tinygrad_lite as tl
from tinygrad_lite import text
from models.training.progress import progress


def exact_match(predicted_texts, target_texts):
    """The share of predictions equal to their target string, in [0, 1]."""
    if len(predicted_texts) != len(target_texts) or not target_texts:
        raise ValueError(f"need as many predictions as targets (> 0), got {len(predicted_texts)} and "
                         f"{len(target_texts)}")
    return sum(p == t for p, t in zip(predicted_texts, target_texts)) / len(target_texts)


def trim_padding(ids, pad_id):
    """``ids`` (N, T) without the trailing columns that are padding in every row (at least one kept)."""
    used = numpy.flatnonzero((ids != pad_id).any(axis=0))
    return ids[:, :max(int(used[-1]) + 1 if used.size else 1, 1)]


def shuffled_batches(source_ids, target_ids, batch_size, rng, pad_id):
    """Mini-batches ``(source (B, S_b), target (B, T_b))`` of int64 arrays in a random order drawn
    from ``rng``, each cut to its own longest row."""
    order = rng.permutation(len(source_ids))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield trim_padding(source_ids[rows], pad_id), trim_padding(target_ids[rows], pad_id)


def train_seq2seq(model, optimizer, source_ids, target_ids, epochs, batch_size, device, pad_id, seed=0,
                  scheduler=None, clip=1.0, evaluate=None, description="seq2seq"):
    """Teacher-forced training of ``model.loss`` on int64 arrays ``source_ids`` (N, S) and
    ``target_ids`` (N, T) for ``epochs`` passes of shuffled mini-batches (gradients clipped to
    norm ``clip``, ``scheduler`` stepped per batch). ``evaluate()`` (optional) returns a dict of
    numbers recorded after each epoch. Returns the per-epoch history: ``epoch``, mean ``train_loss``,
    ``lr``, the epoch's training ``seconds`` and ``cpu_seconds`` (evaluation excluded), then
    ``evaluate()``'s numbers."""
    rng = numpy.random.default_rng(seed)
    history = []
    bar = progress(range(1, epochs + 1), description)
    for epoch in bar:
        start, cpu_start, losses = time.perf_counter(), time.process_time(), []
        model.train()
        for sources, targets in shuffled_batches(source_ids, target_ids, batch_size, rng, pad_id):
            loss = model.loss(tl.tensor(sources, device=device), tl.tensor(targets, device=device))
            optimizer.zero_grad()
            loss.backward()
            tl.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
        record = {"epoch": epoch, "train_loss": float(numpy.mean(losses)), "lr": optimizer.param_groups[0]["lr"],
                  "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu_start}
        record.update(evaluate() if evaluate is not None else {})
        history.append(record)
        bar.set_postfix({key: f"{value:.4g}" for key, value in record.items() if key != "epoch"})
    return history


def _accepts_kv_cache(function):
    return "kv_cache" in inspect.signature(function).parameters


def _memory_rows(memory, rows):
    """Row ``rows[i]`` of every tensor of ``memory`` (a Tensor or a tuple of them)."""
    if isinstance(memory, tl.Tensor):
        return memory[rows]
    return tuple(part[rows] for part in memory)


def decoder_over(model, memory, batch_size):
    """The callable ``tl.text.generate`` decodes with: target ids (N, t) -> ``model.decode_step``
    logits (N, t, V) over ``memory`` (the :meth:`encode` output of ``batch_size`` sources), the
    memory repeated per beam when N = batch_size * num_beams. It takes ``kv_cache=`` exactly when
    the model's ``decode_step`` does."""
    repeated = {batch_size: memory}

    def memory_for(num_rows):
        if num_rows not in repeated:
            if num_rows % batch_size:
                raise ValueError(f"decoding {num_rows} rows over the memory of {batch_size} sources")
            rows = numpy.repeat(numpy.arange(batch_size), num_rows // batch_size)
            repeated[num_rows] = _memory_rows(memory, tl.tensor(rows, dtype=tl.int64))
        return repeated[num_rows]

    if _accepts_kv_cache(model.decode_step):
        def decode_cached(target_ids, kv_cache=None):
            return model.decode_step(memory_for(target_ids.shape[0]), target_ids, kv_cache=kv_cache)
        return decode_cached

    def decode(target_ids):
        return model.decode_step(memory_for(target_ids.shape[0]), target_ids)
    return decode


def translate(model, tokenizer, source_ids, max_new_tokens, device, num_beams=1, batch_size=250):
    """Decode every row of ``source_ids`` (N, S) int64 greedily (``num_beams=1``) or by beam search
    through ``tl.text.generate``, starting from ``tokenizer.bos_id`` and stopping at ``eos_id``;
    returns N strings (special tokens dropped). Runs in eval mode without a graph (the model's
    mode is restored after)."""
    was_training = model.training
    model.eval()
    texts = []
    with tl.no_grad():
        for start in range(0, len(source_ids), batch_size):
            sources = tl.tensor(trim_padding(source_ids[start:start + batch_size], tokenizer.pad_id), device=device)
            decoder = decoder_over(model, model.encode(sources), sources.shape[0])
            prompt = tl.full((sources.shape[0], 1), tokenizer.bos_id, dtype=tl.int64, device=device)
            ids = text.generate(decoder, prompt, max_new_tokens, num_beams=num_beams,
                                eos_token_id=tokenizer.eos_id, pad_token_id=tokenizer.pad_id)
            texts += [tokenizer.decode(row, skip_special_tokens=True) for row in ids.tolist()]
    model.train(was_training)
    return texts


def exact_match_monitor(model, tokenizer, source_ids, target_texts, max_new_tokens, device,
                        key="test_exact_match"):
    """An ``evaluate`` for :func:`train_seq2seq`: ``{key: greedy exact match}`` of ``model`` on
    ``source_ids`` (N, S) against ``target_texts`` (N strings), computed after each epoch."""
    def evaluate():
        predictions = translate(model, tokenizer, source_ids, max_new_tokens, device)
        return {key: exact_match(predictions, target_texts)}
    return evaluate
