"""CuPy allocates on the *current* GPU: every array made for a ``cuda:N`` tensor must be made with
device N current (ops' forwards, creation functions, the engine's gradient sums, optimizers).

A stand-in array module wraps NumPy and records which device was current at each call, so the
rule is checked on a machine without a GPU.
"""
import types

import numpy
import pytest

import tinygrad_lite as tl


class _RecordingArrayModule:
    """NumPy, plus ``cuda.Device(i)`` as CuPy has it; remembers the current device of each call."""

    def __init__(self):
        self.current = [0]
        self.calls = []
        self.cuda = types.SimpleNamespace(Device=self._device)
        self.random = types.SimpleNamespace(default_rng=self._default_rng)

    def _device(self, index):
        module = self

        class Current:
            def __enter__(self):
                module.current.append(index)

            def __exit__(self, *exc_info):
                module.current.pop()

        return Current()

    def _default_rng(self, seed=None):
        generator = numpy.random.default_rng(seed)
        module = self

        class Generator:
            def __getattr__(self, name):
                module.calls.append((f"random.{name}", module.current[-1]))
                return getattr(generator, name)

        return Generator()

    def __getattr__(self, name):
        function = getattr(numpy, name)
        if not callable(function):
            return function

        def recorded(*args, **kwargs):
            self.calls.append((name, self.current[-1]))
            return function(*args, **kwargs)

        return recorded


@pytest.fixture
def second_gpu():
    """A device named cuda:1 whose array module records the current device of every call."""
    xp = _RecordingArrayModule()
    fake = object.__new__(tl.device)
    fake.type, fake.index, fake.xp, fake._name = "cuda", 1, xp, "cuda:1"
    return fake, xp


def _on(fake, array, requires_grad=False):
    return tl.Tensor._make(numpy.asarray(array, dtype=numpy.float32), fake, requires_grad, None)


def _assert_all_on_device_1(xp):
    assert xp.calls, "the stand-in array module was never used"
    wrong = [name for name, current in xp.calls if current != 1]
    assert not wrong, f"arrays made with another GPU current: {wrong}"


def test_ops_and_backward_run_with_the_tensors_gpu_current(second_gpu):
    fake, xp = second_gpu
    x = _on(fake, [[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    loss = (x.exp() * x.sigmoid() + tl.where(x > 0, x, x * 2.0)).sum()
    loss.backward()
    assert x.grad.device is fake
    _assert_all_on_device_1(xp)


@pytest.mark.parametrize("factory", [
    lambda d: tl.zeros(2, 3, device=d), lambda d: tl.full((2,), 7.0, device=d),
    lambda d: tl.eye(3, device=d), lambda d: tl.randn(4, device=d), lambda d: tl.rand(4, device=d),
    lambda d: tl.randint(0, 5, (3,), device=d), lambda d: tl.randperm(4, device=d),
], ids=["zeros", "full", "eye", "randn", "rand", "randint", "randperm"])
def test_creation_functions_allocate_on_the_requested_gpu(second_gpu, factory):
    fake, xp = second_gpu
    assert factory(fake).device is fake
    _assert_all_on_device_1(xp)


def test_optimizer_steps_and_initialisers_run_on_the_parameters_gpu(second_gpu):
    fake, xp = second_gpu
    weight = tl.nn.Parameter(_on(fake, numpy.zeros((3, 2))))
    tl.nn.init.normal_(weight)
    tl.nn.init.constant_(weight, 0.5)
    optimizer = tl.optim.Adagrad([weight], lr=0.1)
    (weight * weight).sum().backward()
    optimizer.step()
    _assert_all_on_device_1(xp)
