"""``GradientReducer``: averages gradients over ranks in buckets as backward makes them final.

Parameters are packed, in reverse registration order (roughly the order backward finishes
them), into buckets of at most ``bucket_cap_bytes`` of one device and dtype. Each parameter's
post-accumulate hook marks it ready; once a bucket is full its gradients are flattened into one
array and all-reduced asynchronously while the rest of backward runs. Buckets start strictly in
order, so every rank issues the same collectives in the same sequence.
"""
import tinygrad_lite.distributed as dist
from tinygrad_lite.backend import on_device
from tinygrad_lite.tensor import Tensor


class GradientReducer:
    """All-reduce (mean) the ``.grad`` of ``named_parameters`` once per armed backward."""

    def __init__(self, named_parameters, bucket_cap_bytes):
        trainable = [(name, p) for name, p in named_parameters if p.requires_grad]
        self.names = {id(p): name for name, p in trainable}
        self.buckets = _assign_buckets([p for _, p in reversed(trainable)], bucket_cap_bytes)
        self.bucket_of = {id(p): index for index, bucket in enumerate(self.buckets) for p in bucket}
        self.handles = [p.register_post_accumulate_grad_hook(self._on_gradient) for _, p in trainable]
        self.armed = False
        self._reset()

    def _reset(self):
        self.ready = [set() for _ in self.buckets]
        self.next_bucket = 0
        self.in_flight = []  # (bucket index, flat gradient tensor, Work)

    def prepare_for_backward(self):
        """Arm the hooks: the next backward's gradients are averaged over ranks."""
        missing = self.unfinished_parameters()
        if missing:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new "
                "one: these parameters got no gradient in the last backward, so their buckets were "
                f"never reduced: {', '.join(missing)}. Every trainable parameter must take part "
                "in the loss (freeze the others with requires_grad_(False))")
        self._reset()
        self.armed = True

    def unfinished_parameters(self):
        """Names of the parameters still awaited by a reduction that has started (else empty)."""
        if not self.armed or not any(self.ready):
            return []
        return [name for key, name in self.names.items() if key not in self.ready[self.bucket_of[key]]]

    def _on_gradient(self, parameter):
        if not self.armed:
            return
        index = self.bucket_of[id(parameter)]
        if id(parameter) in self.ready[index]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once: parameter "
                f"{self.names[id(parameter)]} got a second gradient in the same synchronised "
                "backward; accumulate under no_sync() or run forward again before backward")
        self.ready[index].add(id(parameter))
        while (self.next_bucket < len(self.buckets)
               and len(self.ready[self.next_bucket]) == len(self.buckets[self.next_bucket])):
            self._launch(self.next_bucket)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finish()

    def _launch(self, index):
        bucket = self.buckets[index]
        device = bucket[0].device
        with on_device(device):
            flat = device.xp.concatenate([p.grad.data.reshape(-1) for p in bucket])
        flat = Tensor._make(flat, device, False, None)
        work = dist.all_reduce(flat, op=dist.ReduceOp.AVG, async_op=True)
        self.in_flight.append((index, flat, work))

    def _finish(self):
        """Wait for every bucket and hand each parameter its slice of the averaged gradient."""
        for index, flat, work in self.in_flight:
            work.wait()
            offset = 0
            for parameter in self.buckets[index]:
                size = parameter.numel()
                view = flat.data[offset:offset + size].reshape(parameter.data.shape)
                parameter.grad = Tensor._make(view, flat.device, False, None)
                offset += size
        self.armed = False
        self._reset()

    def remove_hooks(self):
        """Unregister every hook (the wrapped module trains alone again)."""
        for handle in self.handles:
            handle.remove()


def _assign_buckets(parameters, cap_bytes):
    """Consecutive parameters of one device and dtype, at most ``cap_bytes`` per bucket (one
    parameter larger than the cap gets a bucket of its own)."""
    buckets, current, size = [], [], 0
    for parameter in parameters:
        nbytes = parameter.data.nbytes
        same_kind = not current or (current[0].device == parameter.device
                                    and current[0].dtype == parameter.dtype)
        if current and (not same_kind or size + nbytes > cap_bytes):
            buckets.append(current)
            current, size = [], 0
        current.append(parameter)
        size += nbytes
    if current:
        buckets.append(current)
    return buckets
