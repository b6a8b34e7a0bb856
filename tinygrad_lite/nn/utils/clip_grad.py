"""Gradient clipping in place: by total norm (``clip_grad_norm_``) or by value."""
import math

from tinygrad_lite.tensor import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients so their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping as a 0-d tensor (PyTorch's ``clip_coef`` rule:
    gradients are multiplied by ``min(1, max_norm / (total + 1e-6))``).
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    xp = params[0].device.xp
    norm_type = float(norm_type)
    grads = [p.grad.data for p in params]
    if norm_type == math.inf:
        total = max(float(xp.abs(g).max()) for g in grads)
    elif norm_type == -math.inf:
        total = min(float(xp.abs(g).min()) for g in grads)
    elif norm_type == 0:
        # PyTorch takes the norm of the per-tensor norms; for the "0-norm" (a count of non-zeros)
        # that is the number of gradients with any non-zero entry.
        total = float(sum(1 for g in grads if int(xp.count_nonzero(g))))
    else:
        total = sum(float((xp.abs(g.astype("float64")) ** norm_type).sum()) for g in grads)
        total = total ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped; set error_if_nonfinite=False to clip anyway"
        )
    coefficient = float(max_norm) / (total + 1e-6)
    # "not >=" also scales by a NaN coefficient, spreading NaN to every gradient like PyTorch.
    if not coefficient >= 1:
        for param in params:
            param.grad.data *= param.grad.dtype.type(coefficient)
    return Tensor(total, dtype=params[0].grad.dtype, device=params[0].device)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for param in _with_grads(parameters):
        xp = param.device.xp
        xp.clip(param.grad.data, -clip_value, clip_value, out=param.grad.data)
