"""Loss functions: class losses (cross-entropy, NLL), regression losses, binary cross-entropy, KL.

Every loss takes ``reduction`` ('none' | 'mean' | 'sum'; ``kl_div`` also 'batchmean') and, in
PyTorch's positional order, the deprecated ``size_average``/``reduce`` flags. Class losses are
``log_softmax`` followed by picking each target's log-probability, so logits of any size stay
finite; without class weights or label smoothing the pick and the reduction are one node
(:class:`NllLoss`), the graph PyTorch draws. The two binary cross-entropies each use one small fused op: built from primitive ops, the
clamped logs of BCE (at probabilities 0 and 1) and the kinks of a stable softplus (at logit 0)
would give NaN or wrong gradients exactly where training often starts.
"""
import math
import warnings

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.amp.autocast_mode import FLOAT32, autocast_inputs
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.ops.compare import where
from tinygrad_lite.ops.indexing import ScatterAdd, along_axis_positions
from tinygrad_lite.ops.operands import cast
from tinygrad_lite.tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------- argument checking
def _reduction(size_average, reduce, reduction, allowed=_REDUCTIONS):
    """The effective reduction, folding in the deprecated flags; ValueError for unknown names."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce are deprecated; pass reduction='none'|'mean'|'sum' "
                      "instead", UserWarning, stacklevel=3)
        # PyTorch's legacy rule: an unset flag counts as True.
        reduce, size_average = reduce is None or reduce, size_average is None or size_average
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    if not isinstance(reduction, str) or reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction (expected one of "
                         f"{', '.join(repr(name) for name in allowed)})")
    return reduction


def _check_arguments(function, input, **others):
    """Tensors only, on input's device; input floating point. Clear errors otherwise."""
    _check_tensors(function, input, **others)
    if input.dtype.kind != "f":
        raise RuntimeError(f"{function}: input must be a floating point tensor, got {input.dtype} "
                           f"(shape {list(input.shape)}); convert it with .float()")


def _check_tensors(function, input, **others):
    """Every argument a Tensor (or None) on input's device."""
    for name, value in (("input", input),) + tuple(others.items()):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{function}: {name} must be a Tensor, got {type(value).__name__}")
        if value is not None and value.device is not input.device:
            raise RuntimeError(f"{function}: expected all tensors on the same device, but input "
                               f"is on {input.device} and {name} on {value.device}")


def _refuse_weight_gradients(function, **weights):
    """PyTorch's fused losses have no gradient for their weights: while grad mode is on, a
    weight that requires grad is refused (rather than silently given none)."""
    if not GradMode.enabled:
        return
    for name, weight in weights.items():
        if weight is not None and weight.requires_grad:
            raise RuntimeError(f"{function}: the function is not differentiable with respect to "
                               f"argument '{name}' (as in PyTorch); this input cannot have "
                               "requires_grad=True, pass it .detach()ed")


def _broadcast_shape(function, *named_shapes):
    """The common broadcast shape; RuntimeError naming every shape when there is none."""
    try:
        return numpy.broadcast_shapes(*(shape for _, shape in named_shapes))
    except ValueError:
        listed = ", ".join(f"{name} {list(shape)}" for name, shape in named_shapes)
        raise RuntimeError(f"{function}: shapes do not broadcast together: {listed}") from None


def _reduce(losses, reduction, weights=None):
    """Apply ``reduction``; given ``weights``, 'mean' divides by their sum (PyTorch's rule)."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.mean() if weights is None else losses.sum() / weights.sum()


# ---------------------------------------------------------------- class losses
def _class_dim(function, input):
    """The class dim of (C,) or (N, C, d1, ...) input: 0 when unbatched, else 1."""
    if input.ndim == 0:
        raise ValueError(f"{function}: input must have shape (C,) or (N, C, d1, ...), got a 0-d "
                         "tensor")
    return 0 if input.ndim == 1 else 1


def _class_weight(function, weight, input, classes):
    """``weight`` checked to be one value per class, as a (C,) tensor of the input's dtype."""
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != classes:
        raise RuntimeError(f"{function}: weight tensor should be defined either for all {classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"{function}: weight has dtype {weight.dtype} but input has dtype "
                           f"{input.dtype}; convert the weight with .to({input.dtype})")
    return weight


def _class_targets(function, input, target, ignore_index, class_dim):
    """``target`` validated as int64 class indices for ``input``; IndexError for a bad class."""
    if target.dtype.kind not in "iu":
        raise RuntimeError(
            f"{function}: expected target class indices of an integer dtype (int64), got "
            f"{target.dtype} with shape {list(target.shape)}; class probabilities must have the "
            f"input's shape {list(input.shape)}")
    if input.ndim == 1:
        if target.numel() != 1 or target.ndim > 1:
            raise ValueError(f"{function}: unbatched input of shape {list(input.shape)} needs a "
                             f"0-d target, got shape {list(target.shape)}")
        target = target.reshape(())
    else:
        batch = target.shape[0] if target.ndim else None
        if batch != input.shape[0]:
            raise ValueError(f"{function}: Expected input batch_size ({input.shape[0]}) to "
                             f"match target batch_size ({batch}); input shape "
                             f"{list(input.shape)}, target shape {list(target.shape)}")
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"{function}: Expected target size {list(expected)}, got "
                               f"{list(target.shape)} (input shape {list(input.shape)})")
    if target.data.dtype != numpy.int64:
        target = target.long()
    classes = input.shape[class_dim]
    indices = target.data
    # One pass finds every candidate: a negative index is a huge one read as unsigned. Only then
    # is ignore_index (often -100) told apart from a bad class.
    if bool((indices.view(numpy.uint64) >= classes).any()):
        bad = (indices != ignore_index) & ((indices < 0) | (indices >= classes))
        if bool(bad.any()):
            value = int(indices[bad].reshape(-1)[0])
            raise IndexError(f"{function}: Target {value} is out of bounds for {classes} classes "
                             f"(valid targets are 0..{classes - 1} or ignore_index={ignore_index})")
    return target


def _target_positions(xp, index, class_dim):
    """The index tuple addressing each target's entry of the (C,) or (N, C, d1, ...) input:
    ``input[positions]`` has the target's shape, and ``grad[positions] = values`` scatters values
    of that shape."""
    if index.ndim == 1:  # (N, C): the usual case, without ix_'s cost
        return xp.arange(index.shape[0]), index
    # put_along_axis's positions for the index with a length-1 class dim, that dim then dropped
    positions = along_axis_positions(xp, xp.expand_dims(index, class_dim), class_dim)
    return tuple(grid.squeeze(class_dim) for grid in positions)


def _counted(xp, ignored, any_ignored, dtype):
    """How many targets are not ignored, in ``dtype``: the mean's divisor. With none ignored it
    is the target count itself, exactly the sum of ones it replaces (float32 counts exactly to
    2**24); float16 and huge counts take the sum."""
    if not any_ignored and dtype in (numpy.float32, numpy.float64) and ignored.size <= 2 ** 24:
        return xp.asarray(ignored.size, dtype)
    return xp.sum((~ignored).astype(dtype))


class NllLoss(Function):
    """``-log_probs[target]`` per target (0 where ignored), reduced, in one node: the unweighted
    class loss behind ``nll_loss`` and ``cross_entropy`` (PyTorch's ``NllLossBackward``).

    The arithmetic is the composed ops' exactly (pick, negate, zero the ignored, sum, divide by
    the number of targets counted), so fusing changes no value; the gradient is ``-grad / count``
    at each target's class and 0 elsewhere.
    """

    def forward(self, log_probs, target, class_dim, ignore_index, reduction):
        xp = self.xp
        self.class_dim, self.reduction, self.input_shape = class_dim, reduction, log_probs.shape
        self.ignored = target == ignore_index
        self.any_ignored = bool(self.ignored.any())
        self.index = xp.where(self.ignored, 0, target) if self.any_ignored else target
        losses = -log_probs[_target_positions(xp, self.index, class_dim)]
        if self.any_ignored:
            # Replaced, not multiplied by 0: an ignored -inf log-probability gives no NaN.
            losses = xp.where(self.ignored, xp.zeros((), losses.dtype), losses)
        if reduction == "none":
            return losses
        total = xp.sum(losses)
        if reduction == "sum":
            return total
        self.count = _counted(xp, self.ignored, self.any_ignored, losses.dtype)
        return total / self.count

    def backward(self, grad_output):
        if GradMode.enabled:  # create_graph: the gradient as Tensor ops of grad_output
            return self._graph_backward(grad_output), None
        xp = self.xp
        scale = grad_output.data / self.count if self.reduction == "mean" else grad_output.data
        scale = xp.broadcast_to(scale, self.ignored.shape)
        if self.any_ignored:
            scale = xp.where(self.ignored, xp.zeros((), scale.dtype), scale)
        grad = xp.zeros(self.input_shape, scale.dtype)
        # 0 - s, as the composed ops' scatter-add of -s into zeros gives (+0, never -0)
        grad[_target_positions(xp, self.index, self.class_dim)] = 0 - scale
        return self.constant(grad), None

    def _graph_backward(self, grad_output):
        scale = grad_output / self.constant(self.count) if self.reduction == "mean" else grad_output
        scale = scale.expand(self.ignored.shape)
        if self.any_ignored:
            scale = scale.masked_fill(self.constant(self.ignored), 0.0)
        zeros = self.constant(self.xp.zeros(self.input_shape, grad_output.dtype))
        index = self.constant(self.xp.expand_dims(self.index, self.class_dim))
        return ScatterAdd.apply(zeros, index, (-scale).unsqueeze(self.class_dim),
                                dim=self.class_dim)


def _picked_losses(log_probs, target, weight, ignore_index, class_dim):
    """Per-target ``-weight[t] * log_probs[t]`` (0 where ignored) and each target's weight."""
    ignored = target == ignore_index
    if log_probs.shape[class_dim] == 0:
        # No classes: every target is ignore_index (any other was refused), so there is
        # nothing to gather; the empty sum gives the zero losses, in the graph.
        return log_probs.sum(class_dim), (~ignored).to(log_probs.dtype), ignored
    any_ignored = bool(ignored.data.any())
    safe_target = target.masked_fill(ignored, 0) if any_ignored else target
    picked = log_probs.gather(class_dim, safe_target.unsqueeze(class_dim)).squeeze(class_dim)
    if weight is None:
        losses, target_weight = -picked, (~ignored).to(log_probs.dtype)
    else:
        target_weight = weight[safe_target]
        losses = -picked * target_weight
    if any_ignored:
        # Replaced, not multiplied by 0: an ignored -inf log-probability gives no NaN (and
        # the loss there is +0, as PyTorch's).
        losses = losses.masked_fill(ignored, 0.0)
        target_weight = target_weight.masked_fill(ignored, 0.0)
    return losses, target_weight, ignored


def _class_shape(weight, ndim, class_dim):
    """``weight`` (C,) shaped to broadcast along the class dim of an ``ndim``-d input."""
    return weight.reshape((-1,) + (1,) * (ndim - class_dim - 1))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``.

    input (C,), (N, C) or (N, C, d1, ...); target () , (N,) or (N, d1, ...) of integer class
    indices in [0, C) (``ignore_index`` entries contribute nothing); weight (C,) rescales each
    class. 'none' returns the target's shape; 'mean' divides by the summed weight of the
    non-ignored targets (NaN when every target is ignored, as in PyTorch).
    """
    input, target, weight = autocast_inputs(FLOAT32, input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _check_arguments("nll_loss", input, target=target, weight=weight)
    _refuse_weight_gradients("nll_loss", weight=weight)
    class_dim = _class_dim("nll_loss", input)
    weight = _class_weight("nll_loss", weight, input, input.shape[class_dim])
    target = _class_targets("nll_loss", input, target, ignore_index, class_dim)
    if weight is None and input.shape[class_dim]:
        return NllLoss.apply(input, target, class_dim=class_dim, ignore_index=ignore_index,
                             reduction=reduction)
    losses, target_weight, _ = _picked_losses(input, target, weight, ignore_index, class_dim)
    return _reduce(losses, reduction, target_weight)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy between logits ``input`` and class indices or class probabilities.

    input (C,), (N, C) or (N, C, d1, ...) raw logits. target is either integer class indices of
    shape (), (N,) or (N, d1, ...) (``ignore_index`` entries are skipped), or float class
    probabilities of the input's own shape. weight (C,) rescales each class. label_smoothing in
    [0, 1] mixes the target with the uniform distribution: ``(1 - s) * nll + s / C * sum_c(-w_c
    log p_c)``. 'mean' divides by the summed weight of the non-ignored targets for class indices,
    and by N * d1 * ... for probabilities.
    """
    input, target, weight = autocast_inputs(FLOAT32, input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _check_arguments("cross_entropy", input, target=target, weight=weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    class_dim = _class_dim("cross_entropy", input)
    classes = input.shape[class_dim]
    weight = _class_weight("cross_entropy", weight, input, classes)
    if tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction,
                                            label_smoothing, class_dim)
    _refuse_weight_gradients("cross_entropy", weight=weight)
    target = _class_targets("cross_entropy", input, target, ignore_index, class_dim)
    log_probs = input.log_softmax(class_dim)
    if weight is None and label_smoothing == 0.0 and classes:
        return NllLoss.apply(log_probs, target, class_dim=class_dim, ignore_index=ignore_index,
                             reduction=reduction)
    losses, target_weight, ignored = _picked_losses(log_probs, target, weight, ignore_index,
                                                    class_dim)
    loss = _reduce(losses, reduction, target_weight)
    if label_smoothing == 0.0:
        return loss
    if weight is not None:
        log_probs = log_probs * _class_shape(weight, input.ndim, class_dim)
    smooth = _reduce((-log_probs.sum(class_dim)).masked_fill(ignored, 0.0), reduction,
                     target_weight)
    # Reduced before scaling, as PyTorch does: with no classes the scale is inf and even an
    # empty sum gives NaN there.
    return loss * (1.0 - label_smoothing) + smooth * _per_class(label_smoothing, classes)


def _per_class(label_smoothing, classes):
    """``label_smoothing / classes`` in float arithmetic (inf for no classes, as in C++)."""
    return label_smoothing / classes if classes else math.inf


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing,
                                 class_dim):
    """Cross-entropy against class probabilities (target shaped like input); target gets grads."""
    if target.dtype.kind != "f":
        raise RuntimeError(f"cross_entropy: a target of the input's shape {list(input.shape)} "
                           f"holds class probabilities and must be floating point, got "
                           f"{target.dtype}; class indices have shape (N, d1, ...)")
    if ignore_index >= 0:
        raise RuntimeError("cross_entropy: ignore_index is not supported for class-probability "
                           f"targets (got ignore_index={ignore_index})")
    classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + _per_class(label_smoothing, classes)
    products = input.log_softmax(class_dim) * target
    if weight is not None:
        products = products * _class_shape(weight, input.ndim, class_dim)
    # PyTorch's order (negated after the sum: an empty sum gives -0.0 there, as here)
    if reduction == "none":
        return -products.sum(class_dim)
    total = -products.sum()
    if reduction == "sum":
        return total
    return total / (input.numel() / classes if input.numel() else math.nan)


# ---------------------------------------------------------------- regression losses
def _check_regression_pair(function, input, target, weight=None):
    """Check a prediction/target pair; warn (as PyTorch does) when their shapes differ."""
    _check_tensors(function, input, target=target, weight=weight)
    if tuple(target.shape) != tuple(input.shape):
        _broadcast_shape(function, ("input", input.shape), ("target", target.shape))
        warnings.warn(f"{function}: using a target size ({list(target.shape)}) that is "
                      f"different to the input size ({list(input.shape)}); this will likely "
                      "lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", UserWarning, stacklevel=3)
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{function}: weight of shape {list(weight.shape)} and input of shape "
                         f"{list(input.shape)} must have the same size")


def _difference(function, input, target, floating_only):
    """``input - target`` in ``promote_types`` of the pair, as PyTorch computes the regression
    losses: it broadcasts the pair first, so a 0-d tensor does not give way to the other's dtype.

    ``floating_only``: the fused kernels (mse, smooth L1, Huber) take bool/integer operands
    that promote to a float, and raise NotImplementedError for a bool/integer result; the plain
    subtraction (l1_loss, weighted losses) refuses bool operands and keeps integer results.
    """
    if input.dtype == target.dtype and input.dtype.kind == "f":
        return input - target
    dtype = dtypes.promote_types(input.dtype, target.dtype)
    if floating_only and dtype.kind != "f":
        raise NotImplementedError(f"{function} is not implemented for {dtype} (input "
                                  f"{input.dtype}, target {target.dtype}); convert them with "
                                  ".float()")
    if not floating_only and "b" in (input.dtype.kind, target.dtype.kind):
        return input - target  # raises PyTorch's error for a bool subtraction
    return cast(input, dtype) - cast(target, dtype)


def _weighted(losses, reduction, weight):
    """Apply an optional per-element weight; with one, 'mean' divides by ``weight.sum()``."""
    return _reduce(losses if weight is None else losses * weight, reduction, weight)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target) ** 2``; input and target (*), optional weight (*).

    The result has the pair's promoted dtype: an integer or bool operand is accepted when the
    other is floating point (NotImplementedError when both are integers, as in PyTorch).
    """
    input, target, weight = autocast_inputs(FLOAT32, input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _check_regression_pair("mse_loss", input, target, weight)
    difference = _difference("mse_loss", input, target, floating_only=weight is None)
    # With a weight, PyTorch's 'mean' divides by sum(weight) here (and in l1_loss).
    return _weighted(difference * difference, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|`` (gradient 0 where equal); shapes as mse_loss.

    Computed as PyTorch does, as ``(input - target).abs()``: bool operands are refused, and
    integer ones give an integer loss for 'none' and 'sum' ('mean' refuses them).
    """
    input, target, weight = autocast_inputs(FLOAT32, input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _check_regression_pair("l1_loss", input, target, weight)
    losses = _difference("l1_loss", input, target, floating_only=False).abs()
    return _weighted(losses, reduction, weight)


class SmoothAbsolute(Function):
    """Smooth L1 ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - beta / 2``, of the
    difference ``d``; with ``huber=True`` the Huber loss, ``beta`` times that (beta = delta).

    One op rather than a ``where`` of both branches: the quadratic branch's gradient would be
    0 * inf = NaN at an infinite ``d``. The gradient is PyTorch's, ``clamp(d / beta, -1, 1)``
    (Huber: ``clamp(d, -delta, delta)``): finite at ``d = +-inf``, NaN only at a NaN ``d``.
    """

    saves_inputs = True

    def forward(self, difference, beta, huber):
        self.beta, self.huber = beta, huber
        magnitude = self.xp.abs(difference)
        if huber:
            quadratic, linear = difference * difference * 0.5, (magnitude - 0.5 * beta) * beta
        else:
            quadratic, linear = difference * difference * (0.5 / beta), magnitude - 0.5 * beta
        return self.xp.where(magnitude < beta, quadratic, linear)

    def backward(self, grad_output):
        (difference,) = self.saved_inputs
        if self.huber:
            return grad_output * difference.clamp(-self.beta, self.beta)
        return grad_output * (difference / self.beta).clamp(-1.0, 1.0)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target).

    beta = 0 gives l1_loss (as in PyTorch, also for its dtypes); negative beta raises. Input and
    target (*); dtypes as mse_loss.
    """
    input, target = autocast_inputs(FLOAT32, input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    _check_regression_pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _reduce(_difference("smooth_l1_loss", input, target, False).abs(), reduction)
    difference = _difference("smooth_l1_loss", input, target, floating_only=True)
    return _reduce(SmoothAbsolute.apply(difference, beta=beta, huber=False), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (d = input - target).

    Input, target and the optional per-element weight (*); with a weight, 'mean' is the plain
    mean of the weighted losses (PyTorch's rule, unlike mse_loss/l1_loss). The loss keeps the
    input's dtype (PyTorch's out-of-place rule), so a target of a higher dtype category raises.
    """
    input, target, weight = autocast_inputs(FLOAT32, input, target, weight)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got "
                           f"{delta}")
    _check_regression_pair("huber_loss", input, target, weight)
    promoted = dtypes.promote_types(input.dtype, target.dtype)
    if dtypes.category(promoted) > dtypes.category(input.dtype):
        raise RuntimeError(f"huber_loss: result type {promoted} can't be cast to the desired "
                           f"output type {input.dtype} (input {input.dtype}, target "
                           f"{target.dtype})")
    difference = _difference("huber_loss", input, target, floating_only=True)
    losses = cast(SmoothAbsolute.apply(difference, beta=delta, huber=True), input.dtype)
    return _reduce(losses if weight is None else losses * weight, reduction)


# ---------------------------------------------------------------- binary cross-entropy
def _floored_log(xp, values, valid, log, harmless):
    """``max(log(values), -100)`` where ``valid``, else -100; ``harmless`` stands in for invalid
    values so that log(0) never runs (and never warns)."""
    floor = xp.asarray(-100.0, dtype=values.dtype)
    logs = log(xp.where(valid, values, xp.asarray(harmless, dtype=values.dtype)))
    return xp.where(valid, xp.maximum(logs, floor), floor)


class BinaryCrossEntropy(Function):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))`` with each log floored at -100.

    The gradient is PyTorch's ``(p - t) / max(p (1 - p), 1e-12)`` (finite at p = 0 and 1), and
    the target's is ``log(1 - p) - log(p)``, rather than the derivative of the floored logs.
    """

    saves_inputs = True

    def forward(self, probability, target):
        xp = self.xp
        dtype = probability.dtype
        if dtype == dtypes.float16:  # as PyTorch's kernel: float32 arithmetic, one rounding
            probability, target = probability.astype(dtypes.float32), target.astype(dtypes.float32)
        log_p = _floored_log(xp, probability, probability > 0, xp.log, 1.0)
        log_not_p = _floored_log(xp, -probability, probability < 1, xp.log1p, 0.0)
        return ((target - 1.0) * log_not_p - target * log_p).astype(dtype, copy=False)

    def backward(self, grad_output):
        probability, target = self.saved_inputs
        needs_probability, needs_target = self.needs_input_grad
        grad_probability = grad_target = None
        if needs_probability:
            spread = ((1.0 - probability) * probability).clamp(min=1e-12)
            grad_probability = grad_output * (probability - target) / spread
        if needs_target:
            grad_target = grad_output * ((-probability).log1p() - probability.log())
        return grad_probability, grad_target


class BinaryCrossEntropyWithLogits(Function):
    """Elementwise ``(1 - t) x + w_t softplus(-x)``, ``w_t = 1 + (pos_weight - 1) t``: the
    binary cross-entropy of ``sigmoid(x)``, finite for any logit. Inputs: logits, targets and
    optionally pos_weight (broadcasting against them).

    The gradients are PyTorch's, each one expression: ``sigmoid(x) w_t - pos_weight t`` for the
    logits (``sigmoid(x) - t`` without pos_weight) and ``pos_weight softplus(-x) - softplus(x)``
    for the targets (``-x``). Built from the loss's terms, an infinite logit or upstream
    gradient would meet a zero factor (0 * inf = NaN) where PyTorch's are finite.
    """

    saves_inputs = True

    def forward(self, x, target, pos_weight=None):
        xp = self.xp
        positive_term = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        if pos_weight is not None:
            positive_term *= (pos_weight - 1) * target + 1
        return (1 - target) * x + positive_term

    def backward(self, grad_output):
        x, target = self.saved_inputs[:2]
        pos_weight = self.saved_inputs[2] if len(self.saved_inputs) == 3 else None
        needs_x, needs_target = self.needs_input_grad[:2]
        grad_x = grad_target = None
        if needs_x:
            if pos_weight is None:
                slope = x.sigmoid() - target
            else:
                slope = x.sigmoid() * ((pos_weight - 1.0) * target + 1.0) - pos_weight * target
            grad_x = grad_output * slope
        if needs_target:
            if pos_weight is None:
                grad_target = grad_output * -x
            else:
                grad_target = grad_output * (self.derivative(SoftplusOfNegative, x) * pos_weight
                                             - self.derivative(SoftplusOfNegative, -x))
        return (grad_x, grad_target) + (() if pos_weight is None else (None,))


class SoftplusOfNegative(Function):
    """``log(1 + exp(-x)) = -log(sigmoid(x))``, finite for any x, with slope ``-sigmoid(-x)``."""

    saves_inputs = True

    def forward(self, x):
        xp = self.xp
        return xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        return -grad_output * (-x).sigmoid()


def _elementwise_weight(function, weight, input, dtype):
    """An optional weight broadcastable to ``input`` (never widening it), cast to ``dtype``."""
    if weight is None:
        return None
    shape = _broadcast_shape(function, ("input", input.shape), ("weight", weight.shape))
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"{function}: weight of shape {list(weight.shape)} must broadcast to "
                           f"the input's shape {list(input.shape)}, not enlarge it to "
                           f"{list(shape)}")
    return weight if weight.dtype == dtype else weight.to(dtype)


def _check_same_shape(function, input, target):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{function}: Target size ({list(target.shape)}) must be the same as "
                         f"input size ({list(input.shape)})")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against ``target`` (same shape).

    Each log is floored at -100, so p = 0 or 1 gives a finite loss; weight broadcasts to input.
    """
    input, target, weight = autocast_inputs(FLOAT32, input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _check_arguments("binary_cross_entropy", input, target=target, weight=weight)
    _refuse_weight_gradients("binary_cross_entropy", weight=weight)
    _check_same_shape("binary_cross_entropy", input, target)
    if target.dtype != input.dtype:
        raise RuntimeError(f"binary_cross_entropy: target has dtype {target.dtype} but input has "
                           f"dtype {input.dtype}; convert it with .to({input.dtype})")
    inside = (input.data >= 0) & (input.data <= 1)
    if input.numel() and not bool(inside.all()):
        outside = input.data[~inside].reshape(-1)[0]
        raise RuntimeError(f"binary_cross_entropy: all elements of input should be between 0 "
                           f"and 1, found {float(outside)} (for logits use "
                           "binary_cross_entropy_with_logits)")
    losses = BinaryCrossEntropy.apply(input, target)
    weight = _elementwise_weight("binary_cross_entropy", weight, input, input.dtype)
    return _reduce(losses if weight is None else losses * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of logits: ``sigmoid`` and BCE fused so any logit stays finite.

    input and target (*) of the same shape; weight broadcasts to input; pos_weight (broadcast
    against the last dim, e.g. (C,)) scales the positive term ``t * -log(sigmoid(x))``. The
    loss has the target's dtype, as in PyTorch (which computes it in place on the target's).
    """
    input, target, weight, pos_weight = autocast_inputs(FLOAT32, input, target, weight, pos_weight)
    reduction = _reduction(size_average, reduce, reduction)
    function = "binary_cross_entropy_with_logits"
    _check_arguments(function, input, target=target, weight=weight, pos_weight=pos_weight)
    _refuse_weight_gradients(function, weight=weight, pos_weight=pos_weight)
    _check_same_shape(function, input, target)
    dtype = target.dtype
    if dtype.kind != "f":
        raise RuntimeError(f"{function}: result type {input.dtype} can't be cast to the desired "
                           f"output type {dtype} (the target's); convert the target with .float()")
    operands = [cast(input, dtype), target]
    if pos_weight is not None:
        operands.append(_elementwise_weight(function, pos_weight, input, dtype))
    losses = BinaryCrossEntropyWithLogits.apply(*operands)
    weight = _elementwise_weight(function, weight, input, dtype)
    return _reduce(losses if weight is None else losses * weight, reduction)


# ---------------------------------------------------------------- KL divergence
class XLogX(Function):
    """``x * log(x)``, taken as 0 at x = 0 (PyTorch's ``xlogy(x, x)``), so a zero target adds no
    loss. Its gradient is PyTorch's ``log(x) + x / x`` (xlogy differentiated in both arguments):
    NaN at 0 and at inf, where ``x / x`` is."""

    saves_inputs = True

    def forward(self, x):
        xp = self.xp
        return x * xp.log(xp.where(x == 0, xp.ones((), x.dtype), x))

    def backward(self, grad_output):
        (x,) = self.saved_inputs
        log_x = where(x != 0, x, 1.0).log()  # 0 where x == 0 (x / x makes it NaN there)
        return grad_output * (log_x + x / x)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence ``target * (log(target) - input)`` with ``input`` given as log-probabilities.

    input and target (*) broadcast together; ``log_target=True`` reads target as log-probabilities.
    A target of 0 contributes 0. 'batchmean' (the mathematical KL) divides the sum by the batch
    size input.shape[0]; 'mean' divides by the number of elements and warns, like PyTorch.
    """
    input, target = autocast_inputs(FLOAT32, input, target)
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and "
                      "the support size; 'batchmean' divides only by the batch size and matches "
                      "the KL divergence's definition", UserWarning, stacklevel=2)
    reduction = _reduction(size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    _check_arguments("kl_div", input, target=target)
    _broadcast_shape("kl_div", ("input", input.shape), ("target", target.shape))
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = XLogX.apply(target) - target * input
    if reduction != "batchmean":
        return _reduce(losses, reduction)
    total = losses.sum()
    return total / input.shape[0] if input.ndim else total

