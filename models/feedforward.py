"""The small feed-forward binary classifier of seed 000, programming exercise 1 (3-4-1: ReLU hidden
layer, sigmoid output), with its sizes configurable.

Shapes: input (N, in_features); ``forward`` returns logits (N, out_features), ``probabilities``
the sigmoid of them (N, out_features), ``predict`` the 0/1 classes (N, out_features) int64.
"""
from tinygrad_lite import nn


class FeedForward(nn.Module):
    """Linear(in_features -> hidden) -> ReLU -> Linear(hidden -> out_features), sigmoid output.

    ``forward`` stops at the logits because training pairs them with
    ``F.binary_cross_entropy_with_logits``: sigmoid followed by a log overflows for large logits,
    the fused loss does not. Parameters keep PyTorch's names: ``hidden.weight`` (hidden,
    in_features), ``hidden.bias`` (hidden,), ``output.weight`` (out_features, hidden),
    ``output.bias`` (out_features,).
    """

    def __init__(self, in_features=3, hidden=4, out_features=1):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.activation = nn.ReLU()
        self.output = nn.Linear(hidden, out_features)

    def forward(self, x):
        """Logits (N, out_features) for inputs (N, in_features)."""
        return self.output(self.activation(self.hidden(x)))

    def probabilities(self, x):
        """The sigmoid output layer of the exercise: P(class 1), (N, out_features) in (0, 1)."""
        return self(x).sigmoid()

    def predict(self, x):
        """Class 1 where P(class 1) > 0.5, i.e. where the logit is positive; int64 (N, out_features)."""
        return (self(x) > 0).long()
