"""``FlatBucket``: the parameters of one group, dtype and device, laid end to end for multi-tensor steps.

Each state array (``exp_avg``, ``momentum_buffer``...) of the bucket is one flat buffer, and
``optimizer.state[param][key]`` is a view into it, so ``state_dict()`` keeps PyTorch's
per-parameter layout while an update runs a handful of array ops over many parameters at once.
Parameters and gradients stay the user's arrays: gradients are read through flat views (small
ones gathered into a scratch buffer), and the update is written back through views of
``param.data``, so replacing ``param.data`` or moving a model never leaves a stale alias.

The work is cut into chunks: on the CPU about 32k elements, so the dozen elementwise passes of
an update read each element from the L2 cache instead of memory; a large contiguous parameter is
split into such pieces, small ones are packed together. A chunk never mixes parameters whose
``phase`` differs (e.g. Adam's step count after some parameters skipped a step), because the
scalars of an update depend on it.
"""
from tinygrad_lite.backend import to_device_array

__all__ = ["FlatBucket", "Chunk"]

CPU_CHUNK_ELEMENTS = 1 << 15
GPU_CHUNK_ELEMENTS = 1 << 24  # few kernel launches, temporaries still bounded
SCRATCH_ARRAYS = 3  # the effective gradient and two temporaries of the update


class Chunk:
    """A range ``[start, stop)`` of the bucket: whole parameters ``indices``, or when ``piece`` is
    ``(a, b)`` the elements ``a:b`` of the single parameter ``indices[0]`` (flattened)."""

    __slots__ = ("start", "stop", "indices", "piece", "phase")

    def __init__(self, start, stop, indices, piece, phase):
        self.start, self.stop, self.indices, self.piece, self.phase = start, stop, indices, piece, phase


class FlatBucket:
    """Parameters ``params`` (same dtype and device, in group order) and their flat state buffers."""

    def __init__(self, params, signature):
        first = params[0]
        self.params = list(params)
        self.signature = signature
        self.device, self.dtype = first.device, first.data.dtype
        self.xp = first.device.xp
        self.shapes = [param.data.shape for param in params]
        self.sizes = [int(param.data.size) for param in params]
        self.offsets = [0]
        for size in self.sizes:
            self.offsets.append(self.offsets[-1] + size)
        self.splittable = [param.data.flags.c_contiguous for param in params]
        self.buffers, self.views = {}, {}
        self.limit = CPU_CHUNK_ELEMENTS if first.device.type == "cpu" else GPU_CHUNK_ELEMENTS
        self._chunks_key, self._chunks, self._scratch = None, None, None

    @staticmethod
    def signature_of(params):
        """What a bucket depends on: which parameters, their shapes and memory layout."""
        return tuple((id(param), param.data.shape, param.data.flags.c_contiguous) for param in params)

    def bind(self, states, key):
        """Make ``states[i][key]`` views into this bucket's flat buffer for ``key``; returns it.

        Arrays found there (a fresh state, ``load_state_dict``, another bucket) are copied in and
        cast to the bucket's dtype and device; missing entries start at zero.
        """
        views = self.views.get(key)
        if views is not None and all(state.get(key) is view for state, view in zip(states, views)):
            return self.buffers[key]
        buffer = self.xp.zeros(self.offsets[-1], dtype=self.dtype)
        views = []
        for state, shape, start, stop in zip(states, self.shapes, self.offsets, self.offsets[1:]):
            old = state.get(key)
            if old is not None:
                buffer[start:stop] = to_device_array(old, self.device).reshape(-1)
            view = buffer[start:stop].reshape(shape)
            state[key] = view
            views.append(view)
        self.buffers[key], self.views[key] = buffer, views
        return buffer

    def chunks(self, phases):
        """The chunks of this step (cached while the pattern of phase changes stays the same)."""
        breaks = tuple(index for index in range(1, len(phases)) if phases[index] != phases[index - 1])
        if breaks != self._chunks_key:
            self._chunks_key, self._chunks = breaks, self._cut(set(breaks))
        for chunk in self._chunks:
            chunk.phase = phases[chunk.indices[0]]
        return self._chunks

    def _cut(self, breaks):
        chunks, pack = [], []

        def close_pack():
            if pack:
                chunks.append(Chunk(self.offsets[pack[0]], self.offsets[pack[-1] + 1], list(pack), None, None))
                pack.clear()

        for index, size in enumerate(self.sizes):
            packed = self.offsets[index] - self.offsets[pack[0]] if pack else 0
            if index in breaks or packed + size > self.limit:
                close_pack()
            if size > self.limit and self.splittable[index]:
                for a in range(0, size, self.limit):
                    b = min(a + self.limit, size)
                    start = self.offsets[index]
                    chunks.append(Chunk(start + a, start + b, [index], (a, b), None))
            else:
                pack.append(index)
        close_pack()
        return chunks

    def scratch(self):
        """``SCRATCH_ARRAYS`` flat work arrays as long as the longest chunk (kept between steps)."""
        if self._scratch is None:
            whole = [size for size, split in zip(self.sizes, self.splittable) if not split]
            length = max([min(self.limit, self.offsets[-1])] + whole)
            self._scratch = [self.xp.empty(length, dtype=self.dtype) for _ in range(SCRATCH_ARRAYS)]
        return self._scratch

    def gather(self, chunk, flat_arrays, out):
        """The chunk's slice of the flattened ``flat_arrays`` (one per parameter): a view when the
        chunk lies in one parameter, else concatenated into ``out``."""
        if len(chunk.indices) == 1:
            array = flat_arrays[chunk.indices[0]]
            return array if chunk.piece is None else array[chunk.piece[0]:chunk.piece[1]]
        return self.xp.concatenate([flat_arrays[index] for index in chunk.indices], out=out)

    def write_back(self, chunk, delta, scale=None):
        """``param.data *= scale`` (when given), then ``param.data -= delta``, over the chunk."""
        if chunk.piece is not None:
            a, b = chunk.piece
            targets = [(self.params[chunk.indices[0]].data.reshape(-1)[a:b], delta)]
        else:
            targets = []
            for index in chunk.indices:
                start = self.offsets[index] - chunk.start
                part = delta[start:start + self.sizes[index]].reshape(self.shapes[index])
                targets.append((self.params[index].data, part))
        for data, part in targets:
            if scale is not None:
                data *= scale
            data -= part
