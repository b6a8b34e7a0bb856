"""A recurrent classifier over a sequence: RNN, GRU, LSTM or bidirectional (seed 004 #26-28).

The three questions show ``nn.LSTM`` wrappers (#26's "RNN" is in fact an LSTM) that return raw
states and never classify anything; here the final hidden state of the last layer (both directions
when bidirectional: the forward one after the last step, the backward one after the first) feeds
a linear classifier.

Shapes: input (N, T, input_size), batch first, e.g. an (N, 8, 8) image read as 8 rows of 8 pixels;
output logits (N, num_classes).
"""
from tinygrad_lite import nn

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class SequenceClassifier(nn.Module):
    """``cell`` ("rnn" | "gru" | "lstm") over the sequence -> final hidden state(s) -> Linear.

    ``num_layers`` stacks cells (``dropout`` between them); ``bidirectional`` concatenates the
    last layer's forward and backward final states, (N, 2 * hidden_size), before the Linear.
    """

    def __init__(self, input_size, hidden_size, num_classes, cell="lstm", num_layers=1,
                 bidirectional=False, dropout=0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0,
                               bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * self.rnn.num_directions, num_classes)

    def features(self, x):
        """The last layer's final hidden state(s), (N, num_directions * hidden_size)."""
        _, states = self.rnn(x)
        h_n = states[0] if self.cell == "lstm" else states  # LSTM returns (h_n, c_n)
        # h_n is (num_layers * directions, N, H), last layer last: its directions are the tail.
        last_layer = h_n[-self.rnn.num_directions:]
        return last_layer.permute(1, 0, 2).reshape(x.shape[0], -1)

    def forward(self, x):
        """Logits (N, num_classes) for sequences (N, T, input_size)."""
        return self.head(self.features(x))
