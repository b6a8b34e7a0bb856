"""``PlacedGradient``: a gradient that is zero except in some views of its input, kept as pieces.

A basic-indexing view (``narrow``, ``split``, ``chunk``, ``x[:, -1]``) has as gradient zeros of
its input's shape with the view's gradient placed in the viewed region. Built eagerly, the q, k
and v of a split each allocate a full-size array of zeros, and the engine then sums three
full-size arrays. In first order the engine instead keeps the pieces and places them all into
one array when the gradient is read: the same sums, in the order the pieces arrived.
"""
from tinygrad_lite.backend import on_device
from tinygrad_lite.tensor import Tensor


class PlacedGradient:
    """Zeros of ``shape``/``dtype`` on ``device`` plus each ``(index, array)`` piece at
    ``zeros[index]``; only the engine sees one (first-order backward of a view)."""

    __slots__ = ("device", "dtype", "pieces", "shape")

    def __init__(self, shape, dtype, device, index, array):
        self.shape, self.dtype, self.device = shape, dtype, device
        self.pieces = [(index, array)]

    def add_into(self, array):
        """Add every piece into its region of ``array`` (of this gradient's shape), in place."""
        with on_device(self.device):
            for index, piece in self.pieces:
                region = array[index]
                region += piece

    def materialize(self):
        """The whole gradient as a new Tensor the engine owns."""
        xp = self.device.xp
        with on_device(self.device):
            if _tile(self.shape, [index for index, _ in self.pieces]):  # split's, end to end
                array = xp.empty(self.shape, self.dtype)
                for index, piece in self.pieces:
                    array[index] = piece
            else:
                array = xp.zeros(self.shape, self.dtype)
                if len(self.pieces) == 1:  # one view: placed, as its eager gradient would be
                    index, piece = self.pieces[0]
                    array[index] = piece
                else:
                    self.add_into(array)
        return Tensor._make(array, self.device, False, None)


def _tile(shape, indices):
    """True when ``indices`` cut ``shape`` into disjoint blocks that cover it: each a step-1
    slice of one and the same axis (whole slices elsewhere), end to end once sorted."""
    if len(indices) < 2:
        return False
    axis, intervals = None, []
    for index in indices:
        if index and index[-1] is Ellipsis:
            index = index[:-1]
        if len(index) > len(shape):
            return False
        cut = None
        for position, part in enumerate(index):
            if type(part) is not slice:
                return False
            start, stop, step = part.indices(shape[position])
            if (start, stop, step) == (0, shape[position], 1):
                continue
            if step != 1 or cut is not None:
                return False
            cut = (position, start, max(stop, start))
        if cut is None or (axis is not None and cut[0] != axis):
            return False
        axis = cut[0]
        intervals.append(cut[1:])
    intervals.sort()
    reached = 0
    for start, stop in intervals:
        if start != reached:
            return False
        reached = stop
    return reached == shape[axis]
