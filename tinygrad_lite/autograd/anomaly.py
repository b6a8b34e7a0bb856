"""``detect_anomaly``: record where each op was created and stop at the first NaN/Inf gradient."""
import traceback


class AnomalyMode:
    """Global flag: when ``enabled``, ops remember their creation stack and backward checks results."""

    enabled = False


class detect_anomaly:
    """Context manager: a backward producing NaN/Inf raises RuntimeError naming the op and its origin.

    Example::

        with tl.autograd.detect_anomaly():
            loss.backward()   # RuntimeError: Function 'SqrtBackward' returned nan values ...
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.previous = AnomalyMode.enabled

    def __enter__(self):
        self.previous = AnomalyMode.enabled
        AnomalyMode.enabled = self.check_nan
        return self

    def __exit__(self, *exc_info):
        AnomalyMode.enabled = self.previous
        return False


def creation_stack():
    """The user-level stack at op creation, for anomaly reports (autograd frames dropped)."""
    frames = traceback.extract_stack()[:-3]
    return "".join(traceback.format_list(frames[-8:]))


def check_gradient(node, gradients):
    """Raise RuntimeError if any gradient returned by ``node.backward`` holds NaN or Inf."""
    for index, gradient in enumerate(gradients):
        if gradient is None:
            continue
        xp = node.xp
        if not bool(xp.isfinite(gradient.data).all()):
            kind = "nan" if bool(xp.isnan(gradient.data).any()) else "inf"
            where = getattr(node, "_creation_stack", None)
            origin = f"\nThe forward op was created at:\n{where}" if where else ""
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {index}th output "
                f"(gradient for input {index}, shape {tuple(gradient.shape)}).{origin}"
            )
