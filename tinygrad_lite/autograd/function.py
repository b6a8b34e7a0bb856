"""``Function``: one differentiable op, and the node it leaves in the graph.

Each op subclasses :class:`Function` with a ``forward`` on raw arrays (``self.xp`` is NumPy or
CuPy, resolved once from the inputs' device) and a ``backward`` written with differentiable
Tensor ops, so higher-order gradients come for free. ``Op.apply(*tensors, **params)`` runs the
forward, and when any input needs a gradient it records the node as the output's ``grad_fn``.

Broadcasting is not an op's concern: the engine reduces each returned gradient to its input's
shape and dtype in one place.
"""
import numpy

from tinygrad_lite.autograd.anomaly import AnomalyMode, creation_stack
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.autograd.views import refresh_view, refuse_stale_multi_view

_new_object = object.__new__
_NUMPY_SCALAR = numpy.generic
_NUMPY_ARRAY = numpy.ndarray


class Function:
    """Base class of every op. Subclasses define ``forward(*arrays, **params)`` and ``backward``.

    Class attributes a subclass may set:
      ``saves_inputs``  keep the input Tensors as ``self.saved_inputs`` for backward: True for all,
                        or, per input, the positions of the inputs whose gradients read it
                        (``((1,), (0,))`` for a product): an input no needed gradient reads is
                        saved as None, neither kept alive nor version-checked (as in PyTorch).
      ``saves_output``  keep the output array; ``self.output()`` rebuilds it as a graph Tensor.
      ``differentiable`` False for ops whose output never carries a gradient (comparisons...).
      ``contiguous_output`` the output is made C-contiguous, as PyTorch allocates it for this op
                        (reductions, softmax, cat...), so a later ``view`` works where PyTorch's does.
    Saved inputs (and any tensor given to ``check_versions``) have their version recorded; a
    backward after an in-place write to one of them raises, as does one after an in-place write
    to a saved output. Anything else ``forward`` stores on ``self`` (shapes, masks, indices) lives until backward
    has run and is then freed, unless ``retain_graph`` was asked for.
    """

    __slots__ = ("next", "input_meta", "needs_input_grad", "xp", "device", "__dict__", "__weakref__")
    # Rarely set per node, so they live as class defaults (an instance sets its own when needed).
    pre_hooks = None
    retained = None
    released = False
    saved_versions = None
    checked_tensors = None
    output_modified = False  # set when the saved output's memory was written in place
    saves_inputs = False
    saves_output = False
    differentiable = True
    contiguous_output = False
    #: A staticmethod computing ``forward``'s result from the arrays alone (no ``self``): set on
    #: ops that backwards call through ``derivative``, which then runs it without making a node.
    array_kernel = None
    #: ``forward`` may set ``self.device`` to move the output (``Tensor.to``); ``xp`` is the inputs'.

    def forward(self, *arrays, **params):
        """Compute the output array from input arrays (``self.xp`` is their array module)."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_output):
        """Return the gradient Tensor for each input (a tuple, or one Tensor for one input)."""
        raise NotImplementedError(f"{type(self).__name__}.backward")

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors; record a graph node when any input requires grad."""
        device = inputs[0].device
        arrays = []
        requires_grad = False
        for tensor in inputs:
            if tensor.device is not device:
                raise RuntimeError(
                    f"{cls.__name__}: expected all tensors on the same device, found "
                    f"{device} and {tensor.device}"
                )
            base = tensor._base
            if (base is not None and tensor._view is not None
                    and tensor._view_version != base._version_count):
                refuse_stale_multi_view(tensor)
                refresh_view(tensor)  # a view whose base was written in place since
            arrays.append(tensor.data)
            if tensor._requires_grad:
                requires_grad = True
        node = _new_object(cls)
        node.xp = xp = device.xp
        node.device = device
        try:
            if xp is not numpy:  # CuPy allocates on the current GPU: make it this tensor's one
                with xp.cuda.Device(device.index):
                    data = node.forward(*arrays, **params)
            elif params or len(arrays) > 2:
                data = node.forward(*arrays, **params)
            elif len(arrays) == 2:  # spelled out: unpacking a list into a call costs more
                data = node.forward(arrays[0], arrays[1])
            else:
                data = node.forward(arrays[0])
        except ValueError:
            mismatch = broadcast_mismatch([array.shape for array in arrays])
            if mismatch is None:
                raise
            raise RuntimeError(f"{cls.__name__}: {mismatch}") from None
        # NumPy reductions and 0-d ufuncs give scalars: a 0-d array can be viewed and written in
        # place (the exact type test first: it is cheaper than isinstance for the usual array).
        if type(data) is not _NUMPY_ARRAY and isinstance(data, _NUMPY_SCALAR):
            data = numpy.asarray(data)
        if cls.contiguous_output and not data.flags.c_contiguous:
            data = _contiguous(data, xp, device)
        # The output Tensor is built inline (not via Tensor._make): this is the hottest path.
        output = _new_object(Tensor)
        output.data = data
        output.device = node.device
        output._grad = None
        output._version_count = 0
        output._base = None
        dtype = data.dtype
        if not (requires_grad and GradMode.enabled and cls.differentiable and dtype.kind == "f"):
            output._requires_grad = False
            output._grad_fn = None
            return output
        saves = cls.saves_inputs
        shape = data.shape
        if len(inputs) == 1:  # most ops: the one input is the one needing a gradient
            tensor, array = inputs[0], arrays[0]
            node.needs_input_grad = (True,)
            node.next = (tensor._grad_fn or tensor,)
            node.input_meta = None if array.shape == shape and array.dtype == dtype else \
                [(array.shape, array.dtype)]
            versions = None
            if saves is True:
                base = tensor._base
                versions = [(tensor if base is None else base)._version_count]
        elif len(inputs) == 2:
            versions = _record_two_inputs(node, inputs, arrays, shape, dtype, saves is True)
        else:
            versions = _record_inputs(node, inputs, arrays, shape, dtype, saves is True)
        if saves:
            if versions is None:  # keep only the inputs a requested gradient reads
                needs = node.needs_input_grad
                inputs = tuple(tensor if any(needs[reader] for reader in readers) else None
                               for tensor, readers in zip(inputs, saves))
                versions = [None if tensor is None else
                            (tensor if tensor._base is None else tensor._base)._version_count
                            for tensor in inputs]
            node.saved_inputs = inputs
            node.saved_versions = versions
        if cls.saves_output:
            node.saved_output = data
        if AnomalyMode.enabled:
            node._creation_stack = creation_stack()
        output._requires_grad = True
        output._grad_fn = node
        return output

    def check_versions(self, tensors):
        """Make backward refuse to run if any of ``tensors`` (masks, indices that forward kept as
        arrays) is written in place before it, as it does for saved inputs."""
        self.checked_tensors = [(tensor, tensor._version) for tensor in tensors]

    def output(self):
        """The op's output as a Tensor connected to this node (needs ``saves_output``)."""
        return Tensor._make(self.saved_output, self.device, True, self)

    def constant(self, array):
        """Wrap an array computed in forward (a mask, an index) or a first-order backward as a
        Tensor needing no grad (a NumPy scalar becomes a 0-d array)."""
        if type(array) is not _NUMPY_ARRAY and isinstance(array, _NUMPY_SCALAR):
            array = numpy.asarray(array)
        return Tensor._make(array, self.device, False, None)

    def derivative(self, op, *tensors, **params):
        """``op.apply(*tensors, **params)`` inside a backward. In first order (no graph is being
        built: ``create_graph`` is off) ``op``'s forward runs straight on the arrays, without
        apply's bookkeeping: the same arithmetic, and the op-per-op overhead paid only once."""
        if GradMode.enabled:
            return op.apply(*tensors, **params)
        kernel = op.array_kernel
        if kernel is not None:  # a plain function of the arrays: no node needed to run it
            if params or len(tensors) != 2:
                data = kernel(*[tensor.data for tensor in tensors], **params)
            else:  # most derivatives: spelled out, as a comprehension and ** cost more
                data = kernel(tensors[0].data, tensors[1].data)
        else:
            node = _new_object(op)
            node.xp, node.device = self.xp, self.device
            data = node.forward(*[tensor.data for tensor in tensors], **params)
            if op.contiguous_output and not data.flags.c_contiguous:
                data = _contiguous(data, self.xp, self.device)
        return self.constant(data)

    def derivative_of_output(self, op, grad_output):
        """``self.derivative(op, grad_output, self.output())`` (needs ``saves_output``): in first
        order ``op``'s kernel reads the saved array itself, with no output Tensor built for it."""
        kernel = op.array_kernel
        if GradMode.enabled or kernel is None:
            return self.derivative(op, grad_output, self.output())
        return self.constant(kernel(grad_output.data, self.saved_output))

    @property
    def next_functions(self):
        """PyTorch-style ``((node_or_None, 0), ...)``; leaves appear as ``AccumulateGrad`` nodes."""
        return tuple(
            (AccumulateGrad(edge) if isinstance(edge, Tensor) else edge, 0) for edge in self.next
        )

    @classmethod
    def name(cls):
        """The node's display name, PyTorch style: ``MulBackward``."""
        return cls.__name__ + "Backward"

    def register_hook(self, hook):
        """Call ``hook(grad_output)`` before this node's backward; it may return a new gradient."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(hook)
        return _HookHandle(self.pre_hooks, hook)

    def release(self):
        """Free everything forward saved; a later backward through this node raises."""
        self.__dict__.clear()
        self.released = True

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"


def _record_inputs(node, inputs, arrays, shape, dtype, version_all):
    """Record a node's edges, which inputs need a gradient and (``version_all``) the versions of
    all inputs, in one pass. Shapes and dtypes are kept only when one differs from the output's
    (broadcasting, casts): only then may the engine need to reduce or cast a gradient back.
    (Plain loops: list comprehensions cost a frame each on this path.)"""
    node.needs_input_grad = needs = []
    node.next = edges = []
    versions = [] if version_all else None
    differs = False
    for tensor in inputs:
        if tensor._requires_grad:
            needs.append(True)
            edges.append(tensor._grad_fn or tensor)
        else:
            needs.append(False)
            edges.append(None)
        array = tensor.data
        if array.shape != shape or array.dtype != dtype:
            differs = True
        if versions is not None:
            base = tensor._base
            versions.append((tensor if base is None else base)._version_count)
    node.input_meta = [(array.shape, array.dtype) for array in arrays] if differs else None
    return versions


def _record_two_inputs(node, inputs, arrays, shape, dtype, version_all):
    """:func:`_record_inputs` for the binary ops (most nodes with inputs): tuples, no loop."""
    a, b = inputs
    if not a._requires_grad:  # (constant tuples: no tuple is built for needs_input_grad)
        node.needs_input_grad = (False, True)
        node.next = (None, b._grad_fn or b)
    elif b._requires_grad:
        node.needs_input_grad = (True, True)
        node.next = (a._grad_fn or a, b._grad_fn or b)
    else:
        node.needs_input_grad = (True, False)
        node.next = (a._grad_fn or a, None)
    array_a, array_b = arrays
    if (array_a.shape == shape and array_b.shape == shape and array_a.dtype == dtype
            and array_b.dtype == dtype):
        node.input_meta = None
    else:
        node.input_meta = [(array_a.shape, array_a.dtype), (array_b.shape, array_b.dtype)]
    if not version_all:
        return None
    base_a, base_b = a._base, b._base
    return [(a if base_a is None else base_a)._version_count,
            (b if base_b is None else base_b)._version_count]


def _contiguous(array, xp, device):
    if xp is numpy:
        return numpy.ascontiguousarray(array)
    with xp.cuda.Device(device.index):
        return xp.ascontiguousarray(array)


def broadcast_mismatch(shapes):
    """PyTorch's message for the first pair of ``shapes`` that don't broadcast, or None."""
    for position, shape in enumerate(shapes[1:], 1):
        for other in shapes[:position]:
            for offset in range(1, min(len(shape), len(other)) + 1):
                size_a, size_b = other[-offset], shape[-offset]
                if size_a != size_b and 1 not in (size_a, size_b):
                    return (f"the size of tensor a ({size_a}) must match the size of tensor b "
                            f"({size_b}) at non-singleton dimension {max(len(shape), len(other)) - offset} "
                            f"(shapes {list(other)} and {list(shape)} don't broadcast)")
    return None


def with_version_checks(result, *kept):
    """``result``, its node told to refuse backward if ``kept`` (masks, indices it read) change."""
    if result._grad_fn is not None:
        result._grad_fn.check_versions(kept)
    return result


class AccumulateGrad:
    """Stand-in node for a leaf tensor in ``next_functions`` (holds ``variable``, like PyTorch)."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def name():
        """Display name, as PyTorch prints it."""
        return "AccumulateGrad"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    def __repr__(self):
        return f"<AccumulateGrad for tensor of shape {tuple(self.variable.shape)}>"


class _HookHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    __slots__ = ("hooks", "hook")

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        """Unregister the hook (no-op when already removed)."""
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


from tinygrad_lite.tensor import Tensor  # noqa: E402  (Tensor imports this module lazily)
