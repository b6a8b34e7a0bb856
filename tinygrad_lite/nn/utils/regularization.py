"""Explicit L1/L2 penalties to add to a loss (the alternative to an optimizer's weight_decay).

    loss = F.cross_entropy(model(x), y) + 1e-4 * l2_penalty(model.parameters())

``l2_penalty`` is ``sum(p**2)``, so its gradient is ``2 p``: ``lambda * l2_penalty`` matches SGD
``weight_decay = 2 * lambda``.
"""
from tinygrad_lite.tensor import Tensor


def _terms(parameters, transform):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise ValueError("penalty: got no parameters")
    total = transform(params[0]).sum()
    for param in params[1:]:
        total = total + transform(param).sum()
    return total


def l1_penalty(parameters):
    """``sum(|p|)`` over all parameters (a differentiable 0-d tensor; subgradient 0 at 0)."""
    return _terms(parameters, lambda p: p.abs())


def l2_penalty(parameters):
    """``sum(p ** 2)`` over all parameters (a differentiable 0-d tensor)."""
    return _terms(parameters, lambda p: p * p)
