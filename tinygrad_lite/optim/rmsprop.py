"""RMSprop: gradients scaled by a running RMS, optionally centred and with momentum (PyTorch's rule)."""
from tinygrad_lite.optim.optimizer import Optimizer, lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    maximize=False)``.

    Per step, for a parameter ``p`` with gradient ``g`` (both of ``p``'s shape)::

        g = -g if maximize;  g += weight_decay * p
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        avg = sqrt(square_avg)                         (centered: grad_avg = lerp(grad_avg, g, 1 - alpha),
                                                        avg = sqrt(square_avg - grad_avg ** 2))
        avg += eps
        momentum > 0:  buf = momentum * buf + g / avg;  p -= lr * buf
        otherwise:     p -= lr * g / avg

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered), all zero-initialised arrays of ``p``'s shape and dtype.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        for name, value in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if value < 0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def update(self, group, param, grad, state):
        """One RMSprop step on ``param.data``."""
        xp = param.device.xp
        data = param.data
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(data)
        # Created on first use, so a group switched to momentum/centered later still works.
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = xp.zeros_like(data)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = xp.zeros_like(data)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * data
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += ((1 - alpha) * grad) * grad  # addcmul_'s rounding order
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"], grad, 1 - alpha)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / avg
            data -= group["lr"] * buffer
        else:
            data -= (group["lr"] * grad) / avg  # addcdiv_'s rounding order
