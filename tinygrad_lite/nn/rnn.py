"""Multi-layer recurrent layers: ``RNN`` (tanh/relu), ``LSTM``, ``GRU``, as in PyTorch.

Per layer and direction: one matmul projects the whole sequence (``F.linear`` over every packed
row), then one fused recurrence node (``nn.functional.recurrent``) runs the time loop, with one
``h @ weight_hh.T`` matmul per step. Inputs may be padded (T, B, *) / (B, T, *) batches,
unbatched (T, *) sequences or ``PackedSequence`` objects (then the output is packed too and each
sequence's final state is taken at its own last step).
"""
import math
import numbers
import warnings

from tinygrad_lite import creation
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.recurrent import RECURRENT_MODES, final_states, recurrence
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.parameter import empty_parameter
from tinygrad_lite.nn.utils.rnn import PackedSequence
from tinygrad_lite.ops.join import cat, stack

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` picks the cell).

    Parameters per layer k and direction (suffix ``_reverse`` for the backward one):
    ``weight_ih_l{k}`` (G*hidden_size, in_k), ``weight_hh_l{k}`` (G*hidden_size, hidden_size),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*hidden_size,), where in_0 = input_size and
    in_k = num_directions*hidden_size above, G = 4 (LSTM i,f,g,o), 3 (GRU r,z,n), 1 (RNN).
    All start as U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for label, value in (("input_size", input_size), ("hidden_size", hidden_size),
                             ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name}: {label} should be of type int, got "
                                f"{type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name}: {label} must be greater than zero, got {value}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) \
                or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size={proj_size} is not supported "
                                      "(only proj_size=0)")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}"
            )
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, 0
        gates = RECURRENT_MODES[mode][0] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, hidden_size)}
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    shape = shapes.get(kind, (gates,))
                    wanted = kind.startswith("weight") or bias
                    self.register_parameter(kind + suffix,
                                            empty_parameter(shape, wanted, device, dtype))
                    if wanted:
                        self._flat_weights_names.append(kind + suffix)
        self.reset_parameters()

    @property
    def num_directions(self):
        """2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self):
        """Per layer and direction, the list [weight_ih, weight_hh, (bias_ih, bias_hh)]."""
        per_block = 4 if self.bias else 2
        weights = [getattr(self, name) for name in self._flat_weights_names]
        return [weights[i:i + per_block] for i in range(0, len(weights), per_block)]

    def reset_parameters(self):
        """Re-draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def flatten_parameters(self):
        """No-op, kept for code written for cuDNN (parameters are never flattened here)."""

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text

    # ----- forward -----------------------------------------------------------------------------
    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return [getattr(self, kind + suffix) for kind in ("weight_ih", "weight_hh", "bias_ih",
                                                         "bias_hh")]

    def _flatten_input(self, input):
        """Packed rows (N, input_size), rows per step, and the pieces needed to undo it."""
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            sizes = [int(size) for size in input.batch_sizes.tolist()]
            return input.data, sizes, None
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor "
                             f"instead (shape {list(input.shape)})")
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        steps, batch = input.shape[0], input.shape[1]
        if steps == 0:
            raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN "
                               f"(input shape {list(input.shape)})")
        data = input.reshape(steps * batch, input.shape[2])
        return data, [batch] * steps, (steps, batch, unbatched)

    def _initial_states(self, hx, data, batch, unbatched, sorted_indices):
        """One (B, S*H) initial state per layer and direction, in packed (sorted) batch order."""
        name = type(self).__name__
        count = self.num_layers * self.num_directions
        blocks = RECURRENT_MODES[self.mode][1]
        if hx is None:
            zeros = creation.zeros((batch, blocks * self.hidden_size), dtype=data.dtype,
                                   device=data.device)
            return [zeros] * count
        if blocks == 2:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
            parts = list(hx)
        else:
            parts = [hx]
        expected = (count, batch, self.hidden_size)
        for position, part in enumerate(parts):
            wanted_dims = 2 if unbatched else 3
            if part.ndim != wanted_dims:
                raise RuntimeError(
                    f"{name}: For {'unbatched 2-D' if unbatched else 'batched 3-D'} input, hx "
                    f"should also be {wanted_dims}-D but got {part.ndim}-D tensor"
                )
            if unbatched:
                part = part.unsqueeze(1)
            if tuple(part.shape) != expected:
                label = "hidden" if blocks == 1 else f"hidden[{position}]"
                raise RuntimeError(f"{name}: Expected {label} size {expected}, got "
                                   f"{list(part.shape)}")
            if part.dtype != data.dtype or part.device != data.device:
                raise RuntimeError(f"{name}: hidden state is {part.dtype} on {part.device} but the "
                                   f"input is {data.dtype} on {data.device}")
            if sorted_indices is not None:
                part = part.index_select(1, sorted_indices)
            parts[position] = part
        states = parts[0] if blocks == 1 else cat(parts, 2)
        return [states[k] for k in range(count)]

    def _run(self, input, hx):
        """Shared forward: (output, final states (L*D, B, S*H)) in PyTorch's layout."""
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        data, sizes, layout = self._flatten_input(input)
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]}")
        if data.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(f"{name}: input must have the type {self.weight_ih_l0.dtype}, got "
                               f"type {data.dtype}")
        sorted_indices = input.sorted_indices if packed else None
        unbatched = layout is not None and layout[2]
        states = self._initial_states(hx, data, sizes[0], unbatched, sorted_indices)
        size, blocks = self.hidden_size, RECURRENT_MODES[self.mode][1]
        layer_input, finals = data, []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                weight_ih, weight_hh, bias_ih, bias_hh = self._layer_weights(layer, direction)
                projection = F.linear(layer_input, weight_ih, bias_ih)
                reverse = direction == 1
                steps = recurrence(projection, weight_hh, bias_hh,
                                   states[layer * self.num_directions + direction], self.mode,
                                   sizes, reverse=reverse)
                finals.append(final_states(steps, sizes, reverse))
                outputs.append(steps[:, :size] if blocks > 1 else steps)
            layer_input = outputs[0] if len(outputs) == 1 else cat(outputs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        final = stack(finals, 0)
        if packed:
            if input.unsorted_indices is not None:
                final = final.index_select(1, input.unsorted_indices)
            output = PackedSequence(layer_input, input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
            return output, final
        steps, batch, unbatched = layout
        output = layer_input.reshape(steps, batch, layer_input.shape[-1])
        if unbatched:
            output, final = output.squeeze(1), final.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, final


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)``, act tanh or relu.

    forward(input, hx=None): input (T, B, input_size) ((B, T, input_size) with batch_first,
    (T, input_size) unbatched, or a PackedSequence); hx (num_layers*num_directions, B,
    hidden_size), zeros when omitted. Returns (output (T, B, num_directions*hidden_size),
    h_n (num_layers*num_directions, B, hidden_size)).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        """Run every layer over the sequence; see the class docstring for shapes."""
        return self._run(input, hx)


class LSTM(RNNBase):
    """Long short-term memory with PyTorch's gates (i, f, g, o) and parameter layout.

    forward(input, hx=None): input as for ``RNN``; hx = (h_0, c_0), each
    (num_layers*num_directions, B, hidden_size), zeros when omitted. Returns
    (output (T, B, num_directions*hidden_size), (h_n, c_n)).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):
        """Run every layer over the sequence; see the class docstring for shapes."""
        output, final = self._run(input, hx)
        size = self.hidden_size
        return output, (final[..., :size], final[..., size:])


class GRU(RNNBase):
    """Gated recurrent unit with PyTorch's gates (r, z, n) and parameter layout.

    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.
    forward(input, hx=None) takes and returns the shapes of ``RNN``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        """Run every layer over the sequence; see the class docstring for shapes."""
        return self._run(input, hx)
