"""Random number generation: one seeded generator per device, reset by ``manual_seed``."""
import numpy

_state = {"seed": None, "generators": {}}


def manual_seed(seed):
    """Seed every device's generator so runs repeat exactly."""
    seed = int(seed)
    _state["seed"] = seed
    _state["generators"].clear()
    _state.pop("cuda_captures", None)
    return seed


def initial_seed():
    """The seed last given to ``manual_seed`` (None if never seeded)."""
    return _state["seed"]


def generator(device):
    """The ``Generator`` (NumPy or CuPy) that draws random numbers for ``device``."""
    generators = _state["generators"]
    found = generators.get(device)
    if found is None:
        seed = _state["seed"]
        if device.type == "cpu":
            found = numpy.random.default_rng(seed)
        else:
            with device.xp.cuda.Device(device.index):
                found = device.xp.random.default_rng(seed)
        generators[device] = found
    return found


def get_rng_state():
    """The CPU generator's state as a uint8 tensor (PyTorch's ``torch.get_rng_state``): save it
    in a checkpoint and give it to :func:`set_rng_state` to continue the same random stream."""
    from tinygrad_lite.backend import device as Device  # noqa: PLC0415 - random sits below backend's users
    from tinygrad_lite.tensor import Tensor  # noqa: PLC0415

    state = {"seed": _state["seed"], "bit_generator": generator(Device("cpu")).bit_generator.state}
    return Tensor(_encode(state), dtype="uint8")


def set_rng_state(new_state):
    """Restore the CPU generator from a state returned by :func:`get_rng_state`."""
    from tinygrad_lite.backend import device as Device  # noqa: PLC0415

    state = _decode(new_state, "set_rng_state")
    rng = numpy.random.default_rng()
    try:
        rng.bit_generator.state = state["bit_generator"]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"set_rng_state: not a state from tl.get_rng_state() ({error})") from None
    _state["seed"] = state.get("seed")
    _state["generators"][Device("cpu")] = rng


def get_cuda_rng_state(device="cuda"):
    """A CUDA device's generator state as a uint8 tensor (``tl.cuda.get_rng_state``).

    CuPy's generators cannot export their state, so capturing one reseeds the device's generator
    from a fresh seed drawn deterministically and returns that seed: the stream after the capture
    is a pure function of the state, which is what resuming needs."""
    from tinygrad_lite.backend import device as Device  # noqa: PLC0415
    from tinygrad_lite.tensor import Tensor  # noqa: PLC0415

    target = Device(device)
    captures = _state.setdefault("cuda_captures", {})
    captures[target] = captures.get(target, 0) + 1
    derived = [0 if _state["seed"] is None else _state["seed"], target.index, captures[target]]
    _reseed_cuda(target, derived)
    return Tensor(_encode({"seed": _state["seed"], "cuda_seed": derived}), dtype="uint8")


def set_cuda_rng_state(new_state, device="cuda"):
    """Restore a CUDA device's generator from a state returned by :func:`get_cuda_rng_state`."""
    from tinygrad_lite.backend import device as Device  # noqa: PLC0415

    state = _decode(new_state, "tl.cuda.set_rng_state")
    if "cuda_seed" not in state:
        raise ValueError("tl.cuda.set_rng_state: not a state from tl.cuda.get_rng_state()")
    target = Device(device)
    _state.setdefault("cuda_captures", {})[target] = state["cuda_seed"][-1]
    _reseed_cuda(target, state["cuda_seed"])


def _reseed_cuda(target, seed):
    with target.xp.cuda.Device(target.index):
        _state["generators"][target] = target.xp.random.default_rng(numpy.random.SeedSequence(seed))


def _encode(state):
    import json  # noqa: PLC0415

    return numpy.frombuffer(json.dumps(state).encode("utf-8"), dtype=numpy.uint8).copy()


def _decode(new_state, name):
    import json  # noqa: PLC0415

    data = getattr(new_state, "data", new_state)
    array = numpy.asarray(data.get() if hasattr(data, "get") else data)
    if array.dtype != numpy.uint8 or array.ndim != 1:
        raise TypeError(f"{name}: expected the uint8 tensor returned by get_rng_state(), got "
                        f"{getattr(new_state, 'dtype', type(new_state).__name__)} of shape {list(array.shape)}")
    try:
        return json.loads(array.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"{name}: not a state from get_rng_state()") from None
