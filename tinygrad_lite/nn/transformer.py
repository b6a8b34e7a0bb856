"""Transformer stacks: ``TransformerEncoder``, ``TransformerDecoder`` and the full ``Transformer``.

The stacks deep-copy one layer ``num_layers`` times (keys ``layers.0.…``, like PyTorch) and
apply an optional final ``norm``. ``Transformer`` is the encoder-decoder model of "Attention Is
All You Need" with PyTorch's defaults, names and initialisation.

Incremental decoding: pass one :class:`~tinygrad_lite.nn.kv_cache.KVCache` as ``kv_cache=`` to
a stack; each layer keeps its keys/values under ``cache.child(i)``, so calling the stack with
only the newest token(s) gives the same result as re-running it on the whole sequence with the
causal mask, at O(t) instead of O(t^2) cost per step.
"""
import copy
import math

import numpy

from tinygrad_lite import creation, dtypes
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn import init
from tinygrad_lite.nn.containers import ModuleList
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.normalization import LayerNorm
from tinygrad_lite.nn.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer

__all__ = ["TransformerEncoder", "TransformerDecoder", "Transformer", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz, device=None, dtype=None):
    """The causal float mask (sz, sz): 0 on and below the diagonal, -inf above (query i sees keys <= i)."""
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    mask = numpy.triu(numpy.full((sz, sz), -math.inf), 1)
    return creation.tensor(mask, dtype=dtype, device=device)


def _is_causal_mask(mask, length):
    """PyTorch's detection of the is_causal hint: ``mask`` equals the (length, length) causal mask."""
    if mask is None or tuple(mask.shape) != (length, length):
        return False
    xp = mask.device.xp
    above = xp.triu(xp.ones((length, length), dtype=numpy.bool_), 1)
    data = mask.data
    if data.dtype.kind == "b":
        return bool(xp.array_equal(data, above))
    return bool(xp.all(xp.where(above, data == -math.inf, data == 0)))


def _sequence_length(input, batch_first):
    return input.shape[1] if input.ndim == 3 and batch_first else input.shape[0]


def _clones(layer, num_layers):
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm`` if given.

    src (S, N, E) (or (N, S, E) if the layer is batch-first, or (S, E)) -> same shape.
    ``enable_nested_tensor`` and ``mask_check`` are accepted for PyTorch compatibility and
    have no effect (there is no nested-tensor fast path here).
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None, *, kv_cache=None):
        """Run every layer. mask (S, S) or (N * nhead, S, S); src_key_padding_mask (N, S).

        ``is_causal=None`` detects whether ``mask`` is the causal mask, as PyTorch does.
        ``kv_cache``: decode incrementally (``src`` holds only the new tokens).
        """
        output = src
        if self.layers:
            batch_first = self.layers[0].self_attn.batch_first
            if is_causal is None:
                is_causal = _is_causal_mask(mask, _sequence_length(src, batch_first))
        for index, layer in enumerate(self.layers):
            cache = None if kv_cache is None else kv_cache.child(index)
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal), kv_cache=cache)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` over (tgt, memory), then ``norm`` if given.

    tgt (T, N, E), memory (S, N, E) (batch first if the layer is) -> (T, N, E).
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False, *,
                kv_cache=None):
        """Run every layer; masks as in :meth:`TransformerDecoderLayer.forward`.

        ``kv_cache``: decode incrementally (``tgt`` holds only the new tokens; ``memory`` is
        projected once per layer and reused).
        """
        output = tgt
        if self.layers:
            batch_first = self.layers[0].self_attn.batch_first
            if tgt_is_causal is None:
                tgt_is_causal = _is_causal_mask(tgt_mask, _sequence_length(tgt, batch_first))
        for index, layer in enumerate(self.layers):
            cache = None if kv_cache is None else kv_cache.child(index)
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal,
                           kv_cache=cache)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer; PyTorch's arguments, defaults and parameter names.

    src (S, N, E), tgt (T, N, E) -> (T, N, E) ((N, ·, E) with ``batch_first``; unbatched works too).
    Every parameter with more than one dim is re-initialised Xavier-uniform, as in PyTorch.
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                       norm_first=norm_first, bias=bias, **factory)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **options), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **options), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self):
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform_(parameter)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
                src_is_causal=None, tgt_is_causal=None, memory_is_causal=False):
        """Encode ``src`` into memory, decode ``tgt`` against it. Masks: src_mask (S, S),
        tgt_mask (T, T), memory_mask (T, S); padding masks (N, S) / (N, T) / (N, S)."""
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise RuntimeError(f"the batch number of src and tgt must be equal, got src "
                               f"{list(src.shape)} and tgt {list(tgt.shape)} "
                               f"(batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"the feature number of src and tgt must be equal to d_model={self.d_model}, "
                               f"got src {list(src.shape)} and tgt {list(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The causal float mask (sz, sz): 0 where allowed, -inf above the diagonal."""
        return generate_square_subsequent_mask(sz, device=device, dtype=dtype)
