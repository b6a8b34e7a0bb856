"""Utilities on top of autograd, as ``torch.utils``: ``tl.utils.checkpoint``."""
from tinygrad_lite.utils import checkpoint

__all__ = ["checkpoint"]
