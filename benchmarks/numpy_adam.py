"""Adam written out in NumPy for the hand-written reference steps (PyTorch's update order)."""
import math


def adam_update(numpy, params, grads, moments, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One in-place Adam step over lists of arrays; ``moments`` holds (m, v) pairs."""
    for param, grad, (first, second) in zip(params, grads, moments):
        first += (grad - first) * (1 - beta1)
        second *= beta2
        second += (1 - beta2) * (grad * grad)
        denom = numpy.sqrt(second) / math.sqrt(1 - beta2 ** step) + eps
        param -= (lr / (1 - beta1 ** step)) * (first / denom)
