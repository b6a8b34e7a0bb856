"""``KVCache``: the keys and values an attention layer has already computed, for incremental decoding.

Generating token t with a Transformer needs the keys and values of tokens 0..t-1 in every
attention layer. Recomputing them at every step costs O(t^2) per step; keeping them here makes
a step cost O(t): only the new tokens are projected, and attention reads the stored ones.

One ``KVCache`` object serves a whole model. It is a small tree: a layer asks for a child entry
per attention module (``cache.child("self_attn")``) and a stack asks for one per layer
(``cache.child(0)``), so the caller only ever holds the root::

    cache = KVCache()
    logits = model(prompt, kv_cache=cache)          # fills the cache with the prompt
    logits = model(next_token, kv_cache=cache)      # projects one token, attends over all
    position = cache.length                          # tokens seen so far (for positions)

An entry either *appends* (self-attention: each call adds the new tokens' keys/values) or is
*static* (cross-attention over an encoder memory: projected on the first call, reused after).
"""
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.ops.join import cat
from tinygrad_lite.tensor import Tensor

__all__ = ["KVCache"]

_MIN_CAPACITY = 16


class KVCache:
    """Keys/values of one attention module, plus child caches for the modules below it.

    ``key`` and ``value`` are (N, num_heads, S, head_dim) Tensors (None while empty).
    ``static=True`` marks a cross-attention entry: it is filled once and then only read.
    Outside autograd (``tl.no_grad()``, the usual way to generate) keys are written in place
    into a buffer whose capacity doubles, so appending T tokens costs O(T) amortised; when a
    gradient must flow through the cache, entries are concatenated instead, keeping the graph.
    """

    def __init__(self, static=False):
        self.static = static
        self.key = None
        self.value = None
        self._children = {}
        self._buffers = None  # (key_array, value_array) with spare capacity along dim -2

    # ----- the tree ---------------------------------------------------------------------------
    def child(self, name, static=False):
        """The sub-cache called ``name`` (created empty on first use, with ``static``)."""
        entry = self._children.get(name)
        if entry is None:
            entry = self._children[name] = KVCache(static=static)
        elif entry.static != static:
            raise ValueError(
                f"KVCache entry {name!r} was created with static={entry.static}, now asked for "
                f"static={static}: one cache object cannot serve both self- and cross-attention"
            )
        return entry

    @property
    def length(self):
        """How many positions have been appended: the offset of the next token.

        For a tree, the length of its first appending entry (static cross-attention entries hold
        the memory length, which says nothing about decoding progress, and are skipped).
        """
        if not self.static and self.key is not None:
            return self.key.shape[-2]
        for entry in self._children.values():
            length = entry.length
            if length:
                return length
        return 0

    def __len__(self):
        return self.length

    def is_empty(self):
        """True while neither this entry nor any child holds keys."""
        return self.key is None and all(entry.is_empty() for entry in self._children.values())

    def reset(self):
        """Forget every stored key and value (in this entry and all children) to start a new sequence."""
        self.key = self.value = None
        self._buffers = None
        for entry in self._children.values():
            entry.reset()

    # ----- storing ----------------------------------------------------------------------------
    def set_static(self, key, value):
        """Store the memory keys/values of a cross-attention entry (each (N, H, S, head_dim))."""
        self._check_block(key, value)
        self.key, self.value = key, value
        return key, value

    def append(self, key, value):
        """Add the new tokens' keys/values (N, H, T, head_dim); return all of them (N, H, S+T, head_dim)."""
        if self.static:
            raise RuntimeError("KVCache.append: this entry is static (cross-attention); use set_static")
        self._check_block(key, value)
        if self.key is None:
            if self._tracks_graph(key, value):
                self.key, self.value = key, value
                return key, value
        else:
            old = self.key
            if (old.shape[:2] != key.shape[:2] or old.shape[-1] != key.shape[-1]
                    or self.value.shape[-1] != value.shape[-1] or old.dtype != key.dtype
                    or old.device != key.device):
                raise ValueError(
                    f"KVCache.append: new keys {list(key.shape)} ({key.dtype}, {key.device}) and "
                    f"values {list(value.shape)} do not continue the cached keys "
                    f"{list(old.shape)} ({old.dtype}, {old.device}) and values "
                    f"{list(self.value.shape)}: batch, heads and head_dim must match "
                    "(call reset() to start a new sequence)"
                )
            if self._tracks_graph(key, value, old, self.value):
                self._buffers = None
                self.key = cat([old, key], dim=-2)
                self.value = cat([self.value, value], dim=-2)
                return self.key, self.value
        self._write(key, value)
        return self.key, self.value

    @staticmethod
    def _tracks_graph(*tensors):
        return GradMode.enabled and any(tensor.requires_grad for tensor in tensors)

    @staticmethod
    def _check_block(key, value):
        for name, tensor in (("key", key), ("value", value)):
            if not isinstance(tensor, Tensor) or tensor.ndim != 4:
                shape = list(tensor.shape) if isinstance(tensor, Tensor) else type(tensor).__name__
                raise ValueError(f"KVCache: {name} must be a 4-D Tensor (N, heads, T, head_dim), got {shape}")
        if key.shape[:3] != value.shape[:3]:
            raise ValueError(
                f"KVCache: key {list(key.shape)} and value {list(value.shape)} must share (N, heads, T)"
            )

    def _write(self, key, value):
        """Copy the block into the in-place buffers, growing them by doubling when full."""
        start = 0 if self.key is None else self.key.shape[-2]
        stop = start + key.shape[-2]
        xp = key.device.xp
        if self._buffers is None or self._buffers[0].shape[-2] < stop:
            capacity = max(_MIN_CAPACITY, 2 * stop)
            grown = []
            for old, new in ((self.key, key), (self.value, value)):
                shape = new.shape[:2] + (capacity, new.shape[-1])
                buffer = xp.empty(shape, dtype=new.dtype)
                if start:
                    buffer[:, :, :start] = old.data
                grown.append(buffer)
            self._buffers = tuple(grown)
        key_buffer, value_buffer = self._buffers
        key_buffer[:, :, start:stop] = key.data
        value_buffer[:, :, start:stop] = value.data
        self.key = Tensor._make(key_buffer[:, :, :stop], key.device, False, None)
        self.value = Tensor._make(value_buffer[:, :, :stop], value.device, False, None)

    def reorder_cache(self, beam_idx):
        """Make batch row i hold what row ``beam_idx[i]`` held, in this entry and every child
        (beam search keeps, drops and copies beams). ``beam_idx``: a 1-D list, array or Tensor
        of row indices; the next append rebuilds the spare capacity from the reordered keys."""
        if self.key is not None:
            index = beam_idx if isinstance(beam_idx, Tensor) else Tensor(beam_idx, device=self.key.device)
            index = index.to(self.key.device).long()
            self.key = self.key.index_select(0, index)
            self.value = self.value.index_select(0, index)
            self._buffers = None
        for entry in self._children.values():
            entry.reorder_cache(beam_idx)

    def __repr__(self):
        kind = "static" if self.static else "appending"
        shape = None if self.key is None else list(self.key.shape)
        children = ", ".join(map(repr, self._children))
        return f"KVCache({kind}, key={shape}, children=[{children}])"
