"""Train a Transformer encoder-decoder to normalise dates ("3rd of March 1998" -> "1998-03-03").

Character tokens in, character tokens out; test dates are never seen in training, in any format.
It decodes the test set greedily and by beam search (``tl.text.generate`` over the encoded
source, with a KV cache), prints exact match per format next to the most-frequent-output
baseline, and draws the decoder's cross-attention over one test input.

    python -m examples.train_translator                  # results in out/train_translator/
    python -m examples.train_translator --epochs 4 --d-model 32
    python -m examples.train_translator --data pairs.tsv # your own source<TAB>target lines
"""
import collections
import datetime
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_translator.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from models.data.dates import DATE_FORMATS, date_tokenizer, encode_texts, make_date_task
from models.training import RunFolder, example_parser, plot_attention, plot_bars, plot_curves, setup
from models.training.language_model import warmup_cosine
from models.training.seq2seq import exact_match, exact_match_monitor, train_seq2seq, translate
from models.transformer_translator import TransformerTranslator

MONITORED = 200  # test dates decoded after each epoch for the history (no choice depends on them)


def main(argv=None):
    """Train the translator; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=8, lr=2e-3, batch_size=64,
                            data_help="your own UTF-8 file of source<TAB>target lines (split by target: "
                                      "no test target is trained on); default: generated dates")
    parser.add_argument("--train-size", type=int, default=10000, help="training pairs")
    parser.add_argument("--test-size", type=int, default=1000, help="test pairs (distinct dates)")
    parser.add_argument("--d-model", type=int, default=64, help="model width")
    parser.add_argument("--heads", type=int, default=4, help="attention heads")
    parser.add_argument("--layers", type=int, default=2, help="encoder layers and decoder layers (each)")
    parser.add_argument("--ff", type=int, default=128, help="feed-forward width")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="dropout (the task is noise-free and every epoch sees new pairs: none needed)")
    parser.add_argument("--warmup", type=int, default=200, help="linear warm-up steps before the cosine decay")
    parser.add_argument("--beams", type=int, default=4, help="beam width of the beam-search decoding")
    parser.add_argument("--heatmaps", type=int, default=3, help="test inputs drawn in the cross-attention map")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_translator")

    # Data: human dates -> ISO, one character tokenizer for both sides; targets are bos ... eos.
    task = make_date_task(args.train_size, args.test_size, seed=args.seed, data=args.data)
    tokenizer = date_tokenizer(task)
    train_sources = encode_texts(tokenizer, task.train_sources)
    train_targets = encode_texts(tokenizer, task.train_targets, add_bos=True, add_eos=True)
    test_sources = encode_texts(tokenizer, task.test_sources)
    max_target = max(map(len, task.train_targets + task.test_targets)) + 1  # + eos
    print(f"{len(task.train_sources)} train / {len(task.test_sources)} test pairs, "
          f"{tokenizer.vocab_size} characters; e.g. {task.test_sources[0]!r} -> {task.test_targets[0]!r}")

    # Model: nn.Transformer between a shared embedding (+ sinusoidal positions) and a Linear head.
    config = {"vocab_size": tokenizer.vocab_size, "d_model": args.d_model, "nhead": args.heads,
              "num_encoder_layers": args.layers, "num_decoder_layers": args.layers,
              "dim_feedforward": args.ff, "dropout": args.dropout,
              "max_len": max(train_sources.shape[1], test_sources.shape[1], max_target) + 1,
              "pad_id": tokenizer.pad_id}
    model = TransformerTranslator(**config).to(args.device)
    print(f"{sum(p.numel() for p in model.parameters())} parameters")

    # Loop: teacher forcing, AdamW with warm-up and cosine decay, gradients clipped (the shared loop).
    optimizer = tl.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * -(-len(train_sources) // args.batch_size)
    scheduler = warmup_cosine(optimizer, args.warmup, steps, final_factor=0.01)
    monitor = exact_match_monitor(model, tokenizer, test_sources[:MONITORED], task.test_targets[:MONITORED],
                                  max_target, args.device)

    cpu_start = time.process_time()
    history = train_seq2seq(model, optimizer, train_sources, train_targets, args.epochs, args.batch_size,
                            args.device, tokenizer.pad_id, seed=args.seed, scheduler=scheduler,
                            evaluate=monitor, description="Transformer")
    train_cpu = time.process_time() - cpu_start

    # Evaluate: greedy and beam-search decoding of unseen dates, against the most frequent output.
    greedy = translate(model, tokenizer, test_sources, max_target, args.device)
    beam = translate(model, tokenizer, test_sources, max_target, args.device, num_beams=args.beams)
    most_frequent = collections.Counter(task.train_targets).most_common(1)[0][0]
    metrics = {"exact_match": exact_match(greedy, task.test_targets),
               "beam_exact_match": exact_match(beam, task.test_targets),
               "baseline_exact_match": exact_match([most_frequent] * len(greedy), task.test_targets),
               "train_loss": history[-1]["train_loss"], "train_cpu_seconds": train_cpu,
               "parameters": sum(p.numel() for p in model.parameters())}
    print(f"exact match on {len(greedy)} unseen inputs: greedy {metrics['exact_match']:.4f}, "
          f"beam {args.beams} {metrics['beam_exact_match']:.4f}; most frequent training output "
          f"{most_frequent!r} {metrics['baseline_exact_match']:.4f}")
    per_format = format_accuracy(task.test_sources, task.test_targets, greedy)
    for name, (count, score) in per_format.items():
        print(f"  {name:>34} {score:.3f} ({count})")
    print_mistakes(task.test_sources, task.test_targets, greedy)

    # Save: metrics, history, loss curve, per-format bars, cross-attention map, checkpoint, graph.
    run.write_metrics(metrics)
    run.write_history(history)
    plot_curves(run.file("loss.png"), {"train": [record["train_loss"] for record in history]},
                "Transformer translator: teacher-forced cross-entropy", ylabel="loss", log_y=True)
    if per_format:
        plot_bars(run.file("formats.png"), {name: score for name, (_, score) in per_format.items()},
                  "greedy exact match per input format (unseen dates)", ylabel="exact match")
    shown = range(min(args.heatmaps, len(task.test_sources)))
    panels = cross_attention_maps(model, tokenizer, [task.test_sources[row] for row in shown],
                                  [greedy[row] for row in shown], args.device)
    plot_attention(run.file("attention.png"), panels, "Transformer: where each decoder layer looks")
    tl.save({"config": config, "model": model.state_dict()}, run.file("translator.ckpt"))
    tokenizer.save(run.file("tokenizer.json"))
    sample = [tl.tensor(ids[:2], device=args.device) for ids in (train_sources, train_targets)]
    run.save_graph(model.loss(*sample), model)
    print(f"results in {run.path}")
    return metrics


def format_accuracy(sources, targets, predictions):
    """``{format name: (count, exact match)}`` of the test pairs whose source a DATE_FORMATS entry
    writes (none for the user's own pairs)."""
    hits = collections.defaultdict(list)
    for source, target, predicted in zip(sources, targets, predictions):
        try:
            date = datetime.date.fromisoformat(target)
        except ValueError:
            continue
        for name, write in DATE_FORMATS:
            if write(date) == source:
                hits[name].append(predicted == target)
                break
    return {name: (len(hits[name]), float(numpy.mean(hits[name]))) for name, _ in DATE_FORMATS if hits[name]}


def print_mistakes(sources, targets, predictions, limit=5):
    """Print up to ``limit`` wrong translations."""
    wrong = [(s, t, p) for s, t, p in zip(sources, targets, predictions) if p != t]
    for source, target, predicted in wrong[:limit]:
        print(f"  wrong: {source!r} -> {predicted!r} (expected {target!r})")


def cross_attention_maps(model, tokenizer, sources, translations, device):
    """Per decoder layer, ``(source characters, characters written, weights (written, source))`` of
    each source while the model writes its translation (heads averaged), for ``plot_attention``."""
    source_ids = tl.tensor(encode_texts(tokenizer, sources), device=device)
    target_ids = tl.tensor(encode_texts(tokenizer, translations, add_bos=True), device=device)
    model.eval()
    layers = model.cross_attention(source_ids, target_ids)
    return {f"decoder layer {index + 1}": [(list(source), list(written) + ["<eos>"],
                                            weights[row, :len(written) + 1, :len(source)])
                                           for row, (source, written) in enumerate(zip(sources, translations))]
            for index, weights in enumerate(layers)}


if __name__ == "__main__":
    main()
