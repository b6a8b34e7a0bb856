"""Attention for RNN encoder-decoders: ``AdditiveAttention`` (Bahdanau) and ``LuongAttention``.

PyTorch has no equivalent of these modules, so the API is tinygrad_lite's own, following
PyTorch's conventions (batch-first tensors, ``device=``/``dtype=``, ``nn.Linear``-style init).

How a Seq2Seq decoder uses them: at each step the decoder state ``s`` (the *query*) is compared
with every encoder output ``h_j`` (the *keys*) by a score function, the scores over the source
positions are turned into weights with a softmax, and the weighted sum of the *values* (by
default the encoder outputs again) is the context vector fed to the next prediction::

    e_j = score(s, h_j)            one number per source position j
    a_j = exp(e_j) / sum_k exp(e_k) attention weights (sum to 1 over the valid positions)
    c   = sum_j a_j v_j             context vector

All modules here share that shell and differ only in ``score``. Every forward is vectorised
over the batch and over many query steps at once (teacher forcing), and takes a
``mask`` (N, S) of bool where **True marks a real (valid) source position** and False a
padded one: padded positions get a weight of exactly 0, and a row with no valid position at all
gets all-zero weights and a zero context instead of NaN.
"""
import math

from tinygrad_lite.backend import on_device
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.attention import MaskedSoftmax
from tinygrad_lite.nn.linear import Linear
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.parameter import empty_parameter
from tinygrad_lite.tensor import Tensor

__all__ = ["AdditiveAttention", "BahdanauAttention", "LuongAttention"]

_LUONG_SCORES = ("dot", "general", "concat")


def _positive_size(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class _Seq2SeqAttention(Module):
    """The shared shell: input checks, the masked softmax over source positions, the context.

    Subclasses set ``query_size``/``key_size`` and implement ``_scores(query, keys)`` mapping
    query (N, T_q, query_size) and keys (N, S, key_size) to scores (N, T_q, S).
    """

    def forward(self, query, keys, values=None, mask=None):
        """Attend from ``query`` over ``keys``; return ``(context, weights)``.

        Shapes:
          query  (N, query_size) for one decoder step, or (N, T_q, query_size) for T_q steps
          keys   (N, S, key_size): the encoder outputs to score against
          values (N, S, value_size): what is averaged; defaults to ``keys``
          mask   (N, S) bool, optional: True = a real source position, False = padding
        Returns:
          context (N, value_size) or (N, T_q, value_size)
          weights (N, S) or (N, T_q, S): each row sums to 1 over its valid positions
                  (exactly 0 on padded ones; all 0 when a row has no valid position)
        """
        values = keys if values is None else values
        self._check_inputs(query, keys, values, mask)
        one_step = query.ndim == 2
        if one_step:
            query = query.unsqueeze(1)
        scores = self._scores(query, keys)
        bias = None
        if mask is not None:
            # Padded keys get -inf added to their score: exp(-inf) is exactly 0, and a row with
            # no valid key comes out of MaskedSoftmax as zeros rather than 0/0.
            with on_device(mask.device):
                bias = mask.device.xp.zeros((mask.shape[0], 1, mask.shape[1]), dtype=scores.dtype)
                bias[~mask.data[:, None, :]] = -math.inf
        weights = MaskedSoftmax.apply(scores, bias=bias)
        context = weights @ values
        if one_step:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights

    def _check_inputs(self, query, keys, values, mask):
        name = type(self).__name__
        for label, tensor in (("query", query), ("keys", keys), ("values", values)):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"{name}: {label} must be a Tensor, got {type(tensor).__name__}")
        if query.ndim not in (2, 3) or query.shape[-1] != self.query_size:
            raise RuntimeError(
                f"{name}: expected query of shape (N, {self.query_size}) or (N, T_q, "
                f"{self.query_size}), got {list(query.shape)}"
            )
        if keys.ndim != 3 or keys.shape[-1] != self.key_size or keys.shape[0] != query.shape[0]:
            raise RuntimeError(
                f"{name}: expected keys of shape (N, S, {self.key_size}) with N = "
                f"{query.shape[0]} from query {list(query.shape)}, got {list(keys.shape)}"
            )
        if values.ndim != 3 or tuple(values.shape[:2]) != tuple(keys.shape[:2]):
            raise RuntimeError(
                f"{name}: expected values of shape (N, S, value_size) with (N, S) = "
                f"{tuple(keys.shape[:2])} from keys, got {list(values.shape)}"
            )
        parameter = next(iter(self.parameters()), None)
        reference = parameter if parameter is not None else query
        for label, tensor in (("query", query), ("keys", keys), ("values", values)):
            if tensor.dtype != reference.dtype or tensor.dtype.kind != "f":
                raise RuntimeError(
                    f"{name}: expected query, keys and values of one floating dtype matching the "
                    f"module's parameters ({reference.dtype}), got {label} of dtype {tensor.dtype}"
                )
            if tensor.device != reference.device:
                raise RuntimeError(
                    f"{name}: expected all tensors on {reference.device} (the module's device), "
                    f"got {label} on {tensor.device}"
                )
        if mask is None:
            return
        if not isinstance(mask, Tensor) or mask.dtype.kind != "b":
            kind = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
            raise TypeError(f"{name}: mask must be a bool Tensor (True = valid position), got {kind}")
        if tuple(mask.shape) != tuple(keys.shape[:2]):
            raise RuntimeError(
                f"{name}: expected mask of shape (N, S) = {tuple(keys.shape[:2])} to match keys "
                f"{list(keys.shape)}, got {list(mask.shape)}"
            )
        if mask.device != keys.device:
            raise RuntimeError(f"{name}: mask is on {mask.device} but keys are on {keys.device}")


def _additive_scores(query_part, key_part, v):
    """``v^T tanh(q_i + k_j)`` for every pair: (N, T_q, H), (N, S, H), (H,) -> (N, T_q, S)."""
    hidden = (query_part.unsqueeze(2) + key_part.unsqueeze(1)).tanh()
    return hidden @ v


class AdditiveAttention(_Seq2SeqAttention):
    """Additive attention (Bahdanau et al., 2015), also available as ``BahdanauAttention``.

    The score of decoder state ``s`` against encoder output ``h`` is a one-hidden-layer network::

        score(s, h) = v^T tanh(W_q s + W_k h [+ b])

    with ``W_q`` = ``query_proj.weight`` (hidden_size, query_size), ``W_k`` =
    ``key_proj.weight`` (hidden_size, key_size), ``b`` = ``key_proj.bias`` (hidden_size,)
    when ``bias=True``, and ``v`` (hidden_size,). Queries and keys may have different sizes,
    and the score can be non-linear in both, at the price of an (N, T_q, S, hidden_size)
    intermediate. ``W_k h`` is computed once per forward for all query steps.

    Args:
        query_size: size of the decoder state ``s`` (last dim of ``query``).
        key_size: size of the encoder outputs ``h`` (last dim of ``keys``).
        hidden_size: width of the hidden layer inside the score.
        bias: add the learned bias ``b`` inside the tanh (default False, as in the paper).

    Parameters start like ``nn.Linear``'s: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where ``v``
    counts as a (1, hidden_size) weight. See :meth:`forward` for shapes and ``mask``.

    Example::

        attention = AdditiveAttention(query_size=128, key_size=256, hidden_size=64)
        context, weights = attention(decoder_state, encoder_outputs, mask=source_lengths_mask)
    """

    def __init__(self, query_size, key_size, hidden_size, bias=False, device=None, dtype=None):
        super().__init__()
        self.query_size = _positive_size("query_size", query_size)
        self.key_size = _positive_size("key_size", key_size)
        self.hidden_size = _positive_size("hidden_size", hidden_size)
        self.query_proj = Linear(query_size, hidden_size, bias=False, device=device, dtype=dtype)
        self.key_proj = Linear(key_size, hidden_size, bias=bias, device=device, dtype=dtype)
        self.v = empty_parameter((hidden_size,), device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw every parameter from ``nn.Linear``'s default distribution."""
        self.query_proj.reset_parameters()
        self.key_proj.reset_parameters()
        bound = 1 / math.sqrt(self.hidden_size)
        init.uniform_(self.v, -bound, bound)

    def _scores(self, query, keys):
        return _additive_scores(self.query_proj(query), self.key_proj(keys), self.v)

    def extra_repr(self):
        return (f"query_size={self.query_size}, key_size={self.key_size}, "
                f"hidden_size={self.hidden_size}, bias={self.key_proj.bias is not None}")


BahdanauAttention = AdditiveAttention


class LuongAttention(_Seq2SeqAttention):
    """Multiplicative attention (Luong et al., 2015) with its three score functions.

    With decoder state ``s`` (query_size) and encoder output ``h`` (key_size)::

        "dot"      score(s, h) = s^T h
                   No parameters; needs query_size == key_size.
        "general"  score(s, h) = s^T W_a h
                   ``W_a`` = ``weight`` (query_size, key_size): a learned bilinear form, so
                   the two sizes may differ. Computed as (s^T W_a) h, projecting the queries
                   (cheap when decoding one step at a time).
        "concat"   score(s, h) = v_a^T tanh(W_a [s; h])
                   ``W_a`` = ``weight`` (hidden_size, query_size + key_size) applied to the
                   concatenation of s and h, and ``v_a`` = ``v`` (hidden_size,). This is the
                   additive score with W_a split as [W_s | W_h]; the concatenation is never
                   materialised for every (s, h) pair.

    None of them scale the scores (unlike ``scaled_dot_product_attention``): large states
    give sharper weights, as in the paper.

    Args:
        query_size: size of the decoder state (last dim of ``query``).
        key_size: size of the encoder outputs (last dim of ``keys``); defaults to query_size.
        score: ``"dot"``, ``"general"`` or ``"concat"``.
        hidden_size: width of the "concat" score's hidden layer; defaults to query_size
            (only valid with ``score="concat"``).

    Parameters start like ``nn.Linear``'s (``weight`` with fan_in = key_size for "general"
    and query_size + key_size for "concat"; ``v`` as a (1, hidden_size) weight). See
    :meth:`forward` for shapes and ``mask``.
    """

    def __init__(self, query_size, key_size=None, score="dot", hidden_size=None, device=None,
                 dtype=None):
        super().__init__()
        if score not in _LUONG_SCORES:
            raise ValueError(f"LuongAttention: score must be one of {_LUONG_SCORES}, got {score!r}")
        self.query_size = _positive_size("query_size", query_size)
        self.key_size = query_size if key_size is None else _positive_size("key_size", key_size)
        self.score = score
        if score == "dot" and self.key_size != self.query_size:
            raise ValueError(
                f"LuongAttention: score='dot' needs query_size == key_size, got {query_size} and "
                f"{key_size}; use score='general' or 'concat' to learn a map between the sizes"
            )
        if hidden_size is not None and score != "concat":
            raise ValueError(f"LuongAttention: hidden_size is only used by score='concat', not {score!r}")
        self.hidden_size = None
        if score == "general":
            self.weight = empty_parameter((self.query_size, self.key_size), device=device, dtype=dtype)
        elif score == "concat":
            self.hidden_size = (query_size if hidden_size is None
                                else _positive_size("hidden_size", hidden_size))
            self.weight = empty_parameter((self.hidden_size, self.query_size + self.key_size),
                                          device=device, dtype=dtype)
            self.v = empty_parameter((self.hidden_size,), device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw the parameters (if any) from ``nn.Linear``'s default distribution."""
        if self.score == "dot":
            return
        init.default_layer_init_(self.weight)
        if self.score == "concat":
            bound = 1 / math.sqrt(self.hidden_size)
            init.uniform_(self.v, -bound, bound)

    def _scores(self, query, keys):
        if self.score == "dot":
            return query @ keys.mT
        if self.score == "general":
            return (query @ self.weight) @ keys.mT
        query_weight = self.weight[:, :self.query_size]
        key_weight = self.weight[:, self.query_size:]
        return _additive_scores(F.linear(query, query_weight), F.linear(keys, key_weight), self.v)

    def extra_repr(self):
        text = f"query_size={self.query_size}, key_size={self.key_size}, score={self.score!r}"
        if self.hidden_size is not None:
            text += f", hidden_size={self.hidden_size}"
        return text
