"""A small convolutional network: convolution + pooling for images (seed 004 #25 on CNNs).

Shapes: images (N, side, side), (N, 1, side, side) or flat (N, side*side), side a multiple of 4;
output logits (N, num_classes).
"""
from tinygrad_lite import nn


class CNN(nn.Module):
    """conv3x3(1->16) -> ReLU -> maxpool2 -> conv3x3(16->32) -> ReLU -> maxpool2 -> Dropout -> Linear."""

    def __init__(self, side=8, num_classes=10, dropout=0.1):
        super().__init__()
        if side < 4:
            raise ValueError(f"CNN needs images of side >= 4 (two 2x2 poolings), got side {side}")
        self.side = side
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(32 * (side // 4) ** 2, num_classes))

    def forward(self, x):
        """Logits (N, num_classes) for square grey images in any of the accepted layouts."""
        return self.classifier(self.features(x.reshape(-1, 1, self.side, self.side)))
