"""Fine-tune the pretrained BERT on 10% of the docstring package labels, against the same network from scratch.

Pretraining pays when labels are few (seed 004 #17-18, 000 #6): the task of
``models.data.docstring_packages`` (which of nine package families a docstring comes from) keeps
only a seeded, class-stratified 10% of its training labels (~140 docstrings). Two copies of the
same network, BERT + a classification head on the mean of the final hidden states, train on them
with the same schedule (AdamW, cosine decay, class-weighted cross-entropy), the same epochs and the
same search over learning rates (the one with the best validation macro F1 is kept): one starts
from the masked-LM checkpoint of ``examples.pretrain_bert``, the other from a random
initialisation. Both read the texts through the pretraining tokenizer.

Pretraining read the text of this seed's training split without its labels (the 90% of the
training docstrings fine-tuning does not label), and never the validation or test docstrings: the
checkpoint records the split's seed, and one made for another seed is pretrained again (by
default) or refused (``--pretrained``). Without next-sentence prediction the [CLS] vector is never
trained to summarise a text, so the mean is the default text vector (``--poolings cls,mean``
searches both).

    python -m examples.finetune_bert --seed 1        # pretrains first unless out/pretrain_bert/bert.ckpt is seed 1's
    python -m examples.finetune_bert --pretrained other/pretrain_bert/bert.ckpt --label-fraction 0.2
    python -m examples.finetune_bert --data labelled.tsv    # your own label<TAB>text lines
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/finetune_bert.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import optim
from examples import pretrain_bert
from models.bert import (POOLINGS, BERT, BertForSequenceClassification, bert_inputs, load_pretrained,
                         pretraining_provenance)
from models.data.docstring_packages import class_weights, load_docstring_packages, load_labelled_text_file
from models.data.tabular import split_train_test
from models.training import (RunFolder, classification_metrics, evaluate_classifier, example_parser,
                             plot_curves, report_classifier, setup, train_classifier)
from models.training.cli import fail
from models.training.text_batches import LengthBatches

ARMS = ("pretrained", "scratch")


def labelled_subset(texts, labels, fraction, seed):
    """A seeded, class-stratified ``fraction`` of ``(texts, labels)`` (at least one text per class)."""
    texts = numpy.array(texts, dtype=object)
    keep = split_train_test(texts, labels, test_fraction=fraction, seed=seed)
    missing = numpy.setdiff1d(numpy.unique(labels), keep.y_test)
    if len(missing):
        raise ValueError(f"--label-fraction {fraction} leaves classes {missing.tolist()} without a label")
    return keep.x_test.tolist(), keep.y_test


def pretrained_checkpoint(args):
    """The checkpoint path. By default ``<out>/pretrain_bert/bert.ckpt``, pretrained first
    (``examples.pretrain_bert`` with this run's --seed, --out, --device and --threads) when it is
    missing or read the training split of another seed, whose text may hold this seed's test
    docstrings. A ``--pretrained`` checkpoint of another seed's split is refused on the docstring task."""
    path = args.pretrained or os.path.join(args.out, "pretrain_bert", "bert.ckpt")
    if args.pretrained and not os.path.isfile(path):
        fail(f"--pretrained {path}: no such file")
    if not os.path.isfile(path):
        print(f"no pretrained BERT at {path}: running examples.pretrain_bert first (~2 min CPU)")
    elif read_another_split(path, args) is None:
        return path
    elif args.pretrained:
        fail(f"--pretrained {path}: pretrained on the docstring task's training split of seed "
             f"{read_another_split(path, args)}, which may hold the test docstrings of --seed {args.seed}")
    else:
        print(f"{path} read the training split of seed {read_another_split(path, args)}: "
              f"pretraining again for seed {args.seed} (~2 min CPU)")
    pretrain_bert.main(["--out", args.out, "--seed", str(args.seed), "--device", str(args.device),
                        "--threads", str(args.threads)])
    return path


def read_another_split(path, args):
    """The seed of the docstring task's split that the checkpoint at ``path`` read, when it is not
    this run's --seed and this run classifies the docstrings (not --data); otherwise None."""
    seed = pretraining_provenance(path).get("task_split_seed")
    return None if args.data or seed is None or seed == args.seed else seed


def main(argv=None):
    """Fine-tune the pretrained and the scratch BERT; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=20, batch_size=16, data_help=(
        "your own UTF-8 text file of label<TAB>text lines (split 70/10/20 by class, then --label-fraction "
        "of the training labels kept)"))
    parser.add_argument("--pretrained", default=None,
                        help="pretraining checkpoint (default <out>/pretrain_bert/bert.ckpt, made if missing)")
    parser.add_argument("--label-fraction", type=float, default=0.1, help="share of the training labels kept")
    parser.add_argument("--lrs", default="1e-3,3e-3",
                        help="learning rates tried for both arms (the best by validation macro F1 is kept)")
    parser.add_argument("--poolings", default="mean",
                        help="text vectors tried for both arms: cls (the tanh-pooled [CLS] vector) and/or mean "
                             "(the mean of the final hidden states over the real tokens)")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW's decoupled weight decay")
    parser.add_argument("--max-len", type=int, default=None,
                        help="tokens kept per docstring ([CLS] included; default: the checkpoint's max_len)")
    args = setup(parser, argv)
    settings = [(pooling, float(lr)) for pooling in args.poolings.split(",") for lr in args.lrs.split(",")]
    if any(pooling not in POOLINGS for pooling, _ in settings):
        parser.error(f"--poolings: choose from {','.join(POOLINGS)}")
    run = RunFolder(args.out, "finetune_bert")
    checkpoint = pretrained_checkpoint(args)
    pretrained_bert, tokenizer = load_pretrained(checkpoint)
    max_len = min(args.max_len or pretrained_bert.config["max_len"], pretrained_bert.config["max_len"])

    # Data: the docstring task (or your file), 10% of its training labels, the pretraining tokens.
    split = (load_labelled_text_file(args.data, seed=args.seed) if args.data
             else load_docstring_packages(cache_dir=args.out, seed=args.seed))
    train_texts, train_labels = labelled_subset(split.train_texts, split.train_labels, args.label_fraction,
                                                args.seed)
    num_classes = len(split.class_names)
    weights = tl.tensor(class_weights(train_labels, num_classes), device=args.device)
    train, valid, test = (bert_inputs(tokenizer, texts, max_len)
                          for texts in (train_texts, split.valid_texts, split.test_texts))
    print(f"{len(train_texts)} of {len(split.train_texts)} training labels kept, {len(split.valid_texts)} valid, "
          f"{len(split.test_texts)} test texts of {num_classes} classes")
    valid_loader = LengthBatches(*valid, split.valid_labels, 32)
    test_loader = LengthBatches(*test, split.test_labels, 32)

    def fine_tune(arm, pooling, lr):
        """One arm with one pooling and learning rate, from the seed: scores, history, model, test predictions."""
        tl.manual_seed(args.seed)
        bert, _ = load_pretrained(checkpoint, args.device)
        if arm == "scratch":
            bert = BERT(**bert.config).to(args.device)
        model = BertForSequenceClassification(bert, num_classes, pooling=pooling).to(args.device)
        optimizer = optim.AdamW(pretrain_bert.decay_groups(model, args.weight_decay), lr=lr)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
        train_loader = LengthBatches(*train, train_labels, args.batch_size, shuffle=True, seed=args.seed)
        cpu_start = time.process_time()
        history = train_classifier(model, optimizer, train_loader, valid_loader, args.epochs, args.device,
                                   scheduler, loss_fn=lambda logits, y, _: F.cross_entropy(logits, y, weight=weights),
                                   description=f"{arm} {pooling} lr {lr:g}")
        _, valid_labels, valid_predictions = evaluate_classifier(model, valid_loader, args.device)
        _, labels, predictions = evaluate_classifier(model, test_loader, args.device)
        valid_f1 = classification_metrics(valid_labels, valid_predictions)["test_f1"]
        scores = {"pooling": pooling, "lr": lr, "valid_f1": valid_f1,
                  **classification_metrics(labels, predictions), "cpu_seconds": time.process_time() - cpu_start}
        print(f"{arm:<11} {pooling:<5} lr {lr:<8g} valid macro F1 {valid_f1:.4f}  ({scores['cpu_seconds']:.0f} s CPU)")
        return {"scores": scores, "history": history, "model": model, "loader": train_loader,
                "labels": labels, "predictions": predictions}

    # Train: both arms, every pooling and learning rate; each arm keeps its best on validation.
    best = {}
    for arm in ARMS:
        tried = [fine_tune(arm, pooling, lr) for pooling, lr in settings]
        best[arm] = max(tried, key=lambda outcome: outcome["scores"]["valid_f1"])

    # Evaluate: test scores of both arms, one confusion matrix each.
    results = {}
    for arm in ARMS:
        chosen = best[arm]["scores"]
        scores = report_classifier(run, best[arm]["labels"], best[arm]["predictions"],
                                   f"{arm} BERT ({chosen['pooling']} pooling, lr {chosen['lr']:g})", split.class_names,
                                   filename=f"{arm}_confusion_matrix.png")
        results.update({f"{arm}_macro_f1": scores["test_f1"], f"{arm}_accuracy": scores["test_accuracy"],
                        f"{arm}_lr": best[arm]["scores"]["lr"], f"{arm}_pooling": best[arm]["scores"]["pooling"],
                        f"{arm}_valid_macro_f1": best[arm]["scores"]["valid_f1"]})
    results.update({"macro_f1_gain": results["pretrained_macro_f1"] - results["scratch_macro_f1"],
                    "labelled_examples": len(train_texts)})
    print(f"test macro F1 with {len(train_texts)} labels: pretrained {results['pretrained_macro_f1']:.4f}, "
          f"scratch {results['scratch_macro_f1']:.4f} (gain {100 * results['macro_f1_gain']:+.1f} points)")

    # Save: metrics, both histories, validation curves, the fine-tuned model and a training step's graph.
    run.write_metrics(results)
    run.write_history({arm: best[arm]["history"] for arm in ARMS})
    plot_curves(run.file("accuracy.png"), {f"{arm} (valid)": [row["test_accuracy"] for row in best[arm]["history"]]
                                           for arm in ARMS},
                f"BERT fine-tuning on {len(train_texts)} labels: validation accuracy", ylabel="accuracy")
    plot_curves(run.file("loss.png"), {f"{arm} ({kind})": [row[key] for row in best[arm]["history"]]
                                       for arm in ARMS for kind, key in (("train", "train_loss"), ("valid", "test_loss"))},
                "BERT fine-tuning: cross-entropy", ylabel="loss", log_y=True)
    tl.save({"model": best["pretrained"]["model"].state_dict(), "config": best["pretrained"]["model"].bert.config,
             "num_classes": num_classes}, run.file("model.ckpt"))
    run.save_step_graph(best["pretrained"]["model"], best["pretrained"]["loader"], args.device)
    return results


if __name__ == "__main__":
    main()
