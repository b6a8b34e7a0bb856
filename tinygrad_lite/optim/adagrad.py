"""Adagrad: per-coordinate learning rates from the running sum of squared gradients (PyTorch's rule)."""
from tinygrad_lite.backend import on_device
from tinygrad_lite.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    maximize=False)``.

    Per step ``t`` (from 1), for a parameter ``p`` with gradient ``g`` (both of ``p``'s shape)::

        g = -g if maximize;  g += weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum += g * g                     # state["sum"], starts at initial_accumulator_value
        p -= clr * g / (sqrt(sum) + eps)

    Like PyTorch, the state (``step`` and ``sum``) of every parameter given to the constructor
    exists from the start, so ``state_dict()`` lists it before the first step.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, maximize=False):
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps)):
            if value < 0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, self.state.setdefault(param, {}))

    def _init_state(self, param, state):
        # PyTorch fills the accumulator from the constructor's value, even for groups that name their own.
        state["step"] = 0
        with on_device(param.device):
            state["sum"] = param.device.xp.full(param.data.shape,
                                                self.defaults["initial_accumulator_value"],
                                                dtype=param.data.dtype)

    def prepare(self, group, param, state):
        """Advance the step count; it is the phase (the decayed learning rate depends on it)."""
        if not state:
            self._init_state(param, state)
        state["step"] += 1
        return state["step"]

    def state_keys(self, group):
        """The running sum of squared gradients."""
        return ("sum",)

    def update_flat(self, group, xp, grad, state, phase, work):
        """One Adagrad step over a flat range; returns ``clr * g / (sqrt(sum) + eps)``."""
        clr = group["lr"] / (1 + (phase - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum += xp.multiply(grad, grad, out=work[0])
        std = xp.sqrt(state_sum, out=work[0])
        std += group["eps"]
        delta = xp.multiply(grad, clr, out=work[1])
        delta /= std  # addcdiv_'s rounding order
        return delta
