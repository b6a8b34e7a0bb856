"""Plot the loss and accuracy curves saved by the training examples (needs matplotlib).

    python -m examples.train_mlp && python -m examples.plot_curves out/mlp_history.json
Writes the figure next to the history file (``*_curves.png``).
"""
import json
import os
import sys


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join("out", "mlp_history.json")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("plotting needs matplotlib: pip install matplotlib") from None
    with open(path, encoding="utf-8") as handle:
        history = json.load(handle)
    epochs = [row["epoch"] for row in history]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [row["train_loss"] for row in history], label="train")
    loss_axis.plot(epochs, [row["test_loss"] for row in history], label="test")
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    loss_axis.legend()
    accuracy_axis.plot(epochs, [row["test_accuracy"] for row in history], color="tab:green")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="test accuracy")
    figure.tight_layout()
    target = os.path.splitext(path)[0].replace("_history", "") + "_curves.png"
    figure.savefig(target, dpi=100)
    print(f"saved {target}")


if __name__ == "__main__":
    main()
