"""The four programming exercises of seed 000 ("算法编程题库"), done right, one section each.

Q1 the 3-4-1 feed-forward net (ReLU hidden, sigmoid out) on the breast cancer data projected to 3
features; Q2 its backpropagation written out by hand in NumPy next to our autograd, then gradient
descent; Q3 the RNN (3 steps, hidden 2) by hand next to ``nn.RNN``, then a tiny sequence predictor;
Q4 a CNN for 32x32 images with 3x3 kernels and 10 classes, on the digits brought to 32x32. Each
section first lists what the document's own answer gets wrong.

    python -m examples.seed_exercises                  # all four; results in out/seed_exercises/
    python -m examples.seed_exercises --seed 1 --device cuda
    python -m examples.seed_exercises --data my.csv    # your own 0/1 table for Q1 and Q2 (label last)
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/seed_exercises.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, optim
from models.data import Split, load_breast_cancer, load_digits
from models.feedforward import FeedForward
from models.lenet import LeNet32
from models.training import (RunFolder, evaluate_classifier, example_parser, plot_curves, progress, report_classifier, setup,
                             split_loaders, train_classifier)

# The document's example inputs, kept to show concretely where its shapes break.
DOC_Q1_X = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
DOC_Q1_W1 = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]]
DOC_Q3_X = [[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]]]

DOCUMENT_ERRORS = {
    "Q1": [
        "the task says the hidden layer uses sigmoid AND ReLU; the code uses ReLU hidden, sigmoid out",
        "the example W1 is 2x4 although the spec (and the explanation) say 3x4 and X has 3 columns: "
        "X @ W1 raises ValueError ({matmul_error}), so the answer never runs",
        "the claimed output [[0.999]] has one row for a batch of two; completing W1 with a third row "
        "[0.9, 1.0, 1.1, 1.2] gives {completed} - nowhere near 0.999",
        "the weights are made up, never trained: there is no loss, no data, no 0.5 threshold, so it "
        "'predicts' nothing; 1 / (1 + exp(-z)) also overflows for large negative z (we train on "
        "logits with the fused binary_cross_entropy_with_logits)",
    ],
    "Q2": [
        "it is not backpropagation: one sigmoid layer (logistic regression), no hidden layer, so no "
        "chain rule through ReLU; Q1's net needs dW2, db2, dA1 = dZ2 W2, the ReLU mask (Z1 > 0), dW1, db1",
        "the example W is 2x3 but X has 3 features, so W needs 3 rows: X @ W raises ValueError "
        "before any gradient is computed",
        "b has 3 entries for 1 output: even with a 3x3 W, A - y would broadcast (2,3) - (2,1) silently",
        "the 'expected' W = [[0.009999], [0.019999]] is 2x1 for a 2x3 input W (an update cannot change "
        "a shape), and 0.1 -> 0.009999 is a move of 0.09, while one step of 0.01 * dW moves a weight "
        "by at most 0.006 here (|x| <= 0.6, |sigmoid - y| < 1)",
        "dZ = A - y is the gradient of the mean binary cross-entropy, but the loss is never named, "
        "computed or printed, and y = 0.7, 0.8 are not binary labels",
        "one step only, no check that the gradient is right, and W -= ... silently mutates the caller's arrays",
    ],
    "Q3": [
        "there is no recurrence: each step is computed from x_t alone; h_(t-1) never enters "
        "(an RNN needs h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh))",
        "the spec says W2 is hidden x hidden (the recurrent weight); the code uses it as a 2x1 output layer",
        "H[:, t, :] = H_t puts a (2, 1) output into (2, 2) slots: NumPy broadcasts it silently, so the "
        "returned 'hidden state' is the sigmoid output copied twice (its first step: [0.544, 0.544])",
        "the claimed output [[[0.999], [0.999]], ...] has 2 steps for a sequence of 3 and values the "
        "code cannot produce (it gives 0.54-0.58)",
        "the explanation says H_t is the ReLU state, but the code overwrites it with the sigmoid output",
    ],
    "Q4": [
        "the spec lays W1 out as [height, width, channels, filters]; the code indexes it filters-first",
        "the example images are 2x2 (not 32x32) and the 'kernel' W1[l] is 2x3x3, not 3x3: the output "
        "width is 2 - 3 + 1 = 0, so the convolution returns an empty array",
        "b1 has 3 entries for 2 filters; b2 has 3 entries for 10 classes, so the last line raises "
        "'operands could not be broadcast together with shapes (0,10) (3,)'",
        "out.reshape(-1, 1) @ W2 (1x10) makes every pooled pixel its own 'sample' instead of "
        "flattening each image to one feature vector",
        "no nonlinearity after the convolution, no softmax or cross-entropy, no training; the expected "
        "output [[0.999], [0.999]] has 1 column for 10 classes",
        "four nested Python loops over images, rows, columns and filters: one interpreted iteration "
        "per output value, where conv2d does the whole batch as one matmul (im2col)",
    ],
}

Q1_HIDDEN = 4
Q3_HIDDEN, Q3_STEPS = 2, 3
Q4_BATCH, Q4_LR = 32, 3e-3


def print_section(title, errors, **facts):
    """Print a section's title and the document's errors, with computed ``facts`` filled in."""
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}\nWhat the document got wrong:")
    for number, error in enumerate(errors, 1):
        print(f"  {number}. {error.format(**facts)}")


def numpy_error(function):
    """The error message NumPy raises for ``function()`` (the document's own operation)."""
    try:
        function()
    except ValueError as error:
        return str(error)
    return "no error"


# ---------------------------------------------------------------- Q1: the 3-4-1 net on real data
def project_on_components(split, count):
    """Project ``split`` on the top ``count`` principal directions of its training features
    (fitted on the training split only, so the test set never leaks into the projection)."""
    if split.x_train.shape[1] <= count:
        return split
    centre = split.x_train.mean(axis=0)
    _, _, directions = numpy.linalg.svd(split.x_train - centre, full_matrices=False)
    basis = directions[:count].T
    x_train = (split.x_train - centre) @ basis
    x_test = (split.x_test - centre) @ basis
    scale = x_train.std(axis=0)  # equal scales: the principal components' variances differ a lot
    return Split((x_train / scale).astype(numpy.float32), split.y_train,
                 (x_test / scale).astype(numpy.float32), split.y_test)


def load_binary_task(args, parser):
    """Breast cancer (or the user's 0/1 table), standardised on train, projected to 3 features."""
    split = load_breast_cancer(args.data, seed=args.seed)
    labels = numpy.concatenate([split.y_train, split.y_test])
    if not set(numpy.unique(labels)) <= {0, 1}:
        parser.error(f"--data {args.data}: Q1 and Q2 need binary labels 0/1, got {numpy.unique(labels)[:10]}")
    return project_on_components(split, 3)


def as_tensors(split, device, dtype=tl.float32):
    """``(x_train, y_train, x_test, y_test)`` tensors; labels as (N, 1) floats for the BCE loss."""
    return (tl.tensor(split.x_train, dtype=dtype, device=device),
            tl.tensor(split.y_train[:, None], dtype=dtype, device=device),
            tl.tensor(split.x_test, dtype=dtype, device=device),
            tl.tensor(split.y_test[:, None], dtype=dtype, device=device))


def q1_feed_forward(split, args, run):
    """Train the 3-4-1 net full-batch with Adam; returns (metrics, per-step loss history)."""
    print_section("Q1. A feed-forward net (3 inputs, 4 ReLU hidden units, 1 sigmoid output) for binary "
                  "classification", DOCUMENT_ERRORS["Q1"], **q1_facts())
    x_train, y_train, x_test, _ = as_tensors(split, args.device)
    model = FeedForward(x_train.shape[1], Q1_HIDDEN, 1).to(args.device)
    print(f"\ndata: {len(x_train)} train / {len(x_test)} test samples, {x_train.shape[1]} features (the "
          f"standardised table, projected on its top 3 principal components when wider)\n{model}")
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in progress(range(args.steps), "Q1 Adam", unit="step"):
        loss = F.binary_cross_entropy_with_logits(model(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with tl.no_grad():
        predictions = model.predict(x_test).numpy(force=True).ravel()
    majority = int(numpy.bincount(split.y_train).argmax())
    baseline = float((split.y_test == majority).mean())
    print(f"train loss {losses[0]:.4f} -> {losses[-1]:.4f} after {args.steps} Adam steps")
    results = report_classifier(run, split.y_test, predictions, "Q1 test", filename="q1_confusion_matrix.png")
    print(f"Q1 test accuracy {results['test_accuracy']:.4f}  vs  majority-class baseline {baseline:.4f}")
    loss = F.binary_cross_entropy_with_logits(model(x_train[:8]), y_train[:8])  # a fresh graph, not freed
    print(f"graph: {run.save_graph(loss, model, 'graph.png')}")
    return {"q1_test_accuracy": results["test_accuracy"], "q1_test_f1": results["test_f1"],
            "q1_majority_baseline": baseline}, losses


def q1_facts():
    """The document's Q1 example, run: its matmul error, and the output once W1 has its third row."""
    x, w1 = numpy.array(DOC_Q1_X), numpy.array(DOC_Q1_W1)
    completed_w1 = numpy.vstack([w1, [0.9, 1.0, 1.1, 1.2]])
    hidden = numpy.maximum(0, x @ completed_w1 + [0.1, 0.2, 0.3, 0.4])
    output = 1 / (1 + numpy.exp(-(hidden @ [[0.1], [0.2], [0.3], [0.4]] + 0.1)))
    return {"matmul_error": numpy_error(lambda: x @ w1),
            "completed": numpy.array2string(output.round(3), separator=", ").replace("\n", "")}


# ---------------------------------------------------------------- Q2: backpropagation by hand
def forward_by_hand(params, x):
    """The 3-4-1 net in NumPy; returns the intermediate values the backward pass needs."""
    pre_hidden = x @ params["hidden.weight"].T + params["hidden.bias"]
    hidden = numpy.maximum(pre_hidden, 0.0)
    logits = hidden @ params["output.weight"].T + params["output.bias"]
    return {"x": x, "pre_hidden": pre_hidden, "hidden": hidden, "logits": logits}


def bce_by_hand(logits, y):
    """Mean binary cross-entropy of sigmoid(logits), in the overflow-free form max(z,0) - z*y + log(1+e^-|z|)."""
    return float(numpy.mean(numpy.maximum(logits, 0) - logits * y + numpy.log1p(numpy.exp(-numpy.abs(logits)))))


def backward_by_hand(params, cache, y):
    """Gradients of the mean BCE with respect to every parameter (names as in ``FeedForward``)."""
    count = len(y)
    grad_logits = (1 / (1 + numpy.exp(-cache["logits"])) - y) / count   # d(mean BCE)/dz = (sigmoid(z) - y)/N
    grad_hidden = grad_logits @ params["output.weight"]
    grad_pre_hidden = grad_hidden * (cache["pre_hidden"] > 0)           # ReLU passes gradient where z1 > 0
    return {"output.weight": grad_logits.T @ cache["hidden"], "output.bias": grad_logits.sum(axis=0),
            "hidden.weight": grad_pre_hidden.T @ cache["x"], "hidden.bias": grad_pre_hidden.sum(axis=0)}


def numpy_parameters(model):
    """The model's parameters as float64 NumPy copies, by name."""
    return {name: parameter.detach().numpy(force=True).astype(numpy.float64).copy()
            for name, parameter in model.named_parameters()}


def q2_backprop(split, args):
    """Hand gradients vs autograd (float64), then hand gradient descent vs ``optim.SGD``."""
    print_section("Q2. Backpropagation and gradient descent for the weights and biases", DOCUMENT_ERRORS["Q2"])
    x_train, y_train, _, _ = as_tensors(split, args.device, tl.float64)
    model = FeedForward(x_train.shape[1], Q1_HIDDEN, 1).double().to(args.device)
    params = numpy_parameters(model)
    x, y = split.x_train.astype(numpy.float64), split.y_train[:, None].astype(numpy.float64)

    # 1. The same gradients, twice: by hand and by autograd, in float64.
    hand = backward_by_hand(params, forward_by_hand(params, x), y)
    F.binary_cross_entropy_with_logits(model(x_train), y_train).backward()
    differences = {name: float(numpy.abs(hand[name] - p.grad.numpy(force=True)).max())
                   for name, p in model.named_parameters()}
    max_grad_diff = max(differences.values())
    print("\nmax |hand - autograd| per parameter (float64): "
          + "  ".join(f"{name} {value:.1e}" for name, value in differences.items()))

    # 2. Gradient descent with the hand gradients, and the same with autograd + optim.SGD.
    learning_rate, history = 0.5, []
    optimizer = optim.SGD(model.parameters(), lr=learning_rate)
    for step in progress(range(args.steps), "Q2 gradient descent", unit="step"):
        cache = forward_by_hand(params, x)
        history.append({"step": step, "loss": bce_by_hand(cache["logits"], y),
                        "train_accuracy": float(((cache["logits"] > 0) == y).mean())})
        for name, gradient in backward_by_hand(params, cache, y).items():
            params[name] = params[name] - learning_rate * gradient   # a new array: the caller's stays intact
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(x_train), y_train).backward()
        optimizer.step()
    for row in history[::max(1, args.steps // 6)] + history[-1:]:
        print(f"  step {row['step']:4d}  loss {row['loss']:.4f}  train accuracy {row['train_accuracy']:.4f}")
    weight_diff = max(float(numpy.abs(params[name] - p.detach().numpy(force=True)).max())
                      for name, p in model.named_parameters())
    test_logits = forward_by_hand(params, split.x_test.astype(numpy.float64))["logits"]
    test_accuracy = float(((test_logits > 0).ravel() == split.y_test).mean())
    print(f"max |hand - autograd| gradient {max_grad_diff:.2e} (target < 1e-10); weights after "
          f"{args.steps} steps of both descents differ by {weight_diff:.2e}")
    print(f"Q2 loss {history[0]['loss']:.4f} -> {history[-1]['loss']:.4f}, test accuracy {test_accuracy:.4f}")
    return {"q2_max_grad_diff": max_grad_diff, "q2_max_weight_diff_after_descent": weight_diff,
            "q2_initial_loss": history[0]["loss"], "q2_final_loss": history[-1]["loss"],
            "q2_test_accuracy": test_accuracy}, history


# ---------------------------------------------------------------- Q3: the RNN by hand vs nn.RNN
def rnn_forward_by_hand(x, w_ih, w_hh, b_ih, b_hh):
    """Elman RNN, zero initial state: every h_t (batch, steps + 1, hidden), h_0 included."""
    states = [numpy.zeros((x.shape[0], w_hh.shape[0]))]
    for step in range(x.shape[1]):   # the recurrence is sequential; each step is one batched matmul
        states.append(numpy.tanh(x[:, step] @ w_ih.T + b_ih + states[-1] @ w_hh.T + b_hh))
    return numpy.stack(states, axis=1)


def rnn_backward_by_hand(x, states, w_hh, grad_last):
    """Backpropagation through time from d(loss)/d(h_T) = ``grad_last`` to the RNN's parameters."""
    grads = {"weight_ih_l0": 0.0, "weight_hh_l0": 0.0, "bias_ih_l0": 0.0}
    grad_state = grad_last
    for step in reversed(range(x.shape[1])):
        grad_pre = grad_state * (1 - states[:, step + 1] ** 2)   # tanh' = 1 - tanh^2
        grads["weight_ih_l0"] = grads["weight_ih_l0"] + grad_pre.T @ x[:, step]
        grads["weight_hh_l0"] = grads["weight_hh_l0"] + grad_pre.T @ states[:, step]
        grads["bias_ih_l0"] = grads["bias_ih_l0"] + grad_pre.sum(axis=0)
        grad_state = grad_pre @ w_hh
    grads["bias_hh_l0"] = grads["bias_ih_l0"]   # both biases enter the same sum
    return grads


def sine_windows(count, rng):
    """``count`` windows of a noisy sine (random amplitude and phase): 3 inputs, the next value as target."""
    time = numpy.arange(Q3_STEPS + 1)
    amplitude = rng.uniform(0.5, 1.5, (count, 1))
    phase = rng.uniform(0, 2 * numpy.pi, (count, 1))
    series = amplitude * numpy.sin(0.6 * time + phase) + 0.02 * rng.standard_normal((count, Q3_STEPS + 1))
    return series[:, :Q3_STEPS, None].astype(numpy.float32), series[:, Q3_STEPS:].astype(numpy.float32)


def q3_check_against_nn_rnn(args):
    """The document's X (batch 2, 3 steps, 2 features) through nn.RNN and by hand, in float64."""
    rnn = nn.RNN(2, Q3_HIDDEN, batch_first=True).double().to(args.device)
    readout = nn.Linear(Q3_HIDDEN, 1).double().to(args.device)
    weights = numpy_parameters(rnn)
    x = numpy.array(DOC_Q3_X)
    target = numpy.array([[0.3], [0.9]])
    output, h_n = rnn(tl.tensor(x, device=args.device))
    states = rnn_forward_by_hand(x, *(weights[name] for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")))
    output_diff = float(numpy.abs(output.detach().numpy(force=True) - states[:, 1:]).max())
    h_n_diff = float(numpy.abs(h_n.detach().numpy(force=True)[0] - states[:, -1]).max())

    prediction = readout(h_n[0])
    F.mse_loss(prediction, tl.tensor(target, device=args.device)).backward()
    grad_prediction = 2 * (prediction.detach().numpy(force=True) - target) / len(target)
    grad_last = grad_prediction @ readout.weight.detach().numpy(force=True)
    hand = rnn_backward_by_hand(x, states, weights["weight_hh_l0"], grad_last)
    grad_diff = max(float(numpy.abs(hand[name] - p.grad.numpy(force=True)).max()) for name, p in rnn.named_parameters())
    print(f"\nthe document's X {x.shape} through nn.RNN(2, {Q3_HIDDEN}) and by hand (float64):\n"
          f"  output {tuple(output.shape)} max |diff| {output_diff:.1e}, h_n {tuple(h_n.shape)} "
          f"max |diff| {h_n_diff:.1e}, BPTT gradients max |diff| {grad_diff:.1e}")
    return {"q3_max_output_diff": max(output_diff, h_n_diff), "q3_max_grad_diff": grad_diff}


def q3_recurrent(args):
    """The parity checks, then an RNN(1 -> 2) + Linear(2 -> 1) predicting a sine's next value."""
    print_section("Q3. A recurrent network (sequence length 3, hidden size 2) for sequence prediction",
                  DOCUMENT_ERRORS["Q3"])
    metrics = q3_check_against_nn_rnn(args)

    rng = numpy.random.default_rng(args.seed)
    (x_train, y_train), (x_test, y_test) = sine_windows(1000, rng), sine_windows(300, rng)
    rnn = nn.RNN(1, Q3_HIDDEN, batch_first=True).to(args.device)
    readout = nn.Linear(Q3_HIDDEN, 1).to(args.device)
    optimizer = optim.Adam([*rnn.parameters(), *readout.parameters()], lr=0.05)
    inputs, targets = tl.tensor(x_train, device=args.device), tl.tensor(y_train, device=args.device)
    history = []
    for _ in progress(range(args.steps), "Q3 RNN", unit="step"):
        _, h_n = rnn(inputs)
        loss = F.mse_loss(readout(h_n[0]), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    with tl.no_grad():
        _, h_n = rnn(tl.tensor(x_test, device=args.device))
        test_mse = float(((readout(h_n[0]).numpy(force=True) - y_test) ** 2).mean())
    naive_mse = float(((x_test[:, -1] - y_test) ** 2).mean())
    print(f"next value of a noisy sine from 3 steps: train MSE {history[0]:.4f} -> {history[-1]:.4f}; "
          f"Q3 test MSE {test_mse:.4f}  vs  last-value baseline {naive_mse:.4f}")
    return {**metrics, "q3_test_mse": test_mse, "q3_naive_mse": naive_mse}, history


# ---------------------------------------------------------------- Q4: the 32x32 CNN
def q4_cnn(args, run):
    """LeNet32 on the digits resized to 32x32; prints every layer's output shape, then trains."""
    print_section("Q4. A CNN for 32x32 images, 3x3 kernels, 10 classes", DOCUMENT_ERRORS["Q4"])
    split = load_digits(seed=args.seed, side=32)
    train_loader, test_loader = split_loaders(split, Q4_BATCH, args.seed)
    model = LeNet32(num_classes=10).to(args.device)
    print("\nshape after every layer:")
    with tl.no_grad():
        for layer, shape in model.layer_shapes(tl.tensor(split.x_train[:Q4_BATCH], device=args.device)):
            print(f"  {str(shape):18s} {layer}")
    optimizer = optim.AdamW(model.parameters(), lr=Q4_LR, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    history = train_classifier(model, optimizer, train_loader, test_loader, args.epochs, args.device,
                               scheduler, description="Q4 LeNet32")
    test_loss, labels, predictions = evaluate_classifier(model, test_loader, args.device)
    results = report_classifier(run, labels, predictions, "Q4 test", filename="q4_confusion_matrix.png")
    print(f"Q4 test accuracy {results['test_accuracy']:.4f} after {args.epochs} epochs "
          f"({history[-1]['seconds']:.1f} s); test loss {test_loss:.4f}")
    run.save_step_graph(model, train_loader, args.device, samples=4, filename="q4_graph.png")
    return {"q4_test_accuracy": results["test_accuracy"], "q4_test_f1": results["test_f1"],
            "q4_test_loss": test_loss}, history


def main(argv=None):
    """Run the four exercises; returns the metrics written to metrics.json."""
    parser = example_parser(__doc__.splitlines()[0], epochs=15)
    parser.add_argument("--steps", type=int, default=300, help="full-batch training steps of Q1, Q2 and Q3")
    parser.epilog = ("--epochs is Q4's (the CNN's). --data replaces the breast cancer table of Q1 and Q2: "
                     "binary labels 0/1, as a .csv (label in the last column) or an .npz (arrays x, y).")
    args = setup(parser, argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    run = RunFolder(args.out, "seed_exercises")

    split = load_binary_task(args, parser)
    q1, q1_history = q1_feed_forward(split, args, run)
    q2, q2_history = q2_backprop(split, args)
    q3, q3_history = q3_recurrent(args)
    q4, q4_history = q4_cnn(args, run)

    plot_curves(run.file("binary_loss.png"), {"Q1 Adam (autograd)": q1_history,
                                              "Q2 gradient descent (by hand)": [row["loss"] for row in q2_history]},
                "Q1/Q2: the 3-4-1 net, binary cross-entropy", xlabel="step", ylabel="loss", log_y=True)
    plot_curves(run.file("rnn_loss.png"), {"train MSE": q3_history,
                                           "last-value baseline (test)": [q3["q3_naive_mse"]] * len(q3_history)},
                "Q3: RNN(1 -> 2) predicting the next value", xlabel="step", ylabel="MSE", log_y=True)
    plot_curves(run.file("cnn_loss.png"), {"train": [row["train_loss"] for row in q4_history],
                                           "test": [row["test_loss"] for row in q4_history]},
                "Q4: LeNet32 on the 32x32 digits", ylabel="cross-entropy", log_y=True)
    run.write_history({"q1_loss": q1_history, "q2": q2_history, "q3_loss": q3_history, "q4": q4_history})
    metrics = {**q1, **q2, **q3, **q4}
    run.write_metrics(metrics)
    print(f"\nresults in {run.path}")
    return metrics


if __name__ == "__main__":
    main()
