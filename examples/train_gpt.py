"""Train a small GPT on the standard library's docstrings, beat a bigram model, and generate text.

A decoder-only Transformer (seed 004 #11, 000 #1) reads random 64-token blocks of the corpus
(nanoGPT's sampling: an "epoch" is --steps-per-epoch optimizer steps, not a full pass), with
AdamW, a warm-up + cosine learning rate and gradient clipping. After each epoch it prints the
validation perplexity and saves a checkpoint; at the end it compares the test perplexity with an
add-one-smoothed bigram model on the same tokens and writes one sample per decoding strategy
(greedy, temperature, top-k, top-p, beam search; seed 000 #5, 004 #13), KV-cached.

    python -m examples.train_gpt                        # char tokens; results in out/train_gpt/
    python -m examples.train_gpt --tokenizer bpe --vocab-size 1000
    python -m examples.train_gpt --data my_text.txt --prompt "Once upon a time"
    python -m examples.train_gpt --amp --checkpoint     # float16 autocast, recomputed activations
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_gpt.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tinygrad_lite as tl
from tinygrad_lite import optim
from models.bigram import BigramModel
from models.data.stdlib_corpus import load_corpus
from models.gpt import GPT
from models.training import RunFolder, setup
from models.training.language_model import (evaluate_language_model, generate_samples, language_model_parser,
                                            save_language_run, tokenize_corpus, train_language_model,
                                            warmup_cosine)


def main(argv=None):
    """Train the GPT; returns the metrics written to metrics.json."""
    parser = language_model_parser(__doc__.splitlines()[0], epochs=8, lr=2e-3, batch_size=16, block_size=64)
    parser.add_argument("--layers", type=int, default=4, help="Transformer blocks")
    parser.add_argument("--heads", type=int, default=4, help="attention heads per block")
    parser.add_argument("--embedding", type=int, default=128, help="model width (n_embd)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout (the run sees < 1 pass of the data)")
    parser.add_argument("--amp", action="store_true",
                        help="mixed precision: matmuls and attention in float16 under tl.amp.autocast")
    parser.add_argument("--checkpoint", action="store_true",
                        help="gradient checkpointing: recompute each block in backward (less memory, same result)")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_gpt")

    # Data: the docstring corpus (or your text), tokenized by a tokenizer trained on train only.
    corpus = load_corpus(args.data, cache_dir=args.out)
    splits = tokenize_corpus(corpus, args.tokenizer, args.vocab_size, run.file("tokenizer.json"))
    vocab_size = splits.tokenizer.vocab_size

    # Baseline: add-one-smoothed bigram counts on the same training tokens.
    bigram = BigramModel(vocab_size).fit(splits.train)

    # Model: a GPT with tied embeddings, AdamW with decoupled weight decay, warm-up then cosine.
    config = {"vocab_size": vocab_size, "block_size": args.block_size, "n_layer": args.layers,
              "n_head": args.heads, "n_embd": args.embedding, "dropout": args.dropout}
    model = GPT(**config, gradient_checkpointing=args.checkpoint).to(args.device)
    if args.amp:  # PyTorch's pattern: autocast decorating forward; weights and grads stay float32
        model.forward = tl.amp.autocast(tl.device(args.device).type)(model.forward)
    print(f"GPT: {sum(p.numel() for p in model.parameters())} parameters")
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = warmup_cosine(optimizer, args.warmup, args.epochs * args.steps_per_epoch)

    # Train: random blocks, validation perplexity and a checkpoint after every epoch.
    history = train_language_model(model, optimizer, scheduler, splits, args, run.file("checkpoint.ckpt"),
                                   config, "GPT")

    # Evaluate: perplexity on all of valid and test, next to the bigram model on the same targets.
    metrics = evaluate_language_model(model, bigram, splits, args, history, "GPT")

    # Generate: the prompt plus the new tokens fit in the block (the KV cache's positions).
    prompt_length = len(splits.tokenizer.encode(args.prompt))
    new_tokens = min(args.sample_tokens, args.block_size - prompt_length)
    generate_samples(model, splits.tokenizer, args.prompt, new_tokens, args.seed, args.device,
                     run.file("samples.txt"))

    # Save: metrics, history, the validation curve against the bigram's level, the graph.
    save_language_run(run, model, bigram, splits, args, history, metrics, "GPT")
    return metrics


if __name__ == "__main__":
    main()
