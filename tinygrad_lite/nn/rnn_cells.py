"""Single-step recurrent cells: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (PyTorch's parameters).

A cell is one time step of the matching layer: ``F.linear`` for the input projection, then the
fused recurrence node of ``nn.functional.recurrent`` run for a single step, so the gate math is
one graph node here too.
"""
import math

from tinygrad_lite import creation
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.recurrent import RECURRENT_MODES, recurrence
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.parameter import empty_parameter
from tinygrad_lite.ops.join import cat

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """Parameters and input checks shared by the cells.

    weight_ih (G*hidden_size, input_size), weight_hh (G*hidden_size, hidden_size), bias_ih and
    bias_hh (G*hidden_size,), with G gate blocks (LSTM 4: i, f, g, o; GRU 3: r, z, n; RNN 1),
    all initialised U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) like PyTorch.
    """

    def __init__(self, input_size, hidden_size, bias, mode, device=None, dtype=None):
        super().__init__()
        self.mode = mode  # "RNN_TANH", "RNN_RELU", "LSTM" or "GRU"
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got {value!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = RECURRENT_MODES[self.mode][0] * hidden_size
        self.weight_ih = empty_parameter((gates, input_size), device=device, dtype=dtype)
        self.weight_hh = empty_parameter((gates, hidden_size), device=device, dtype=dtype)
        self.register_parameter("bias_ih", empty_parameter((gates,), bias, device, dtype))
        self.register_parameter("bias_hh", empty_parameter((gates,), bias, device, dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _check(self, input, states):
        """Validate shapes/dtypes; returns (2-D input, 2-D states or None, was unbatched)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D input instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size} (input shape {list(input.shape)})")
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: input has dtype {input.dtype} but the parameters are "
                               f"{self.weight_ih.dtype}")
        unbatched = input.ndim == 1
        if unbatched:
            input = input.unsqueeze(0)
        if states is None:
            return input, None, unbatched
        checked = []
        for state in states:
            if state.ndim != (1 if unbatched else 2):
                raise ValueError(
                    f"{name}: Expected hidden to be {1 if unbatched else 2}D for a "
                    f"{1 if unbatched else 2}D input, got {state.ndim}D (shape {list(state.shape)})"
                )
            if unbatched:
                state = state.unsqueeze(0)
            if tuple(state.shape) != (input.shape[0], self.hidden_size):
                raise RuntimeError(
                    f"{name}: expected hidden state of shape {[input.shape[0], self.hidden_size]} "
                    f"for input of shape {list(input.shape)}, got {list(state.shape)}"
                )
            if state.dtype != input.dtype:
                raise RuntimeError(f"{name}: hidden state has dtype {state.dtype} but input has "
                                   f"{input.dtype}")
            checked.append(state)
        return input, checked, unbatched

    def _step(self, input, state):
        """One step of the fused recurrence: (B, in), (B, S*H) -> (B, S*H)."""
        projection = F.linear(input, self.weight_ih, self.bias_ih)
        return recurrence(projection, self.weight_hh, self.bias_hh, state, self.mode,
                          (input.shape[0],))

    def _zeros(self, input, blocks):
        return creation.zeros((input.shape[0], blocks * self.hidden_size), dtype=input.dtype,
                              device=input.device)


class RNNCell(RNNCellBase):
    """Elman cell: ``h' = act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)``, act tanh or relu.

    forward(input (B, input_size) or (input_size,), hx (B, hidden_size), optional zeros)
    -> h' (B, hidden_size) (unbatched input gives (hidden_size,)).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity!r}; expected 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias,
                         "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        """One step; see the class docstring for shapes."""
        input, states, unbatched = self._check(input, None if hx is None else (hx,))
        state = self._zeros(input, 1) if states is None else states[0]
        output = self._step(input, state)
        return output.squeeze(0) if unbatched else output


class LSTMCell(RNNCellBase):
    """LSTM cell with gates i, f, g, o (PyTorch's order and formulas).

    forward(input (B, input_size) or (input_size,), hx=(h, c) each (B, hidden_size), optional
    zeros) -> (h', c') each (B, hidden_size) ((hidden_size,) for an unbatched input).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, "LSTM", device, dtype)

    def forward(self, input, hx=None):
        """One step; see the class docstring for shapes."""
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0)")
        input, states, unbatched = self._check(input, hx)
        state = self._zeros(input, 2) if states is None else cat(states, 1)
        output = self._step(input, state)
        size = self.hidden_size
        h, c = output[:, :size], output[:, size:]
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """GRU cell with gates r, z, n; ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

    forward(input (B, input_size) or (input_size,), hx (B, hidden_size), optional zeros)
    -> h' (B, hidden_size) (unbatched input gives (hidden_size,)).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, "GRU", device, dtype)

    def forward(self, input, hx=None):
        """One step; see the class docstring for shapes."""
        input, states, unbatched = self._check(input, None if hx is None else (hx,))
        state = self._zeros(input, 1) if states is None else states[0]
        output = self._step(input, state)
        return output.squeeze(0) if unbatched else output
