"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's rule)."""
from tinygrad_lite.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)``.

    Update (PyTorch's): g += wd*p; b = momentum*b + (1-dampening)*g (b = g at the first step);
    g = g + momentum*b if nesterov else b; p -= lr*g (p += lr*g when maximize).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        if momentum < 0:
            raise ValueError(f"invalid momentum value: {momentum}")
        if weight_decay < 0:
            raise ValueError(f"invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def prepare(self, group, param, state):
        """The phase: whether the momentum buffer exists (the first step copies the gradient)."""
        return "momentum_buffer" in state

    def state_keys(self, group):
        """The momentum buffer, when there is momentum."""
        return ("momentum_buffer",) if group["momentum"] else ()

    def update_flat(self, group, xp, grad, state, phase, work):
        """One SGD step over a flat range; returns ``lr * g``."""
        momentum = group["momentum"]
        if momentum:
            buffer = state["momentum_buffer"]
            if phase:
                buffer *= momentum
                buffer += xp.multiply(grad, 1 - group["dampening"], out=work[0])
            else:
                buffer[...] = grad
            if group["nesterov"]:
                grad = xp.add(grad, xp.multiply(buffer, momentum, out=work[0]), out=work[0])
            else:
                grad = buffer
        return xp.multiply(grad, group["lr"], out=work[1])
