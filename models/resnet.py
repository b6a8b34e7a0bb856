"""A small residual CNN with BatchNorm for the 8x8 digits (seed 004 #25 on CNNs, #1 on residual connections).

Shapes: images (N, side, side), (N, in_channels, side, side) or flat (N, in_channels*side*side);
output logits (N, num_classes). A :class:`BasicBlock` maps (N, in_channels, H, W) to
(N, out_channels, ceil(H / stride), ceil(W / stride)).

Seed 004 #1's residual block adds the input to two stacked Linear layers with no non-linearity
between them (so the "block" is one linear map) and breaks as soon as the widths differ; here the
skip is the identity when the shape is unchanged and a 1x1 convolution + BatchNorm projection
when the block changes the width or the resolution, as in He et al. (2016).
"""
from tinygrad_lite import nn


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the skip (identity or 1x1 conv + BN), then ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        """(N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride))."""
        residual = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(residual + self.shortcut(x))


class ResNet(nn.Module):
    """Stem (conv3x3 -> BN -> ReLU), one stage of ``blocks_per_stage`` :class:`BasicBlock` per entry
    of ``widths`` (every stage after the first halves the resolution), global average pooling, Linear.

    The defaults (widths 16, 32; one block each; 19.7k parameters) take 8x8 digits to 4x4 maps
    of 32 channels."""

    def __init__(self, side=8, num_classes=10, widths=(16, 32), blocks_per_stage=1, in_channels=1):
        super().__init__()
        if not widths or blocks_per_stage < 1:
            raise ValueError(f"ResNet needs at least one stage and one block per stage, "
                             f"got widths {widths!r} and blocks_per_stage {blocks_per_stage}")
        self.side, self.in_channels = side, in_channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, channels = [], widths[0]
        for stage, width in enumerate(widths):
            for index in range(blocks_per_stage):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(BasicBlock(channels, width, stride))
                channels = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x):
        """Logits (N, num_classes) for images in any of the accepted layouts."""
        x = x.reshape(-1, self.in_channels, self.side, self.side)
        return self.head(self.blocks(self.stem(x)))
