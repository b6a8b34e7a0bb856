"""The default process group: which backend this process talks through, its rank and world size."""

_BACKENDS = ("mpi", "nccl")
_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
_state = {"backend": None}


def init_process_group(backend="mpi", **unused_rendezvous):
    """Join the processes started by the launcher (``mpirun -n N``) as the default group.

    ``backend`` is ``"mpi"`` (CPU tensors, through mpi4py) or ``"nccl"`` (CUDA tensors, through
    CuPy; one GPU per process). Rank and world size come from the launcher, so PyTorch's
    rendezvous arguments (``init_method``, ``rank``, ``world_size``...) are accepted and ignored.
    """
    if _state["backend"] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = str(backend).lower()
    if name == "mpi":
        from tinygrad_lite.distributed.mpi_backend import MPIBackend  # noqa: PLC0415

        _state["backend"] = MPIBackend()
    elif name == "nccl":
        from tinygrad_lite.distributed.nccl_backend import create_nccl_backend  # noqa: PLC0415

        _state["backend"] = create_nccl_backend()
    else:
        raise ValueError(f"unknown backend {backend!r}: expected one of {', '.join(_BACKENDS)}")


def set_backend(backend):
    """Install an already built backend as the default group (used by tests with fakes)."""
    if _state["backend"] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    _state["backend"] = backend


def is_initialized():
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _state["backend"] is not None


def default_backend():
    """The default group's backend, or the ValueError PyTorch raises before initialisation."""
    backend = _state["backend"]
    if backend is None:
        raise ValueError(_NOT_INITIALIZED)
    return backend


def get_backend():
    """The default group's backend name: ``"mpi"`` or ``"nccl"``."""
    return default_backend().name


def get_rank():
    """This process's rank in the default group (0 .. world size - 1)."""
    return default_backend().rank


def get_world_size():
    """How many processes the default group holds."""
    return default_backend().world_size


def destroy_process_group():
    """Leave the default group and release its communicator."""
    default_backend().close()
    _state["backend"] = None
