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

    def prepare(self, group, param, state):
        """Advance the step count (no scalar depends on it: one phase)."""
        state["step"] = state.get("step", 0) + 1
        return None

    def state_keys(self, group):
        """``square_avg``, and ``momentum_buffer`` / ``grad_avg`` once the group uses them (created
        on first use, so a group switched to momentum or centered later still works)."""
        return (("square_avg",) + (("momentum_buffer",) if group["momentum"] > 0 else ())
                + (("grad_avg",) if group["centered"] else ()))

    def update_flat(self, group, xp, grad, state, phase, work):
        """One RMSprop step over a flat range; returns the delta subtracted from the parameters."""
        alpha, scratch = group["alpha"], work[0]
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += xp.multiply(xp.multiply(grad, 1 - alpha, out=scratch), grad, out=scratch)
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"], grad, 1 - alpha, scratch)
            avg = xp.sqrt(xp.subtract(square_avg, xp.multiply(grad_avg, grad_avg, out=scratch),
                                      out=scratch), out=scratch)
        else:
            avg = xp.sqrt(square_avg, out=scratch)
        avg += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += xp.divide(grad, avg, out=work[1])
            return xp.multiply(buffer, group["lr"], out=work[1])
        delta = xp.multiply(grad, group["lr"], out=work[1])
        delta /= avg  # addcdiv_'s rounding order
        return delta
