"""A generative adversarial network (seed 004 #10): a generator that turns noise into images and a
discriminator that tells real images from generated ones, trained against each other.

The document's version maps noise straight to a log-softmax over a vocabulary and its
discriminator is a single linear layer; here both are small MLPs for images, with the usual
stabilisers of DCGAN-style training: BatchNorm and LeakyReLU in the generator, LeakyReLU and
dropout in the discriminator, tanh images in [-1, 1].

Shapes: ``Generator``: noise (N, latent_dim) -> images (N, 1, side, side) in [-1, 1].
``Discriminator``: images (N, 1, side, side), (N, side, side) or (N, side*side) -> logits (N,)
(positive means "real").
"""
from tinygrad_lite import nn


class Generator(nn.Module):
    """[Linear -> BatchNorm1d -> LeakyReLU(0.2)] per hidden size -> Linear -> Tanh, as an image."""

    def __init__(self, latent_dim=32, side=8, hidden_sizes=(128, 256)):
        super().__init__()
        self.latent_dim, self.side = latent_dim, side
        layers, width = [], latent_dim
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2)]
            width = hidden
        layers += [nn.Linear(width, side * side), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, noise):
        """Images (N, 1, side, side) in [-1, 1] for noise (N, latent_dim)."""
        return self.net(noise).reshape(-1, 1, self.side, self.side)


class Discriminator(nn.Module):
    """Flatten -> [Linear -> LeakyReLU(0.2) -> Dropout] per hidden size -> Linear (one logit)."""

    def __init__(self, side=8, hidden_sizes=(256, 128), dropout=0.3):
        super().__init__()
        layers, width = [nn.Flatten()], side * side
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, images):
        """Logits (N,) that the images are real, for images with side*side pixels each."""
        return self.net(images).reshape(-1)
