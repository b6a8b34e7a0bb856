"""Named-entity recognition on unseen names: a BiLSTM tagger with character features against a gazetteer.

The task (``models.data.entities``): sentences from templates with people, organisations,
locations and dates, tagged BIO; the test sentences use other templates AND other names than the
training ones, so no test name was ever seen (a validation split, other frames and names again,
is what the defaults were chosen on). The tagger (``models.tagger.BiLSTMTagger``) reads
word embeddings and a character CNN per word through a BiLSTM; in training most entity tokens
are read as ``<unk>`` (name dropout: every test name is an unknown word, its context words are
not) and some words' spellings are blanked (character dropout), so context counts; the baseline
(``models.gazetteer.Gazetteer``) knows the training names and the shapes of the training dates.
Both are scored by exact entity span and type (``tl.metrics.entity_f1_score``, seqeval's rules).

    python -m examples.train_ner                      # out/train_ner/: metrics, report, plots, checkpoint
    python -m examples.train_ner --seed 1 --epochs 10
    python -m examples.train_ner --data my_ner.txt    # your own CoNLL-style file (see --data in --help)
"""
import os
import string
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_ner.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
from tinygrad_lite import metrics, nn, optim, text
from models.data.entities import make_ner_task, read_conll, split_sentences
from models.gazetteer import Gazetteer
from models.tagger import BiLSTMTagger, bio_constraints, character_classes, encode_sentences
from models.training import RunFolder, example_parser, plot_bars, plot_curves, progress, setup
from models.training.cli import fail

IGNORE = -100  # cross-entropy's ignore_index on padding positions


def tag_vocabulary(tag_lists):
    """``("O", "B-X", "I-X", ...)`` for every type X in ``tag_lists`` (sorted)."""
    kinds = sorted({tag[2:] for tags in tag_lists for tag in tags if tag != "O"})
    return ("O",) + tuple(f"{prefix}-{kind}" for kind in kinds for prefix in "BI")


def tag_ids(tag_lists, vocabulary, steps):
    """int64 (N, steps) tag ids, IGNORE past each sentence's end."""
    index = {tag: position for position, tag in enumerate(vocabulary)}
    ids = numpy.full((len(tag_lists), steps), IGNORE, dtype=numpy.int64)
    for row, tags in enumerate(tag_lists):
        ids[row, :len(tags)] = [index[tag] for tag in tags]
    return ids


def hide_names(word_ids, tag_ids, unk_id, probability, rng):
    """A copy of ``word_ids`` where each entity token (tag not O, i.e. not 0 or IGNORE) is
    ``unk_id`` with ``probability``: every test name is an unknown word, so training should show
    names that way often while the context words keep their own ids."""
    hidden = (tag_ids > 0) & (rng.random(word_ids.shape) < probability)
    return numpy.where(hidden, unk_id, word_ids)


def predict_tags(model, word_ids, char_ids, lengths, vocabulary, device, batch_size=500):
    """The model's BIO tag lists (best valid BIO sequence) for encoded sentences of ``lengths``."""
    if not lengths:
        return []
    model.eval()
    allowed, start = bio_constraints(vocabulary)
    best = numpy.concatenate([model.decode(tl.tensor(word_ids[rows], device=device),
                                           tl.tensor(char_ids[rows], device=device), allowed, start)
                              for rows in numpy.array_split(numpy.arange(len(lengths)),
                                                            max(1, -(-len(lengths) // batch_size)))])
    names = numpy.asarray(vocabulary)
    return [names[row[:length]].tolist() for row, length in zip(best, lengths)]


def main(argv=None):
    """Train the tagger, score it and the gazetteer on unseen names; returns the metrics written."""
    parser = example_parser(__doc__.splitlines()[0], epochs=8, lr=3e-3, batch_size=32, data_help=(
        "your own CoNLL-style UTF-8 file: one 'token tag' per line (space or tab; BIO tags such as "
        "B-PER, I-PER, O), a blank line between sentences; a seeded 20%% of the sentences is the test set"))
    parser.add_argument("--num-train", type=int, default=3000, help="generated training sentences")
    parser.add_argument("--num-test", type=int, default=1000, help="generated test sentences")
    parser.add_argument("--num-valid", type=int, default=500,
                        help="generated validation sentences (held-out training frames, unseen names)")
    parser.add_argument("--hidden", type=int, default=64, help="LSTM units per direction")
    parser.add_argument("--word-dim", type=int, default=64, help="word embedding size")
    parser.add_argument("--char-channels", type=int, default=48, help="character CNN filters")
    parser.add_argument("--word-dropout", type=float, default=0.1, help="chance any training word is read as <unk>")
    parser.add_argument("--name-dropout", type=float, default=0.8,
                        help="chance a training entity token is read as <unk> (as every test name is)")
    parser.add_argument("--char-dropout", type=float, default=0.5,
                        help="chance a training word's character features are zeroed")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_ner")

    # Data: generated sentences (unseen templates and names at test time), or the user's file.
    if args.data:
        try:
            task = split_sentences(*read_conll(args.data), seed=args.seed, valid_fraction=0.1)
        except ValueError as error:
            fail(str(error))
    else:
        task = make_ner_task(args.num_train, args.num_test, seed=args.seed, num_valid=args.num_valid)
    words = text.WordTokenizer(sorted({token.lower() for tokens in task.train_tokens for token in tokens}))
    # Every ASCII letter and digit is in the alphabet (a test name may start with a letter no
    # training name starts with), plus whatever else the training text holds.
    chars = text.CharTokenizer.train([string.ascii_letters + string.digits]
                                     + [token for tokens in task.train_tokens for token in tokens])
    vocabulary = tag_vocabulary(task.train_tags + task.test_tags)
    train_words, train_chars = encode_sentences(task.train_tokens, words, chars)
    test_words, test_chars = encode_sentences(task.test_tokens, words, chars)
    train_tags = tag_ids(task.train_tags, vocabulary, train_words.shape[1])
    valid_words, valid_chars = encode_sentences(task.valid_tokens, words, chars)
    test_lengths = [len(tokens) for tokens in task.test_tokens]
    valid_lengths = [len(tokens) for tokens in task.valid_tokens]
    print(f"{len(task.train_tokens)} train / {len(task.valid_tokens)} validation / {len(task.test_tokens)} test "
          f"sentences; {words.vocab_size} words, "
          f"{chars.vocab_size} characters, tags {' '.join(vocabulary)}")

    # Baseline: the gazetteer of the training names and date shapes.
    rules = Gazetteer.fit(task.train_tokens, task.train_tags)
    rule_tags = rules.predict(task.test_tokens)

    # Model and optimizer.
    model = BiLSTMTagger(words.vocab_size, chars.vocab_size, len(vocabulary), word_dim=args.word_dim,
                         char_channels=args.char_channels, hidden_size=args.hidden, word_pad_id=words.pad_id,
                         unk_id=words.unk_id, char_pad_id=chars.pad_id,
                         word_dropout=args.word_dropout, char_classes=character_classes(chars),
                         char_dropout=args.char_dropout).to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    rng = numpy.random.default_rng(args.seed)

    # Train: shuffled mini-batches each epoch; the validation F1 (held-out training frames with
    # names unseen in training) is what the defaults were chosen on; the test set is read once, at the end.
    history, start, cpu_start = [], time.perf_counter(), time.process_time()
    bar = progress(range(1, args.epochs + 1), "train_ner")
    for epoch in bar:
        model.train()
        losses = []
        for rows in numpy.array_split(rng.permutation(len(train_words)), -(-len(train_words) // args.batch_size)):
            steps = int((train_words[rows] != words.pad_id).sum(1).max())
            batch_words = hide_names(train_words[rows, :steps], train_tags[rows, :steps], words.unk_id,
                                     args.name_dropout, rng)
            loss = model.loss(tl.tensor(batch_words, device=args.device),
                              tl.tensor(train_chars[rows, :steps], device=args.device),
                              tl.tensor(train_tags[rows, :steps], device=args.device))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        validated = predict_tags(model, valid_words, valid_chars, valid_lengths, vocabulary, args.device)
        history.append({"epoch": epoch, "train_loss": float(numpy.mean(losses)),
                        "valid_entity_f1": metrics.entity_f1_score(task.valid_tags, validated, zero_division=0)})
        bar.set_postfix(loss=f"{history[-1]['train_loss']:.4f}", f1=f"{history[-1]['valid_entity_f1']:.3f}")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    predicted = predict_tags(model, test_words, test_chars, test_lengths, vocabulary, args.device)

    # Evaluate: exact span + type, per type, the tagger beside the rules.
    precision, recall, f1 = metrics.entity_precision_recall_fscore(task.test_tags, predicted, zero_division=0)
    tagger_report = metrics.entity_classification_report(task.test_tags, predicted, digits=4, output_dict=True,
                                                         zero_division=0)
    rule_report = metrics.entity_classification_report(task.test_tags, rule_tags, digits=4, output_dict=True,
                                                       zero_division=0)
    print("\nBiLSTM tagger (test: unseen templates and names)")
    print(metrics.entity_classification_report(task.test_tags, predicted, digits=4, zero_division=0))
    print("gazetteer of the training names + learned date shapes")
    print(metrics.entity_classification_report(task.test_tags, rule_tags, digits=4, zero_division=0))
    kinds = [kind for kind in tagger_report if not kind.endswith(" avg")]
    results = {"entity_f1": f1, "entity_precision": precision, "entity_recall": recall,
               "valid_entity_f1": history[-1]["valid_entity_f1"],
               "rule_entity_f1": rule_report["micro avg"]["f1-score"],
               **{f"entity_f1_{kind}": tagger_report[kind]["f1-score"] for kind in kinds},
               **{f"rule_entity_f1_{kind}": rule_report.get(kind, {"f1-score": 0.0})["f1-score"] for kind in kinds},
               "train_seconds": seconds, "train_cpu_seconds": cpu_seconds}
    print(f"entity F1 {f1:.4f} (tagger) against {results['rule_entity_f1']:.4f} (gazetteer); "
          f"training {seconds:.1f} s, {cpu_seconds:.1f} s CPU")

    # Save: metrics, history, plots, the checkpoint with its vocabularies, and the graph of one loss.
    run.write_metrics(results)
    run.write_history(history)
    plot_curves(run.file("loss.png"), {"train cross-entropy": [row["train_loss"] for row in history]},
                "NER: training loss", ylabel="loss", log_y=True)
    plot_curves(run.file("f1.png"), {"validation entity F1": [row["valid_entity_f1"] for row in history]},
                "NER: entity F1 on held-out frames and names", ylabel="F1")
    plot_bars(run.file("f1_per_type.png"), {f"{kind} {who}": report.get(kind, {"f1-score": 0.0})["f1-score"]
                                            for kind in kinds for who, report in (("tagger", tagger_report),
                                                                                  ("rules", rule_report))},
              "NER: test entity F1 per type", ylabel="F1")
    tl.save({"model": model.state_dict(), "tags": list(vocabulary)}, run.file("tagger.ckpt"))
    words.save(run.file("words.json"))
    chars.save(run.file("chars.json"))
    model.train()
    run.save_graph(model.loss(tl.tensor(train_words[:4], device=args.device), tl.tensor(train_chars[:4], device=args.device),
                              tl.tensor(train_tags[:4], device=args.device)), model)
    return results


if __name__ == "__main__":
    main()
