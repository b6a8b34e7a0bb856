"""Datasets and data loading: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``.

    from tinygrad_lite.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    for x_batch, y_batch in loader:
        ...
"""
from tinygrad_lite.data.dataloader import DataLoader, default_collate, default_convert
from tinygrad_lite.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from tinygrad_lite.data.distributed_sampler import DistributedSampler

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "Subset",
           "TensorDataset", "default_collate", "default_convert", "random_split"]
