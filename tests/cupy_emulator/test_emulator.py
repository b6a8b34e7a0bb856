"""Self-checks of the CPU CuPy emulator; skipped unless it is the ``cupy`` on the path."""
import pathlib

import numpy
import pytest

_REASON = "runs with the CuPy emulator on the path (tests/test_cuda_on_emulator.py)"
try:
    import cupy
except ImportError:
    pytest.skip(_REASON, allow_module_level=True)
if not pathlib.Path(cupy.__file__).resolve().is_relative_to(pathlib.Path(__file__).resolve().parent):
    pytest.skip(_REASON, allow_module_level=True)
import cupyx  # noqa: E402

pytestmark = pytest.mark.cuda  # run with the CUDA tests (tests/test_cuda_on_emulator.py)


def test_device_array_is_not_a_numpy_array():
    a = cupy.arange(3)
    assert not isinstance(a, numpy.ndarray) and type(a).__module__.startswith("cupy")


def test_implicit_conversion_is_refused():
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        numpy.asarray(cupy.ones(2))
    assert cupy.ones(2).get().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("host", [numpy.ones(2), numpy.array(1.0)], ids=["1-d", "0-d"])
def test_host_operands_are_refused(host):
    with pytest.raises(TypeError, match="Unsupported type"):
        cupy.ones(2) + host
    with pytest.raises(TypeError, match="Unsupported type"):
        cupy.maximum(cupy.ones(2), host)
    with pytest.raises(TypeError):
        cupy.concatenate([cupy.ones(2), numpy.ones(2)])


def test_numpy_ufuncs_dispatch_to_the_emulator():
    assert isinstance(numpy.exp(cupy.zeros(2)), cupy.ndarray)
    with pytest.raises(TypeError, match="Unsupported type"):
        numpy.ones(2) * cupy.ones(2)


def test_reductions_and_integer_indexing_give_0d_arrays():
    a = cupy.arange(6.0).reshape(2, 3)
    for value in (a.sum(), a.max(), a.any(), cupy.sum(a), a[1, 2], a.argmax()):
        assert isinstance(value, cupy.ndarray) and value.shape == ()
    assert float(a.sum()) == 15.0


def test_base_is_the_same_wrapper():
    owner = cupy.zeros((2, 3))
    view = owner[1:]
    assert view.base is owner and view.base is view.base and owner.base is None


def test_basic_assignment_of_a_host_array_goes_through_fill():
    a = cupy.zeros(3)
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        a[...] = numpy.ones(3)
    a[numpy.array([0, 2])] = numpy.ones(2)
    assert a.tolist() == [1.0, 0.0, 1.0]


def test_scatter_add_dtype_limits():
    target = cupy.zeros(3, dtype=cupy.float32)
    cupyx.scatter_add(target, cupy.asarray([0, 0, 2]), cupy.ones(3, dtype=cupy.float32))
    assert target.tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(TypeError, match="scatter_add only supports"):
        cupyx.scatter_add(cupy.zeros(3, dtype=cupy.int64), cupy.asarray([0]), cupy.ones(1, dtype=cupy.int64))


def test_generator_has_only_cupy_methods():
    rng = cupy.random.default_rng(numpy.random.SeedSequence([1, 2]))
    assert isinstance(rng.random(3), cupy.ndarray)
    assert not hasattr(rng, "permutation") and not hasattr(rng, "normal")
