"""Output memory layouts as PyTorch allocates them, so ``view`` succeeds or fails where PyTorch's does.

NumPy and PyTorch agree on elementwise ops (both keep a permuted dense input's layout) but not
elsewhere: PyTorch's reductions, softmax, cat, tril... return C-contiguous tensors (a ``Function``
with ``contiguous_output`` gets one), and its advanced indexing lays the result out the way its
TensorIterator orders dims by the operands' strides (:func:`advanced_index_layout`).
"""
import numpy


def iterator_dim_order(shape, operand_strides):
    """The dims of ``shape`` from fastest to slowest, as PyTorch's TensorIterator sorts them:
    by each operand's strides in turn (0 strides are ambiguous), equal strides by size."""
    ndim = len(shape)
    order = list(range(ndim - 1, -1, -1))

    def should_swap(dim0, dim1):
        for strides in operand_strides:
            stride0, stride1 = strides[dim0], strides[dim1]
            if stride0 == 0 or stride1 == 0:
                continue
            if stride0 != stride1:
                return 1 if stride0 > stride1 else -1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0

    for position in range(1, ndim):
        moving = position
        for earlier in range(position - 1, -1, -1):
            comparison = should_swap(order[earlier], order[moving])
            if comparison > 0:
                order[earlier], order[moving] = order[moving], order[earlier]
                moving = earlier
            elif comparison < 0:
                break
    return order


def _element_strides(array):
    """Strides in elements, 0 for size-1 dims (PyTorch and NumPy disagree there: ambiguous)."""
    return [0 if size == 1 else stride // array.itemsize
            for size, stride in zip(array.shape, array.strides)]


def advanced_index_layout(selected, advanced, result, xp):
    """``result`` (= ``selected[advanced]``) laid out as PyTorch's index kernel lays it out.

    PyTorch moves the indexed dims to the front when they are not adjacent, replaces them by
    the index shape with stride 0, and lets TensorIterator order the dims by the strides of that
    source and of the (broadcast) index tensors."""
    positions = [dim for dim, part in enumerate(advanced) if not isinstance(part, slice)]
    arrays = [advanced[dim] for dim in positions]
    if not positions or any(array.dtype.kind == "b" for array in arrays) or result.ndim < 2:
        return result
    shape, strides = list(selected.shape), _element_strides(selected)
    if positions != list(range(positions[0], positions[-1] + 1)):
        front = positions + [dim for dim in range(selected.ndim) if dim not in positions]
        shape, strides = [shape[dim] for dim in front], [strides[dim] for dim in front]
        first = 0
    else:
        first = positions[0]
    after = first + len(positions)
    common = numpy.broadcast_shapes(*(array.shape for array in arrays))
    iteration_shape = tuple(shape[:first]) + tuple(common) + tuple(shape[after:])
    if iteration_shape != result.shape:
        return result
    operands = [strides[:first] + [0] * len(common) + strides[after:]]
    for array in arrays:
        spread = _element_strides(xp.broadcast_to(array, common)) if common else []
        operands.append([0] * first + spread + [0] * (len(iteration_shape) - first - len(common)))
    return _laid_out(result, iterator_dim_order(iteration_shape, operands), xp)


def _laid_out(array, fastest_first, xp):
    """``array``'s values in memory ordered with ``fastest_first[0]`` the fastest-moving dim."""
    slowest_first = fastest_first[::-1]
    if slowest_first == list(range(array.ndim)):
        return xp.ascontiguousarray(array)
    current = [dim for dim, _ in sorted(enumerate(array.strides), key=lambda pair: -pair[1])
               if array.shape[dim] != 1]
    if current == [dim for dim in slowest_first if array.shape[dim] != 1] and dense_without_overlap(array):
        return array
    buffer = xp.empty(tuple(array.shape[dim] for dim in slowest_first), dtype=array.dtype)
    laid_out = buffer.transpose(numpy.argsort(slowest_first))
    laid_out[...] = array
    return laid_out


def dense_without_overlap(array):
    """Its elements fill one block of memory once each, in some order of the dims."""
    expected = array.itemsize
    for size, stride in sorted((pair for pair in zip(array.shape, array.strides) if pair[0] != 1),
                               key=lambda pair: pair[1]):
        if stride != expected:
            return False
        expected *= size
    return True
