"""``tinygrad_lite.optim``: optimizers with PyTorch's update rules."""
from tinygrad_lite.optim.adam import Adam, AdamW
from tinygrad_lite.optim.optimizer import Optimizer
from tinygrad_lite.optim.sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "SGD"]
