"""``tinygrad_lite.nn``: layers and losses built on Tensor ops (``nn.functional`` is ``F``)."""
from tinygrad_lite.nn import functional

__all__ = ["functional"]
