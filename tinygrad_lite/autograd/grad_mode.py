"""Switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
import functools


class GradMode:
    """Global flag read by every op: record the graph only while ``enabled`` is True."""

    enabled = True


def is_grad_enabled():
    """True when ops record a graph for autograd."""
    return GradMode.enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets grad recording to ``mode``; restores it on exit."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.previous = GradMode.enabled
        GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        GradMode.enabled = self.previous
        return False

    def __call__(self, function):
        """Use as a decorator: the mode applies inside each call only (as in PyTorch)."""
        GradMode.enabled = self.previous  # undo the switch made when the decorator was built
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return wrapper


class _GradModeContext:
    """Shared body of ``no_grad``/``enable_grad``: a re-entrant context manager and decorator."""

    mode = True

    def __init__(self):
        self._stack = []

    def __enter__(self):
        self._stack.append(GradMode.enabled)
        GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        GradMode.enabled = self._stack.pop()
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Ops inside ``with tl.no_grad():`` record no graph and return tensors without ``grad_fn``."""

    mode = False


class enable_grad(_GradModeContext):
    """Re-enables graph recording inside a ``no_grad`` block."""

    mode = True
