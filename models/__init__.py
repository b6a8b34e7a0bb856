"""The architectures of the source documents, one per file, built only on the public tinygrad_lite API."""
from models.mlp import MLP
from models.cnn import CNN

__all__ = ["MLP", "CNN"]
