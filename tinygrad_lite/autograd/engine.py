"""The backward pass: walk the graph from the outputs in topological order, without recursion.

Dependencies are counted first (how many consumers each node has inside this graph); a node
runs once all its consumers have handed it their gradient, so a stack of ready nodes gives a
valid order with no sorting. Depth never touches Python's recursion limit.
"""
import weakref

import numpy

from tinygrad_lite.autograd.anomaly import AnomalyMode, check_gradient
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.autograd.placed_gradient import PlacedGradient
from tinygrad_lite.backend import on_device
from tinygrad_lite.ops.reduce import sum_to_shape
from tinygrad_lite.tensor import Tensor, check_gradient_like


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    tensors, seeds = _seed_gradients(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    only = None if inputs is None else _as_tuple(inputs)
    captured = _run(tensors, seeds, retain_graph, create_graph, capture=only, accumulate=True)
    for tensor in only or ():
        # A non-leaf named in ``inputs`` gets its .grad like a leaf (PyTorch), captured at its node.
        node = tensor.grad_fn
        if node is not None and not tensor.retains_grad and id(node) in captured:
            gradient = captured[id(node)]
            gradient = gradient if create_graph else gradient.detach().clone()
            tensor.grad = _accumulated(tensor.grad, gradient)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``."""
    outputs, seeds = _seed_gradients(_as_tuple(outputs), grad_outputs)
    inputs = _as_tuple(inputs)
    for position, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"input {position} of autograd.grad does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    captured = _run(outputs, seeds, retain_graph, create_graph, capture=inputs, accumulate=False)
    results = []
    for position, tensor in enumerate(inputs):
        value = captured.get(id(tensor) if tensor.grad_fn is None else id(tensor.grad_fn))
        if value is None and not allow_unused:
            raise RuntimeError(
                f"input {position} (shape {tuple(tensor.shape)}) was not used in the graph of the "
                "outputs; pass allow_unused=True to get None for it"
            )
        results.append(value)
    return tuple(results)


def _as_tuple(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _seed_gradients(tensors, grad_tensors):
    """Check outputs and build the gradient each one starts with (ones for a scalar)."""
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} outputs but {len(grad_tensors)} gradients")
    seeds = []
    for tensor, seed in zip(tensors, grad_tensors):
        if not tensor.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn "
                f"(shape {tuple(tensor.shape)}): nothing to differentiate"
            )
        if seed is None:
            if tensor.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; output has shape "
                    f"{tuple(tensor.shape)}, pass gradient= of that shape"
                )
            with on_device(tensor.device):
                ones = tensor.device.xp.ones(tensor.data.shape, tensor.data.dtype)
            seed = Tensor._make(ones, tensor.device, False, None)
        elif not isinstance(seed, Tensor):
            seed = Tensor(seed, dtype=tensor.dtype, device=tensor.device)
        elif seed.dtype != tensor.dtype:
            seed = seed.to(tensor.dtype)  # as PyTorch: the backward runs in the output's dtype
        if tuple(seed.shape) != tuple(tensor.shape):
            raise RuntimeError(
                f"gradient has shape {tuple(seed.shape)} but the output has shape "
                f"{tuple(tensor.shape)}"
            )
        if seed.device is not tensor.device:
            raise RuntimeError(f"gradient is on {seed.device} but the output is on {tensor.device}")
        seeds.append(seed)
    return tensors, seeds


def _count_dependencies(roots):
    """For every node reachable from ``roots``: how many edges inside the graph point at it."""
    stack = [node for node in roots if node is not None]
    dependencies = dict.fromkeys(stack, 0)  # a node's first count also marks it as seen
    while stack:
        for parent in stack.pop().next:
            if parent is not None and not isinstance(parent, Tensor):
                count = dependencies.get(parent)
                if count is None:
                    dependencies[parent] = 1
                    stack.append(parent)
                else:
                    dependencies[parent] = count + 1
    return dependencies


def _run(outputs, seeds, retain_graph, create_graph, capture, accumulate):
    """Execute the backward pass. Returns captured gradients keyed by ``id(tensor)``."""
    # A non-leaf input is captured at its grad_fn (after that node's hooks), a leaf at the end.
    capture_ids = None if capture is None else {
        id(t) if t.grad_fn is None else id(t.grad_fn) for t in capture}
    captured = {}
    node_grads = {}
    leaf_grads = {}
    # Keys whose summed gradient the engine allocated itself; None when sums must stay in the graph.
    owned = None if create_graph else set()
    roots = []
    for tensor, seed in zip(outputs, seeds):
        if tensor.grad_fn is None:  # the output is itself a leaf
            _accumulate(leaf_grads, tensor, seed, owned)
            continue
        _accumulate(node_grads, tensor.grad_fn, seed, owned)
        roots.append(tensor.grad_fn)
    dependencies = _count_dependencies(roots)
    ready = [node for node in dict.fromkeys(roots) if dependencies.get(node, 0) == 0]
    previous_mode = GradMode.enabled
    GradMode.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grad_output = node_grads.pop(node, None)
            if type(grad_output) is PlacedGradient:
                grad_output = grad_output.materialize()
            gradients = None
            if grad_output is not None:
                gradients = _run_node(node, grad_output, capture_ids, captured)
            if not retain_graph:
                node.release()
            metas = node.input_meta
            index = -1  # (counted by hand: enumerate's tuples cost more on this hot loop)
            for parent in node.next:
                index += 1
                if parent is None:
                    continue
                gradient = None if gradients is None else gradients[index]
                if gradient is not None and metas is not None and type(gradient) is not PlacedGradient:
                    shape, dtype = metas[index]
                    array = gradient.data
                    if array.shape != shape or array.dtype != dtype:
                        gradient = _match_input(gradient, shape, dtype)
                if isinstance(parent, Tensor):
                    if gradient is not None:
                        _accumulate(leaf_grads, parent, gradient, owned)
                    continue
                if gradient is not None:
                    if parent in node_grads:
                        _accumulate(node_grads, parent, gradient, owned)
                    else:  # the first contribution, by far the most common: just keep it
                        node_grads[parent] = gradient
                remaining = dependencies[parent] - 1
                dependencies[parent] = remaining
                if remaining == 0:
                    ready.append(parent)
    finally:
        GradMode.enabled = previous_mode
    stored_owners = {id(_owner(seed.data)): seed.data for seed in seeds}
    _finish_leaves(leaf_grads, capture_ids, captured, accumulate, create_graph, stored_owners)
    return captured


def _accumulate(table, key, gradient, owned):
    """Add one gradient contribution for ``key`` (a node, or a leaf used several times).

    With ``owned`` (no create_graph) the sum is plain array arithmetic: the second contribution
    allocates a fresh array and later ones add into it in place, so a weight shared by many ops
    (an RNN's) costs no graph op per use. Arrays the engine did not allocate are never written.
    """
    existing = table.get(key)
    if existing is None:
        table[key] = gradient
        return
    if type(existing) is PlacedGradient or type(gradient) is PlacedGradient:
        table[key] = _with_placed(existing, gradient, key, owned)
        return
    if owned is not None:
        total, extra = existing.data, gradient.data
        if total.shape == extra.shape and total.dtype == extra.dtype:
            if existing.device.xp is numpy:
                _add_arrays(table, key, total, extra, existing.device, owned)
            else:  # the sum allocates on the current GPU: make it the gradient's
                with on_device(existing.device):
                    _add_arrays(table, key, total, extra, existing.device, owned)
            return
    table[key] = existing + gradient


def _add_arrays(table, key, total, extra, device, owned):
    if key in owned and total.ndim:  # (a 0-d NumPy sum is a scalar: immutable)
        total += extra
    else:
        table[key] = Tensor._make(total + extra, device, False, None)
        owned.add(key)


def _with_placed(existing, gradient, key, owned):
    """The sum of two gradients of ``key``, one or both placed pieces (first order only, so
    ``owned`` is a set): pieces join pieces; else they are added into an array the engine owns."""
    if type(existing) is PlacedGradient:
        if type(gradient) is PlacedGradient:
            existing.pieces.extend(gradient.pieces)
            return existing
        total = existing.materialize()
        with on_device(total.device):
            total.data += gradient.data
    else:
        total = existing
        if key not in owned or not total.data.ndim:
            with on_device(total.device):
                total = Tensor._make(total.data.copy(), total.device, False, None)
        gradient.add_into(total.data)
    owned.add(key)
    return total


def _run_node(node, grad_output, capture_ids, captured):
    """Hooks, retain_grad and capture for the node's output, then the node's own backward."""
    if node.released:
        raise RuntimeError(
            f"trying to backward through the graph a second time ({node.name()}): its saved "
            "arrays were freed after the first backward; pass retain_graph=True to the first "
            "backward() if you need to backward twice"
        )
    if node.pre_hooks:
        grad_output = _run_hooks(node.pre_hooks, grad_output)
    if capture_ids is not None and id(node) in capture_ids:
        captured[id(node)] = grad_output
    if node.retained is not None:
        owner = node.retained()
        if owner is not None:
            owner.grad = _accumulated(owner.grad, grad_output)
            if capture_ids is not None and id(owner) in capture_ids:
                captured[id(owner)] = grad_output
    versions = node.saved_versions
    if versions is not None:
        position = 0  # (an index, not zip: this runs for most nodes, and zip costs twice as much)
        for tensor in node.saved_inputs:
            if tensor is not None:
                base = tensor._base
                if versions[position] != (tensor if base is None else base)._version_count:
                    _check_versions(node)
            position += 1
    if node.checked_tensors is not None:
        _check_kept_versions(node)
    if node.output_modified:
        raise RuntimeError(
            f"one of the tensors needed for gradient computation has been modified by an in-place "
            f"operation: the output of {node.name()} (shape {tuple(node.saved_output.shape)}), "
            "which its backward reads, was written in place after it was computed"
        )
    if node.xp is numpy:
        gradients = node.backward(grad_output)
    else:  # a backward may allocate arrays itself: on its node's GPU
        with on_device(node.device):
            gradients = node.backward(grad_output)
    if type(gradients) is not tuple:
        gradients = (gradients,)
    if len(gradients) != len(node.next):
        raise RuntimeError(
            f"{node.name()} returned {len(gradients)} gradients for {len(node.next)} inputs"
        )
    if AnomalyMode.enabled:
        check_gradient(node, gradients)
    return gradients


def _check_versions(node):
    for position, (tensor, version) in enumerate(zip(node.saved_inputs, node.saved_versions)):
        if tensor is not None and tensor._version != version:
            raise RuntimeError(
                f"one of the tensors needed for gradient computation has been modified by an "
                f"in-place operation: input {position} of {node.name()} (shape "
                f"{tuple(tensor.shape)}) is at version {tensor._version}, expected {version}"
            )


def _check_kept_versions(node):
    for tensor, version in node.checked_tensors:
        if tensor._version != version:
            raise RuntimeError(
                f"one of the tensors needed for gradient computation has been modified by an "
                f"in-place operation: a {tensor.dtype} tensor of shape {tuple(tensor.shape)} that "
                f"{node.name()} kept (a mask or an index) is at version {tensor._version}, "
                f"expected {version}"
            )


def _match_input(gradient, shape, dtype):
    """Reduce a broadcast gradient to its input's shape and cast it to the input's dtype."""
    if gradient.data.shape != shape:
        if GradMode.enabled:
            gradient = gradient.sum_to_size(shape)
        else:  # first order: the same sum on the array, no graph node to build
            with on_device(gradient.device):
                summed = sum_to_shape(gradient.device.xp, gradient.data, shape)
            gradient = Tensor._make(summed, gradient.device, False, None)
    if gradient.data.dtype != dtype:
        gradient = gradient.to(dtype)
    return gradient


def _run_hooks(hooks, gradient):
    """Call each hook on the gradient; one may return a replacement of the same shape, dtype, device."""
    for hook in tuple(hooks):
        replaced = hook(gradient)
        if replaced is not None:
            check_gradient_like(gradient, replaced, f"the gradient returned by hook {hook!r}")
            gradient = replaced
    return gradient


def _finish_leaves(leaf_grads, capture_ids, captured, accumulate, create_graph, stored_owners):
    """Run leaf hooks and accumulate into ``.grad`` (or capture for ``autograd.grad``)."""
    for leaf, gradient in leaf_grads.items():
        if type(gradient) is PlacedGradient:
            gradient = gradient.materialize()
        hooks = getattr(leaf, "_hooks", None)
        if hooks:
            gradient = _run_hooks(hooks, gradient)
        wanted = capture_ids is None or id(leaf) in capture_ids
        if not wanted:
            continue
        captured[id(leaf)] = gradient
        if accumulate:
            if not create_graph:
                gradient = _owned(gradient, stored_owners)
            leaf.grad = _accumulated(leaf.grad, gradient)
            for hook in tuple(_post_accumulate_hooks.get(id(leaf), ())):
                hook(leaf)


# id(leaf) -> its post-accumulate hooks; an entry leaves with its tensor (weakref.finalize), so
# Tensor needs no slot of its own for this rarely used hook.
_post_accumulate_hooks = {}


def register_post_accumulate_grad_hook(tensor, hook):
    """Call ``hook(tensor)`` each time ``backward`` has accumulated into the leaf's ``.grad``.

    Also bound as ``Tensor.register_post_accumulate_grad_hook``, as in PyTorch; DDP uses it to
    all-reduce a gradient as soon as it is final. Returns a handle whose ``remove()`` unregisters it.
    """
    from tinygrad_lite.autograd.function import _HookHandle  # noqa: PLC0415 - function imports tensor late

    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = _post_accumulate_hooks.get(id(tensor))
    if hooks is None:
        hooks = _post_accumulate_hooks[id(tensor)] = []
        weakref.finalize(tensor, _post_accumulate_hooks.pop, id(tensor), None)
    hooks.append(hook)
    return _HookHandle(hooks, hook)


Tensor.register_post_accumulate_grad_hook = register_post_accumulate_grad_hook


def _owned(gradient, stored_owners):
    """A gradient safe to keep as ``.grad``: copied if it is a read-only view or shares memory."""
    array = gradient.data
    owner = _owner(array)
    writeable = getattr(getattr(array, "flags", None), "writeable", True)
    if owner is not array or not writeable or id(owner) in stored_owners:
        with on_device(gradient.device):
            array = array.copy()
        owner = array
    stored_owners[id(owner)] = owner
    return Tensor._make(array, gradient.device, False, None)


def _owner(array):
    """The array that owns ``array``'s memory (itself unless it is a view)."""
    base = getattr(array, "base", None)
    return array if base is None else base


def _accumulated(existing, gradient):
    """``existing + gradient``, out of place so no other tensor aliasing either one changes."""
    if existing is None:
        return gradient if gradient.grad_fn is not None else gradient.detach()
    return existing + gradient
