"""A recurrent forecaster: past values of a series -> the next value(s) (seed 004 #26-27 on RNNs
and LSTMs for time series).

Shapes: input (N, T) past values of one series, or (N, T, input_size) several series per step;
output (N, horizon) the next ``horizon`` values of the first series.
"""
from tinygrad_lite import nn

from models.sequence_classifier import CELLS


class Forecaster(nn.Module):
    """``cell`` ("rnn" | "gru" | "lstm") over the window -> last step's top-layer output -> Linear.

    The head reads the whole hidden state, so it predicts all ``horizon`` steps at once (no
    feeding its own predictions back in).
    """

    def __init__(self, hidden_size=64, cell="lstm", num_layers=1, horizon=1, input_size=1):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x):
        """The next ``horizon`` values (N, horizon) after each window (N, T) or (N, T, input_size)."""
        if x.ndim == 2:
            x = x.unsqueeze(-1)
        output, _ = self.rnn(x)
        return self.head(output[:, -1])
