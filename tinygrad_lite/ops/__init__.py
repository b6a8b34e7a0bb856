"""All Tensor ops, and the wiring that makes each one a Tensor method and operator.

Each op family lives in its own module; this file only binds them to ``Tensor`` so that
``x.exp()``, ``x + y`` and ``tl.exp(x)`` are the same function.
"""
from tinygrad_lite.ops import (arithmetic, compare, conversion, indexing, inplace, join, linalg,
                               reduce, shape, softmax, unary)
from tinygrad_lite.tensor import Tensor

METHODS = {
    arithmetic: "add sub mul div true_divide floor_divide pow neg negative multiply subtract divide rsub",
    unary: "exp log log1p sqrt rsqrt sin cos tanh sigmoid relu abs absolute sign",
    compare: "eq ne lt le gt ge isfinite isnan isinf logical_not maximum minimum clamp clip "
             "bitwise_and bitwise_or bitwise_xor",
    reduce: "sum mean prod amax amin max min argmax argmin logsumexp var std norm sum_to_size",
    shape: "reshape view view_as reshape_as flatten unflatten squeeze unsqueeze permute transpose "
           "swapaxes t expand expand_as broadcast_to repeat flip contiguous",
    join: "narrow split chunk unbind",
    indexing: "gather scatter_add index_select masked_fill tril triu",
    linalg: "matmul mm bmm dot",
    softmax: "softmax log_softmax",
    conversion: "to clone type_as cpu cuda float double half long int bool",
    inplace: "add_ sub_ mul_ div_ pow_ clamp_ masked_fill_ zero_ fill_ copy_",
}


def _reflected(function):
    def method(self, other):
        return function(other, self)

    method.__doc__ = f"Reflected form of ``{function.__name__}`` (``other OP self``)."
    return method


def _bind_methods():
    for module, names in METHODS.items():
        for name in names.split():
            setattr(Tensor, name, getattr(module, name))
    Tensor.clamp_min = lambda self, min: compare.clamp(self, min=min)
    Tensor.clamp_max = lambda self, max: compare.clamp(self, max=max)
    Tensor.where = lambda self, condition, other: compare.where(condition, self, other)
    Tensor.T = property(shape.reverse_dims, doc="All dims reversed.")
    Tensor.mT = property(shape.matrix_transpose, doc="The last two dims swapped.")
    operators = {
        "__add__": arithmetic.add, "__radd__": _reflected(arithmetic.add),
        "__sub__": arithmetic.sub, "__rsub__": _reflected(arithmetic.sub),
        "__mul__": arithmetic.mul, "__rmul__": _reflected(arithmetic.mul),
        "__truediv__": arithmetic.div, "__rtruediv__": _reflected(arithmetic.div),
        "__floordiv__": arithmetic.floor_divide,
        "__rfloordiv__": _reflected(arithmetic.floor_divide),
        "__pow__": arithmetic.pow, "__rpow__": _reflected(arithmetic.pow),
        "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
        "__neg__": arithmetic.neg, "__abs__": unary.abs, "__invert__": compare.invert,
        "__and__": compare.bitwise_and, "__rand__": _reflected(compare.bitwise_and),
        "__or__": compare.bitwise_or, "__ror__": _reflected(compare.bitwise_or),
        "__xor__": compare.bitwise_xor, "__rxor__": _reflected(compare.bitwise_xor),
        "__eq__": compare.eq, "__ne__": compare.ne, "__lt__": compare.lt, "__le__": compare.le,
        "__gt__": compare.gt, "__ge__": compare.ge,
        "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
        "__iadd__": inplace.add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_,
        "__itruediv__": inplace.div_,
    }
    for name, function in operators.items():
        setattr(Tensor, name, function)


_bind_methods()
