"""The classifier loop every classification example uses, written as PyTorch users write it."""
import os
import time

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import metrics, optim
from models.training.progress import progress


def evaluate_classifier(model, loader, device="cpu"):
    """``(mean cross-entropy, true labels, predicted labels)`` over ``loader``, eval mode, no graph."""
    was_training = model.training
    model.eval()
    total, labels, predictions = 0.0, [], []
    with tl.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            labels.append(y.numpy(force=True))
            predictions.append(logits.argmax(1).numpy(force=True))
    model.train(was_training)
    labels = numpy.concatenate(labels)
    return total / max(len(labels), 1), labels, numpy.concatenate(predictions)


def train_classifier(model, optimizer, train_loader, test_loader, epochs, device="cpu",
                     scheduler=None, loss_fn=None, description="training", checkpoint=None,
                     resume=False, scaler=None):
    """Train with cross-entropy (or ``loss_fn(logits, y, model)``) for ``epochs``, evaluating on
    ``test_loader`` after each; returns the per-epoch history (list of dicts, ``lr`` the rate the
    epoch trained with). ``ReduceLROnPlateau`` steps on the epoch's mean training loss.

    With ``checkpoint`` (a path) everything a run depends on is saved after every epoch (model,
    optimizer, scheduler, the loader's position, the random generators): ``resume=True`` loads it
    and continues, giving the same weights, bit for bit, as a run that was never interrupted.
    ``scaler`` (a ``tl.amp.GradScaler``) scales the loss for mixed precision and skips steps
    whose gradients overflowed; without one the loop is the plain float32 one."""
    loss_fn = loss_fn or (lambda logits, y, _: F.cross_entropy(logits, y))
    scaler = scaler or tl.amp.GradScaler(enabled=False)
    history, start = [], time.perf_counter()
    if resume:
        history = _load_run_state(checkpoint, model, optimizer, scheduler, train_loader, device, scaler)
        start -= history[-1]["seconds"] if history else 0.0
    bar = progress(range(len(history) + 1, epochs + 1), description)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y, model)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total, count = total + loss.item() * len(y), count + len(y)
        trained_lr = optimizer.param_groups[0]["lr"]
        if isinstance(scheduler, optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(total / count)  # the epoch's training loss: the test set never steers training
        elif scheduler is not None:
            scheduler.step()
        test_loss, labels, predictions = evaluate_classifier(model, test_loader, device)
        history.append({"epoch": epoch, "train_loss": total / count, "test_loss": test_loss,
                        "test_accuracy": float((labels == predictions).mean()), "lr": trained_lr,
                        "seconds": round(time.perf_counter() - start, 2)})
        bar.set_postfix(loss=f"{total / count:.4f}", test_acc=f"{history[-1]['test_accuracy']:.4f}")
        if checkpoint is not None:
            _save_run_state(checkpoint, model, optimizer, scheduler, train_loader, history, device, scaler)
    return history


def _save_run_state(path, model, optimizer, scheduler, loader, history, device, scaler):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "loader": loader.state_dict(), "rng": tl.get_rng_state(), "history": history,
             "scaler": scaler.state_dict()}
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if tl.device(device).type == "cuda":
        state["cuda_rng"] = tl.cuda.get_rng_state(device)
    tl.save(state, path)


def _load_run_state(path, model, optimizer, scheduler, loader, device, scaler):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--resume: no checkpoint at {path}; start a run without --resume")
    state = tl.load(path, map_location=device)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    loader.load_state_dict(state["loader"])
    if state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    tl.set_rng_state(state["rng"])
    if "cuda_rng" in state:
        tl.cuda.set_rng_state(state["cuda_rng"], device)
    return list(state["history"])


def classification_metrics(labels, predictions, prefix="test_"):
    """Accuracy and macro precision/recall/F1 as a flat dict (keys ``<prefix>accuracy``...)."""
    return {
        f"{prefix}accuracy": float(metrics.accuracy(labels, predictions)),
        f"{prefix}precision": float(metrics.precision(labels, predictions, average="macro", zero_division=0)),
        f"{prefix}recall": float(metrics.recall(labels, predictions, average="macro", zero_division=0)),
        f"{prefix}f1": float(metrics.f1_score(labels, predictions, average="macro", zero_division=0)),
    }


def split_loaders(split, batch_size, seed):
    """Shuffled train and ordered test ``DataLoader``s over a :class:`~models.data.Split`."""
    from tinygrad_lite.data import DataLoader, TensorDataset

    train = DataLoader(TensorDataset(tl.tensor(split.x_train), tl.tensor(split.y_train)),
                       batch_size=batch_size, shuffle=True, seed=seed)
    test = DataLoader(TensorDataset(tl.tensor(split.x_test), tl.tensor(split.y_test)), batch_size=512)
    return train, test


def report_classifier(run, labels, predictions, title="test", class_names=None,
                      filename="confusion_matrix.png"):
    """Print accuracy and macro precision/recall/F1, save ``confusion_matrix.png`` in ``run``;
    returns the metrics dict (keys ``test_accuracy``, ``test_precision``, ``test_recall``, ``test_f1``).
    ``filename`` names the picture when one run reports several classifiers."""
    from models.training.plots import plot_confusion_matrix

    results = classification_metrics(labels, predictions)
    print(f"{title}: " + "  ".join(f"{key.removeprefix('test_')} {value:.4f}" for key, value in results.items()))
    classes = max(int(labels.max()), int(predictions.max())) + 1 if len(labels) else 0
    matrix = metrics.confusion_matrix(labels, predictions, num_classes=classes)
    plot_confusion_matrix(run.file(filename), matrix, f"{run.name}: {title} confusion matrix",
                          class_names)
    return results


def fit_and_report(model, args, parser, run, train_loader, test_loader, title):
    """The digits classifiers' whole run: train with AdamW + cosine decay, checkpointing every
    epoch to ``model.ckpt`` (``args.resume`` continues an interrupted run; ``args.evaluate`` only
    reloads it), save history and loss curves, print and save the test metrics and confusion
    matrix, draw a training step's graph. Returns the metrics."""
    from models.training.plots import plot_curves

    checkpoint = run.file("model.ckpt")
    if (args.evaluate or args.resume) and not os.path.isfile(checkpoint):
        parser.error(f"no checkpoint at {checkpoint}; train first without --evaluate/--resume")
    if args.evaluate:
        model.load_state_dict(tl.load(checkpoint, map_location=args.device)["model"])
    else:
        optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
        scaler = tl.amp.GradScaler(tl.device(args.device).type, enabled=getattr(args, "amp", False))
        history = train_classifier(model, optimizer, train_loader, test_loader, args.epochs,
                                   args.device, scheduler, checkpoint=checkpoint, resume=args.resume,
                                   scaler=scaler)
        run.write_history(history)
        plot_curves(run.file("loss.png"), {"train": [row["train_loss"] for row in history],
                                           "test": [row["test_loss"] for row in history]},
                    f"{title}: cross-entropy", ylabel="loss", log_y=True)
        print(f"trained {args.epochs} epochs in {history[-1]['seconds']:.1f} s; saved {checkpoint}")

    test_loss, labels, predictions = evaluate_classifier(model, test_loader, args.device)
    results = {"test_loss": test_loss, **report_classifier(run, labels, predictions)}
    run.write_metrics(results)

    run.save_step_graph(model, train_loader, args.device)
    return results
