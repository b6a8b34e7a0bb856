"""Greedy generation speed of the GPT with and without the KV cache (tokens per second).

Run: python -m benchmarks.bench_generate [--threads 1] [--repeats 10] [--checkpoint out/train_gpt/checkpoint.ckpt]
Batch 1, greedy, an 8-token prompt continued to the full block (56 new tokens with the example's
default block of 64). With the cache each step feeds one token and attends over the cached
keys/values; without it each step re-reads the whole sequence, so its cost grows with the length.
The model is the trained one when --checkpoint names examples.train_gpt's checkpoint, else a
freshly initialised GPT of the example's default shapes (the speed does not depend on the weights).
"""
import argparse
import statistics

from benchmarks.harness import configure_threads, report, time_interleaved

DEFAULT_CONFIG = {"vocab_size": 112, "block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128, "dropout": 0.0}
PROMPT_LENGTH = 8


def load_model(checkpoint):
    """The trained GPT of ``checkpoint`` (with its config), or a fresh one of the default shapes."""
    import tinygrad_lite as tl
    from models.gpt import GPT

    if checkpoint is None:
        tl.manual_seed(0)
        return GPT(**DEFAULT_CONFIG)
    state = tl.load(checkpoint)
    model = GPT(**state["config"])
    model.load_state_dict(state["model"])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--repeats", type=int, default=10, help="timed generations per variant")
    parser.add_argument("--checkpoint", default=None, help="examples.train_gpt's checkpoint.ckpt")
    args = parser.parse_args()
    configure_threads(args.threads)
    import numpy

    import tinygrad_lite as tl

    model = load_model(args.checkpoint).eval()
    vocab_size, block_size = model.token_embedding.weight.shape[0], model.block_size
    prompt = tl.tensor(numpy.random.default_rng(0).integers(5, vocab_size, (1, PROMPT_LENGTH)))
    new_tokens = block_size - PROMPT_LENGTH

    def generate(use_cache):
        return lambda: tl.text.generate(model, prompt, new_tokens, use_cache=use_cache)

    assert generate(True)().tolist() == generate(False)().tolist(), "the cache changed the tokens"
    timings = time_interleaved({"KV cache": generate(True), "no cache": generate(False)}, args.repeats, warmup=1)
    title = (f"greedy generate, batch 1, {PROMPT_LENGTH}-token prompt + {new_tokens} new tokens, "
             f"{'trained' if args.checkpoint else 'fresh'} GPT {model.block_size} block, {args.threads} thread(s)")
    report(title + ": ms per new token", timings, 1e3, "ms", per=new_tokens, baseline="no cache")
    for name, values in timings.items():
        print(f"{name:<16}{new_tokens / statistics.median(values):>10.1f} tokens/s")


if __name__ == "__main__":
    main()
