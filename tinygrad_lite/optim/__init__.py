"""``tinygrad_lite.optim``: optimizers with PyTorch's update rules, and ``optim.lr_scheduler``."""
from tinygrad_lite.optim import lr_scheduler
from tinygrad_lite.optim.adagrad import Adagrad
from tinygrad_lite.optim.adam import Adam, AdamW
from tinygrad_lite.optim.optimizer import Optimizer
from tinygrad_lite.optim.rmsprop import RMSprop
from tinygrad_lite.optim.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
