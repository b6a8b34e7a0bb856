"""Forecast a noisy multi-frequency series with an RNN, a GRU and an LSTM, against the last-value (naive) baseline.

Each cell reads a window of past values and predicts the next one(s); test MSE is compared with
repeating the window's last value. Plots: test MSE per epoch, and a stretch of the test forecast
against the truth.

    python -m examples.forecast_series                      # generated series; out/forecast_series/
    python -m examples.forecast_series --horizon 5          # predict 5 steps at once
    python -m examples.forecast_series --data sales.csv     # your own series, one value per line
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/forecast_series.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import optim
from models.data.series import load_series, make_series, split_series
from models.forecaster import Forecaster
from models.training import RunFolder, example_parser, plot_curves, progress, setup, split_loaders

CELLS = ("rnn", "gru", "lstm")


def predict(model, loader, device):
    """Every prediction of ``model`` over ``loader``, concatenated (N, horizon) NumPy, no graph."""
    model.eval()
    with tl.no_grad():
        predictions = [model(x.to(device)).cpu().numpy() for x, _ in loader]
    model.train()
    return numpy.concatenate(predictions)


def main(argv=None):
    """Train one forecaster per cell; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=20, lr=5e-3, batch_size=64, data_help=(
        "your own 1-D series: .csv/.txt with one value per line, or .npy (default: a generated "
        "sum of sines plus noise)"))
    parser.add_argument("--window", type=int, default=32, help="past values each forecast reads")
    parser.add_argument("--horizon", type=int, default=1, help="values predicted after each window")
    parser.add_argument("--hidden", type=int, default=48, help="hidden units per cell")
    parser.add_argument("--length", type=int, default=3000, help="length of the generated series")
    parser.add_argument("--noise", type=float, default=0.1, help="noise std of the generated series")
    args = setup(parser, argv)
    if args.window < 1 or args.horizon < 1:
        parser.error(f"--window and --horizon must be at least 1, got {args.window} and {args.horizon}")
    run = RunFolder(args.out, "forecast_series")

    # Data: the series (generated from the seed, or yours), windows split in time order (last 20% test).
    try:
        series = load_series(args.data) if args.data else make_series(args.length, noise=args.noise, seed=args.seed)
        split = split_series(series, args.window, args.horizon)
    except ValueError as error:
        parser.error(str(error))
    train_loader, test_loader = split_loaders(split, args.batch_size, args.seed)
    to_units = split.std ** 2  # MSEs are computed on standardised values, reported in the series' units
    print(f"{len(series)} values: {len(split.x_train)} training and {len(split.x_test)} test windows "
          f"of {args.window} -> {args.horizon}")

    # Baseline: repeat the last value of each window.
    naive_mse = float(((split.x_test[:, -1:] - split.y_test) ** 2).mean()) * to_units

    # Models: one forecaster per cell, each from the same seed, trained on MSE with Adam + cosine decay.
    results, histories, trained = {"naive_mse": naive_mse}, {}, {}
    for cell in CELLS:
        tl.manual_seed(args.seed)
        model = Forecaster(args.hidden, cell, horizon=args.horizon).to(args.device)
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
        histories[cell], start = [], time.perf_counter()
        bar = progress(range(1, args.epochs + 1), cell)
        for epoch in bar:
            total = 0.0
            for x, y in train_loader:
                loss = F.mse_loss(model(x.to(args.device)), y.to(args.device))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
            scheduler.step()
            test_mse = float(((predict(model, test_loader, args.device) - split.y_test) ** 2).mean()) * to_units
            histories[cell].append({"epoch": epoch, "train_mse": total / len(split.x_train) * to_units,
                                    "test_mse": test_mse, "seconds": round(time.perf_counter() - start, 2)})
            bar.set_postfix(test_mse=f"{test_mse:.4f}", vs_naive=f"{test_mse / naive_mse:.3f}")
        results[f"{cell}_mse"] = histories[cell][-1]["test_mse"]
        trained[cell] = model

    # Evaluate: the table against the naive baseline.
    print(f"\n{'model':<8}{'test MSE':>10}{'/ naive':>9}{'params':>8}{'seconds':>9}")
    print(f"{'naive':<8}{naive_mse:>10.4f}{1:>9.3f}{0:>8}{0:>9.1f}")
    for cell in CELLS:
        parameters = sum(parameter.numel() for parameter in trained[cell].parameters())
        print(f"{cell:<8}{results[f'{cell}_mse']:>10.4f}{results[f'{cell}_mse'] / naive_mse:>9.3f}"
              f"{parameters:>8}{histories[cell][-1]['seconds']:>9.1f}")
    best = min(CELLS, key=lambda cell: results[f"{cell}_mse"])
    results.update(best_model=best, best_mse_vs_naive=results[f"{best}_mse"] / naive_mse)
    print(f"best: {best}, test MSE {results['best_mse_vs_naive']:.3f} x the naive baseline's")
    if not args.data:
        print(f"(no forecast beats the generator's noise variance, {args.noise ** 2:.4f})")

    # Save: metrics, histories, curves, a stretch of forecast vs truth, the best model and its graph.
    run.write_metrics(results)
    run.write_history(histories)
    curves = {cell: [row["test_mse"] for row in histories[cell]] for cell in CELLS}
    curves["naive"] = [naive_mse] * args.epochs
    plot_curves(run.file("loss.png"), curves, "forecast: test MSE", ylabel="MSE", log_y=True)
    stretch = slice(0, min(120, len(split.x_test)))
    steps = numpy.arange(stretch.stop)

    def in_units(values):
        return values[stretch, 0] * split.std + split.mean

    stretches = {"truth": (steps, in_units(split.y_test)), "naive": (steps, in_units(split.x_test[:, -1:]))}
    for cell in CELLS:
        stretches[cell] = (steps, in_units(predict(trained[cell], test_loader, args.device)))
    plot_curves(run.file("forecast.png"), stretches, "next value: forecast vs truth (test start)",
                xlabel="test step", ylabel="value")
    tl.save({"model": trained[best].state_dict(), "cell": best}, run.file("model.ckpt"))
    run.save_step_graph(trained[best], train_loader, args.device, loss_fn=F.mse_loss)
    return results


if __name__ == "__main__":
    main()
