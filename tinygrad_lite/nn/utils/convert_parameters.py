"""Flatten parameters into one vector and back (e.g. for line searches or weight averaging)."""
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.ops.join import cat
from tinygrad_lite.tensor import Tensor


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    devices = {str(p.device) for p in params}
    if len(devices) > 1:
        raise RuntimeError(f"parameters_to_vector: parameters are on several devices: {sorted(devices)}")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of 1-D ``vec`` into each parameter in place."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError("vector_to_parameters expects a 1-D tensor")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(f"vector has {vec.numel()} elements but the parameters hold {total}")
    start = 0
    with no_grad():
        for param in params:
            count = param.numel()
            param.data[...] = vec.data[start:start + count].reshape(param.shape)
            param._version += 1
            start += count
