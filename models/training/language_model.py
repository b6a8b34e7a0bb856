"""What the language-model examples share: tokens, random blocks, perplexity, the loop, samples.

``examples.train_lstm_lm`` and ``examples.train_gpt`` differ only in their model; the data
(a tokenizer trained on the train split only), the nanoGPT-style batches (random contiguous
blocks), the warm-up + cosine schedule, the training loop with its checkpoints, the perplexity
evaluation and the generation of one sample per decoding strategy live here once.
"""
import math
import time
from typing import NamedTuple

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import optim, text
from models.training.cli import example_parser
from models.training.plots import plot_curves
from models.training.progress import progress

TOKENIZERS = {"char": text.CharTokenizer, "bpe": text.BPETokenizer}

# name -> generate() keyword arguments: one sample per decoding strategy (seed 000 #5, 004 #13).
STRATEGIES = {
    "greedy": {},
    "temperature 0.8": {"do_sample": True, "temperature": 0.8},
    "top-k 10": {"do_sample": True, "top_k": 10},
    "top-p 0.9": {"do_sample": True, "top_p": 0.9},
    "beam search 4": {"num_beams": 4},
}


class TokenSplits(NamedTuple):
    """The tokenizer (trained on ``train`` only) and each split's ids as int64 NumPy arrays (N,)."""

    tokenizer: object
    train: numpy.ndarray
    valid: numpy.ndarray
    test: numpy.ndarray


def language_model_parser(description, epochs, lr, batch_size, block_size, steps_per_epoch=100):
    """:func:`example_parser` plus the language models' flags: tokens, blocks, steps per epoch,
    evaluation size, schedule, clipping and the sample's prompt and length."""
    parser = example_parser(description, epochs, lr=lr, batch_size=batch_size, data_help=(
        "your own UTF-8 text file instead of the standard library's docstrings: its first 90%% of "
        "paragraphs train, the next 5%% validate, the last 5%% test"))
    parser.add_argument("--tokenizer", choices=sorted(TOKENIZERS), default="char",
                        help="characters, or byte-level BPE trained on the train split")
    parser.add_argument("--vocab-size", type=int, default=1000, help="BPE vocabulary size (special tokens included)")
    parser.add_argument("--block-size", type=int, default=block_size, help="tokens per training block (context)")
    parser.add_argument("--steps-per-epoch", type=int, default=steps_per_epoch,
                        help="an epoch is this many optimizer steps on random contiguous blocks (nanoGPT's "
                             "sampling), not a full pass over the corpus")
    parser.add_argument("--eval-tokens", type=int, default=16384,
                        help="validation tokens scored after each epoch (the final numbers use whole splits)")
    parser.add_argument("--warmup", type=int, default=50, help="linear warm-up steps before the cosine decay")
    parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW's decoupled weight decay")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping threshold")
    parser.add_argument("--prompt", default="Return the ", help="text the samples continue")
    parser.add_argument("--sample-tokens", type=int, default=100, help="new tokens per sample")
    return parser


def tokenize_corpus(corpus, kind, vocab_size, path):
    """Train a ``kind`` ("char" or "bpe", BPE with ``vocab_size`` ids) tokenizer on the train text
    only, save it as JSON at ``path`` and encode the three splits of ``corpus`` (a TextCorpus)."""
    if kind == "bpe":
        tokenizer = text.BPETokenizer.train([corpus.train], vocab_size=vocab_size)
    else:
        tokenizer = TOKENIZERS[kind].train([corpus.train])
    tokenizer.save(path)
    splits = TokenSplits(tokenizer, *(numpy.array(tokenizer.encode(part), dtype=numpy.int64) for part in corpus))
    sizes = f"train {len(splits.train)}, valid {len(splits.valid)}, test {len(splits.test)}"
    if min(len(splits.train), len(splits.valid), len(splits.test)) < 2:
        raise ValueError(f"every split needs at least 2 tokens, got {sizes}")
    print(f"{kind} tokens: vocabulary {tokenizer.vocab_size}, {sizes}")
    return splits


def random_blocks(ids, batch_size, block_size, rng):
    """nanoGPT's batches: ``batch_size`` random windows of ``ids`` -> inputs and next-token targets,
    each int64 (batch_size, block_size)."""
    if len(ids) <= block_size:
        raise ValueError(f"the training split has {len(ids)} tokens, fewer than one block of {block_size} + 1")
    starts = rng.integers(0, len(ids) - block_size, size=batch_size)
    windows = ids[starts[:, None] + numpy.arange(block_size + 1)]
    return windows[:, :-1], windows[:, 1:]


def evaluation_tokens(ids, block_size, max_tokens=None):
    """The prefix of ``ids`` that :func:`perplexity` scores: whole blocks of ``block_size`` targets
    (at most ``max_tokens`` of them) plus the token before the first target."""
    block_size = _block_length(ids, block_size)
    num_blocks = (len(ids) - 1) // block_size
    if max_tokens is not None:
        num_blocks = min(num_blocks, max(1, max_tokens // block_size))
    return ids[:num_blocks * block_size + 1]


def perplexity(model, ids, block_size, device, batch_size=64, max_tokens=None):
    """exp(mean next-token cross-entropy) of ``model`` over consecutive, non-overlapping blocks of
    ``ids`` (each block read from a fresh context), in eval mode without a graph."""
    ids = evaluation_tokens(ids, block_size, max_tokens)
    block_size = _block_length(ids, block_size)
    inputs = ids[:-1].reshape(-1, block_size)
    targets = ids[1:].reshape(-1, block_size)
    model.eval()
    total = 0.0
    with tl.no_grad():
        for start in range(0, len(inputs), batch_size):
            x = tl.tensor(inputs[start:start + batch_size], device=device)
            y = tl.tensor(targets[start:start + batch_size], device=device)
            logits = model(x)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
    model.train()
    return math.exp(total / targets.size)


def _block_length(ids, block_size):
    """``block_size``, or the whole of a split too short for one block."""
    return max(1, min(block_size, len(ids) - 1))


def warmup_cosine(optimizer, warmup_steps, total_steps, final_factor=0.1):
    """Linear warm-up from lr / 10 over ``warmup_steps``, then cosine decay to ``final_factor`` * lr
    at ``total_steps`` (stepped once per optimizer step)."""
    base_lr = optimizer.param_groups[0]["lr"]
    warmup = optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=max(1, warmup_steps))
    decay = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup_steps),
                                                 eta_min=final_factor * base_lr)
    return optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[max(1, warmup_steps)])


def train_language_model(model, optimizer, scheduler, splits, args, checkpoint, config, description):
    """Train on random blocks (``args.epochs`` x ``args.steps_per_epoch`` steps of ``args.batch_size``
    x ``args.block_size``, gradients clipped to ``args.clip``); after each epoch print and record
    the validation perplexity (on at most ``args.eval_tokens`` tokens) and save ``checkpoint``
    (model, optimizer, scheduler, epoch, ``config``). Returns the per-epoch history."""
    rng = numpy.random.default_rng(args.seed)
    # --amp: loss scaling, steps with overflowed gradients skipped (a pass-through otherwise)
    scaler = tl.amp.GradScaler(tl.device(args.device).type, enabled=getattr(args, "amp", False))
    history, trained_tokens = [], 0
    bar = progress(range(1, args.epochs + 1), description)
    for epoch in bar:
        start, losses = time.perf_counter(), []
        model.train()
        for _ in range(args.steps_per_epoch):
            inputs, targets = random_blocks(splits.train, args.batch_size, args.block_size, rng)
            loss = model.loss(tl.tensor(inputs, device=args.device), tl.tensor(targets, device=args.device))
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
            tl.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            losses.append(loss.item())
        trained_tokens += args.steps_per_epoch * inputs.size
        valid = perplexity(model, splits.valid, args.block_size, args.device, max_tokens=args.eval_tokens)
        history.append({"epoch": epoch, "train_loss": float(numpy.mean(losses)), "valid_perplexity": valid,
                        "lr": optimizer.param_groups[0]["lr"], "tokens": trained_tokens,
                        "seconds": time.perf_counter() - start})
        bar.set_postfix(loss=f"{history[-1]['train_loss']:.3f}", valid_ppl=f"{valid:.2f}")
        print(f"epoch {epoch:3d}  train loss {history[-1]['train_loss']:.4f}  valid perplexity {valid:8.3f}  "
              f"({history[-1]['seconds']:.1f} s)")
        tl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict(), "epoch": epoch, "config": config}, checkpoint)
    return history


def evaluate_language_model(model, bigram, splits, args, history, name):
    """The metrics.json keys: ``model``'s perplexity on all of test and valid, the ``bigram``
    model's on the same test targets, the epochs and training tokens; prints the comparison."""
    metrics = {"test_perplexity": perplexity(model, splits.test, args.block_size, args.device),
               "bigram_perplexity": bigram.perplexity(evaluation_tokens(splits.test, args.block_size)),
               "valid_perplexity": perplexity(model, splits.valid, args.block_size, args.device),
               "epochs": args.epochs, "tokens_trained": history[-1]["tokens"]}
    print(f"test perplexity: {name} {metrics['test_perplexity']:.3f}, bigram {metrics['bigram_perplexity']:.3f} "
          f"({metrics['bigram_perplexity'] / metrics['test_perplexity']:.2f}x lower)")
    return metrics


def save_language_run(run, model, bigram, splits, args, history, metrics, name):
    """Write metrics.json, history.json, the validation curve beside the bigram model's level
    (perplexity.png) and the graph of one 8-token loss."""
    run.write_metrics(metrics)
    run.write_history(history)
    bigram_valid = bigram.perplexity(evaluation_tokens(splits.valid, args.block_size, args.eval_tokens))
    plot_curves(run.file("perplexity.png"), {f"{name} (valid)": [row["valid_perplexity"] for row in history],
                                             "bigram (valid)": [bigram_valid] * len(history)},
                f"{name}: validation perplexity", ylabel="perplexity", log_y=True)
    length = min(8, len(splits.train) - 1)
    inputs = tl.tensor(splits.train[None, :length], device=args.device)
    targets = tl.tensor(splits.train[None, 1:length + 1], device=args.device)
    model.train()
    run.save_graph(model.loss(inputs, targets), model)


def generate_samples(model, tokenizer, prompt, max_new_tokens, seed, device, path):
    """One continuation of ``prompt`` per entry of :data:`STRATEGIES` through ``tl.text.generate``
    (KV-cached for a model that takes ``kv_cache=``); prints each under its strategy's name, writes
    them all to ``path`` and returns {strategy: text}."""
    model.eval()
    prompt_ids = tl.tensor([tokenizer.encode(prompt)], dtype=tl.int64, device=device)
    samples = {}
    for name, options in STRATEGIES.items():
        generator = numpy.random.default_rng(seed) if options.get("do_sample") else None
        ids = text.generate(model, prompt_ids, max_new_tokens, generator=generator, **options)
        samples[name] = tokenizer.decode(ids[0].tolist(), skip_special_tokens=True)
    with open(path, "w", encoding="utf-8") as file:
        for name, sample in samples.items():
            file.write(f"=== {name} ===\n{sample}\n\n")
    for name, sample in samples.items():
        print(f"--- {name} ---\n{sample}")
    return samples
