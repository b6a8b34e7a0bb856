"""Positional encodings added to token embeddings: fixed sinusoids and a learned table.

Both take the input in the Transformer layers' layout, (L, N, E) or (N, L, E) with
``batch_first=True`` (or unbatched (L, E)), and an ``offset``: the position of the first row,
so that incremental decoding with a :class:`~tinygrad_lite.nn.kv_cache.KVCache` adds the
positions the new tokens really have (``offset=cache.length``).
"""
import math

import numpy

from tinygrad_lite import creation, dtypes
from tinygrad_lite.nn import init
from tinygrad_lite.nn.dropout import Dropout
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.parameter import Parameter
from tinygrad_lite.tensor import Tensor

__all__ = ["SinusoidalPositionalEncoding", "LearnedPositionalEncoding"]


class _PositionalEncoding(Module):
    """Shared forward: add rows ``offset .. offset + L`` of ``self._table()`` to the input, then dropout."""

    def _rows(self, input, offset):
        if not isinstance(input, Tensor) or input.ndim not in (2, 3):
            shape = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{type(self).__name__}: expected input (L, N, E), (N, L, E) or (L, E), "
                             f"got {shape}")
        if input.shape[-1] != self.d_model:
            raise ValueError(f"{type(self).__name__}: input of shape {list(input.shape)} does not end "
                             f"in d_model={self.d_model}")
        offset = int(offset)
        length = input.shape[1] if input.ndim == 3 and self.batch_first else input.shape[0]
        if offset < 0 or offset + length > self.max_len:
            raise IndexError(f"{type(self).__name__}: positions {offset}..{offset + length - 1} are out "
                             f"of range for max_len={self.max_len}")
        rows = self._table()[offset:offset + length]
        # (L, E) broadcasts over the batch as (L, 1, E) when sequence-first, (L, E) when batch-first.
        return rows.unsqueeze(1) if input.ndim == 3 and not self.batch_first else rows

    def forward(self, input, offset=0):
        """``dropout(input + table[offset : offset + L])``; same shape as ``input``."""
        return self.dropout(input + self._rows(input, offset))


class SinusoidalPositionalEncoding(_PositionalEncoding):
    """The fixed table of "Attention Is All You Need": ``pe[p, 2i] = sin(p / 10000^(2i/E))``,
    ``pe[p, 2i+1] = cos(p / 10000^(2i/E))``, added to (L, N, E) / (N, L, E) / (L, E) inputs.

    The table (max_len, d_model) is a non-persistent buffer ``pe``: it follows ``.to()`` but is
    not saved in ``state_dict`` (it is recomputed at construction). ``dropout`` follows the sum.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=False, device=None, dtype=None):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        positions = numpy.arange(max_len, dtype=numpy.float64)[:, None]
        frequencies = numpy.exp(numpy.arange(0, d_model, 2, dtype=numpy.float64)
                                * (-math.log(10000.0) / d_model))
        angles = positions * frequencies  # computed in float64, then cast once
        table = numpy.zeros((max_len, d_model), dtype=numpy.float64)
        table[:, 0::2] = numpy.sin(angles)
        table[:, 1::2] = numpy.cos(angles[:, :d_model // 2])
        self.register_buffer("pe", creation.tensor(table, dtype=dtype or dtypes.get_default_dtype(),
                                                   device=device), persistent=False)

    def _table(self):
        return self.pe

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEncoding(_PositionalEncoding):
    """A trained table ``weight`` (max_len, d_model), one row per position, added to the input.

    Initialised N(0, 1) like ``nn.Embedding``; shapes as in :class:`SinusoidalPositionalEncoding`.
    """

    def __init__(self, max_len, d_model, dropout=0.0, batch_first=False, device=None, dtype=None):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.weight = Parameter(creation.empty(max_len, d_model, device=device, dtype=dtype))
        self.dropout = Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the table from N(0, 1), as nn.Embedding does."""
        init.normal_(self.weight)

    def _table(self):
        return self.weight

    def extra_repr(self):
        return f"{self.max_len}, {self.d_model}, batch_first={self.batch_first}"

