"""``LRScheduler``: the base of every epoch-driven learning-rate schedule.

A scheduler owns a counter ``last_epoch`` and, on every ``step()``, writes a new ``lr`` into each of
its optimizer's ``param_groups``. Most schedules are written like PyTorch's: *recursively*, as a
factor applied to the group's current lr, so the float values match PyTorch's bit for bit and
several schedulers can be stacked on one optimizer.
"""
import copy
import warnings

from tinygrad_lite.optim.optimizer import Optimizer

__all__ = ["LRScheduler"]

EPOCH_DEPRECATION = ("The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch); "
                      "call `scheduler.step()` without it once per epoch instead.")


class LRScheduler:
    """Base class: ``LRScheduler(optimizer, last_epoch=-1)``.

    ``last_epoch=-1`` starts a fresh schedule and records each group's starting lr as
    ``group['initial_lr']`` (kept if already there); ``base_lrs`` lists those values. A value
    ``>= 0`` resumes a schedule and requires ``initial_lr`` in every group. Construction performs
    the first ``step()``, which sets the epoch-0 lr.

    Subclasses implement ``get_lr()`` (the lrs for the new ``last_epoch``; ``self._is_initial`` is
    true during the constructor's step) and may implement ``_get_closed_form_lr()``, which
    ``step(epoch)`` uses when jumping straight to an epoch.
    """

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{index}] when resuming a "
                        f"scheduler with last_epoch={last_epoch}; load the optimizer's state_dict first "
                        "or use last_epoch=-1 for a fresh schedule"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """Reset the step count and take the step that sets the epoch-``last_epoch + 1`` lr."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The lr of every param group for the current ``last_epoch`` (subclasses implement)."""
        raise NotImplementedError

    def get_last_lr(self):
        """The lrs (one float per param group) set by the most recent ``step()``."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance one epoch (call after ``optimizer.step()``) and update every group's ``lr``.

        ``epoch`` (deprecated, as in PyTorch) jumps straight to that epoch, using the closed form of
        the schedule where one exists.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise RuntimeError(f"{type(self).__name__} computed {len(values)} learning rates for "
                               f"{len(groups)} parameter groups")
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def _group_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute except the optimizer, as a dict (a copy: later steps don't change it)."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore attributes saved by :meth:`state_dict` (load the optimizer's state too)."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def __repr__(self):
        last_lr = getattr(self, "_last_lr", None)
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={last_lr})"


def per_group(name, optimizer, value):
    """``value`` repeated for each param group, or a list/tuple checked to have one per group."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {count}.")
        return list(value)
    return [value] * count
