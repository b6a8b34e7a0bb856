"""``Parameter``: a Tensor that a Module registers as trainable when assigned as an attribute."""
from tinygrad_lite import creation
from tinygrad_lite.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is listed by ``Module.parameters()``.

    ``Parameter(data=None, requires_grad=True)`` shares ``data``'s array (a Tensor, or anything
    ``tl.tensor`` accepts), like ``torch.nn.Parameter``.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            source = Tensor([])
        elif isinstance(data, Tensor):
            source = data
        else:
            source = Tensor(data)
        parameter = cls._make(source.data, source.device, False, None)
        if requires_grad:
            parameter.requires_grad = True
        return parameter

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__, so Tensor.__init__ must not run again

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def empty_parameter(shape, wanted=True, device=None, dtype=None):
    """An uninitialised Parameter of ``shape`` for a layer to fill with ``nn.init``; None if not ``wanted``.

    ``module.register_parameter("bias", empty_parameter((n,), bias))`` registers an absent bias
    as None, as PyTorch does for ``bias=False``.
    """
    return Parameter(creation.empty(shape, device=device, dtype=dtype)) if wanted else None
