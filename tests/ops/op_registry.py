"""The op registry: every public op of tinygrad_lite as one :class:`~ops.op_info.OpInfo`.

``ops/test_op_registry.py`` runs each entry through gradcheck, parity with PyTorch (values,
shapes and dtypes of outputs and gradients), float32 preservation and refusals, and
``test_cuda.py`` through the device matrix, so a new op is tested everywhere by one entry in
the family module it belongs to.
"""
from ops import (registry_activations_losses, registry_copies, registry_elementwise, registry_layers,
                 registry_linalg, registry_reductions, registry_structure)

FAMILIES = (registry_elementwise, registry_reductions, registry_structure, registry_linalg,
            registry_copies, registry_activations_losses, registry_layers)
REGISTRY = tuple(info for family in FAMILIES for info in family.ENTRIES)

#: Public names that are the same function object as another entry's op (tl.clip is tl.clamp).
ALIASES = registry_elementwise.ALIASES


def _unique_names(registry):
    names = [info.name for info in registry]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"registry entries share names: {repeated}")
    return registry


_unique_names(REGISTRY)
