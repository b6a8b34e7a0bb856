"""The interface every communication backend (MPI, NCCL) implements, and ``Work``.

A backend moves raw, C-contiguous arrays in place; checking tensors, staging non-contiguous
memory and dividing for ``AVG`` happen once, above it, in ``collectives``.
"""


class Work:
    """A collective started with ``async_op=True``: ``wait()`` blocks until it is done.

    ``finish`` (optional) runs once, after the transfer, to copy results where they belong.
    """

    def __init__(self, wait=None, finish=None):
        self._wait, self._finish = wait, finish
        self._completed = wait is None and finish is None

    def wait(self, timeout=None):
        """Block until the collective has completed; returns True, as PyTorch's does."""
        if not self._completed:
            if self._wait is not None:
                self._wait()
            if self._finish is not None:
                self._finish()
            self._completed = True
        return True

    def is_completed(self):
        """True once ``wait()`` has run (or the collective was synchronous)."""
        return self._completed


class Backend:
    """One process's view of a group of ``world_size`` processes; this one is ``rank``.

    Every method takes C-contiguous arrays of the backend's kind (NumPy for MPI, CuPy for NCCL)
    and writes results into them.
    """

    name = "base"
    rank = 0
    world_size = 1

    def all_reduce(self, array, op):
        """Combine ``array`` over all ranks with ``op`` (SUM, PRODUCT, MIN or MAX); returns a Work."""
        raise NotImplementedError(f"{type(self).__name__}.all_reduce")

    def broadcast(self, array, src):
        """Overwrite ``array`` on every rank with rank ``src``'s."""
        raise NotImplementedError(f"{type(self).__name__}.broadcast")

    def all_gather(self, gathered, array):
        """Fill ``gathered`` (shape ``(world_size, *array.shape)``) with every rank's ``array``."""
        raise NotImplementedError(f"{type(self).__name__}.all_gather")

    def send(self, array, dst, tag):
        """Send ``array`` to rank ``dst`` (blocks until it can be reused)."""
        raise NotImplementedError(f"{type(self).__name__}.send")

    def recv(self, array, src, tag):
        """Receive into ``array`` from rank ``src`` (None: any); returns the sender's rank."""
        raise NotImplementedError(f"{type(self).__name__}.recv")

    def barrier(self):
        """Return only once every rank has called ``barrier``."""
        raise NotImplementedError(f"{type(self).__name__}.barrier")

    def close(self):
        """Release the communicator."""
