"""'cuda' (CuPy) against 'cpu': every op of the registry, device moves, mixing, randomness.

The op coverage is the registry's (tests/ops/op_registry.py): each valid sample runs on both
devices and the values, shapes and dtypes of every output and every input gradient must agree
(gradcheck and parity with PyTorch on cuda run in tests/ops/test_op_registry.py). Every test
here is marked ``cuda`` and skipped when CuPy or a GPU is missing.
"""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import requires_cuda
from ops.op_info import cases, run_ours
from ops.op_registry import REGISTRY

pytestmark = [pytest.mark.cuda, requires_cuda]

# Without a GPU every case would only be skipped: build them only where they can run.
VALID = [pytest.param(info, sample, dtype, id=label)
         for info, sample, dtype, label in cases(REGISTRY) if sample.raises is None] if tl.cuda.is_available() else []


def _assert_same(on_gpu, on_cpu, atol, rtol, what):
    assert tuple(on_gpu.shape) == tuple(on_cpu.shape), f"{what}: shape {on_gpu.shape} != {on_cpu.shape}"
    assert on_gpu.dtype == on_cpu.dtype, f"{what}: dtype {on_gpu.dtype} != {on_cpu.dtype}"
    numpy.testing.assert_allclose(on_gpu.numpy(force=True), on_cpu.numpy(force=True), atol=atol, rtol=rtol,
                                  err_msg=what)


@pytest.mark.parametrize("info, sample, dtype", VALID)
def test_cuda_matches_cpu(info, sample, dtype):
    atol, rtol = info.tolerances(dtype)
    cpu_outputs, cpu_gradients = run_ours(info, sample, "cpu")
    gpu_outputs, gpu_gradients = run_ours(info, sample, "cuda")
    assert len(gpu_outputs) == len(cpu_outputs)
    for position, (on_gpu, on_cpu) in enumerate(zip(gpu_outputs, cpu_outputs)):
        _assert_same(on_gpu, on_cpu, atol, rtol, f"output {position}")
        assert on_gpu.requires_grad == on_cpu.requires_grad, f"output {position} requires_grad"
    for position, (on_gpu, on_cpu) in enumerate(zip(gpu_gradients, cpu_gradients)):
        assert (on_gpu is None) == (on_cpu is None), f"gradient {position}: only one device made it"
        if on_gpu is not None:
            assert on_gpu.device == "cuda:0", f"gradient {position} is on {on_gpu.device}"
            _assert_same(on_gpu, on_cpu, atol, rtol, f"gradient {position}")


def test_round_trip_between_devices_carries_gradient():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    on_gpu = x.to("cuda")
    assert on_gpu.device == "cuda:0" and on_gpu.requires_grad
    back = (on_gpu * 2.0).cpu()
    assert back.device == "cpu" and back.tolist() == [2.0, 4.0, 6.0]
    (back * back).sum().backward()
    assert x.grad.device == "cpu"
    numpy.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0, 24.0])


def test_gpu_leaf_gets_gradient_from_a_cpu_computation():
    w = tl.tensor([0.5, -1.0], device="cuda", requires_grad=True)
    loss = (w.cpu() * tl.tensor([2.0, 3.0])).sum()
    assert loss.item() == -2.0
    loss.backward()
    assert w.grad.device == "cuda:0"
    assert w.grad.tolist() == [2.0, 3.0]


def test_cuda_tensor_basics():
    x = tl.ones(2, 3).cuda()
    assert x.is_cuda and x.device == "cuda:0" and x.device == tl.device("cuda")
    assert x.cuda() is x and x.to("cuda:0") is x
    assert x.tolist() == [[1.0] * 3] * 2 and x.sum().item() == 6.0
    with pytest.raises(TypeError, match="cpu"):
        x.numpy()
    assert x.cpu().numpy().tolist() == [[1.0] * 3] * 2
    assert "cuda:0" in repr(x)


@pytest.mark.parametrize("factory, expected", [
    (lambda: tl.zeros(2, device="cuda"), [0.0, 0.0]),
    (lambda: tl.arange(3, device="cuda"), [0, 1, 2]),
    (lambda: tl.full((2,), 3, device="cuda"), [3, 3]),
    (lambda: tl.eye(2, device="cuda"), [[1.0, 0.0], [0.0, 1.0]]),
    (lambda: tl.zeros_like(tl.ones(2, device="cuda")), [0.0, 0.0]),
    (lambda: tl.linspace(0, 1, 3, device="cuda"), [0.0, 0.5, 1.0]),
], ids=["zeros", "arange", "full", "eye", "zeros_like", "linspace"])
def test_cuda_factories_make_the_values_on_the_gpu(factory, expected):
    made = factory()
    assert made.device == "cuda:0"
    assert made.tolist() == expected


def test_cuda_random_values_are_in_range():
    tl.manual_seed(3)
    values = tl.rand(1000, device="cuda").numpy(force=True)
    assert values.min() >= 0.0 and values.max() < 1.0 and abs(values.mean() - 0.5) < 0.05


def test_mixing_cpu_and_cuda_names_both_devices():
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        tl.ones(2) + tl.ones(2, device="cuda")


def test_cuda_random_is_reproducible():
    tl.manual_seed(7)
    first = tl.randn(5, device="cuda").tolist()
    tl.manual_seed(7)
    assert tl.randn(5, device="cuda").tolist() == first


def test_cuda_inplace_and_setitem():
    x = tl.zeros(3, device="cuda")
    x[1] = 2.0
    x.add_(1.0)
    assert x.tolist() == [1.0, 3.0, 1.0]


def test_cuda_out_of_range_index_raises_index_error():
    with pytest.raises(IndexError, match="out of bounds"):
        tl.ones(3, 2, device="cuda").gather(0, tl.tensor([[0, 5]], device="cuda"))


def test_a_long_chain_on_cuda():
    x = tl.tensor([1.0], dtype=tl.float64, device="cuda", requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(force=True), [1.0001 ** 20_000], rtol=1e-10)


def test_cuda_randperm_is_a_permutation_made_on_the_gpu():
    # CuPy's Generator has no permutation(): the GPU path sorts random keys instead.
    tl.manual_seed(5)
    perm = tl.randperm(50, device="cuda")
    assert perm.device == "cuda:0" and perm.dtype == tl.int64
    assert sorted(perm.tolist()) == list(range(50)) and perm.tolist() != list(range(50))
    assert tl.randperm(0, device="cuda").tolist() == []
    assert tl.randperm(4, dtype=tl.int32, device="cuda").dtype == tl.int32


@pytest.mark.parametrize("dtype", [tl.int64, tl.int32, tl.int16, tl.int8, tl.uint8, tl.float16])
def test_cuda_scatter_add_takes_every_dtype_as_the_cpu_does(dtype):
    # cupyx.scatter_add has atomics for 32/64-bit types only (no int64): the others are emulated,
    # with the CPU's wrap-around on overflow.
    index = [0, 0, 2, 0]
    values = [100, 100, 7, -3] if dtype != tl.uint8 else [200, 100, 7, 1]
    results = []
    for device in ("cpu", "cuda"):
        target = tl.tensor([-5, 1, 2], dtype=dtype, device=device) if dtype != tl.uint8 else \
            tl.tensor([5, 1, 2], dtype=dtype, device=device)
        added = target.scatter_add(0, tl.tensor(index, device=device), tl.tensor(values, dtype=dtype, device=device))
        assert added.device == device and added.dtype == dtype
        results.append(added.tolist())
    assert results[0] == results[1]
