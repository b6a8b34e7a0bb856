"""CNN training step: conv3x3(1->16) -> maxpool2 -> conv3x3(16->32) -> maxpool2 -> linear(10).

Batch 32 of 1x28x28 images, ReLU after each conv, cross-entropy, Adam, float32.
Run: python -m benchmarks.bench_cnn_step [--threads 1] [--repeats 40]
Prints ms per step for tinygrad_lite, PyTorch (if installed) and a hand-written NumPy im2col
step (forward, backward and Adam by hand).
"""
import math

from benchmarks.numpy_adam import adam_update
from benchmarks.harness import adam_training_step, run_benchmark

BATCH, SIDE, CLASSES = 32, 28, 10
FLAT = 32 * 5 * 5  # 28 -conv3-> 26 -pool-> 13 -conv3-> 11 -pool-> 5


def make_data(numpy):
    rng = numpy.random.default_rng(0)
    images = rng.standard_normal((BATCH, 1, SIDE, SIDE)).astype(numpy.float32)
    labels = rng.integers(0, CLASSES, BATCH)
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (CLASSES, FLAT), (CLASSES,)]
    fan_ins = [9, 9, 144, 144, FLAT, FLAT]
    weights = [rng.uniform(-1 / math.sqrt(f), 1 / math.sqrt(f), s).astype(numpy.float32)
               for s, f in zip(shapes, fan_ins)]
    return images, labels, weights


def framework_step(lib, images, labels, weights):
    """The step in PyTorch's API: ``lib`` is tinygrad_lite or torch, the code is the same."""
    F = lib.nn.functional
    params = [lib.tensor(w, requires_grad=True) for w in weights]
    x, y = lib.tensor(images), lib.tensor(labels)

    def loss():
        h = F.max_pool2d(F.conv2d(x, params[0], params[1]).relu(), 2)
        h = F.max_pool2d(F.conv2d(h, params[2], params[3]).relu(), 2)
        return F.cross_entropy(F.linear(h.flatten(1), params[4], params[5]), y)

    return adam_training_step(lib, params, loss)


def numpy_step(numpy, images, labels, weights):
    """im2col convolutions, max pooling, linear, softmax cross-entropy and Adam, all by hand."""
    windows = numpy.lib.stride_tricks.sliding_window_view
    params = [w.copy() for w in weights]
    moments = [(numpy.zeros_like(w), numpy.zeros_like(w)) for w in params]
    state = {"step": 0}
    rows = numpy.arange(BATCH)

    def conv(x, weight, bias):
        cols = windows(x, (3, 3), axis=(2, 3))  # N, C, OH, OW, 3, 3
        n, c, oh, ow = cols.shape[:4]
        flat = cols.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * 9)
        out = flat @ weight.reshape(weight.shape[0], -1).T + bias
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2), flat

    def conv_backward(grad, x, flat, weight):
        n, oc, oh, ow = grad.shape
        grad_flat = grad.transpose(0, 2, 3, 1).reshape(-1, oc)
        grad_weight = (grad_flat.T @ flat).reshape(weight.shape)
        grad_cols = (grad_flat @ weight.reshape(oc, -1)).reshape(n, oh, ow, x.shape[1], 3, 3)
        grad_x = numpy.zeros_like(x)
        for i in range(3):
            for j in range(3):
                grad_x[:, :, i:i + oh, j:j + ow] += grad_cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return grad_x, grad_weight, grad_flat.sum(0)

    def pool(x):
        n, c, h, w = x.shape
        blocks = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
        out = blocks.max(axis=(3, 5))
        mask = blocks == out[:, :, :, None, :, None]
        return out, mask

    def pool_backward(grad, mask, shape):
        grad_x = numpy.zeros(shape, numpy.float32)
        n, c, h, w = shape
        spread = mask * grad[:, :, :, None, :, None]
        grad_x[:, :, :h // 2 * 2, :w // 2 * 2] = spread.reshape(n, c, h // 2 * 2, w // 2 * 2)
        return grad_x

    def step():
        a1, cols1 = conv(images, params[0], params[1])
        r1 = numpy.maximum(a1, 0)
        p1, mask1 = pool(r1)
        a2, cols2 = conv(p1, params[2], params[3])
        r2 = numpy.maximum(a2, 0)
        p2, mask2 = pool(r2)
        flat = p2.reshape(BATCH, -1)
        logits = flat @ params[4].T + params[5]
        exp = numpy.exp(logits - logits.max(1, keepdims=True))
        probs = exp / exp.sum(1, keepdims=True)
        grad = probs
        grad[rows, labels] -= 1
        grad /= BATCH
        grads = [None] * 6
        grads[4], grads[5] = grad.T @ flat, grad.sum(0)
        grad = pool_backward((grad @ params[4]).reshape(p2.shape), mask2, r2.shape) * (a2 > 0)
        grad, grads[2], grads[3] = conv_backward(grad, p1, cols2, params[2])
        grad = pool_backward(grad, mask1, r1.shape) * (a1 > 0)
        _, grads[0], grads[1] = conv_backward(grad, images, cols1, params[0])
        state["step"] += 1
        adam_update(numpy, params, grads, moments, state["step"])

    return step


def main():
    run_benchmark(__doc__.splitlines()[0], 40, f"CNN step, batch {BATCH}, 1x{SIDE}x{SIDE}, Adam",
                  make_data, framework_step, numpy_step, 1e3, "ms")


if __name__ == "__main__":
    main()
