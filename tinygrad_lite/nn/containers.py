"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict``."""
import collections

from tinygrad_lite.nn.module import Module


class _ModuleSequence:
    """List behaviour shared by Sequential and ModuleList: modules keyed "0", "1", ... in order."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of an iterable."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (modules are renumbered)."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        self.extend(items)
        return self

    def pop(self, index):
        """Remove and return the module at ``index`` (the rest are renumbered)."""
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence, Module):
    """Modules applied in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``; also takes an OrderedDict."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input):
        """Feed ``input`` through every module in order."""
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(collections.OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_checked_index(index, len(self))]

    def __setitem__(self, index, module):
        name = list(self._modules)[_checked_index(index, len(self))]
        self.add_module(name, module)

    def __delitem__(self, index):
        keys = list(self._modules)
        for name in (keys[index] if isinstance(index, slice) else [keys[_checked_index(index, len(keys))]]):
            del self._modules[name]
        self._renumber()

    def _renumber(self):
        # PyTorch renumbers after a deletion even when the modules had names (OrderedDict).
        items = list(self._modules.values())
        self._modules.clear()
        for position, module in enumerate(items):
            self._modules[str(position)] = module


def _checked_index(index, length):
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a container of length {length}")
    return index % length


class ModuleList(_ModuleSequence, Module):
    """A list of modules whose parameters are registered (``layers.0.weight`` ...)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(_checked_index(index, len(self)))]

    def __setitem__(self, index, module):
        self.add_module(str(_checked_index(index, len(self))), module)

    def __delitem__(self, index):
        items = list(self._modules.values())
        del items[index if isinstance(index, slice) else _checked_index(index, len(items))]
        self._modules.clear()
        self.extend(items)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __repr__(self):
        # PyTorch folds runs of identical children: "(2-4): 3 x Linear(...)".
        runs = []
        for name, module in self._modules.items():
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = name
                runs[-1][3] += 1
            else:
                runs.append([name, name, text, 1])
        if not runs:
            return "ModuleList()"
        lines = []
        for first, last, text, count in runs:
            text = text.replace("\n", "\n  ")
            lines.append(f"({first}): {text}" if count == 1 else f"({first}-{last}): {count} x {text}")
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"

    def forward(self, *args):
        """ModuleList is a container, not a layer: iterate over it in your own forward."""
        raise NotImplementedError("ModuleList has no forward(); iterate over its modules instead")


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The module names."""
        return self._modules.keys()

    def values(self):
        """The modules."""
        return self._modules.values()

    def items(self):
        """``(name, module)`` pairs."""
        return self._modules.items()

    def update(self, modules):
        """Add modules from a mapping or an iterable of ``(name, module)`` pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        """Remove and return the module under ``key``."""
        return self._modules.pop(key)

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def forward(self, *args):
        """ModuleDict is a container, not a layer: look modules up in your own forward."""
        raise NotImplementedError("ModuleDict has no forward(); index it instead")
