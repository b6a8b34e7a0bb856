"""Random number generation: one seeded generator per device, reset by ``manual_seed``."""
import numpy

_state = {"seed": None, "generators": {}}


def manual_seed(seed):
    """Seed every device's generator so runs repeat exactly."""
    seed = int(seed)
    _state["seed"] = seed
    _state["generators"].clear()
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
