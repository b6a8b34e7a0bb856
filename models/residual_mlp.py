"""Residual blocks with LayerNorm, and a deep MLP built from them (seed 004 #1-3: what a residual
connection is, what layer normalisation does, how to use the two together).

``ResidualMLP(residual=True)`` stacks pre-norm blocks ``x + act(Linear(LayerNorm(x)))``;
``residual=False`` is the same depth of plain ``act(Linear(x))`` layers, so the two differ only in
the skip connection and the normalisation. Shapes: input (N, ...) is flattened to (N, in_features);
output logits (N, num_classes).

Where the document's code goes wrong: #1 stacks two Linear layers with nothing between them (they
collapse into one linear map) and applies ReLU after the addition, so the skip path is no identity
(negative values are cut at every block); its ``fc2`` takes ``in_channels`` but receives
``out_channels``. #2 divides by the unbiased standard deviation plus eps; ``nn.LayerNorm`` (ours and
PyTorch's) divides by ``sqrt(biased variance + eps)``, and it normalises over the features of each
sample, not "each feature" (that would be batch norm). #3 puts the norm after each Linear and ReLU
after the sum (post-norm); pre-norm, used here, leaves the identity path untouched from input to
output, which is what keeps the gradient alive through depth.
"""
from tinygrad_lite import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


class ResidualBlock(nn.Module):
    """Pre-norm residual block ``x + act(Linear(LayerNorm(x)))`` on (N, width) -> (N, width);
    ``residual=False`` drops the norm and the skip: the plain layer ``act(Linear(x))``."""

    def __init__(self, width, activation="tanh", residual=True):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.residual = residual
        self.norm = nn.LayerNorm(width) if residual else nn.Identity()
        self.linear = nn.Linear(width, width)
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x):
        """(N, width) -> (N, width)."""
        branch = self.activation(self.linear(self.norm(x)))
        return x + branch if self.residual else branch


class ResidualMLP(nn.Module):
    """Flatten -> Linear(in_features, width) -> ``depth`` blocks -> [LayerNorm] -> Linear (logits).

    With ``residual=True`` the blocks are pre-norm residual blocks and a final LayerNorm scales the
    residual stream for the classifier (as in pre-norm Transformers); with ``residual=False`` it is a
    plain ``depth``-layer perceptron of the same widths and activation."""

    def __init__(self, in_features, width=128, depth=32, num_classes=10, residual=True, activation="tanh"):
        super().__init__()
        self.stem = nn.Sequential(nn.Flatten(), nn.Linear(in_features, width))
        self.blocks = nn.Sequential(*[ResidualBlock(width, activation, residual) for _ in range(depth)])
        self.norm = nn.LayerNorm(width) if residual else nn.Identity()
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        """Logits (N, num_classes) for inputs (N, ...) with ``in_features`` values per sample."""
        return self.head(self.norm(self.blocks(self.stem(x))))
