"""The training loop, evaluation and command line shared by the digits classifiers.

Written out as PyTorch users write it (no Trainer class): zero_grad, backward, step per batch,
a scheduler step per epoch, evaluation on the held-out split after each epoch.
"""
import argparse
import json
import os
import time

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import optim
from tinygrad_lite.data import DataLoader, TensorDataset
from examples.digits import load_split
from examples.reporting import EpochLog, print_metrics, save_loss_graph


def parse_args(description, epochs, lr):
    """The examples' shared command line: data, epochs, batch size, lr, seed, out, --evaluate."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", help="your own .npz (x, y) or .csv (label last) instead of digits")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="folder for checkpoint, history and graph")
    parser.add_argument("--evaluate", action="store_true", help="only evaluate the saved checkpoint")
    return parser.parse_args()


def make_loaders(args):
    """Train/test DataLoaders over the digits (or ``args.data``) and the number of classes."""
    x_train, y_train, x_test, y_test = load_split(args.data, seed=args.seed)
    train_loader = DataLoader(TensorDataset(tl.tensor(x_train), tl.tensor(y_train)),
                              batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(TensorDataset(tl.tensor(x_test), tl.tensor(y_test)), batch_size=512)
    classes = int(max(y_train.max(), y_test.max())) + 1
    return train_loader, test_loader, classes


def evaluate(model, loader):
    """Mean cross-entropy, true labels and predicted labels over ``loader`` (eval mode, no graph)."""
    model.eval()
    total, labels, predictions = 0.0, [], []
    with tl.no_grad():
        for x, y in loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            labels.append(y.numpy())
            predictions.append(logits.argmax(1).numpy())
    labels = numpy.concatenate(labels)
    return total / len(labels), labels, numpy.concatenate(predictions)


def train(model, train_loader, test_loader, epochs, lr):
    """AdamW with cosine LR decay for ``epochs``; returns the optimizer and per-epoch history."""
    optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history, log, start = [], EpochLog(epochs), time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(y), count + len(y)
        scheduler.step()
        test_loss, labels, predictions = evaluate(model, test_loader)
        row = {"epoch": epoch, "train_loss": total / count, "test_loss": test_loss,
               "test_accuracy": float((labels == predictions).mean()),
               "seconds": round(time.perf_counter() - start, 2)}
        history.append(row)
        log.update(row)
    log.close()
    return optimizer, history


def run(name, model, args):
    """Train (or, with --evaluate, load) ``model``, print test metrics, save checkpoint and graph."""
    train_loader, test_loader, _ = make_loaders(args)
    checkpoint = os.path.join(args.out, f"{name}_digits.ckpt")
    print(model)
    if args.evaluate:
        model.load_state_dict(tl.load(checkpoint)["model"])
        print(f"loaded {checkpoint}")
    else:
        optimizer, history = train(model, train_loader, test_loader, args.epochs, args.lr)
        os.makedirs(args.out, exist_ok=True)
        tl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, checkpoint)
        with open(os.path.join(args.out, f"{name}_history.json"), "w", encoding="utf-8") as handle:
            json.dump(history, handle, indent=1)
        print(f"trained {args.epochs} epochs in {history[-1]['seconds']:.1f} s; saved {checkpoint}")
    test_loss, labels, predictions = evaluate(model, test_loader)
    results = print_metrics("test", labels, predictions, test_loss)
    model.train()  # draw the graph of a training step: dropout included
    x, y = next(iter(train_loader))
    save_loss_graph(F.cross_entropy(model(x[:8]), y[:8]), model,
                    os.path.join(args.out, f"{name}_graph.png"))
    return results
