"""Pretrain a small BERT by masked-language modelling on the standard library's docstrings.

BERT (seed 004 #8, #16-17, 000 #6) learns from unlabelled text: 15% of the tokens are chosen,
80% of those replaced by the mask token, 10% by a random token and 10% left alone, and the model
predicts the original tokens from both sides. The masks are drawn anew for every batch (dynamic
masking), over 64-token windows of the training docstrings packed end to end, each opened by the
[CLS] token (the tokenizer's bos id). Short windows and small batches buy many cheap steps within
the CPU budget (a masked LM first learns little more than token frequencies, and steps, more than
long contexts, move it on). AdamW with a linear warm-up and cosine decay; the score is
``mlm_accuracy`` on masked tokens of held-out modules' docstrings, beside a unigram model that
always predicts the most frequent training token on the same positions.

What it reads (seed 004 #17-18: pretraining is how unlabelled text helps a task with few
labels): the docstrings of the modules outside the nine package families that
``examples.finetune_bert`` classifies (the language models' training modules), plus the text, and
only the text, of that task's training split for ``--seed``: fine-tuning keeps 10% of those labels,
so the other 90% are exactly the unlabelled in-domain text semi-supervised learning is for, read
three times per epoch (``--task-text-repeats``; they are a fifth of the library's text). No
docstring equal to one of that split's validation or test texts is read, so fine-tuning is scored
on text pretraining never saw; the checkpoint records the split's seed and ``examples.finetune_bert``
refuses (or, by default, redoes) a checkpoint made for another seed. The checkpoint (``bert.ckpt``:
config, weights, tokenizer file name, what it read) and ``tokenizer.json`` are what
``examples.finetune_bert`` and ``examples.train_qa`` start from.

    python -m examples.pretrain_bert --seed 0          # ~2 min CPU; results in out/pretrain_bert/
    python -m examples.pretrain_bert --epochs 2 --layers 1
    python -m examples.pretrain_bert --data my_text.txt
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/pretrain_bert.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import optim, text
from models.bert import BERT, BertForMaskedLM, mask_tokens, save_pretrained
from models.data.docstring_packages import PACKAGE_FAMILIES, load_docstring_packages, package_family, text_key
from models.data.stdlib_corpus import load_docstrings, load_text_file, module_split
from models.training import RunFolder, example_parser, plot_curves, progress, setup
from models.training.language_model import warmup_cosine

HELD_OUT_MASK_SEED = 1234  # the same held-out positions for every run, seed and baseline


def stdlib_pretraining_docstrings(cache_dir, task_seed):
    """``{"train": [...], "task": [...], "held_out": [...]}`` docstring texts for pretraining on the
    standard library.

    ``train``: the docstrings of the modules outside the fine-tuning task's families that the
    language models train on (``module_split``). ``task``: the unlabelled text of the task's
    training split for ``task_seed`` (:func:`~models.data.docstring_packages.load_docstring_packages`),
    the in-domain text that semi-supervised learning is for. Neither holds a text equal (up to
    whitespace) to one of that split's validation or test docstrings. ``held_out``: the docstrings
    of the other modules outside the families, none equal to a text of the first two, scored by
    ``mlm_accuracy``."""
    task = load_docstring_packages(cache_dir=cache_dir, seed=task_seed)
    task_train = {text_key(one) for one in task.train_texts}
    unseen = {text_key(one) for one in task.valid_texts + task.test_texts}
    families = set(PACKAGE_FAMILIES)
    parts = {"train": [], "task": [], "held_out": []}
    for docstring in load_docstrings(cache_dir):
        key = text_key(docstring.text)
        if package_family(docstring.module) in families:
            if key in task_train:
                parts["task"].append(docstring.text)
        elif key not in unseen:
            parts["train" if module_split(docstring.module) == "train" else "held_out"].append(docstring.text)
    read = {text_key(one) for one in parts["train"] + parts["task"]}
    parts["held_out"] = [one for one in parts["held_out"] if text_key(one) not in read]
    return parts


def pretraining_text(args):
    """``(train text, held-out text, provenance dict)``: the user's file (first 90% of paragraphs
    train, the last 10% are held out), or :func:`stdlib_pretraining_docstrings` for ``--seed``
    (the provenance names that seed, so fine-tuning can refuse a checkpoint that read its test texts)."""
    if args.data:
        corpus = load_text_file(args.data)
        return corpus.train, corpus.valid + corpus.test, {"text": "file", "task_split_seed": None}
    parts = stdlib_pretraining_docstrings(args.out, args.seed)
    return ("\n\n".join(parts["train"] + parts["task"] * args.task_text_repeats), "\n\n".join(parts["held_out"]),
            {"text": "stdlib docstrings", "task_split_seed": args.seed})


def packed_windows(ids, length, cls_id, offset=0):
    """``ids`` from ``offset`` cut into consecutive windows of ``length - 1`` tokens, each opened
    by ``cls_id`` -> int64 (N, length); a last partial window is dropped."""
    body = length - 1
    count = (len(ids) - offset) // body
    windows = ids[offset:offset + count * body].reshape(count, body)
    return numpy.concatenate([numpy.full((count, 1), cls_id, dtype=numpy.int64), windows], axis=1)


def unigram_accuracy(train_ids, labels, special_ids):
    """A unigram count model's MLM accuracy: it predicts the most frequent non-special training
    token at every chosen position of ``labels`` (-100 elsewhere). Returns (accuracy, that token)."""
    counts = numpy.bincount(train_ids)
    counts[list(special_ids)] = 0
    most_frequent = int(counts.argmax())
    targets = labels[labels != -100]
    return float((targets == most_frequent).mean()), most_frequent


def masked_accuracy(model, inputs, labels, device, batch_size=128):
    """MLM accuracy of ``model`` at the chosen positions of ``labels`` over batches of ``inputs``."""
    correct = total = 0
    for start in range(0, len(inputs), batch_size):
        rows = slice(start, start + batch_size)
        if (labels[rows] == -100).all():
            continue
        predicted, targets = model.predict_masked(tl.tensor(inputs[rows], device=device), labels[rows])
        correct, total = correct + int((predicted == targets).sum()), total + len(targets)
    return correct / max(total, 1)


def decay_groups(model, weight_decay):
    """AdamW parameter groups as BERT's: weight decay on matrices only, none on biases, LayerNorm
    weights and other vectors (tied weights appear once)."""
    params = list(model.parameters())
    return [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]


def main(argv=None):
    """Pretrain the BERT; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=3, lr=1e-3, batch_size=16, data_help=(
        "your own UTF-8 text file instead of the standard library's docstrings: its first 90%% of "
        "paragraphs pretrain, the last 10%% are held out for mlm_accuracy"))
    parser.add_argument("--vocab-size", type=int, default=2000, help="BPE vocabulary size (special tokens included)")
    parser.add_argument("--max-len", type=int, default=64, help="tokens per window ([CLS] included) and positions")
    parser.add_argument("--layers", type=int, default=2, help="Transformer encoder blocks")
    parser.add_argument("--heads", type=int, default=4, help="attention heads per block")
    parser.add_argument("--d-model", type=int, default=128, help="model width")
    parser.add_argument("--d-ff", type=int, default=512, help="feed-forward width")
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout in embeddings and blocks")
    parser.add_argument("--post-norm", dest="norm_first", action="store_false",
                        help="BERT's post-norm blocks instead of pre-norm (the default here: pre-norm is known to "
                             "tolerate the higher learning rate a short budget wants without a long warm-up)")
    parser.add_argument("--init-std", type=float, default=0.05,
                        help="std of the normal initial weights (BERT's 0.02 suits a width of 768; a width of 128 "
                             "starts faster with more)")
    parser.add_argument("--mask-probability", type=float, default=0.15, help="share of tokens chosen for prediction")
    parser.add_argument("--warmup", type=float, default=0.05, help="share of the steps spent warming up")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW's decoupled weight decay")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping threshold")
    parser.add_argument("--task-text-repeats", type=int, default=3,
                        help="times the fine-tuning task's unlabelled training docstrings are read per epoch "
                             "(in-domain text weighs more than the rest of the library's)")
    parser.add_argument("--max-train-tokens", type=int, default=0,
                        help="use only the first N training tokens (0: all; for quick runs)")
    args = setup(parser, argv)
    run = RunFolder(args.out, "pretrain_bert")
    rng = numpy.random.default_rng(args.seed)

    # Data: BPE trained on the training text only; windows of max_len tokens opened by [CLS].
    train_text, held_out_text, provenance = pretraining_text(args)
    tokenizer = text.BPETokenizer.train([train_text], vocab_size=args.vocab_size)
    train_ids = numpy.array(tokenizer.encode(train_text), dtype=numpy.int64)
    if args.max_train_tokens:
        train_ids = train_ids[:args.max_train_tokens]
    held_out_ids = numpy.array(tokenizer.encode(held_out_text), dtype=numpy.int64)
    specials = [tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.mask_id]
    vocab_size = tokenizer.vocab_size
    held_out = packed_windows(held_out_ids, args.max_len, tokenizer.bos_id)
    held_out_inputs, held_out_labels = mask_tokens(held_out, vocab_size, tokenizer.mask_id, specials,
                                                   numpy.random.default_rng(HELD_OUT_MASK_SEED),
                                                   args.mask_probability)
    print(f"BPE tokens: vocabulary {vocab_size}, train {len(train_ids)}, held out {len(held_out_ids)} "
          f"({len(held_out)} windows, {(held_out_labels != -100).sum()} masked)")

    # Baseline: always the most frequent training token.
    baseline, frequent = unigram_accuracy(train_ids, held_out_labels, specials)
    print(f"unigram baseline: always {tokenizer.decode([frequent])!r}, accuracy {baseline:.4f}")

    # Model: BERT with its tied MLM head; AdamW (no decay on biases and norms), warm-up + cosine.
    bert = BERT(vocab_size, max_len=args.max_len, d_model=args.d_model, n_layer=args.layers,
                n_head=args.heads, d_ff=args.d_ff, dropout=args.dropout, pad_id=tokenizer.pad_id,
                norm_first=args.norm_first, init_std=args.init_std)
    model = BertForMaskedLM(bert).to(args.device)
    print(f"BERT: {sum(p.numel() for p in model.parameters())} parameters")
    steps_per_epoch = len(packed_windows(train_ids, args.max_len, tokenizer.bos_id)) // args.batch_size
    if steps_per_epoch < 1:
        parser.error(f"{len(train_ids)} training tokens make less than one batch of {args.batch_size} windows")
    total_steps = args.epochs * steps_per_epoch
    optimizer = optim.AdamW(decay_groups(model, args.weight_decay), lr=args.lr)
    scheduler = warmup_cosine(optimizer, int(args.warmup * total_steps), total_steps, final_factor=0.0)

    # Train: each epoch re-cuts the windows at a random offset, shuffles them and masks every batch anew.
    history, losses, cpu_start = [], [], time.process_time()
    bar = progress(range(1, args.epochs + 1), "BERT MLM")
    for epoch in bar:
        model.train()
        windows = packed_windows(train_ids, args.max_len, tokenizer.bos_id,
                                 offset=int(rng.integers(0, args.max_len - 1)))
        order = rng.permutation(len(windows))[:steps_per_epoch * args.batch_size]
        epoch_losses = []
        for batch in order.reshape(steps_per_epoch, args.batch_size):
            inputs, labels = mask_tokens(windows[batch], vocab_size, tokenizer.mask_id, specials, rng,
                                         args.mask_probability)
            loss = model.loss(tl.tensor(inputs, device=args.device), tl.tensor(labels, device=args.device))
            optimizer.zero_grad()
            loss.backward()
            tl.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            scheduler.step()
            epoch_losses.append(loss.item())
        losses.extend(epoch_losses)
        accuracy = masked_accuracy(model, held_out_inputs, held_out_labels, args.device)
        history.append({"epoch": epoch, "train_loss": float(numpy.mean(epoch_losses)),
                        "held_out_mlm_accuracy": accuracy, "lr": optimizer.param_groups[0]["lr"],
                        "cpu_seconds": time.process_time() - cpu_start})
        bar.set_postfix(loss=f"{history[-1]['train_loss']:.3f}", mlm_acc=f"{accuracy:.3f}")
        print(f"epoch {epoch:3d}  train MLM loss {history[-1]['train_loss']:.4f}  held-out MLM accuracy "
              f"{accuracy:.4f}  ({history[-1]['cpu_seconds']:.0f} s CPU)")
        save_pretrained(run.file("bert.ckpt"), bert, tokenizer, provenance)  # after every epoch: usable early
    cpu_seconds = time.process_time() - cpu_start

    # Evaluate: held-out masked tokens, next to the unigram model on the same positions.
    metrics = {"mlm_accuracy": history[-1]["held_out_mlm_accuracy"], "unigram_mlm_accuracy": baseline,
               "final_train_mlm_loss": history[-1]["train_loss"], "steps": total_steps,
               "pretraining_cpu_seconds": cpu_seconds, "vocab_size": vocab_size}
    print(f"held-out MLM accuracy: BERT {metrics['mlm_accuracy']:.4f}, unigram {baseline:.4f} "
          f"({total_steps} steps, {cpu_seconds:.0f} s CPU)")

    # Save (the checkpoint and tokenizer for fine-tuning are saved after each epoch): metrics,
    # history, loss curve, graph.
    run.write_metrics(metrics)
    run.write_history(history)
    plot_curves(run.file("mlm_loss.png"), {"train MLM loss (per step)": losses},
                "BERT pretraining: masked-LM cross-entropy", xlabel="step", ylabel="loss", log_y=True)
    inputs, labels = mask_tokens(held_out[:2, :16], vocab_size, tokenizer.mask_id, specials,
                                 numpy.random.default_rng(0), probability=0.5)
    model.train()
    run.save_graph(model.loss(tl.tensor(inputs, device=args.device), tl.tensor(labels, device=args.device)),
                   model)
    return metrics


if __name__ == "__main__":
    main()
