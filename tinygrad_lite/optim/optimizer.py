"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``.

Updates run in place on ``param.data`` (raw arrays, ``xp`` is NumPy or CuPy) and never build a
graph. A subclass implements either the multi-tensor trio ``prepare`` / ``state_keys`` /
``update_flat``, which updates all parameters of a group, dtype and device at once over flat
buffers (see ``flat_state.py``), or ``update(group, param, grad, state)``, one parameter at a time.
"""
import copy

from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.backend import device_of_array, on_device
from tinygrad_lite.optim.flat_state import FlatBucket
from tinygrad_lite.tensor import Tensor

__all__ = ["Optimizer", "lerp_"]


class Optimizer:
    """Base class: holds ``param_groups`` (list of dicts) and ``state`` (dict keyed by parameter)."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        self._buckets = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest)."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if id(param) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            seen.add(id(param))
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Validate hyper-parameters (subclasses extend)."""
        if group.get("lr", 0) < 0:
            raise ValueError(f"invalid learning rate: {group['lr']}")

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient (``None`` by default, like PyTorch)."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            from tinygrad_lite.autograd.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        one_at_a_time = type(self).update is not Optimizer.update
        with no_grad():
            for position, group in enumerate(self.param_groups):
                params = [param for param in group["params"] if param.grad is not None]
                for param in params:
                    if param.grad.shape != param.data.shape:
                        raise RuntimeError(f"gradient of shape {param.grad.shape} does not match "
                                           f"parameter {param.data.shape}")
                if one_at_a_time:
                    self._step_each(group, params)
                else:
                    for key, same_kind in _by_device_and_dtype(params).items():
                        self._step_bucket((position,) + key, group, same_kind)
                for param in params:
                    param._version += 1
        return loss

    def _step_each(self, group, params):
        for param in params:
            with on_device(param.device):
                self.update(group, param, param.grad.data, self.state.setdefault(param, {}))

    def _step_bucket(self, key, group, params):
        """One multi-tensor update of ``params`` (one dtype and device), chunk by chunk."""
        signature = FlatBucket.signature_of(params)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.signature != signature:
            bucket = self._buckets[key] = FlatBucket(params, signature)
        states = [self.state.setdefault(param, {}) for param in params]
        phases = [self.prepare(group, param, state) for param, state in zip(params, states)]
        decay, scale = self.l2_decay(group), self.param_scale(group)
        with on_device(bucket.device):
            buffers = {name: bucket.bind(states, name) for name in self.state_keys(group)}
            grads = [param.grad.data.reshape(-1) for param in params]
            datas = [param.data.reshape(-1) for param in params] if decay else None
            scratch = bucket.scratch()
            for chunk in bucket.chunks(phases):
                work = [array[:chunk.stop - chunk.start] for array in scratch]
                grad = self._effective_grad(bucket, chunk, group.get("maximize"), decay, grads, datas,
                                           work)
                state = {name: buffer[chunk.start:chunk.stop] for name, buffer in buffers.items()}
                delta = self.update_flat(group, bucket.xp, grad, state, chunk.phase, work[1:])
                bucket.write_back(chunk, delta, scale)

    @staticmethod
    def _effective_grad(bucket, chunk, maximize, decay, grads, datas, work):
        """``-grad`` when maximizing, plus ``decay * param`` (L2), in the originals' rounding order."""
        grad = bucket.gather(chunk, grads, work[0])
        if maximize:
            grad = bucket.xp.negative(grad, out=work[0])
        if decay:
            decayed = bucket.xp.multiply(bucket.gather(chunk, datas, work[1]), decay, out=work[1])
            grad = bucket.xp.add(grad, decayed, out=work[0])
        return grad

    def prepare(self, group, param, state):
        """Create or advance ``param``'s state before a multi-tensor step; returns its phase, a
        value the update's scalars depend on (parameters of one phase are updated together)."""
        raise NotImplementedError

    def state_keys(self, group):
        """Names of the array states kept in flat buffers (missing ones start at zero)."""
        raise NotImplementedError

    def update_flat(self, group, xp, grad, state, phase, work):
        """The update of a flat range: ``grad`` and ``state`` (name -> array) are 1-D arrays of one
        length, ``work`` two scratch arrays of it. Updates ``state`` in place and returns the
        ``delta`` to subtract from the parameters."""
        raise NotImplementedError

    def l2_decay(self, group):
        """Coefficient of the ``decay * param`` added to the gradient (0: none)."""
        return group.get("weight_decay", 0)

    def param_scale(self, group):
        """Factor the parameters are multiplied by before the update (None: none)."""
        return None

    def update(self, group, param, grad, state):
        """Apply one update to ``param.data`` in place (for subclasses not written multi-tensor)."""
        raise NotImplementedError

    def __getstate__(self):
        # The flat buffers are a cache whose views a copy would not share: rebuilt on the next step.
        return {key: value for key, value in self.__dict__.items() if key != "_buckets"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._buckets = {}

    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [...]}`` with parameters as indices (PyTorch)."""
        index_of, groups, next_index = {}, [], 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = []
            for param in group["params"]:
                if id(param) not in index_of:
                    index_of[id(param)] = next_index
                    next_index += 1
                packed["params"].append(index_of[id(param)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for param in group["params"]:
                if param in self.state:
                    state[index_of[id(param)]] = {
                        key: _export(value) for key, value in self.state[param].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state saved by ``state_dict`` (arrays become this optimizer's device/dtype)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, optimizer has "
                f"{len(self.param_groups)}"
            )
        params_by_index = {}
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group of size {len(saved['params'])} "
                    f"that doesn't match the size of optimizer's group ({len(group['params'])})"
                )
            for param, index in zip(group["params"], saved["params"]):
                params_by_index[int(index)] = param
            for key, value in saved.items():
                if key != "params":
                    group[key] = copy.deepcopy(value)
        self.state = {}
        for index, entries in state_dict["state"].items():
            param = params_by_index[int(index)]
            self.state[param] = {key: _import(value, param) for key, value in entries.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for position, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {position}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def lerp_(array, end, weight, scratch=None):
    """In place ``array += weight * (end - array)``, rounded the way PyTorch's ``lerp_`` rounds.

    PyTorch switches to ``end - (end - array) * (1 - weight)`` for weights of 0.5 and up (more
    accurate near 1); matching both branches keeps N optimizer steps equal to PyTorch's.
    ``scratch`` (``array``'s shape) holds the temporary when given.
    """
    xp = device_of_array(array).xp
    weight = array.dtype.type(weight)  # PyTorch computes in the array's precision
    difference = xp.subtract(end, array, out=scratch)
    if abs(weight) < 0.5:
        difference *= weight
        array += difference
    else:
        difference *= array.dtype.type(1) - weight
        xp.subtract(end, difference, out=array)
    return array


def _export(value):
    if hasattr(value, "shape") and not isinstance(value, Tensor):
        return Tensor.from_array(value.copy())
    return copy.deepcopy(value)


def _import(value, param):
    if isinstance(value, Tensor):
        value = value.data
    if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
        with on_device(param.device):
            array = param.device.xp.asarray(value.get() if hasattr(value, "get") else value)
            return array.astype(param.dtype, copy=True)
    if hasattr(value, "item"):
        return value.item()
    return value


def _by_device_and_dtype(params):
    """``{(device, dtype): [params...]}`` in group order."""
    kinds = {}
    for param in params:
        kinds.setdefault((param.device, param.data.dtype), []).append(param)
    return kinds
