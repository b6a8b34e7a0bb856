"""tinygrad_lite: a small PyTorch-style deep-learning framework on NumPy (CPU) and CuPy (GPU).

    import tinygrad_lite as tl
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad   # tensor([2., 4., 6.])
"""
from tinygrad_lite import autograd, cuda, dtypes
from tinygrad_lite import ops as _ops  # binds the Tensor methods
from tinygrad_lite.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_lite.backend import device, get_default_device, set_default_device
from tinygrad_lite.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                                    full_like, linspace, ones, ones_like, rand, rand_like, randint,
                                    randn, randn_like, randperm, tensor, zeros, zeros_like)
from tinygrad_lite.malloc_tuning import tune_malloc as _tune_malloc
from tinygrad_lite.dtypes import (bool_, dtype, float16, float32, float64, get_default_dtype, int8, int16,
                                  int32, int64, set_default_dtype, uint8)
from tinygrad_lite.ops.arithmetic import (add, div, divide, floor_divide, mul, multiply, neg,
                                          negative, pow, rsub, sub, subtract, true_divide)
from tinygrad_lite.ops.compare import (bitwise_and, bitwise_or, bitwise_xor, clamp, clip, eq, ge,
                                       gt, isfinite, isinf, isnan, le, logical_not, lt, maximum,
                                       minimum, ne, where)
from tinygrad_lite.ops.conversion import clone
from tinygrad_lite.ops.indexing import (gather, index_select, masked_fill, scatter_add, tril,
                                        triu)
from tinygrad_lite.ops.join import cat, chunk, concat, concatenate, narrow, split, stack, unbind
from tinygrad_lite.ops.linalg import bmm, dot, einsum, matmul, mm
from tinygrad_lite.ops.reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, norm,
                                      prod, std, sum, var)
from tinygrad_lite.ops.shape import (broadcast_to, flatten, flip, permute, reshape, squeeze, swapaxes,
                                     t, transpose, unflatten, unsqueeze)
from tinygrad_lite.ops.softmax import log_softmax, softmax
from tinygrad_lite.ops.unary import (abs, absolute, cos, exp, log, log1p, relu, rsqrt, sigmoid,
                                     sign, sin, sqrt, tanh)
from tinygrad_lite.random import get_rng_state, initial_seed, manual_seed, set_rng_state
from tinygrad_lite.serialization import load, save
from tinygrad_lite.tensor import Tensor

numel = Tensor.numel  # tl.numel(x), as torch.numel
detach = Tensor.detach  # tl.detach(x), as torch.detach
from tinygrad_lite import nn, optim  # noqa: E402 - after Tensor methods are bound
from tinygrad_lite import data, metrics  # noqa: E402
from tinygrad_lite import viz  # noqa: E402 - graphviz itself is imported only when drawing
from tinygrad_lite import text  # noqa: E402 - tokenizers and generate, on top of nn
from tinygrad_lite import quantization  # noqa: E402 - quantized tensors and layers, on top of nn
from tinygrad_lite.quantization import (qint8, quantize_per_channel,  # noqa: E402
                                        quantize_per_tensor, quint8)
from tinygrad_lite import amp  # noqa: E402 - autocast and GradScaler
from tinygrad_lite import utils  # noqa: E402 - tl.utils.checkpoint
from tinygrad_lite import distributed  # noqa: E402 - tl.distributed (MPI / NCCL process groups)

bool = bool_  # noqa: A001 - PyTorch spells it tl.bool
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

__version__ = "0.1.0"

_tune_malloc()  # NumPy temporaries stay mapped between steps: see malloc_tuning.py


# What `help(tinygrad_lite)` and `from tinygrad_lite import *` show: the public names, PyTorch's spelling.
__all__ = [
    "abs", "absolute", "add", "amax", "amin", "arange", "argmax", "argmin", "as_tensor",
    "autograd", "bitwise_and", "bitwise_or", "bitwise_xor", "bmm", "bool", "bool_", "broadcast_to",
    "cat", "chunk", "clamp", "clip", "clone", "concat", "concatenate", "cos", "cuda", "data",
    "detach", "device", "div", "divide", "dot", "double", "dtype", "dtypes", "einsum", "empty",
    "empty_like", "enable_grad", "eq", "exp", "eye", "flatten", "flip", "float", "float16",
    "float32", "float64", "floor_divide", "from_numpy", "full", "full_like", "gather", "ge",
    "get_default_device", "get_default_dtype", "get_rng_state", "gt", "half", "index_select",
    "initial_seed", "int", "int16", "int32", "int64", "int8", "is_grad_enabled", "isfinite",
    "isinf", "isnan", "le", "linspace", "load", "log", "log1p", "log_softmax", "logical_not",
    "logsumexp", "long", "lt", "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean",
    "metrics", "min", "minimum", "mm", "mul", "multiply", "narrow", "ne", "neg", "negative", "nn",
    "no_grad", "norm", "numel", "ones", "ones_like", "optim", "permute", "pow", "prod", "qint8",
    "quantization", "quantize_per_channel", "quantize_per_tensor", "quint8", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "relu", "reshape", "rsqrt", "rsub",
    "save", "scatter_add", "set_default_device", "set_default_dtype", "set_grad_enabled",
    "set_rng_state", "short", "sigmoid", "sign", "sin", "softmax", "split", "sqrt", "squeeze",
    "stack", "std", "sub", "subtract", "sum", "swapaxes", "t", "tanh", "Tensor", "tensor", "text",
    "transpose", "tril", "triu", "true_divide", "uint8", "unbind", "unflatten", "unsqueeze", "var",
    "viz", "where", "zeros", "zeros_like",
]
__all__ += ["amp", "distributed", "utils"]
