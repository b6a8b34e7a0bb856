"""Adam and AdamW, with PyTorch's exact update order (so N steps give PyTorch's weights)."""
import math

from tinygrad_lite.optim.optimizer import Optimizer, lerp_

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
    decoupled_weight_decay=False)``.

    ``weight_decay`` adds ``wd * p`` to the gradient (L2), or with ``decoupled_weight_decay=True``
    scales ``p *= 1 - lr * wd`` before the step (that is :class:`AdamW`).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 maximize=False, decoupled_weight_decay=False):
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"invalid beta parameters: {betas}")
        if eps < 0:
            raise ValueError(f"invalid epsilon value: {eps}")
        if weight_decay < 0:
            raise ValueError(f"invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def prepare(self, group, param, state):
        """Advance the step count; it is the phase (the bias corrections depend on it)."""
        state["step"] = state.get("step", 0) + 1
        return state["step"]

    def state_keys(self, group):
        """The moments (and their running maximum with ``amsgrad``)."""
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())

    def l2_decay(self, group):
        """``weight_decay`` goes into the gradient unless it is decoupled."""
        return 0 if group["decoupled_weight_decay"] else group["weight_decay"]

    def param_scale(self, group):
        """Decoupled weight decay: ``p *= 1 - lr * wd`` before the step."""
        if group["decoupled_weight_decay"] and group["weight_decay"]:
            return 1 - group["lr"] * group["weight_decay"]
        return None

    def update_flat(self, group, xp, grad, state, phase, work):
        """One Adam step over flat moments; returns ``step_size * exp_avg / denom``."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        exp_avg, exp_avg_sq, scratch = state["exp_avg"], state["exp_avg_sq"], work[0]
        lerp_(exp_avg, grad, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        xp.multiply(grad, 1 - beta2, out=scratch)
        scratch *= grad
        exp_avg_sq += scratch  # addcmul_'s rounding order
        second = exp_avg_sq
        if group["amsgrad"]:
            second = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        denom = xp.sqrt(second, out=scratch)
        denom /= math.sqrt(1 - beta2 ** phase)
        denom += eps
        delta = xp.multiply(exp_avg, lr / (1 - beta1 ** phase), out=work[1])
        delta /= denom  # addcdiv_'s rounding order
        return delta


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * wd`` before the Adam step (default wd 0.01)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled_weight_decay=True)
