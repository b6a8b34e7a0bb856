"""``Tensor``: an n-dimensional array that records the ops applied to it for reverse-mode autodiff.

This file holds the Tensor's own state (data, device, grad, graph links) and its conversions.
The operators and math methods (``+``, ``exp``, ``sum``, ``reshape``, ...) live with their ops
under ``tinygrad_lite/ops/`` and are attached to the class by ``tinygrad_lite/ops/__init__.py``.
"""
import functools

import numpy

from tinygrad_lite import dtypes
from tinygrad_lite.dtypes import as_public_dtype as _public_dtype
from tinygrad_lite.printing import format_array
from tinygrad_lite.backend import device as Device
from tinygrad_lite.dims import normalize_dim
from tinygrad_lite.backend import device_of_array, get_default_device, to_device_array
from tinygrad_lite.autograd.views import mark_detached_view, refresh_view


def check_gradient_like(tensor, gradient, what):
    """Refuse a gradient for ``tensor`` that is not a Tensor of its shape, dtype and device."""
    if not isinstance(gradient, Tensor):
        raise TypeError(f"{what} must be a Tensor or None, got {type(gradient).__name__}")
    if gradient.device is not tensor.device:
        raise RuntimeError(f"{what} is on {gradient.device} but the tensor is on {tensor.device}")
    if gradient.shape != tensor.shape:
        raise RuntimeError(f"{what} has shape {list(gradient.shape)} but the tensor has shape "
                           f"{list(tensor.shape)}")
    if gradient.dtype != tensor.dtype:
        raise RuntimeError(f"{what} has dtype {gradient.dtype} but the tensor has dtype {tensor.dtype}")


def _nested_numpy_dtype(data):
    """PyTorch's dtype for a list holding NumPy scalars/arrays: they keep their dtypes, Python
    scalars count as int64 / the default float / bool, all promoted together. None when the list
    holds no NumPy values (then the plain Python rules apply)."""
    found, has_numpy, stack = set(), False, [data]
    while stack:
        items = stack.pop()
        for kind in set(map(type, items)):
            if kind in (list, tuple):
                stack.extend(item for item in items if type(item) is kind)
            elif issubclass(kind, (numpy.ndarray, numpy.generic)):
                has_numpy = True
                found.update(item.dtype for item in items if type(item) is kind)
            elif kind in (bool, int, float):
                found.add(dtypes.scalar_dtype(kind()))
    if not has_numpy:
        return None
    result = functools.reduce(dtypes.promote_types, found)
    if result not in dtypes.SUPPORTED:
        raise TypeError(f"cannot build a tensor of dtype {result}; supported: "
                        + ", ".join(map(str, dtypes.SUPPORTED)))
    return result


def _infer_array(data, dtype):
    """Turn user data (nested lists, scalars, NumPy arrays, Tensors) into a NumPy array."""
    if isinstance(data, Tensor):
        array = data.data if data.device.type == "cpu" else data.data.get()
        return array.astype(dtype or array.dtype, copy=True)
    from_numpy = isinstance(data, (numpy.ndarray, numpy.generic))
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in data):
        data = [item.tolist() if isinstance(item, Tensor) else item for item in data]
    if dtype is None and isinstance(data, (list, tuple)):
        dtype = _nested_numpy_dtype(data)
    try:
        array = numpy.array(data, dtype=dtype, copy=True)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"cannot build a tensor from {type(data).__name__}: {exc}") from None
    if dtype is None:
        if array.dtype.kind == "f" and not from_numpy:
            array = array.astype(dtypes.get_default_dtype())
        elif array.dtype.kind in "iu" and not from_numpy:
            array = array.astype(dtypes.int64)
        elif array.dtype not in dtypes.SUPPORTED:
            raise TypeError(
                f"cannot build a tensor of dtype {array.dtype}; supported: "
                + ", ".join(map(str, dtypes.SUPPORTED))
            )
    return array


_new_object = object.__new__


class Tensor:
    """A multi-dimensional array with autograd, on ``cpu`` (NumPy) or ``cuda`` (CuPy).

    ``Tensor(data, dtype=None, device=None, requires_grad=False)`` copies ``data`` (nested lists,
    scalars, NumPy arrays); Python floats become float32, Python ints int64, as in PyTorch.
    """

    # ``_hooks`` (leaf gradient hooks) is set only by register_hook; read it with getattr.
    # ``_base`` is the tensor whose memory (and version counter) a view shares, None for a tensor
    # owning its memory; ``_view`` and ``_view_version`` are set only on views (autograd/views.py).
    __slots__ = ("data", "device", "_requires_grad", "_grad", "_grad_fn", "_hooks", "_version_count",
                 "_base", "_view", "_view_version", "__weakref__")
    __array_priority__ = 1000  # so numpy_array + tensor defers to Tensor.__radd__

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        dtype = dtypes.as_dtype(dtype)
        target = Device(device) if device is not None else get_default_device()
        array = _infer_array(data, dtype)
        if target.type != "cpu":
            array = to_device_array(array, target)
        self.data = array
        self.device = target
        self._grad = None
        self._grad_fn = None
        self._version_count = 0
        self._base = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data, device, requires_grad, grad_fn):
        """Wrap an array already on ``device`` without copying or validating (the ops' fast path)."""
        tensor = _new_object(cls)
        tensor.data = data
        tensor.device = device
        tensor._requires_grad = requires_grad
        tensor._grad = None
        tensor._grad_fn = grad_fn
        tensor._version_count = 0
        tensor._base = None
        return tensor

    @classmethod
    def from_array(cls, array, requires_grad=False):
        """Wrap a NumPy or CuPy array without copying; the device follows the array."""
        tensor = cls._make(array, device_of_array(array), False, None)
        if requires_grad:
            tensor.requires_grad = True
        return tensor

    # ----- properties -------------------------------------------------------------------------
    @property
    def shape(self):
        """The shape as a tuple of ints."""
        return self.data.shape

    @property
    def dtype(self):
        """The element type, a ``tl.dtype`` such as ``tl.float32``."""
        return _public_dtype(self.data.dtype)

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

    def dim(self):
        """Number of dimensions (PyTorch's ``dim()``)."""
        return self.data.ndim

    def size(self, dim=None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return self.data.shape
        return self.data.shape[normalize_dim(dim, self.data.ndim)]

    def numel(self):
        """Number of elements."""
        return int(self.data.size)

    def element_size(self):
        """Bytes per element."""
        return self.data.dtype.itemsize

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (inputs and parameters)."""
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until then), PyTorch's ``.grad``."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            check_gradient_like(self, value, "assigned grad")
        self._grad = value

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves), PyTorch's ``grad_fn``."""
        if self._base is not None and self._view is not None:
            refresh_view(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node

    @property
    def _version(self):
        """How many in-place writes the memory of this tensor has seen (shared with its views)."""
        return (self if self._base is None else self._base)._version_count

    @_version.setter
    def _version(self, value):
        (self if self._base is None else self._base)._version_count = value

    @property
    def is_cuda(self):
        """True when the tensor lives on a CUDA device."""
        return self.device.type == "cuda"

    @property
    def requires_grad(self):
        """Whether gradients flow to (or through) this tensor."""
        if self._base is not None and self._view is not None:
            refresh_view(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self._grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach() to "
                "get a tensor that does not require grad"
            )
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    # ----- conversion ---------------------------------------------------------------------------
    def numpy(self, force=False):
        """The data as a NumPy array sharing memory (cpu tensors that need no grad, unless force)."""
        if self.device.type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert {self.device} tensor to numpy: use tensor.cpu() first"
                )
            return self.data.get()
        if self._requires_grad and not force:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad: use tensor.detach().numpy()"
            )
        return self.data

    def __array__(self, dtype=None, copy=None):
        array = self.numpy(force=True)
        return array if dtype is None else array.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(
                f"a tensor with {self.data.size} elements cannot be converted to a Python scalar"
            )
        return self.data.reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self.numpy(force=True).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, got {self.data.dtype}")
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"boolean value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.item())

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[index] for index in range(self.data.shape[0]))

    __hash__ = object.__hash__

    # ----- autograd -----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``gradient`` for non-scalars)."""
        from tinygrad_lite.autograd.engine import backward

        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
                 inputs=inputs)

    def detach(self):
        """A tensor sharing this data (and its version counter), cut from the graph."""
        detached = Tensor._make(self.data, self.device, False, None)
        mark_detached_view(detached, self)
        return detached

    def detach_(self):
        """Cut this tensor from the graph in place and return it."""
        if self._base is not None and self._view is not None:
            raise RuntimeError(
                f"detach_() is not allowed on a view (shape {list(self.shape)}) of a tensor in the "
                "graph: use detach(), which returns a new tensor"
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        node = self.grad_fn
        if node is not None and not self.retains_grad:
            import weakref

            node.retained = weakref.ref(self)

    @property
    def retains_grad(self):
        """True when ``retain_grad()`` was called on this non-leaf tensor."""
        retained = None if self.grad_fn is None else self.grad_fn.retained
        return retained is not None and retained() is self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(hook)
        from tinygrad_lite.autograd.function import _HookHandle

        if getattr(self, "_hooks", None) is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # ----- display ------------------------------------------------------------------------------
    def __repr__(self):
        array = self.numpy(force=True)
        body = format_array(array)
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if array.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            extras.append(f"dtype=tl.{array.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + extra for extra in extras) + ")"

