"""A multi-layer perceptron: the feed-forward network of seed 000 (programming exercise 1) and the
classic question of how a network learns (seed 000 #4: forward pass, loss, backward pass, update).

Shapes: input (N, ...) is flattened to (N, in_features); output logits (N, num_classes).
"""
from tinygrad_lite import nn


class MLP(nn.Module):
    """Flatten -> [Linear -> ReLU -> Dropout] per hidden size -> Linear (logits)."""

    def __init__(self, in_features, hidden_sizes=(128, 128), num_classes=10, dropout=0.0):
        super().__init__()
        layers, width = [nn.Flatten()], in_features
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        """Logits (N, num_classes) for inputs (N, ...) with ``in_features`` values per sample."""
        return self.net(x)
