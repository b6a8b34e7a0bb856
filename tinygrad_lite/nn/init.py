"""``nn.init``: in-place initialisers with PyTorch's formulas (fan-in/out, gains, bounds).

All draw from tinygrad_lite's seeded generator for the tensor's device, run without recording a
graph, and keep the tensor's dtype.
"""
import functools
import math

from tinygrad_lite import random as _random
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.backend import on_device

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "trunc_normal_", "orthogonal_", "default_layer_init_"]

_LINEAR_GAIN = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table: relu sqrt(2), tanh 5/3, ...)."""
    if nonlinearity in _LINEAR_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _on_tensor_device(fill):
    """Run an initialiser with the tensor's GPU current, so the arrays it draws land beside it."""
    @functools.wraps(fill)
    def initialise(tensor, *args, **kwargs):
        with on_device(tensor.device):
            return fill(tensor, *args, **kwargs)

    return initialise


def _fans(tensor):
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
            f"(shape {list(tensor.shape)})"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, array):
    with no_grad():
        tensor.data[...] = array.astype(tensor.dtype, copy=False)
        tensor._version += 1
    return tensor


# Only ``random`` and ``standard_normal`` are drawn from: CuPy's Generator lacks NumPy's
# ``uniform``/``normal`` methods, and these two exist on both.
def _standard_normal(tensor):
    return _random.generator(tensor.device).standard_normal(tensor.shape)


@_on_tensor_device
def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples from U(a, b)."""
    unit = _random.generator(tensor.device).random(tensor.shape)
    return _fill(tensor, a + (b - a) * unit)


@_on_tensor_device
def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples from N(mean, std**2)."""
    return _fill(tensor, mean + std * _standard_normal(tensor))


@_on_tensor_device
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fill with N(mean, std**2) samples conditioned on [a, b] (absolute bounds, as in PyTorch).

    Plain rejection while the interval holds a fair share of the mass; for a narrow or far-tail
    interval, a proposal that covers just the interval (uniform, or an exponential tail), so any
    bounds finish in a few vectorised passes.
    """
    low, high = (a - mean) / std, (b - mean) / std
    if _normal_mass(low, high) > 0.05:
        standard = _rejection_sample(tensor, lambda: _standard_normal(tensor), low, high,
                                     lambda x: None)
    else:
        sign = -1.0 if high <= 0 else 1.0  # mirror a left-tail interval to the right
        low, high = (-high, -low) if sign < 0 else (low, high)
        standard = sign * _tail_sample(tensor, low, high)
    return _fill(tensor, mean + std * standard)


def _normal_mass(low, high):
    """P(low <= Z <= high) for a standard normal Z."""
    return 0.5 * (math.erf(high / math.sqrt(2)) - math.erf(low / math.sqrt(2)))


def _uniform(tensor):
    return _random.generator(tensor.device).random(tensor.shape)


def _tail_sample(tensor, low, high):
    """Standard normal samples conditioned on [low, high] with low >= 0 or a narrow interval."""
    xp = tensor.device.xp
    if math.isfinite(high) and (high - low) * max(low, 1.0) <= 1.0:
        floor = 0.0 if low <= 0 <= high else min(low * low, high * high)

        def propose():  # uniform over the interval; accept with phi(x) / max phi
            return low + (high - low) * _uniform(tensor)

        def acceptance(x):
            return xp.exp(-(x * x - floor) / 2)
    else:
        rate = (low + math.sqrt(low * low + 4)) / 2  # Robert (1995): the optimal exponential

        def propose():
            return low - xp.log1p(-_uniform(tensor)) / rate

        def acceptance(x):
            return xp.exp(-((x - rate) ** 2) / 2)
    return _rejection_sample(tensor, propose, low, high, acceptance)


def _rejection_sample(tensor, propose, low, high, acceptance):
    """Redraw rejected entries until every one lies in [low, high] and passed ``acceptance``."""
    def rejected(x):
        outside = (x < low) | (x > high)
        keep = acceptance(x)
        return outside if keep is None else outside | (_uniform(tensor) > keep)

    samples = propose()
    redo = rejected(samples)
    while bool(redo.any()):  # each pass replaces only the rejected entries
        samples = tensor.device.xp.where(redo, propose(), samples)
        redo = redo & rejected(samples)
    return samples


@_on_tensor_device
def constant_(tensor, val):
    """Fill with ``val``."""
    return _fill(tensor, tensor.device.xp.full(tensor.shape, val, dtype=tensor.dtype))


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


@_on_tensor_device
def eye_(tensor):
    """Fill a 2-D tensor with the identity."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D tensor, got shape {list(tensor.shape)}")
    return _fill(tensor, tensor.device.xp.eye(*tensor.shape, dtype=tensor.dtype))


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He); PyTorch's Linear/Conv default uses a=sqrt(5)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std**2) with std = gain / sqrt(fan) (He)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


@_on_tensor_device
def orthogonal_(tensor, gain=1.0):
    """Fill with a (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dims, got shape {list(tensor.shape)}")
    xp = tensor.device.xp
    rows, cols = tensor.shape[0], math.prod(tensor.shape[1:])
    flat = _random.generator(tensor.device).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def default_layer_init_(weight, bias=None):
    """PyTorch's default for Linear and Conv layers: ``kaiming_uniform_(weight, a=sqrt(5))``,
    which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from that same range."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = _fans(weight)[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
