"""The op registry's records (``OpInfo``, ``Sample``, ``View``) and how a sample becomes a call.

PyTorch's OpInfo idea: an entry names an op, gives our callable and PyTorch's, a generator of
sample inputs per dtype, the dtypes the op supports and which inputs get gradients. The
registry itself is ``ops/op_registry.py``; ``ops/test_op_registry.py`` drives every entry.

A sample's arguments may hold NumPy arrays anywhere (also inside lists and tuples, and in
kwargs): each becomes one input tensor (a "leaf"); a :class:`View` becomes a non-contiguous
view of its leaf. Everything else (Python scalars, slices, dtypes, lists of ints) is passed as
it is, with NumPy dtypes translated to PyTorch's for the reference.
"""
import dataclasses
import typing

import numpy

from helpers import run_with_gradients, torch

FLOAT16, FLOAT32, FLOAT64 = (numpy.dtype(name) for name in ("float16", "float32", "float64"))
INT64, INT32, BOOL = numpy.dtype(numpy.int64), numpy.dtype(numpy.int32), numpy.dtype(numpy.bool_)
FLOATS = (FLOAT32, FLOAT64, FLOAT16)
INTEGERS = (INT64, INT32)
NUMERIC = FLOATS + INTEGERS
ALL_DTYPES = NUMERIC + (BOOL,)

#: (atol, rtol) by a sample's main dtype. float32 and float64 are the API contract's (float32
#: ~1e-5 relative, float64 ~1e-10). float16 is outside the contract: 2 units in the last place
#: (PyTorch's CPU kernels compute half in float32 and round once; NumPy rounds every step).
TOLERANCES = {FLOAT32: (1e-5, 1e-5), FLOAT64: (1e-10, 1e-10), FLOAT16: (2e-3, 2e-3)}


@dataclasses.dataclass(frozen=True)
class View:
    """An input the op sees as a non-contiguous view of its leaf: ``make(leaf)``.

    ``storage`` is the leaf's (contiguous) array; gradients are compared on the leaf.
    """

    storage: numpy.ndarray
    make: typing.Callable
    label: str


def transposed(array):
    """``array``'s values, seen through ``.mT`` of a contiguous leaf (needs >= 2 dims)."""
    return View(numpy.ascontiguousarray(numpy.swapaxes(array, -1, -2)), lambda leaf: leaf.mT, "mT")


def strided(array):
    """``array``'s values, seen through ``leaf[..., ::2]`` of a leaf twice as wide."""
    storage = numpy.repeat(array, 2, axis=-1)
    return View(storage, lambda leaf: leaf[..., ::2], "::2")


@dataclasses.dataclass(frozen=True)
class Sample:
    """One call of an op: ``op(*args, **kwargs)``.

    ``gradcheck=False`` where finite differences cannot judge (a kink, a tie, inf/nan inputs).
    ``raises`` is PyTorch's exception type for a call PyTorch refuses (in forward or backward);
    ours must refuse it too. ``then`` post-processes the result on both sides (e.g. ``sqrt``,
    to send an infinite upstream gradient into the op).
    """

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    label: str = ""
    gradcheck: bool = True
    raises: typing.Optional[type] = None
    then: typing.Optional[typing.Callable] = None


@dataclasses.dataclass(frozen=True)
class OpInfo:
    """One public op: how to call it, on what, and what to expect.

    name: the test id. op: our callable. ref: PyTorch's (None = ``op`` itself works on torch
    tensors, as for methods and operators). samples(dtype, rng): yields :class:`Sample`.
    dtypes: the dtypes the op supports (each sample's main dtype). differentiable: whether the
    op has a gradient at all. grad_args: positions (ints) and kwarg names whose float leaves
    require grad (None = every float leaf). gradcheck / gradcheck_reason: run gradcheck, or why
    not. tolerance: {dtype: (atol, rtol)} only where the contract is not achievable, with
    tolerance_reason. keeps_float32: False for ops whose float32 samples change the dtype on
    purpose (casts), with keeps_float32_reason.
    """

    name: str
    op: typing.Callable
    samples: typing.Callable
    ref: typing.Optional[typing.Callable] = None
    dtypes: tuple = FLOATS
    differentiable: bool = True
    grad_args: typing.Optional[tuple] = None
    gradcheck: bool = True
    gradcheck_reason: str = ""
    tolerance: dict = dataclasses.field(default_factory=dict)
    tolerance_reason: str = ""
    keeps_float32: bool = True
    keeps_float32_reason: str = ""

    def __post_init__(self):
        if not self.gradcheck and not self.gradcheck_reason:
            raise ValueError(f"{self.name}: say why gradcheck is off")
        if self.tolerance and not self.tolerance_reason:
            raise ValueError(f"{self.name}: say why the contract's tolerance is not achievable")
        if not self.keeps_float32 and not self.keeps_float32_reason:
            raise ValueError(f"{self.name}: say why float32 is not kept")

    def reference(self):
        """PyTorch's callable."""
        return self.op if self.ref is None else self.ref

    def tolerances(self, dtype):
        """(atol, rtol) for a sample whose main dtype is ``dtype``.

        Integer and bool samples use float32's: their float results are in the default dtype,
        and integer results differ by at least 1 when they differ at all.
        """
        return self.tolerance.get(dtype, TOLERANCES.get(dtype, TOLERANCES[FLOAT32]))


def torch_function(path):
    """PyTorch's ``torch.<path>`` (e.g. ``"nn.functional.gelu"``), looked up when called.

    The registry imports without PyTorch: the lookup waits until a parity test runs.
    """

    def call(*args, **kwargs):
        target = torch
        for part in path.split("."):
            target = getattr(target, part)
        return target(*args, **kwargs)

    call.__name__ = f"torch.{path}"
    return call


# ----- turning a sample into call arguments ---------------------------------------------------
def _is_leaf(value):
    return isinstance(value, (numpy.ndarray, View))


def _walk(value, found):
    if _is_leaf(value):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, found)


def leaves(sample):
    """The sample's input arrays, in order (a :class:`View` counts as its storage)."""
    found = []
    _walk(sample.args, found)
    _walk(sample.kwargs, found)
    return found


def leaf_arrays(sample):
    """The arrays the input tensors are made of, in :func:`leaves` order."""
    return [leaf.storage if isinstance(leaf, View) else leaf for leaf in leaves(sample)]


def leaf_owners(sample):
    """For each leaf, the positional index or kwarg name of the argument holding it."""
    owners = []
    for position, value in enumerate(sample.args):
        found = []
        _walk(value, found)
        owners += [position] * len(found)
    for name, value in sample.kwargs.items():
        found = []
        _walk(value, found)
        owners += [name] * len(found)
    return owners


def grad_leaves(info, sample, dtype_filter=None):
    """Positions of the leaves that require grad (float ones owned by ``info.grad_args``)."""
    positions = []
    for position, (array, owner) in enumerate(zip(leaf_arrays(sample), leaf_owners(sample))):
        if array.dtype.kind != "f" or (dtype_filter is not None and array.dtype != dtype_filter):
            continue
        if info.grad_args is None or owner in info.grad_args:
            positions.append(position)
    return tuple(positions)


def _torch_value(value):
    if isinstance(value, numpy.dtype) or (isinstance(value, type) and issubclass(value, numpy.generic)):
        return getattr(torch, numpy.dtype(value).name)
    return value


def _rebuild(value, tensors, for_torch):
    if _is_leaf(value):
        tensor = next(tensors)
        return value.make(tensor) if isinstance(value, View) else tensor
    if isinstance(value, list):
        return [_rebuild(item, tensors, for_torch) for item in value]
    if isinstance(value, tuple):
        return tuple(_rebuild(item, tensors, for_torch) for item in value)
    if isinstance(value, dict):
        return {key: _rebuild(item, tensors, for_torch) for key, item in value.items()}
    return _torch_value(value) if for_torch else value


def call(function, sample, tensors, for_torch=False):
    """``function(*args, **kwargs)`` with the sample's leaves replaced by ``tensors``."""
    stream = iter(tensors)
    args = _rebuild(sample.args, stream, for_torch)
    kwargs = _rebuild(sample.kwargs, stream, for_torch)
    result = function(*args, **kwargs)
    return result if sample.then is None else sample.then(result)


def cases(registry, dtype_filter=None):
    """(entry, sample, dtype, id) for every entry, every dtype it supports and every sample.

    Samples are drawn from a generator seeded by the entry's name and the dtype, so the same
    cases come back on every run.
    """
    found = []
    for info in registry:
        for dtype in info.dtypes:
            if dtype_filter is not None and not dtype_filter(dtype):
                continue
            seed = sum(map(ord, info.name + dtype.name))
            samples = list(info.samples(dtype, numpy.random.default_rng(seed)))
            for index, sample in enumerate(samples):
                label = f"{info.name}-{index}:{sample.label}-{dtype.name}"
                found.append((info, sample, dtype, label))
    return found


def run_ours(info, sample, device="cpu"):
    """Run the sample through our op on ``device`` and back-propagate check_parity's upstream
    gradient; returns ``(outputs, gradients)`` (one gradient per leaf, None where none)."""
    return run_with_gradients(lambda *tensors: call(info.op, sample, tensors), *leaf_arrays(sample),
                              device=device, grad_inputs=grad_leaves(info, sample))
