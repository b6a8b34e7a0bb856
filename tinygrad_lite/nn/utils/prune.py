"""``nn.utils.prune``: PyTorch's pruning by masks, with the same names and the same masks.

Pruning ``module.weight`` moves the Parameter to ``weight_orig``, registers the 0/1 buffer
``weight_mask`` and a forward pre-hook that sets the plain attribute ``weight = weight_mask *
weight_orig`` before each forward, so gradients reach ``weight_orig`` through the mask. Pruning
the same tensor again acts only on what is still unpruned (a :class:`PruningContainer` holds
the history); :func:`remove` makes the pruning permanent.

Ties: PyTorch leaves the choice among equal scores at the threshold to ``std::nth_element``
(unspecified order); here the lowest flat index is pruned first, so masks equal PyTorch's
whenever the threshold does not split a group of equal scores.
"""
import numbers
from collections.abc import Iterable

from tinygrad_lite import random
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod:
    """A pruning method: ``compute_mask`` decides the mask, the rest is shared bookkeeping.

    An instance is also the forward pre-hook that recomputes ``module.<name>`` from
    ``<name>_orig`` and ``<name>_mask``.
    """

    PRUNING_TYPE = None  # "unstructured", "structured" or "global": how repeated pruning slices
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        """The new 0/1 mask (Tensor shaped like ``t``) given the scores ``t`` and ``default_mask``."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute_mask")

    def apply_mask(self, module):
        """``<name>_mask * <name>_orig``, the pruned tensor (differentiable in ``_orig``)."""
        if self._tensor_name is None:
            raise ValueError(f"{type(self).__name__} is not attached to a tensor: use apply()")
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``; returns the (composite) method."""
        method = _attach_method(cls(*args, **kwargs), module, name)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif tuple(importance_scores.shape) != tuple(orig.shape):
            raise ValueError(f"importance_scores should have the same shape as parameter {name} of "
                             f"{module}: {list(importance_scores.shape)} vs {list(orig.shape)}")
        first_time = not isinstance(method, PruningContainer)
        if first_time:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _wrap(orig.device.xp.ones_like(orig.data), orig)
        else:
            default_mask = _wrap(getattr(module, name + "_mask").data.copy(), orig)
        try:
            with no_grad():
                mask = method.compute_mask(importance_scores.detach(), default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first_time:  # leave the module as it was
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask computed from ``importance_scores`` (default ``t``) and ``default_mask``."""
        scores = t if importance_scores is None else importance_scores
        if default_mask is None:
            default_mask = _wrap(t.device.xp.ones_like(t.data), t)
        with no_grad():
            mask = self.compute_mask(scores.detach(), default_mask=default_mask)
        return t * mask

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a Parameter holding the pruned values."""
        if self._tensor_name is None:
            raise ValueError(f"{type(self).__name__} is not attached to a tensor: use apply()")
        name = self._tensor_name
        with no_grad():
            weight = self.apply_mask(module)
        module.__dict__.pop(name, None)
        orig = module._parameters.pop(name + "_orig")
        orig.data = weight.data
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The successive pruning methods applied to one tensor; the last one prunes what is left."""

    def __init__(self, *methods):
        self._pruning_methods = ()
        if len(methods) == 1:
            self._tensor_name = methods[0]._tensor_name
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (it must prune the same tensor)."""
        if method is None:
            return
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        """Run the newest method on the still-unpruned part of ``t`` and merge its mask in."""
        method = self._pruning_methods[-1]
        region = _unpruned_region(method, t, default_mask.data)
        partial = method.compute_mask(_wrap(t.data[region], t),
                                      default_mask=_wrap(default_mask.data[region], t))
        merged = default_mask.data.astype(t.dtype, copy=True)
        merged[region] = partial.data.astype(t.dtype, copy=False)
        return _wrap(merged, t)


def _unpruned_region(method, t, mask):
    """The index into ``t`` that ``method`` may still prune: the unpruned entries
    (unstructured), the channels along ``method.dim`` with any unpruned entry (structured), or
    everything (global, whose mask is already restricted)."""
    if method.PRUNING_TYPE == "unstructured":
        return mask == 1
    if method.PRUNING_TYPE == "global":
        return (slice(None),) * t.ndim
    if method.PRUNING_TYPE == "structured":
        dim = method.dim + t.ndim if method.dim < 0 else method.dim
        if not 0 <= dim < t.ndim:
            raise IndexError(f"Pruning dim {method.dim} out of range for a tensor of {t.ndim} dims")
        others = tuple(axis for axis in range(t.ndim) if axis != dim)
        region = [slice(None)] * t.ndim
        region[dim] = mask.sum(axis=others) != 0
        return tuple(region)
    raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (useful to get the ``_orig``/``_mask`` layout)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        """``default_mask`` unchanged."""
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Attach an all-ones mask to ``module.<name>``."""
        return super().apply(module, name)


class _UnstructuredByScore(BasePruningMethod):
    """Prunes the ``amount`` entries (an int, or a fraction in [0, 1]) of lowest ``_scores``."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """Zero the ``amount`` lowest-scored entries of ``default_mask``."""
        count = _count_to_prune(self.amount, t.numel())
        return _zero_lowest(default_mask, self._scores(t), count)

    def _scores(self, t):
        raise NotImplementedError


class RandomUnstructured(_UnstructuredByScore):
    """Prunes ``amount`` entries (an int, or a fraction in [0, 1]) chosen uniformly at random."""

    def _scores(self, t):
        return random.generator(t.device).random(t.numel(), dtype="float32")

    @classmethod
    def apply(cls, module, name, amount):
        """Prune ``amount`` random entries of ``module.<name>``."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredByScore):
    """Prunes the ``amount`` entries (int, or fraction in [0, 1]) of smallest absolute value."""

    def _scores(self, t):
        return t.device.xp.abs(t.data).reshape(-1)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        """Prune the smallest-magnitude entries of ``module.<name>`` (or of ``importance_scores``)."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _StructuredByScore(BasePruningMethod):
    """Prunes the ``amount`` channels (slices along ``dim``) of lowest ``_channel_scores``."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask):
        """Zero the ``amount`` lowest-scored slices along ``dim`` of ``default_mask``."""
        _validate_structured(t, self.dim)
        channels = t.shape[self.dim]
        count = _count_to_prune(self.amount, channels)
        if count == 0:
            return default_mask
        dim = self.dim % t.ndim
        return _prune_channels(t, default_mask, dim, self._channel_scores(t, dim), count)

    def _channel_scores(self, t, dim):
        raise NotImplementedError


class RandomStructured(_StructuredByScore):
    """Prunes ``amount`` whole channels along ``dim``, chosen uniformly at random."""

    def _channel_scores(self, t, dim):
        return random.generator(t.device).random(t.shape[dim], dtype="float32")

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        """Prune ``amount`` random channels of ``module.<name>`` along ``dim``."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_StructuredByScore):
    """Prunes the ``amount`` channels along ``dim`` of smallest L``n`` norm (``n``: number,
    ``inf``, ``-inf`` or ``'fro'``)."""

    def __init__(self, amount, n, dim=-1):
        super().__init__(amount, dim)
        self.n = n

    def _channel_scores(self, t, dim):
        return t.norm(p=self.n, dim=tuple(axis for axis in range(t.ndim) if axis != dim)).data

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        """Prune the ``amount`` lowest-norm channels of ``module.<name>`` along ``dim``."""
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given 0/1 ``mask`` is zero."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        """``default_mask * mask``."""
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"mask of shape {list(self.mask.shape)} does not match the tensor's "
                             f"{list(default_mask.shape)}")
        return default_mask * self.mask.to(default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        """Prune ``module.<name>`` where ``mask`` is zero."""
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Attach an all-ones mask to ``module.<name>`` (``<name>_orig`` + ``<name>_mask``); returns module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (int count or fraction) random entries of ``module.<name>``; returns module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` (int count or fraction) entries of ``module.<name>`` of smallest
    ``|importance_scores|`` (default: the tensor itself); returns module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` random channels (slices along ``dim``) of ``module.<name>``; returns module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels along ``dim`` of ``module.<name>`` with the smallest L``n``
    norm of ``importance_scores`` (default: the tensor itself); returns module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where the 0/1 tensor ``mask`` is zero; returns module."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` pairs of ``parameters`` together, as one long vector, with
    the unstructured ``pruning_method`` class (``L1Unstructured``: ``amount`` counts over all).

    ``importance_scores`` optionally maps ``(module, name)`` to a tensor of the same shape.
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f'Found method {pruning_method} of type {method.PRUNING_TYPE}')
    tensors = [getattr(module, name) for module, name in parameters]
    xp = tensors[0].device.xp
    scores = xp.concatenate([importance_scores.get(pair, tensor).data.reshape(-1)
                             for pair, tensor in zip(parameters, tensors)])
    masks = xp.concatenate([_current_mask(module, name, tensor).reshape(-1)
                            for (module, name), tensor in zip(parameters, tensors)])
    container = PruningContainer(method)
    with no_grad():
        final_mask = container.compute_mask(_wrap(scores, tensors[0]), _wrap(masks, tensors[0])).data
    start = 0
    for (module, name), tensor in zip(parameters, tensors):
        piece = final_mask[start:start + tensor.numel()].reshape(tensor.shape)
        custom_from_mask(module, name, mask=_wrap(piece, tensor))
        start += tensor.numel()


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop the mask, ``_orig`` and hook."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can "
                     f"be removed")


def is_pruned(module):
    """Whether ``module`` or any submodule carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub._forward_pre_hooks.values())


# ----- helpers ----------------------------------------------------------------------------------
def _attach_method(method, module, name):
    """``method`` for ``module.<name>``, merged with any earlier pruning of it into a container."""
    method._tensor_name = name
    previous = [key for key, hook in module._forward_pre_hooks.items()
                if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if not previous:
        return method
    old = module._forward_pre_hooks.pop(previous[0])
    container = old if isinstance(old, PruningContainer) else PruningContainer(old)
    container.add_pruning_method(method)
    return container


def _current_mask(module, name, tensor):
    mask = getattr(module, name + "_mask", None)
    return tensor.device.xp.ones_like(tensor.data) if mask is None else mask.data


def _wrap(array, like):
    """A Tensor around ``array`` on ``like``'s device, outside any graph."""
    return Tensor._make(array, like.device, False, None)


def _validate_amount(amount):
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         f"non-negative integer")


def _count_to_prune(amount, size):
    """An int ``amount`` as is (at most ``size``), a fraction rounded half to even (Python's round)."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                             f"prune={size}")
        return int(amount)
    return round(amount * size)


def _validate_structured(t, dim):
    if t.ndim <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {tuple(t.shape)} with {t.ndim} dims")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {tuple(t.shape)}")


def _zero_lowest(default_mask, flat_scores, count):
    """``default_mask`` with the ``count`` lowest of ``flat_scores`` zeroed (ties: lower index)."""
    mask = default_mask.data.copy().reshape(-1)
    if count:
        mask[default_mask.device.xp.argsort(flat_scores, kind="stable")[:count]] = 0
    return _wrap(mask.reshape(default_mask.shape), default_mask)


def _prune_channels(t, default_mask, dim, channel_scores, count):
    """``default_mask`` times zeros on the ``count`` channels along ``dim`` of lowest
    ``channel_scores`` (ties: lower index), ones elsewhere."""
    xp = t.device.xp
    kept = xp.ones(t.shape[dim], dtype=t.dtype)
    kept[xp.argsort(channel_scores, kind="stable")[:count]] = 0
    shape = [1] * t.ndim
    shape[dim] = -1
    return _wrap(kept.reshape(shape) * default_mask.data.astype(t.dtype, copy=False), t)
