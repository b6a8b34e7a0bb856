"""``GradScaler``: dynamic loss scaling for float16 training, as ``torch.amp.GradScaler``.

The loss is multiplied by ``scale`` before backward so small float16 gradients do not flush to
zero; ``step`` divides the gradients back and skips the optimizer step when any of them is
inf/NaN; ``update`` then halves the scale (``backoff_factor``) after a skipped step, or doubles
it (``growth_factor``) after ``growth_interval`` clean steps in a row. The scale is float32 and
its arithmetic is PyTorch's, so both produce the same scale sequence on the same gradients.
"""
import warnings

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.tensor import Tensor

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


def _float32(value):
    """``value`` rounded to float32, as the scale is stored, returned as a Python float (inf
    where it overflows: a grown scale that does, is not taken)."""
    with numpy.errstate(over="ignore"):
        return float(numpy.float32(value))


class GradScaler:
    """Scale the loss, unscale and check the gradients, skip bad steps, adapt the scale.

    ``GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True)``. A disabled scaler (or a "cuda" one without a GPU,
    which warns, as PyTorch does) passes everything through: ``scale`` returns its input and
    ``step`` calls ``optimizer.step()``.

    Typical loop::

        with tl.amp.autocast("cuda"):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)      # unscales, skips the step if a gradient is inf/NaN
        scaler.update()
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda" and not _cuda_available():
            warnings.warn("tl.amp.GradScaler is enabled, but CUDA is not available. Disabling.",
                          UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale = None  # float32 value, set at the first scale() (lazily, as PyTorch)
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker = None
        self._per_optimizer_states = {}

    # ----- the training-loop calls --------------------------------------------------------------
    def scale(self, outputs):
        """``outputs`` (a tensor, or a list/tuple of them, nested) multiplied by the scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _float32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker
        if isinstance(outputs, Tensor):
            return outputs * Tensor(self._scale, dtype="float32", device=outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(output) for output in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale in place and record any inf/NaN.

        Call it before clipping gradients; ``step`` then does not unscale again. Once per
        optimizer per ``update()``.
        """
        if not self._enabled:
            return
        self._check_scale("unscale_")
        state = self._optimizer_state(optimizer)
        if state["stage"] is _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] is _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inverse = _float32(1.0 / self._scale)  # as PyTorch: reciprocal in float64, then float32
        state["found_inf"] = self._unscale_grads(optimizer, inverse)
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless a gradient was inf/NaN (unscaling first if not done yet).

        Returns what ``optimizer.step`` returned, or None for a skipped step.
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._optimizer_state(optimizer)
        if state["stage"] is _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is _READY:
            self.unscale_(optimizer)
        result = None
        if not state["found_inf"]:
            result = optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None):
        """Set the scale for the next iteration: ``new_scale`` if given, else back off after an
        inf/NaN (and restart the growth count), grow after ``growth_interval`` clean steps."""
        if not self._enabled:
            return
        self._check_scale("update")
        if new_scale is not None:
            self._scale = _float32(_scale_value(new_scale))
        else:
            if not self._per_optimizer_states:
                raise AssertionError("No inf checks were recorded prior to update.")
            found_inf = any(state["found_inf"] for state in self._per_optimizer_states.values())
            self._scale, self._growth_tracker = self._next_scale(found_inf)
        self._per_optimizer_states = {}

    def _next_scale(self, found_inf):
        """PyTorch's update rule: (scale, growth tracker) after a step with/without inf/NaN."""
        if found_inf:
            return _float32(self._scale * self._backoff_factor), 0
        successful = self._growth_tracker + 1
        if successful < self._growth_interval:
            return self._scale, successful
        grown = _float32(self._scale * self._growth_factor)
        return (grown if numpy.isfinite(grown) else self._scale), 0

    # ----- state --------------------------------------------------------------------------------
    def get_scale(self):
        """The current scale as a Python float (``init_scale`` before the first ``scale``; 1.0
        when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self):
        """The factor the scale grows by after ``growth_interval`` clean steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        """Replace the growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        """The factor the scale shrinks by after a step with inf/NaN gradients."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        """Replace the backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        """How many clean steps in a row make the scale grow."""
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        """Replace the growth interval."""
        self._growth_interval = new_interval

    def is_enabled(self):
        """False for a disabled scaler (which passes everything through)."""
        return self._enabled

    def state_dict(self):
        """``{"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"}``
        (empty when disabled), as PyTorch's."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._init_growth_tracker if self._growth_tracker is None
                else self._growth_tracker}

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict` (a disabled scaler ignores it)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = _float32(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = state_dict["_growth_tracker"]

    # ----- helpers ------------------------------------------------------------------------------
    def _check_scale(self, function):
        if self._scale is None:
            raise AssertionError(f"Attempted {function} but _scale is None. This may indicate your "
                                 "script did not use scaler.scale(loss or outputs) earlier in the "
                                 "iteration.")

    def _optimizer_state(self, optimizer):
        return self._per_optimizer_states.setdefault(id(optimizer),
                                                     {"stage": _READY, "found_inf": False})

    @staticmethod
    def _unscale_grads(optimizer, inverse):
        """Multiply every gradient by ``inverse`` in place; True if any holds inf/NaN."""
        non_finite = 0
        with no_grad():
            for group in optimizer.param_groups:
                for parameter in group["params"]:
                    grad = parameter.grad
                    if grad is None:
                        continue
                    if grad.dtype == dtypes.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    non_finite = non_finite + grad.isfinite().logical_not().sum()
                    grad.mul_(inverse)
        return bool(non_finite)  # one device sync for all the gradients


def _scale_value(new_scale):
    """A float, or the value of a 1-element tensor that needs no gradient (as PyTorch accepts)."""
    if isinstance(new_scale, Tensor):
        if new_scale.numel() != 1 or new_scale.requires_grad:
            raise AssertionError("new_scale should be a float or a 1-element tensor with "
                                 "requires_grad=False.")
        return new_scale.item()
    return float(new_scale)


def _cuda_available():
    from tinygrad_lite import cuda  # noqa: PLC0415 - probes CuPy only when a "cuda" scaler is built

    return cuda.is_available()
