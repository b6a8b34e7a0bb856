"""``Module``: the base class of layers and models, with PyTorch's registration and naming rules.

Assigning a :class:`Parameter`, a sub-``Module`` or a registered buffer as an attribute records
it, so ``named_parameters()`` yields dotted names (``encoder.layers.0.weight``) that match
PyTorch's and ``state_dict()`` can be exchanged with it.
"""
import collections

from tinygrad_lite import dtypes
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.backend import device as Device
from tinygrad_lite.nn.parameter import Parameter
from tinygrad_lite.tensor import Tensor

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = "Returned by ``load_state_dict``: keys the model lacks or did not expect."


class Module:
    """Base class for all layers and models: subclass it and define ``forward``."""

    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        """Compute the module's output (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    # ----- registration -------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign attribute {name!r} before Module.__init__() is called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        parameters, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=parameters)
            parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(nn.Parameter or None expected)"
                )
            parameters[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r}")
            buffers[name] = value
        elif name in modules and value is None:
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        # ``keep`` is the table about to receive ``name``: leaving the entry there keeps its
        # position when an attribute is replaced, so names keep PyTorch's order.
        for table in (self.__dict__, self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        state = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = state.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r}")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-trainable tensor (running stats...) saved in ``state_dict`` if persistent."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r}")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Register a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if "." in name or not name:
            raise KeyError(f"module name can't contain '.' or be empty, got {name!r}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after forward; returns a handle with ``remove()``."""
        return _RemovableHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before forward; returns a handle with ``remove()``."""
        return _RemovableHandle(self._forward_pre_hooks, hook)

    # ----- traversal ----------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted_name, module)`` for this module and every descendant, depth first."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        """Every module in the tree, this one first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, child)`` for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """The direct child modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, table, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, parameter)``; a shared parameter is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every parameter (each shared one once), in registration order."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, buffer)``."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every registered buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ----- modes and gradients ------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (dropout active, batch norm uses batch stats) on the whole tree."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient."""
        for parameter in self.parameters():
            if parameter.grad is not None:
                if set_to_none:
                    parameter.grad = None
                else:
                    parameter.grad.data[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant and then on self (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- state --------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Ordered ``name -> Tensor`` of parameters and persistent buffers (detached unless keep_vars)."""
        destination = collections.OrderedDict() if destination is None else destination
        # A module registered under two names is saved under both, as PyTorch does.
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."),
                                                        remove_duplicate=False):
            lead = f"{module_prefix}." if module_prefix else ""
            for name, value in module._parameters.items():
                if value is not None:
                    destination[lead + name] = value if keep_vars else value.detach()
            for name, value in module._buffers.items():
                if value is not None and name not in module._non_persistent_buffers:
                    destination[lead + name] = value if keep_vars else value.detach()
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors or NumPy arrays) into parameters/buffers of the same names.

        Returns ``(missing_keys, unexpected_keys)``; with ``strict`` either kind, or any shape
        mismatch, raises RuntimeError listing them all.
        """
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                value = state_dict[key]
                shape = tuple(value.shape) if hasattr(value, "shape") else ()
                if shape != tuple(target.shape):
                    mismatched.append(f"size mismatch for {key}: copying a param with shape "
                                      f"{list(shape)} from checkpoint, the shape in current model "
                                      f"is {list(target.shape)}")
        problems = list(mismatched)
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(problems))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    _copy_into(target, state_dict[key])
        return IncompatibleKeys(missing, unexpected)

    # ----- device and dtype ---------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """Move/cast parameters and buffers in place: ``to(device)``, ``to(dtype)`` or both.

        Floating parameters change dtype; integer buffers keep theirs. The Parameter objects
        stay the same, so an optimizer built before ``to`` still holds them.
        """
        device, dtype = kwargs.get("device"), kwargs.get("dtype")
        for arg in args:
            if isinstance(arg, (str, Device)):
                device = arg
            elif isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            else:
                dtype = arg
        target = None if device is None else Device(device)
        dtype = dtypes.as_dtype(dtype)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to only accepts floating point dtypes, but got dtype={dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            _convert_in_place(tensor, target, dtype)
        return self

    def cuda(self, device=None):
        """Move every parameter and buffer to a CUDA device."""
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    def cpu(self):
        """Move every parameter and buffer to the CPU."""
        return self.to("cpu")

    def float(self):
        """Cast floating parameters and buffers to float32."""
        return self.to(dtypes.float32)

    def double(self):
        """Cast floating parameters and buffers to float64."""
        return self.to(dtypes.float64)

    def half(self):
        """Cast floating parameters and buffers to float16."""
        return self.to(dtypes.float16)

    # ----- display ------------------------------------------------------------------------------
    def extra_repr(self):
        """Extra text shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))


def _copy_into(target, value):
    """Copy ``value`` (Tensor or array) into ``target``'s array, keeping its dtype and device."""
    if isinstance(value, Tensor):
        value = value.data
    xp = target.device.xp
    if target.device.type == "cpu" and hasattr(value, "get"):
        value = value.get()
    target.data[...] = xp.asarray(value).astype(target.dtype, copy=False)
    target._version += 1


def _convert_in_place(tensor, device, dtype):
    """Re-point ``tensor`` (and its grad) at a moved/cast copy of its data."""
    from tinygrad_lite.backend import to_device_array

    def convert(array):
        if device is not None:
            array = to_device_array(array, device)
        if dtype is not None and array.dtype.kind == "f" and dtype.kind == "f":
            array = array.astype(dtype, copy=False)
        return array

    tensor.data = convert(tensor.data)
    if device is not None:
        tensor.device = device
    if tensor.grad is not None:
        tensor.grad.data = convert(tensor.grad.data)
        if device is not None:
            tensor.grad.device = device


class _RemovableHandle:
    """Handle returned by hook registration; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, table, hook):
        self.table = table
        self.key = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1
        table[self.key] = hook

    def remove(self):
        """Unregister the hook."""
        self.table.pop(self.key, None)
