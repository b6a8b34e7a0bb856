"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``.

Subclasses implement ``update(group, param, grad, state)`` on raw arrays (``xp`` is NumPy or
CuPy); updates run in place on ``param.data`` and never build a graph.
"""
import copy

from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.backend import on_device
from tinygrad_lite.tensor import Tensor

__all__ = ["Optimizer", "lerp_"]


class Optimizer:
    """Base class: holds ``param_groups`` (list of dicts) and ``state`` (dict keyed by parameter)."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
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
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    grad = param.grad.data
                    if grad.shape != param.data.shape:
                        raise RuntimeError(
                            f"gradient of shape {grad.shape} does not match parameter {param.data.shape}"
                        )
                    state = self.state.setdefault(param, {})
                    with on_device(param.device):
                        self.update(group, param, grad, state)
                    param._version += 1
        return loss

    def update(self, group, param, grad, state):
        """Apply one update to ``param.data`` in place (subclasses implement)."""
        raise NotImplementedError

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


def lerp_(array, end, weight):
    """In place ``array += weight * (end - array)``, rounded the way PyTorch's ``lerp_`` rounds.

    PyTorch switches to ``end - (end - array) * (1 - weight)`` for weights of 0.5 and up (more
    accurate near 1); matching both branches keeps N optimizer steps equal to PyTorch's.
    """
    weight = array.dtype.type(weight)  # PyTorch computes in the array's precision
    if abs(weight) < 0.5:
        array += weight * (end - array)
    else:
        array[...] = end - (end - array) * (array.dtype.type(1) - weight)
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
