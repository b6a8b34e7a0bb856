"""``DistributedDataParallel``: one model replica per process, gradients averaged over ranks."""
import contextlib

import tinygrad_lite.distributed as dist
from tinygrad_lite.autograd.grad_mode import is_grad_enabled, no_grad
from tinygrad_lite.creation import tensor as make_tensor
from tinygrad_lite.nn.module import Module
from tinygrad_lite.nn.parallel.gradient_reducer import GradientReducer


class DistributedDataParallel(Module):
    """Wrap ``module`` so each process trains on its own shard and all keep identical weights.

    ``DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, process_group=None, bucket_cap_mb=25)`` needs
    ``dist.init_process_group`` first. At construction every rank takes rank 0's parameters and
    buffers. After ``loss.backward()`` each trainable parameter's ``.grad`` is the mean of the
    ranks' gradients, all-reduced in buckets of ``bucket_cap_mb`` MiB while backward still runs;
    inside ``no_sync()`` gradients only accumulate locally (the next synchronised backward
    averages the accumulated sums). With ``broadcast_buffers`` rank 0's buffers (BatchNorm
    statistics) are copied to every rank at each forward. ``.module`` is the wrapped model;
    ``state_dict()`` keys carry the ``module.`` prefix, as PyTorch's do.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False):
        super().__init__()
        if process_group is not None:
            raise NotImplementedError("DistributedDataParallel: only the default process group "
                                      "is supported; pass process_group=None")
        if find_unused_parameters:
            raise NotImplementedError(
                "DistributedDataParallel: find_unused_parameters=True is not supported; every "
                "trainable parameter must take part in the loss (freeze others with "
                "requires_grad_(False))")
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: only dim=0 is supported, got dim={dim}")
        bucket_cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        if bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.device_ids, self.output_device = device_ids, output_device
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size()
        _check_same_model_everywhere(module)
        with no_grad():
            for tensor in (*module.parameters(), *module.buffers()):
                dist.broadcast(tensor, 0)
        self.reducer = GradientReducer(module.named_parameters(), int(bucket_cap_mb * 2 ** 20))

    def forward(self, *args, **kwargs):
        """Run the wrapped module; arm the gradient all-reduce unless in ``no_sync()``."""
        if self.broadcast_buffers and self.world_size > 1:
            with no_grad():
                for buffer in self.module.buffers():
                    dist.broadcast(buffer, 0)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.reducer.prepare_for_backward()
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backwards of forwards run inside this context accumulate ``.grad`` without communicating."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _check_same_model_everywhere(module):
    """Fail on every rank at once, not with a hang, when the replicas' parameters differ."""
    parameters = list(module.parameters())
    counts = [float(len(parameters)), float(sum(p.numel() for p in parameters))]
    lowest, highest = make_tensor(counts), make_tensor(counts)
    dist.all_reduce(lowest, op=dist.ReduceOp.MIN)
    dist.all_reduce(highest, op=dist.ReduceOp.MAX)
    if lowest.tolist() != highest.tolist():
        raise RuntimeError(
            f"DistributedDataParallel: the ranks' models differ (this rank has {len(parameters)} "
            f"parameters with {int(counts[1])} elements; across ranks the counts range over "
            f"{[int(v) for v in lowest.tolist()]} .. {[int(v) for v in highest.tolist()]})")
