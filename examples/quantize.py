"""Dynamic int8 quantization of the digits MLP and the LSTM language model: size, quality, CPU latency.

Each model's Linear layers become ``DynamicQuantizedLinear`` (int8 weights per output channel,
inputs quantized on every call, int32 matmul). The table compares float32 and int8: checkpoint
bytes, test accuracy (MLP) or test perplexity (LSTM LM), and the median CPU time of a forward
pass over the test batch. The LSTM's recurrent layers stay float32 (only ``nn.Linear`` is
quantized), and its output layer is tied to the float embedding, so the int8 copy adds bytes.

    python -m examples.quantize                                   # trains both quickly first
    python -m examples.quantize --mlp-checkpoint out/train_mlp/model.ckpt \\
                                --lm-checkpoint out/train_lstm_lm/checkpoint.ckpt
"""
import os
import statistics
import sys
import time

if __package__ in (None, ""):  # allow `python examples/quantize.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import optim
from models import MLP
from models.data import load_digits
from models.data.stdlib_corpus import load_corpus
from models.lstm_lm import LSTMLanguageModel
from models.training import RunFolder, evaluate_classifier, example_parser, setup, split_loaders, train_classifier
from models.training.language_model import evaluation_tokens, perplexity, tokenize_corpus, train_language_model, warmup_cosine


def main(argv=None):
    """Quantize both models; returns the metrics written to metrics.json (``mlp_*`` and ``lm_*``:
    ``*_bytes``, ``mlp_*_accuracy`` / ``lm_*_perplexity``, ``*_ms``, for ``float32`` and ``int8``)."""
    parser = example_parser(__doc__.splitlines()[0], epochs=15, lr=5e-3, batch_size=64, data_help=(
        "your own UTF-8 text file for the language model (default: the standard library's docstrings)"))
    parser.add_argument("--mlp-checkpoint", help="train_mlp's model.ckpt (default: train one here)")
    parser.add_argument("--lm-checkpoint", help="train_lstm_lm's checkpoint.ckpt (default: train a small one)")
    parser.add_argument("--lm-steps", type=int, default=150, help="training steps of the small LSTM LM")
    parser.add_argument("--lm-eval-tokens", type=int, default=4096, help="test tokens scored for perplexity")
    parser.add_argument("--repeats", type=int, default=20, help="timed forward passes (the median is reported)")
    args = setup(parser, argv)
    if args.device.type != "cpu":  # as PyTorch's quantize_dynamic: int8 kernels for the CPU
        parser.error(f"--device {args.device}: dynamic int8 quantization runs on the CPU; use --device cpu")
    run = RunFolder(args.out, "quantize")

    # Digits MLP: load or train the float model, then quantize its Linear layers.
    mlp, test_loader = digits_mlp(args)
    x_test = tl.cat([x for x, _ in test_loader])
    rows = {"mlp": compare(run, "mlp", mlp, lambda model: evaluate_accuracy(model, test_loader, args),
                           lambda model: model(x_test), args.repeats)}

    # LSTM language model: load or train a small one, then quantize its projection and output layers.
    lm, splits, block_size = lstm_language_model(args, run)
    ids = evaluation_tokens(splits.test, block_size, args.lm_eval_tokens)
    blocks = tl.tensor(ids[:-1].reshape(-1, block_size)[:16])
    rows["lm"] = compare(run, "lm", lm, lambda model: perplexity(model, ids, block_size, "cpu"),
                         lambda model: model(blocks), args.repeats)

    print_table(rows)
    metrics = {f"{model}_{kind}_{key}": value for model, kinds in rows.items()
               for kind, row in kinds.items() for key, value in row.items()}
    run.write_metrics(metrics)
    return metrics


def digits_mlp(args):
    """The float MLP (from ``--mlp-checkpoint`` or trained here) and the digits test loader."""
    split = load_digits(seed=args.seed)
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    model = MLP(int(numpy.prod(split.x_train.shape[1:])), (128, 128), 10, dropout=0.1)
    if args.mlp_checkpoint:
        model.load_state_dict(tl.load(args.mlp_checkpoint, map_location="cpu")["model"])
    else:
        optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        train_classifier(model, optimizer, train_loader, test_loader, args.epochs, description="digits MLP")
    return model.eval(), test_loader


def lstm_language_model(args, run):
    """The float LSTM LM (from ``--lm-checkpoint`` or a small one trained here), its token splits
    and block size."""
    corpus = load_corpus(args.data, cache_dir=args.out)
    splits = tokenize_corpus(corpus, "char", None, run.file("tokenizer.json"))
    if args.lm_checkpoint:
        state = tl.load(args.lm_checkpoint, map_location="cpu")
        model = LSTMLanguageModel(**state["config"])
        model.load_state_dict(state["model"])
        return model.eval(), splits, 64
    config = {"vocab_size": splits.tokenizer.vocab_size, "embedding_dim": 64, "hidden_size": 128,
              "num_layers": 1, "dropout": 0.0}
    model = LSTMLanguageModel(**config)
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
    settings = dict(epochs=1, steps_per_epoch=args.lm_steps, batch_size=16, block_size=32,
                    device="cpu", seed=args.seed, clip=1.0, eval_tokens=1024)
    scheduler = warmup_cosine(optimizer, 10, args.lm_steps)
    train_language_model(model, optimizer, scheduler, splits, _Namespace(settings),
                         run.file("lstm_lm.ckpt"), config, "LSTM LM")
    return model.eval(), splits, 32


class _Namespace:
    """The attributes ``train_language_model`` reads from parsed arguments."""

    def __init__(self, values):
        self.__dict__.update(values)


def compare(run, name, model, quality, forward, repeats):
    """``{"float32": row, "int8": row}`` with the checkpoint bytes, ``quality(model)`` under its
    name and the median milliseconds of ``forward(model)``."""
    quality_name = "accuracy" if name == "mlp" else "perplexity"
    rows = {}
    for kind, candidate in (("float32", model), ("int8", tl.quantization.quantize_dynamic(model))):
        path = run.file(f"{name}_{kind}.tl")
        tl.save(candidate.state_dict(), path)
        with tl.no_grad():
            score = quality(candidate)
            candidate.eval()
            rows[kind] = {"bytes": os.path.getsize(path), quality_name: score,
                          "ms": median_milliseconds(lambda: forward(candidate), repeats)}
    return rows


def evaluate_accuracy(model, loader, args):
    _, labels, predictions = evaluate_classifier(model, loader, args.device)
    return float((labels == predictions).mean())


def median_milliseconds(call, repeats):
    """Median wall time of ``call()`` over ``repeats`` runs after one warm-up, in milliseconds."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def print_table(rows):
    print(f"\n{'model':<10}{'dtype':<9}{'file bytes':>12}{'quality':>22}{'latency ms':>12}")
    for model, kinds in rows.items():
        for kind, row in kinds.items():
            quality = next(f"{key} {value:.4f}" for key, value in row.items() if key not in ("bytes", "ms"))
            print(f"{model:<10}{kind:<9}{row['bytes']:>12}{quality:>22}{row['ms']:>12.2f}")


if __name__ == "__main__":
    main()
