"""The core ops on 'cuda' (CuPy): forward and backward agree with 'cpu', and device moves carry grads.

Every test here is marked ``cuda`` and skipped when CuPy or a GPU is missing.
"""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import check_gradcheck, check_parity, requires_cuda, requires_torch

pytestmark = [pytest.mark.cuda, requires_cuda]


def _positive(shape):
    return numpy.random.default_rng(4).uniform(0.5, 2.0, shape)


# name -> (op, input shapes or arrays). Integer arrays become index tensors on the same device.
OPS = {
    "add broadcast": (lambda a, b: a + b, ((3, 4), (4,))),
    "sub scalar": (lambda a: 2.0 - a * 3, ((3, 4),)),
    "mul": (lambda a, b: a * b, ((3, 1), (1, 4))),
    "div": (lambda a, b: a / b, ((3, 4), _positive((3, 4)))),
    "pow": (lambda a, b: a ** b, (_positive((2, 3)), (2, 3))),
    "unary": (lambda a: a.exp() + a.sin() * a.cos() + a.tanh() + a.sigmoid() + a.relu() + a.abs(), ((2, 5),)),
    "log sqrt": (lambda a: a.log() + a.sqrt() + a.rsqrt() + a.log1p(), (_positive((2, 3)),)),
    "maximum where clamp": (lambda a, b: tl.maximum(a, b) + tl.where(a > 0, a, b) + a.clamp(-0.5, 0.5),
                            ((3, 4), (3, 4))),
    "sum mean": (lambda a: a.sum(1) + a.mean(0, keepdim=True).sum(), ((3, 4),)),
    "var std norm": (lambda a: a.var(1) + a.std(1, correction=0) + a.norm(dim=1), ((3, 4),)),
    "prod amax logsumexp": (lambda a: a.prod(1) + a.amax(1) + a.logsumexp(1), ((3, 4),)),
    "max min dim": (lambda a: a.max(1).values + a.min(0).values.sum(), ((3, 4),)),
    "softmax": (lambda a: a.softmax(1) * a.log_softmax(0), ((3, 4),)),
    "matmul": (lambda a, b: a @ b, ((2, 3, 4), (4, 5))),
    "einsum": (lambda a, b: tl.einsum("bij,jk->bik", a, b), ((2, 3, 4), (4, 5))),
    "movement": (lambda a: a.permute(1, 0).reshape(2, 6).expand(3, 2, 6).repeat(1, 2, 1).flatten(1), ((3, 4),)),
    "cat stack split": (lambda a, b: tl.cat([a, b]).split(2)[1] + tl.stack([a, a]).sum(0)[:1], ((2, 3), (3, 3))),
    "getitem": (lambda a, index: a[index] + a[1:, None, ::2].sum(), ((4, 3), numpy.array([3, 0, 3]))),
    "bool mask": (lambda a: a[a > 0].sum() + a.masked_fill(a < 0, 0.0), ((3, 4),)),
    "gather": (lambda a, index: a.gather(1, index), ((3, 4), numpy.array([[0, 3], [1, 1], [2, 0]]))),
    "scatter_add": (lambda a, index, src: a.scatter_add(0, index, src),
                    ((3, 4), numpy.array([[0, 2, 2, 0]]), (1, 4))),
    "index_select": (lambda a, index: a.index_select(0, index), ((3, 4), numpy.array([2, 2, 0]))),
    "tril triu": (lambda a: a.tril() + a.triu(1), ((3, 3),)),
}


def _arrays(specs):
    rng = numpy.random.default_rng(0)
    return [spec if isinstance(spec, numpy.ndarray) else rng.standard_normal(spec) for spec in specs]


def _run(op, arrays, device):
    tensors = [tl.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = op(*tensors)
    weight = numpy.random.default_rng(1).standard_normal(out.shape)
    (out * tl.tensor(weight, dtype=out.dtype, device=device)).sum().backward()
    grads = [t.grad for t in tensors if t.requires_grad]
    return out, grads


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_cuda_matches_cpu_forward_and_backward(name, dtype):
    op, specs = OPS[name]
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in _arrays(specs)]
    cpu_out, cpu_grads = _run(op, arrays, "cpu")
    gpu_out, gpu_grads = _run(op, arrays, "cuda")
    assert gpu_out.device == "cuda:0" and gpu_out.dtype == cpu_out.dtype
    tolerance = 1e-4 if dtype == numpy.float32 else 1e-10
    numpy.testing.assert_allclose(gpu_out.numpy(force=True), cpu_out.numpy(force=True), rtol=tolerance,
                                  atol=tolerance)
    for gpu_grad, cpu_grad in zip(gpu_grads, cpu_grads):
        assert gpu_grad.device == "cuda:0" and gpu_grad.dtype == cpu_grad.dtype
        numpy.testing.assert_allclose(gpu_grad.numpy(force=True), cpu_grad.numpy(), rtol=tolerance,
                                      atol=tolerance)


@pytest.mark.parametrize("name", ["add broadcast", "pow", "var std norm", "max min dim", "softmax", "matmul",
                                  "getitem", "gather", "scatter_add"])
def test_cuda_gradcheck(name):
    op, specs = OPS[name]
    check_gradcheck(op, *specs, device="cuda")


@requires_torch
@pytest.mark.parametrize("op", [lambda x: x.tanh() * x, lambda x: x.softmax(-1), lambda x: x @ x.mT,
                                lambda x: x.amax(1), lambda x: x.var(0)])
def test_cuda_parity_with_torch(op):
    check_parity(op, op, (3, 4), device="cuda", atol=1e-5, rtol=1e-4)


def test_round_trip_between_devices_carries_gradient():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    on_gpu = x.to("cuda")
    assert on_gpu.device == "cuda:0" and on_gpu.requires_grad
    back = (on_gpu * 2.0).cpu()
    assert back.device == "cpu"
    (back * back).sum().backward()
    assert x.grad.device == "cpu"
    numpy.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0, 24.0])


def test_gpu_leaf_gets_gradient_from_a_cpu_computation():
    w = tl.tensor([0.5, -1.0], device="cuda", requires_grad=True)
    loss = (w.cpu() * tl.tensor([2.0, 3.0])).sum()
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
    for factory in (tl.zeros(2, device="cuda"), tl.rand(2, device="cuda"), tl.arange(3, device="cuda"),
                    tl.full((2,), 3, device="cuda"), tl.eye(2, device="cuda"), tl.zeros_like(x)):
        assert factory.device == "cuda:0"


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
    numpy.testing.assert_allclose(x.grad.numpy(force=True), [1.0001 ** 20_000], rtol=1e-9)
