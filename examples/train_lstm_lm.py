"""Train an LSTM language model on the standard library's docstrings, beat a bigram model, generate text.

Embedding -> 2-layer LSTM -> output layer tied to the embedding (seed 004 #11, 000 #1), trained
on random 64-token blocks of the corpus (nanoGPT's sampling: an "epoch" is --steps-per-epoch
optimizer steps, not a full pass) with AdamW, a warm-up + cosine learning rate and gradient
clipping. After each epoch it prints the validation perplexity and saves a checkpoint; at the end
it compares the test perplexity with an add-one-smoothed bigram model on the same tokens and
writes one sample per decoding strategy (greedy, temperature, top-k, top-p, beam search; seed 000
#5, 004 #13).

    python -m examples.train_lstm_lm                    # char tokens; results in out/train_lstm_lm/
    python -m examples.train_lstm_lm --tokenizer bpe --vocab-size 1000
    python -m examples.train_lstm_lm --data my_text.txt --prompt "Once upon a time"
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_lstm_lm.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tinygrad_lite import optim
from models.bigram import BigramModel
from models.data.stdlib_corpus import load_corpus
from models.lstm_lm import LSTMLanguageModel
from models.training import RunFolder, setup
from models.training.language_model import (evaluate_language_model, generate_samples, language_model_parser,
                                            save_language_run, tokenize_corpus, train_language_model,
                                            warmup_cosine)


def main(argv=None):
    """Train the LSTM language model; returns the metrics written to metrics.json."""
    parser = language_model_parser(__doc__.splitlines()[0], epochs=8, lr=3e-3, batch_size=16, block_size=64)
    parser.add_argument("--layers", type=int, default=2, help="stacked LSTM layers")
    parser.add_argument("--embedding", type=int, default=128, help="embedding width (= tied output width)")
    parser.add_argument("--hidden", type=int, default=256, help="LSTM hidden units")
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout on embeddings, between layers, on outputs")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_lstm_lm")

    # Data: the docstring corpus (or your text), tokenized by a tokenizer trained on train only.
    corpus = load_corpus(args.data, cache_dir=args.out)
    splits = tokenize_corpus(corpus, args.tokenizer, args.vocab_size, run.file("tokenizer.json"))
    vocab_size = splits.tokenizer.vocab_size

    # Baseline: add-one-smoothed bigram counts on the same training tokens.
    bigram = BigramModel(vocab_size).fit(splits.train)

    # Model: embedding -> LSTM -> tied output, AdamW with decoupled weight decay, warm-up then cosine.
    config = {"vocab_size": vocab_size, "embedding_dim": args.embedding, "hidden_size": args.hidden,
              "num_layers": args.layers, "dropout": args.dropout}
    model = LSTMLanguageModel(**config).to(args.device)
    print(f"LSTM LM: {sum(p.numel() for p in model.parameters())} parameters")
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = warmup_cosine(optimizer, args.warmup, args.epochs * args.steps_per_epoch)

    # Train: random blocks, validation perplexity and a checkpoint after every epoch.
    history = train_language_model(model, optimizer, scheduler, splits, args, run.file("checkpoint.ckpt"),
                                   config, "LSTM LM")

    # Evaluate: perplexity on all of valid and test, next to the bigram model on the same targets.
    metrics = evaluate_language_model(model, bigram, splits, args, history, "LSTM")

    # Generate: the LSTM has no context limit; generate() re-reads the whole sequence each step.
    generate_samples(model, splits.tokenizer, args.prompt, args.sample_tokens, args.seed, args.device,
                     run.file("samples.txt"))

    # Save: metrics, history, the validation curve against the bigram's level, the graph.
    save_language_run(run, model, bigram, splits, args, history, metrics, "LSTM")
    return metrics


if __name__ == "__main__":
    main()
