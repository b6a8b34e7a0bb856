"""``tinygrad_lite.optim.lr_scheduler``: learning-rate schedules with PyTorch's names and values.

    scheduler = lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(epochs):
        train_one_epoch(...)          # calls optimizer.step()
        scheduler.step()
"""
from tinygrad_lite.optim.lr_scheduler.cosine import CosineAnnealingLR
from tinygrad_lite.optim.lr_scheduler.decay import ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR
from tinygrad_lite.optim.lr_scheduler.one_cycle import OneCycleLR
from tinygrad_lite.optim.lr_scheduler.plateau import ReduceLROnPlateau
from tinygrad_lite.optim.lr_scheduler.scheduler import LRScheduler
from tinygrad_lite.optim.lr_scheduler.sequential import SequentialLR

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR",
           "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "StepLR"]
