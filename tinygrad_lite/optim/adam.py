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

    def update(self, group, param, grad, state):
        """One Adam step on ``param.data`` (moments kept in ``state``)."""
        xp = param.device.xp
        data = param.data
        if group["maximize"]:
            grad = -grad
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if decay:
            if group["decoupled_weight_decay"]:
                data *= 1 - lr * decay
            else:
                grad = grad + decay * data
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(data)
            state["exp_avg_sq"] = xp.zeros_like(data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(data)
        state["step"] += 1
        step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += ((1 - beta2) * grad) * grad  # addcmul_'s rounding order
        step_size = lr / (1 - beta1 ** step)
        correction2_sqrt = math.sqrt(1 - beta2 ** step)
        second = exp_avg_sq
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        denom = xp.sqrt(second)
        denom /= correction2_sqrt
        denom += eps
        data -= (step_size * exp_avg) / denom  # addcdiv_'s rounding order


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * wd`` before the Adam step (default wd 0.01)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled_weight_decay=True)
