"""``DistributedSampler``: each rank's share of a dataset's indices for data-parallel training."""
import math
import numbers

import numpy


class DistributedSampler:
    """Yield the indices rank ``rank`` of ``num_replicas`` trains on this epoch.

    ``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False)``; ``num_replicas`` and ``rank`` default to the process group's. The index
    list (shuffled from ``(seed, epoch)``, identically on every rank) is padded by wrapping
    around to a multiple of ``num_replicas`` (or, with ``drop_last``, cut down to one), and rank
    r takes every ``num_replicas``-th index from position r; with ``shuffle=False`` that is
    exactly PyTorch's split. Call ``set_epoch(epoch)`` before each epoch for a new order. Pass it
    as ``DataLoader(dataset, batch_size, sampler=sampler)``.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            import tinygrad_lite.distributed as dist  # noqa: PLC0415 - only when defaults are asked for

            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, numbers.Integral) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, numbers.Integral) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        size = len(dataset)
        if drop_last and size % self.num_replicas:
            self.num_samples = math.ceil((size - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(size / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """Number the next epoch: with ``shuffle``, each epoch gets its own permutation."""
        self.epoch = int(epoch)

    def indices(self):
        """This rank's indices for the current epoch, as an int64 array of ``len(self)``."""
        size = len(self.dataset)
        if self.shuffle:
            order = numpy.random.default_rng([self.seed, self.epoch]).permutation(size)
        else:
            order = numpy.arange(size)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > size:  # pad by wrapping around, as often as needed
            order = numpy.resize(order, self.total_size)
        return order[self.rank:self.total_size:self.num_replicas].astype(numpy.int64)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self):
        return self.num_samples
