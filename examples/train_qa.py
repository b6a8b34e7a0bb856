"""Extractive question answering: a BERT span predictor reads generated biographies and answers
questions about people it never saw.

The task (``models.data.qa``): 2-4 sentences about two people, where and when they were born,
what they founded, where they moved; a question about one fact whose answer is a span of the
context. Test contexts use people, places, organisations and dates that never occur in training,
so the score is exact match on unseen names; validation questions (--num-valid) use names held out
of the training names, so choices are made without the test. The model (``models.span_qa``, seed
000 #7) is BERT with a start/end head over the context tokens, the end scored given the start
(--end-given-start), trained with AdamW, warm-up and cosine decay; the answer is the best span of
at most --max-answer-length tokens, widened to whole whitespace-separated words (as BERT's SQuAD
decoding does), so a name with a hyphen or an apostrophe comes back whole. The baseline answers
with the context's first entity of the kind the question word asks for (where: place, when: date, ...).

By default a small BERT starts from random weights (position embeddings as sinusoids) over word
tokens learned on the training texts, so every test name is ``<unk>``. Two things let it read
anyway: context words that also occur in the question get their own segment id (DrQA's
exact-match feature, computed from the text, so it marks an unknown name as well as a known one),
and training replaces each word type of an example by ``<unk>`` with probability --name-dropout for
name-shaped words (capitalised wherever they occur, month names and numbers excepted, so a date
still reads as a date), so unknown words at the entity positions, whole names hidden at once, are
what the model learns to expect; other words only with the small --word-dropout, since the words
that say which fact is asked and where it is ("where", "when", "born", "in", "on") are never
unknown in a test question (hiding half of them costs 6-11 points of validation exact match:
the model then answers "Where was ... born?" with a date). ``--word-shapes 1`` also puts each
word's shape (lower case, Capitalised, number, punctuation, punctuation inside a word) into its
segment id, so an unknown year and an unknown place read differently; it is off by default because
validation exact match was lower with it (0.974/0.966/0.966 against 0.986/0.974/0.974, seeds 0-2).
``--pretrained`` starts instead from ``examples.pretrain_bert``'s checkpoint and its BPE tokenizer.

    python -m examples.train_qa                         # random init, word tokens; out/train_qa/
    python -m examples.train_qa --pretrained out/pretrain_bert/bert.ckpt
    python -m examples.train_qa --tokenizer bpe         # BPE pieces: unseen names split into known pieces
    python -m examples.train_qa --data my_qa.jsonl      # {"context", "question", "answer"} per line
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_qa.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import nn, optim, text
from models.bert import BERT, load_pretrained
from models.data.qa import (NUM_SEGMENTS, drop_words, encode_examples, first_entity_baseline, make_qa_task,
                            name_shaped_ids, span_answer, squad_scores)
from models.span_qa import BertForQuestionAnswering, best_span, init_sinusoidal_positions
from models.training import RunFolder, example_parser, plot_curves, progress, setup
from models.training.language_model import warmup_cosine

TOKENIZERS = {"bpe": text.BPETokenizer, "word": text.WordTokenizer, "char": text.CharTokenizer}


def build_tokenizer(kind, texts, vocab_size):
    """A ``kind`` tokenizer trained on ``texts`` (BPE with ``vocab_size`` ids)."""
    if kind == "bpe":
        return text.BPETokenizer.train(texts, vocab_size=vocab_size)
    return TOKENIZERS[kind].train(texts)


def widen_segments(bert, n_segments):
    """Give a 2-segment BERT ``n_segments`` segment embeddings (id ``part + 3 * shape``, part 2 for
    context words found in the question), each starting as a copy of its part's question or context
    row, so the pretrained model reads the same at step 0."""
    if bert.config["n_segments"] >= n_segments:
        return bert
    old = bert.segment_embedding.weight.detach().numpy(force=True)
    bert.segment_embedding = nn.Embedding(n_segments, old.shape[1])
    with tl.no_grad():
        bert.segment_embedding.weight.copy_(tl.tensor(old[numpy.minimum(numpy.arange(n_segments) % 3, 1)]))
    bert.config["n_segments"] = n_segments
    return bert


def batches(features, rows, device, drop=None):
    """``(ids, segment_ids, context_mask, starts, ends)`` tensors of ``rows``, cut to their longest
    row; ``drop(ids) -> ids`` (word dropout) is applied to the ids when given."""
    width = int(features.lengths[rows].max())
    ids = features.ids[rows, :width]
    ids = drop(ids) if drop is not None else ids
    arrays = (ids, features.segment_ids[rows, :width], features.context_mask[rows, :width])
    return (*(tl.tensor(array, device=device) for array in arrays),
            tl.tensor(features.starts[rows], device=device), tl.tensor(features.ends[rows], device=device))


def predict(model, features, examples, args):
    """The model's answer text (or None) for every example, in batches, eval mode."""
    model.eval()
    answers = []
    with tl.no_grad():
        for first in range(0, len(examples), 256):
            rows = numpy.arange(first, min(first + 256, len(examples)))
            ids, segments, mask, _, _ = batches(features, rows, args.device)
            starts, ends = best_span(*model(ids, segments, mask), args.max_answer_length)
            answers += [span_answer(examples[row], features.token_words[row], start, end)
                        for row, start, end in zip(rows, starts.tolist(), ends.tolist())]
    model.train()
    return answers


def main(argv=None):
    """Train the span predictor; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=6, lr=3e-3, batch_size=32, data_help=(
        'your own JSON-lines file: {"context": ..., "question": ..., "answer": ...} per line, the answer '
        'a substring of the context (optional "entities": [[kind, start, end], ...] feed the baseline); '
        "split 80/20 with the seed"))
    parser.add_argument("--pretrained", default=None,
                        help="start from this pretrain_bert checkpoint (bert.ckpt, tokenizer beside it) "
                             "instead of random weights")
    parser.add_argument("--tokenizer", choices=sorted(TOKENIZERS), default="word",
                        help="tokens of a randomly initialised BERT (a pretrained one brings its own BPE)")
    parser.add_argument("--vocab-size", type=int, default=600, help="BPE vocabulary size (special tokens included)")
    parser.add_argument("--num-train", type=int, default=20000,
                        help="generated training questions (each epoch re-draws the word dropout)")
    parser.add_argument("--num-test", type=int, default=500, help="generated test questions (unseen names)")
    parser.add_argument("--num-valid", type=int, default=500,
                        help="generated validation questions (names unseen in training and in the test)")
    parser.add_argument("--d-model", type=int, default=64, help="BERT width (random init)")
    parser.add_argument("--layers", type=int, default=2, help="BERT blocks (random init)")
    parser.add_argument("--heads", type=int, default=4, help="attention heads (random init)")
    parser.add_argument("--max-length", type=int, default=128, help="tokens per [CLS] question [SEP] context [SEP]")
    parser.add_argument("--max-answer-length", type=int, default=12, help="longest answer span in tokens")
    parser.add_argument("--norm-first", type=int, default=1, choices=(0, 1),
                        help="1: pre-norm blocks (train faster from random weights); 0: BERT's post-norm")
    parser.add_argument("--mark-matches", type=int, default=1, choices=(0, 1),
                        help="1: context words that occur in the question get segment id 2 (exact-match feature)")
    parser.add_argument("--word-shapes", type=int, default=0, choices=(0, 1),
                        help="1: each word's shape (lower, Capitalised, number, punctuation, punctuation inside a "
                             "word) joins its segment id, so an unknown year and an unknown place read differently")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="BERT's dropout (random init; fresh generated examples need little)")
    parser.add_argument("--word-dropout", type=float, default=0.2,
                        help="training: probability that a word type of an example becomes <unk> everywhere in it "
                             "(kept small: question and function words are never unknown at test time)")
    parser.add_argument("--name-dropout", type=float, default=0.9,
                        help="the same for name-shaped words (capitalised wherever they occur, inside a sentence "
                             "at least once, not a month name), so both words of a two-word name are mostly hidden "
                             "together, as every test name is")
    parser.add_argument("--hide-numbers", type=int, default=0, choices=(0, 1),
                        help="1: numbers (days, years) count as name-shaped for --name-dropout; 0: they keep "
                             "--word-dropout, so dates stay readable and only names look unseen")
    parser.add_argument("--end-given-start", type=int, default=1, choices=(0, 1),
                        help="1: end logits conditioned on the start (a bilinear start-end term), trained with the "
                             "gold start")
    parser.add_argument("--warmup", type=int, default=100, help="linear warm-up steps")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_qa")

    # Data: generated questions (test names unseen) or the user's file; tokens from train only.
    task = make_qa_task(args.num_train, args.num_test, seed=args.seed, data=args.data, num_valid=args.num_valid)
    n_segments = NUM_SEGMENTS if args.word_shapes else 3 if args.mark_matches else 2
    if args.pretrained:
        bert, tokenizer = load_pretrained(args.pretrained, args.device)
        bert = widen_segments(bert, n_segments)
        args.max_length = min(args.max_length, bert.config["max_len"])
    else:
        tokenizer = build_tokenizer(args.tokenizer, [one.question + "\n" + one.context for one in task.train],
                                    args.vocab_size)
        bert = BERT(tokenizer.vocab_size, max_len=args.max_length, d_model=args.d_model, n_layer=args.layers,
                    n_head=args.heads, d_ff=4 * args.d_model, dropout=args.dropout, pad_id=tokenizer.pad_id,
                    n_segments=n_segments, norm_first=bool(args.norm_first))
        init_sinusoidal_positions(bert)
    train, test, valid = (encode_examples(tokenizer, examples, args.max_length, args.mark_matches, args.word_shapes)
                          if examples else None for examples in (task.train, task.test, task.valid))
    answerable = numpy.flatnonzero(train.starts > 0)  # truncation may cut an answer off
    print(f"{len(task.train)} train, {len(task.valid)} validation, {len(task.test)} test questions; "
          f"{type(tokenizer).__name__} vocabulary {tokenizer.vocab_size}, up to {train.ids.shape[1]} tokens")

    # Baseline: the first entity of the kind the question word asks for.
    baseline_em, baseline_f1 = squad_scores([first_entity_baseline(one) for one in task.test],
                                            [one.answer for one in task.test])

    # Model: BERT (pretrained or random) with a start/end head; AdamW, warm-up then cosine.
    model = BertForQuestionAnswering(bert, end_given_start=bool(args.end_given_start)).to(args.device)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps_per_epoch = -(-len(answerable) // args.batch_size)
    scheduler = warmup_cosine(optimizer, args.warmup, args.epochs * steps_per_epoch, final_factor=0.0)
    rng = numpy.random.default_rng(args.seed)
    special_ids = [tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id]
    rates = numpy.full(tokenizer.vocab_size, args.word_dropout)
    rates[name_shaped_ids(tokenizer, task.train, bool(args.hide_numbers))] = args.name_dropout
    drop = lambda ids: drop_words(ids, rates, rng, tokenizer.unk_id, special_ids)  # noqa: E731

    # Train: shuffled mini-batches; test exact match after every epoch.
    history, start, cpu_start = [], time.perf_counter(), time.process_time()
    bar = progress(range(1, args.epochs + 1), "BERT QA")
    for epoch in bar:
        total = 0.0
        for rows in numpy.array_split(rng.permutation(answerable), steps_per_epoch):
            loss = model.loss(*batches(train, rows, args.device, drop))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(rows)
        exact, f1 = squad_scores(predict(model, test, task.test, args), [one.answer for one in task.test])
        valid_exact = (squad_scores(predict(model, valid, task.valid, args), [one.answer for one in task.valid])[0]
                       if task.valid else None)
        history.append({"epoch": epoch, "train_loss": total / len(answerable), "valid_exact_match": valid_exact,
                        "exact_match": exact, "f1": f1, "seconds": round(time.perf_counter() - start, 2)})
        bar.set_postfix(loss=f"{total / len(answerable):.4f}", valid_exact_match=f"{valid_exact or 0:.4f}")
    cpu_seconds = time.process_time() - cpu_start

    # Evaluate: exact match and F1 on unseen names, beside the baseline; a few answers shown.
    predictions = predict(model, test, task.test, args)
    exact, f1 = squad_scores(predictions, [one.answer for one in task.test])
    results = {"exact_match": exact, "f1": f1, "baseline_exact_match": baseline_em, "baseline_f1": baseline_f1,
               **({"valid_exact_match": history[-1]["valid_exact_match"]} if task.valid else {}),
               "init": "pretrained" if args.pretrained else "random", "train_cpu_seconds": cpu_seconds}
    print(f"\n{'':<22}{'exact match':>12}{'F1':>8}")
    print(f"{'BERT span predictor':<22}{exact:>12.4f}{f1:>8.4f}")
    print(f"{'first entity of kind':<22}{baseline_em:>12.4f}{baseline_f1:>8.4f}")
    for example, answer in list(zip(task.test, predictions))[:3]:
        print(f"\n{example.context}\nQ: {example.question}\nA: {answer!r} (gold {example.answer!r})")

    # Save: metrics, history, curves, the model with its tokenizer, and the graph of one loss.
    run.write_metrics(results)
    run.write_history(history)
    plot_curves(run.file("exact_match.png"), {"BERT span predictor": [row["exact_match"] for row in history],
                                              "baseline": [baseline_em] * len(history)},
                "QA on unseen names: test exact match", ylabel="exact match")
    plot_curves(run.file("loss.png"), {"train": [row["train_loss"] for row in history]},
                "QA: training loss (mean of start and end cross-entropy)", ylabel="loss", log_y=True)
    tokenizer.save(run.file("tokenizer.json"))
    tl.save({"config": bert.config, "end_given_start": bool(args.end_given_start), "model": model.state_dict(),
             "tokenizer": "tokenizer.json"}, run.file("model.ckpt"))
    run.save_graph(model.loss(*batches(train, answerable[:4], args.device)), model)
    return results


if __name__ == "__main__":
    main()
