"""Date normalisation with an LSTM encoder-decoder: no attention, Bahdanau attention, Luong attention.

The task (``models.data.dates``): a date in one of 19 human formats ("Tuesday, 3 March 1998",
"03/03/98", "3rd of March 1998", "Mar 3 '98", "1998.3.3", ...) -> "1998-03-03", read and written
one character at a time; the test dates never occur in training in any format. Three
``models.seq2seq.Seq2Seq`` variants train with teacher forcing from the same seed and schedule:
without attention (the whole date squeezed into the encoder's final states: the baseline that
shows what attention buys), with additive (Bahdanau) and with multiplicative (Luong) attention.
Each then decodes the test set greedily and with beam search through ``tl.text.generate``; the
table gives exact match (the whole ISO string right) and times, and attention.png shows where
the attention models look while writing a few test dates.

    python -m examples.train_seq2seq                          # all three; out/train_seq2seq/
    python -m examples.train_seq2seq --variants luong --epochs 3
    python -m examples.train_seq2seq --data pairs.tsv         # your own source<TAB>target lines
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_seq2seq.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tinygrad_lite as tl
from tinygrad_lite import optim
from models.data.dates import date_tokenizer, encode_texts, make_date_task
from models.seq2seq import Seq2Seq
from models.training import RunFolder, example_parser, plot_attention, plot_curves, setup
from models.training.seq2seq import exact_match, exact_match_monitor, train_seq2seq, translate

# variant name (metrics keys end with it) -> Seq2Seq's attention argument
VARIANTS = {"no_attention": None, "bahdanau": "bahdanau", "luong": "luong"}
MONITORED = 200  # test dates decoded after each epoch for the history (no choice depends on them)


def parse_variants(spec, parser):
    """The names listed in ``--variants`` ('all': every one of VARIANTS)."""
    names = list(VARIANTS) if spec == "all" else spec.split(",")
    for name in names:
        if name not in VARIANTS:
            parser.error(f"--variants: {name!r} is not one of {', '.join(VARIANTS)} or 'all'")
    return names


def shown(text):
    """Characters as heat-map tick labels (a space made visible)."""
    return [character if character != " " else "\u2423" for character in text]


def attention_maps(model, tokenizer, sources, outputs, device):
    """``(source chars, output chars + <eos>, weights (len(output) + 1, len(source)))`` per source:
    the weights of ``model`` teacher-forced on its own decoded output."""
    source_ids = encode_texts(tokenizer, sources)
    target_ids = encode_texts(tokenizer, outputs, add_bos=True, add_eos=True)
    was_training = model.training
    model.eval()
    with tl.no_grad():
        _, weights = model(tl.tensor(source_ids, device=device), tl.tensor(target_ids[:, :-1], device=device))
    model.train(was_training)
    weights = weights.numpy(force=True)
    return [(shown(source), shown(output) + ["<eos>"], weights[row, :len(output) + 1, :len(source)])
            for row, (source, output) in enumerate(zip(sources, outputs))]


def main(argv=None):
    """Train the chosen variants and decode the test dates; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=5, lr=5e-3, batch_size=64, data_help=(
        "your own UTF-8 file of source<TAB>target lines (any strings, read as characters) instead of "
        "the generated dates; a share --num-test / (--num-train + --num-test) of the distinct targets "
        "(9%% by default) is held out for the test set with all their sources"))
    parser.add_argument("--variants", default="all", help="comma-separated subset of "
                        f"{', '.join(VARIANTS)}, or 'all'")
    parser.add_argument("--num-train", type=int, default=10000, help="generated training examples")
    parser.add_argument("--num-test", type=int, default=1000, help="generated test dates (unseen in training)")
    parser.add_argument("--embedding-dim", type=int, default=32, help="character embedding size")
    parser.add_argument("--hidden", type=int, default=64, help="LSTM units (the encoder's per direction)")
    parser.add_argument("--beams", type=int, default=4, help="beam width of the beam-search decoding")
    parser.add_argument("--heatmaps", type=int, default=4, help="test dates drawn in attention.png")
    args = setup(parser, argv)
    names = parse_variants(args.variants, parser)
    run = RunFolder(args.out, "train_seq2seq")

    # Data: human dates -> ISO dates, split by date; one character vocabulary for both sides.
    task = make_date_task(args.num_train, args.num_test, seed=args.seed, data=args.data)
    tokenizer = date_tokenizer(task)
    tokenizer.save(run.file("tokenizer.json"))
    train_sources = encode_texts(tokenizer, task.train_sources)
    train_targets = encode_texts(tokenizer, task.train_targets, add_bos=True, add_eos=True)
    test_sources = encode_texts(tokenizer, task.test_sources)
    max_new_tokens = 2 * max(map(len, task.train_targets)) + 1  # generation stops at eos long before
    print(f"{len(task.train_sources)} train / {len(task.test_sources)} test pairs, {tokenizer.vocab_size} "
          f"characters; e.g. {task.test_sources[0]!r} -> {task.test_targets[0]!r}")

    def train_variant(name):
        """Train one variant from the seed, then decode the test set greedily and by beam search."""
        tl.manual_seed(args.seed)
        model = Seq2Seq(tokenizer.vocab_size, args.embedding_dim, args.hidden, attention=VARIANTS[name],
                        pad_id=tokenizer.pad_id).to(args.device)
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        steps = args.epochs * -(-len(train_sources) // args.batch_size)
        scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
        monitor = exact_match_monitor(model, tokenizer, test_sources[:MONITORED], task.test_targets[:MONITORED],
                                      max_new_tokens, args.device)
        history = train_seq2seq(model, optimizer, train_sources, train_targets, args.epochs, args.batch_size,
                                args.device, tokenizer.pad_id, seed=args.seed, scheduler=scheduler,
                                evaluate=monitor, description=name)
        result = {"model": model, "history": history, "train_cpu": sum(row["cpu_seconds"] for row in history)}
        for decoding, num_beams in (("greedy", 1), ("beam", args.beams)):
            cpu_start = time.process_time()
            result[decoding] = translate(model, tokenizer, test_sources, max_new_tokens, args.device, num_beams)
            result[f"{decoding}_cpu"] = time.process_time() - cpu_start
        tl.save({"model": model.state_dict(), "config": model.config}, run.file(f"{name}.ckpt"))
        return result

    # Models: each variant from the same seed, optimizer, schedule and epochs.
    trained = {name: train_variant(name) for name in names}

    # Evaluate: exact match of greedy and beam decoding, side by side.
    metrics = {}
    print(f"\n{'variant':<14}{'greedy EM':>10}{f'beam-{args.beams} EM':>10}{'train CPU s':>13}"
          f"{'greedy s':>10}{'beam s':>8}")
    for name, result in trained.items():
        greedy = exact_match(result["greedy"], task.test_targets)
        beam = exact_match(result["beam"], task.test_targets)
        metrics.update({f"exact_match_{name}": greedy, f"beam_exact_match_{name}": beam,
                        f"train_cpu_seconds_{name}": result["train_cpu"]})
        print(f"{name:<14}{greedy:>10.4f}{beam:>10.4f}{result['train_cpu']:>13.1f}"
              f"{result['greedy_cpu']:>10.1f}{result['beam_cpu']:>8.1f}")
    for name, result in trained.items():
        wrong = [index for index, text in enumerate(result["greedy"]) if text != task.test_targets[index]]
        for index in wrong[:2]:
            print(f"{name} error: {task.test_sources[index]!r} -> {result['greedy'][index]!r} "
                  f"(expected {task.test_targets[index]!r})")

    # Save: metrics, histories, curves, the attention heat maps and one loss graph.
    run.write_metrics(metrics)
    run.write_history({name: result["history"] for name, result in trained.items()})
    plot_curves(run.file("exact_match.png"), {name: [row["test_exact_match"] for row in result["history"]]
                                              for name, result in trained.items()},
                f"dates: exact match on {MONITORED} test dates (greedy)", ylabel="exact match")
    shown_rows = range(min(args.heatmaps, len(task.test_sources)))
    panels = {name: attention_maps(result["model"], tokenizer, [task.test_sources[row] for row in shown_rows],
                                   [result["greedy"][row] for row in shown_rows], args.device)
              for name, result in trained.items() if VARIANTS[name] is not None and shown_rows}
    if panels:
        print(f"attention: {plot_attention(run.file('attention.png'), panels, 'where the decoder looks')}")
    model = trained[names[-1]]["model"]
    model.train()
    run.save_graph(model.loss(tl.tensor(train_sources[:1, :12], device=args.device),
                              tl.tensor(train_targets[:1, :6], device=args.device)), model)
    return metrics


if __name__ == "__main__":
    main()
