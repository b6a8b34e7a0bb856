"""``Dropout``: zero elements with probability p while training, scaling the rest by 1/(1-p)."""
from tinygrad_lite.nn import functional as F
from tinygrad_lite.nn.module import Module


class Dropout(Module):
    """Inverted dropout; the identity in eval mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        """Drop elements of ``input`` (training only)."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
