"""``quantize_dynamic``: swap a model's ``nn.Linear`` layers for dynamically quantized ones."""
import copy

from tinygrad_lite.nn.linear import Linear
from tinygrad_lite.quantization.dynamic_linear import DynamicQuantizedLinear
from tinygrad_lite.quantization.qtypes import qint8

_QUANTIZED_VERSION = {Linear: DynamicQuantizedLinear}


def quantize_dynamic(model, qconfig_spec=None, dtype=qint8, mapping=None, inplace=False):
    """A copy of ``model`` (the model itself with ``inplace=True``) whose layers of the types in
    ``qconfig_spec`` (default ``{nn.Linear}``; a set of types, a dict keyed by types, or
    submodule names such as ``"net.0"``) are replaced by :class:`DynamicQuantizedLinear`:
    int8 weights per output channel, activations quantized on the fly, float32 outputs.

    As in PyTorch, only submodules are swapped, never ``model`` itself. ``mapping`` optionally
    maps float types to quantized classes with a ``from_float`` classmethod.
    """
    if dtype is not qint8:
        raise ValueError(f"quantize_dynamic supports dtype={qint8} only, got {dtype}")
    mapping = _QUANTIZED_VERSION if mapping is None else mapping
    wanted = set({Linear} if qconfig_spec is None else qconfig_spec)
    for entry in wanted:
        if isinstance(entry, type) and entry not in mapping:
            raise ValueError(f"quantize_dynamic: no dynamically quantized version of "
                             f"{entry.__name__} (supported: "
                             f"{', '.join(kind.__name__ for kind in mapping)})")
    if not inplace:
        model = copy.deepcopy(model)
    for prefix, module in list(model.named_modules()):
        for name, child in list(module._modules.items()):
            path = f"{prefix}.{name}" if prefix else name
            if child is not None and type(child) in mapping and (type(child) in wanted
                                                                 or path in wanted):
                module._modules[name] = mapping[type(child)].from_float(child)
    return model
