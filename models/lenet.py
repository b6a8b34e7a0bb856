"""A LeNet-style CNN for 32x32 grey images with 3x3 kernels and 10 classes: seed 000, programming
exercise 4, with shapes that fit (the document's own example cannot run; see examples.seed_exercises).

Shapes: images (N, 32, 32) or (N, 1, 32, 32) -> logits (N, num_classes). Per layer, for side 32:
(N, 1, 32, 32) -conv3x3-> (N, 6, 30, 30) -pool-> (N, 6, 15, 15) -conv3x3-> (N, 16, 13, 13)
-pool-> (N, 16, 6, 6) -flatten-> (N, 576) -> (N, 120) -> (N, 84) -> (N, num_classes).
"""
from tinygrad_lite import nn


def _pooled_side(side):
    """The side left after the two unpadded 3x3 convolutions and two 2x2 max-poolings."""
    return ((side - 2) // 2 - 2) // 2


class LeNet32(nn.Module):
    """conv3x3(1->6) -> ReLU -> maxpool2 -> conv3x3(6->16) -> ReLU -> maxpool2 -> Flatten ->
    Linear(16*6*6 -> 120) -> ReLU -> Linear(120 -> 84) -> ReLU -> Dropout -> Linear(84 -> num_classes).

    LeNet-5's layout with the exercise's 3x3 kernels; ``side`` other than 32 works for any square
    image of side >= 10 (the flattened size follows it)."""

    def __init__(self, num_classes=10, side=32, dropout=0.0):
        super().__init__()
        if side < 10:
            raise ValueError(f"LeNet32 needs square images of side >= 10 (two conv3x3 + pool stages), got {side}")
        self.side = side
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * _pooled_side(side) ** 2, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(dropout), nn.Linear(84, num_classes),
        )

    def forward(self, x):
        """Logits (N, num_classes) for images (N, side, side) or (N, 1, side, side)."""
        return self.classifier(self.features(x.reshape(-1, 1, self.side, self.side)))

    def layer_shapes(self, x):
        """``[(layer, output shape), ...]`` for every layer in order, starting with ``("input", ...)``:
        the shape after each layer for the batch ``x``."""
        x = x.reshape(-1, 1, self.side, self.side)
        shapes = [("input", tuple(x.shape))]
        for layer in (*self.features, *self.classifier):
            x = layer(x)
            shapes.append((repr(layer), tuple(x.shape)))
        return shapes
