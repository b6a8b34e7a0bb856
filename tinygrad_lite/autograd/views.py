"""Views: tensors that share memory with another tensor, as PyTorch's views do.

A view (``x[0]``, ``x.view(-1)``, ``x.t()``, ``x.detach()``...) keeps ``_base``: the tensor that
owns the memory. Both share one version counter (the base's ``_version_count``), so an in-place
write through either one is seen by every node that saved the other for backward.

A *differentiable* view (made by a view op while grad mode is on) also keeps ``_view =
(graph_base, steps, maker)``: how to make it again from the tensor it was taken from, one ``(op,
params)`` per view op, and the name of the multi-view function (split...) it came from, if any. An in-place write through a view changes its base's graph
(``ops/inplace.py``); every other view of that memory then has a stale ``grad_fn``, rebuilt by
:func:`refresh_view` the first time the view is used again (PyTorch regenerates it the same way).
A view made under ``no_grad`` or by ``detach()`` shares the counter only (``_view`` is None).
"""
from tinygrad_lite.autograd.grad_mode import GradMode


def version_root(tensor):
    """The tensor that owns ``tensor``'s memory and version counter (itself unless a view)."""
    return tensor if tensor._base is None else tensor._base


def mark_view(view, source, op, params):
    """Record ``view``, the output of view op ``op(source, **params)``, as a view of ``source``."""
    root = version_root(source)
    view._base = root
    view._view_version = root._version_count
    if not GradMode.enabled:
        view._view = None
        return
    if source._base is not None and source._view is not None:
        graph_base, steps, maker = source._view
        view._view = (graph_base, steps + ((op, params),), maker)
    else:  # a tensor owning its memory, or a detached view: either is the graph base
        view._view = (source, ((op, params),), None)


def mark_multi_view_outputs(views, maker):
    """Record that ``views`` come from ``maker`` (split, unbind...), a function returning several
    views of one tensor: like PyTorch, writing one of them in place inside the graph is refused."""
    for view in views:
        if view._base is not None and view._view is not None:
            view._view = view._view[:2] + (maker,)
    return views


def mark_detached_view(detached, source):
    """Record ``detached`` (``source.detach()``) as sharing ``source``'s memory, outside the graph."""
    detached._base = version_root(source)
    detached._view = None
    detached._view_version = 0


def replay_view(graph_base, steps):
    """Apply the recorded view ops to ``graph_base`` again (recording them while grad mode is on)."""
    tensor = graph_base
    for op, params in steps:
        tensor = op.apply(tensor, **params)
    return tensor


def refresh_view(view):
    """Rebuild a differentiable view's ``grad_fn`` if its memory was written in place since."""
    root = view._base
    if view._view_version == root._version_count:
        return
    graph_base, steps, maker = view._view
    if maker is not None and graph_base._requires_grad:
        return  # left stale: using it raises (refuse_stale_multi_view)
    previous = GradMode.enabled
    GradMode.enabled = True
    try:
        rebuilt = replay_view(graph_base, steps)
    finally:
        GradMode.enabled = previous
    view._grad_fn = rebuilt._grad_fn
    view._requires_grad = rebuilt._requires_grad
    view._view_version = root._version_count


def refuse_stale_multi_view(view):
    """Raise when ``view``, an output of split/unbind..., is used in an op after its memory was
    written in place inside the graph: PyTorch does not rebuild the gradient of such a view."""
    graph_base, _, maker = view._view
    if maker is not None and graph_base._requires_grad:
        raise RuntimeError(
            f"Output of {maker} (shape {list(view.shape)}) is a view and its base or another view "
            "of its base has been modified inplace. This view is the output of a function that "
            "returns multiple views, whose gradient PyTorch does not rebuild: use an out-of-place "
            "op, or clone() the view before the in-place write")


def shares_memory(array, other):
    """True when ``array`` is ``other`` or a view of the same memory owner (NumPy or CuPy)."""
    base = getattr(array, "base", None)
    if base is other or (base is not None and base is getattr(other, "base", None)):
        return True  # NumPy's usual case: a view's base is the owner itself
    return _owner(array) is _owner(other)


def _owner(array):
    base = getattr(array, "base", None)
    while base is not None:
        array, base = base, getattr(base, "base", None)
    return array
