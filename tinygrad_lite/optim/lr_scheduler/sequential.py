"""SequentialLR: run one scheduler after another, switching at given epochs (e.g. warm-up, then decay)."""
import bisect
import copy

from tinygrad_lite.optim.lr_scheduler.plateau import ReduceLROnPlateau
from tinygrad_lite.optim.lr_scheduler.scheduler import LRScheduler

__all__ = ["SequentialLR"]


class SequentialLR(LRScheduler):
    """``SequentialLR(optimizer, schedulers, milestones, last_epoch=-1)``.

    ``schedulers[i]`` drives the lr from epoch ``milestones[i - 1]`` on (``len(milestones) ==
    len(schedulers) - 1``); each one restarts from its own epoch 0 (its closed form at epoch 0,
    i.e. the ``initial_lr``-based value) when its milestone is reached. All schedulers must belong
    to ``optimizer``; ``ReduceLROnPlateau`` is refused (its ``step`` needs a metric)::

        warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = CosineAnnealingLR(opt, T_max=95)
        scheduler = SequentialLR(opt, [warmup, decay], milestones=[5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        for index, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"{name} at index {index} should have `optimizer` as its attribute.")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"{name} does not support `ReduceLROnPlateau` scheduler as it requires a "
                                 f"metric when calling `step`, but got one at index {index}.")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name} expects all schedulers to belong to the same optimizer, but "
                                 f"scheduler {type(scheduler).__name__} at index {index} has another one.")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{name} expects one milestone fewer than schedulers, but got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Every scheduler's constructor already stepped once and changed the lr: start over.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def recursive_undo(self, sched=None):
        """Take back the constructor step of every scheduler (nested sequences included)."""
        scheduler = self if sched is None else sched
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self.recursive_undo(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self):
        """Advance one epoch with the scheduler active at the new epoch (restarted on its milestone)."""
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Own counters plus each inner scheduler's ``state_dict()`` under ``'_schedulers'``."""
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore own counters, then each inner scheduler from its saved state."""
        state = dict(state_dict)
        inner_states = state.pop("_schedulers")
        super().load_state_dict(state)
        for scheduler, inner_state in zip(self._schedulers, inner_states):
            scheduler.load_state_dict(inner_state)
