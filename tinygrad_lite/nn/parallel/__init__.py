"""``tinygrad_lite.nn.parallel``: data parallelism over a ``tinygrad_lite.distributed`` group."""
from tinygrad_lite.nn.parallel.distributed_data_parallel import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
