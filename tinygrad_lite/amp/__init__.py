"""Mixed precision, as ``torch.amp``: ``autocast`` regions and the ``GradScaler``."""
from tinygrad_lite.amp.autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from tinygrad_lite.amp.grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "get_autocast_dtype", "is_autocast_enabled"]
