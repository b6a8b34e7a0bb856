"""tl.amp.autocast: which ops run in float16 or float32, against torch.autocast where it agrees.

PyTorch's CPU autocast lists differ from its CUDA ones, which ours follow on both devices: the
lower-precision list (matmul, linear, conv, attention...) and the losses agree with torch's CPU
autocast in float16 and are compared with it; softmax, exp/log/pow, sum and the norms are on
the CUDA float32 list only, so those are checked against the contract by hand.
"""
import threading
import warnings

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import requires_torch, torch

LABELS = numpy.array([0, 2, 1, 3])


def arrays(seed=0):
    rng = numpy.random.default_rng(seed)
    return {"a": rng.standard_normal((4, 4)).astype(numpy.float32),
            "w": rng.standard_normal((3, 4)).astype(numpy.float32),
            "image": rng.standard_normal((2, 2, 5, 5)).astype(numpy.float32),
            "kernel": rng.standard_normal((3, 2, 3, 3)).astype(numpy.float32),
            "q": rng.standard_normal((1, 2, 3, 4)).astype(numpy.float32),
            "p": rng.uniform(0.1, 0.9, (4, 4)).astype(numpy.float32)}


# name -> (function of (lib, F, tensors), dtype under autocast for float32 inputs)
LOWER_PRECISION_OPS = {
    "matmul": lambda lib, F, t: t["a"] @ t["a"],
    "mm": lambda lib, F, t: lib.mm(t["a"], t["a"]),
    "bmm": lambda lib, F, t: lib.bmm(t["a"][None], t["a"][None]),
    "einsum": lambda lib, F, t: lib.einsum("ij,kj->ik", t["a"], t["w"]),
    "linear": lambda lib, F, t: F.linear(t["a"], t["w"]),
    "conv2d": lambda lib, F, t: F.conv2d(t["image"], t["kernel"], padding=1),
    "conv1d": lambda lib, F, t: F.conv1d(t["image"][:, :, 0], t["kernel"][:, :, 0]),
    "attention": lambda lib, F, t: F.scaled_dot_product_attention(t["q"], t["q"], t["q"], is_causal=True),
}
LOSSES = {
    "mse_loss": lambda lib, F, t: F.mse_loss(t["a"] @ t["a"], t["a"]),
    "l1_loss": lambda lib, F, t: F.l1_loss(t["a"] @ t["a"], t["a"]),
    "smooth_l1_loss": lambda lib, F, t: F.smooth_l1_loss(t["a"] @ t["a"], t["a"]),
    "huber_loss": lambda lib, F, t: F.huber_loss(t["a"] @ t["a"], t["a"]),
    "cross_entropy": lambda lib, F, t: F.cross_entropy(t["a"] @ t["a"], lib.tensor(LABELS)),
    "nll_loss": lambda lib, F, t: F.nll_loss(t["a"] @ t["a"], lib.tensor(LABELS)),
    "binary_cross_entropy": lambda lib, F, t: F.binary_cross_entropy(t["p"].half(), t["p"]),
    "bce_with_logits": lambda lib, F, t: F.binary_cross_entropy_with_logits(t["a"] @ t["a"], t["p"]),
    "kl_div": lambda lib, F, t: F.kl_div(t["a"] @ t["a"], t["p"], reduction="batchmean"),
    "prod": lambda lib, F, t: (t["p"].half()).prod(),
}
# on PyTorch's CUDA float32 list (not its CPU one): float16 inputs come out float32
FLOAT32_ONLY_ON_CUDA_LIST = {
    "softmax": lambda t: t.softmax(-1),
    "log_softmax": lambda t: F.log_softmax(t, dim=-1),
    "exp": lambda t: t.exp(),
    "log": lambda t: t.abs().log(),
    "pow": lambda t: t ** 2,
    "rpow": lambda t: 2.0 ** t,
    "sum": lambda t: t.sum(),
    "logsumexp": lambda t: t.logsumexp(-1),
    "norm": lambda t: t.norm(),
    "layer_norm": lambda t: F.layer_norm(t, (4,)),
    "group_norm": lambda t: F.group_norm(t, 2),
    "rms_norm": lambda t: F.rms_norm(t, (4,)),
    "batch_norm": lambda t: F.batch_norm(t, None, None, training=True),
    "normalize": lambda t: F.normalize(t),
}


def tl_tensors(seed=0):
    return {name: tl.tensor(value) for name, value in arrays(seed).items()}


@pytest.mark.parametrize("name", sorted(LOWER_PRECISION_OPS))
def test_lower_precision_ops_run_in_float16(name):
    tensors = tl_tensors()
    with tl.amp.autocast("cpu"):
        result = LOWER_PRECISION_OPS[name](tl, F, tensors)
    assert result.dtype == tl.float16
    plain = LOWER_PRECISION_OPS[name](tl, F, {k: v.half() for k, v in tensors.items()})
    numpy.testing.assert_allclose(result.float().numpy(), plain.float().numpy(), rtol=2e-3, atol=2e-3)
    assert LOWER_PRECISION_OPS[name](tl, F, tensors).dtype == tl.float32  # off again outside


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_run_in_float32(name):
    with tl.amp.autocast("cpu"):
        assert LOSSES[name](tl, F, tl_tensors()).dtype == tl.float32


@requires_torch
@pytest.mark.parametrize("name", sorted(LOWER_PRECISION_OPS) + sorted(LOSSES))
def test_dtypes_and_values_match_torch_cpu_autocast(name):
    function = {**LOWER_PRECISION_OPS, **LOSSES}[name]
    with tl.amp.autocast("cpu", dtype=tl.float16):
        mine = function(tl, F, tl_tensors())
    with torch.autocast("cpu", dtype=torch.float16):
        theirs = function(torch, torch.nn.functional,
                          {k: torch.from_numpy(v) for k, v in arrays().items()})
    assert str(mine.dtype) == str(theirs.dtype).replace("torch", "tl")
    numpy.testing.assert_allclose(mine.float().numpy(), theirs.float().numpy(), rtol=5e-3, atol=5e-3)


@pytest.mark.parametrize("name", sorted(FLOAT32_ONLY_ON_CUDA_LIST))
def test_float32_list_widens_float16_inputs(name):
    half = tl.tensor(arrays()["a"]).half()
    with tl.amp.autocast("cpu"):
        result = FLOAT32_ONLY_ON_CUDA_LIST[name](half)
    assert result.dtype == tl.float32
    expected = FLOAT32_ONLY_ON_CUDA_LIST[name](half.float())  # the same op on the widened input
    numpy.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_explicit_dtype_overrides_autocast_for_softmax_and_sum():
    half = tl.tensor(arrays()["a"]).half()
    with tl.amp.autocast("cpu"):
        assert half.softmax(-1, dtype=tl.float64).dtype == tl.float64
        assert half.sum(dtype=tl.float16).dtype == tl.float16


def test_other_ops_float64_and_integers_are_left_alone():
    a = tl.tensor(arrays()["a"])
    with tl.amp.autocast("cpu"):
        assert (a.half() + a).dtype == tl.float32  # add: not listed, ordinary promotion
        assert a.half().relu().dtype == tl.float16
        assert a.half().mean().dtype == tl.float16  # mean is on neither PyTorch list
        assert (a.double() @ a.double()).dtype == tl.float64
        assert (tl.arange(4).reshape(2, 2) @ tl.arange(4).reshape(2, 2)).dtype == tl.int64
        assert tl.arange(4).sum().dtype == tl.int64


def test_parameters_and_gradients_stay_float32():
    model = tl.nn.Sequential(tl.nn.Linear(4, 8), tl.nn.LayerNorm(8), tl.nn.ReLU(), tl.nn.Linear(8, 4))
    with tl.amp.autocast("cpu"):
        logits = model(tl.tensor(arrays()["a"]))
        loss = F.cross_entropy(logits, tl.tensor(LABELS))
    assert logits.dtype == tl.float16 and loss.dtype == tl.float32
    loss.backward()
    for parameter in model.parameters():
        assert parameter.dtype == tl.float32 and parameter.grad.dtype == tl.float32
        assert numpy.isfinite(parameter.grad.numpy()).all() and parameter.grad.abs().sum().item() > 0


@requires_torch
def test_model_gradients_close_to_torch_autocast():
    a = arrays()
    mine = tl.nn.Linear(4, 3)
    theirs = torch.nn.Linear(4, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(a["w"]))
        theirs.bias.zero_()
    mine.weight.data = a["w"].copy()
    mine.bias.data = numpy.zeros(3, numpy.float32)
    with tl.amp.autocast("cpu"):
        loss = F.cross_entropy(mine(tl.tensor(a["a"])), tl.tensor(LABELS[:4] % 3))
    loss.backward()
    with torch.autocast("cpu", dtype=torch.float16):
        reference = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(a["a"])),
                                                      torch.from_numpy(LABELS[:4] % 3))
    reference.backward()
    numpy.testing.assert_allclose(loss.item(), reference.item(), rtol=1e-3)
    numpy.testing.assert_allclose(mine.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=5e-3,
                                  atol=5e-3)


def test_nesting_and_decorator():
    a = tl.tensor(arrays()["a"])
    assert not tl.amp.is_autocast_enabled("cpu")
    with tl.amp.autocast("cpu"):
        with tl.amp.autocast("cpu", enabled=False):
            assert (a @ a).dtype == tl.float32 and not tl.amp.is_autocast_enabled("cpu")
        assert (a @ a).dtype == tl.float16 and tl.amp.get_autocast_dtype("cpu") == tl.float16
    assert (a @ a).dtype == tl.float32

    @tl.amp.autocast("cpu")
    def product(x):
        return x @ x

    assert product(a).dtype == tl.float16 and (a @ a).dtype == tl.float32
    region = tl.amp.autocast("cpu")
    with region, region:  # the same object re-entered
        assert (a @ a).dtype == tl.float16
    assert not tl.amp.is_autocast_enabled("cpu")


def test_device_types_are_separate():
    a = tl.tensor(arrays()["a"])
    with tl.amp.autocast("cuda"):
        assert tl.amp.is_autocast_enabled("cuda") and not tl.amp.is_autocast_enabled("cpu")
        assert (a @ a).dtype == tl.float32  # a CPU tensor under CUDA autocast


def test_state_is_thread_local():
    a = tl.tensor(arrays()["a"])
    seen = {}

    def other_thread():
        seen["enabled"] = tl.amp.is_autocast_enabled("cpu")
        seen["dtype"] = (a @ a).dtype

    with tl.amp.autocast("cpu"):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert (a @ a).dtype == tl.float16
    assert seen == {"enabled": False, "dtype": tl.float32}


def test_parameter_cast_is_cached_until_written():
    weight = tl.nn.Parameter(tl.tensor(arrays()["w"]))
    x = tl.tensor(arrays()["a"])
    with tl.amp.autocast("cpu"):
        first, second = F.linear(x, weight), F.linear(x, weight)
        assert first.grad_fn.next[1] is second.grad_fn.next[1]  # one cast node for both uses
        with tl.no_grad():
            weight.mul_(2.0)
        third = F.linear(x, weight)
    numpy.testing.assert_allclose(third.detach().float().numpy(), 2 * first.detach().float().numpy(),
                                  rtol=2e-3)
    (first.float().sum() + third.float().sum()).backward()
    numpy.testing.assert_allclose(weight.grad.numpy(), numpy.tile(2 * arrays()["a"].sum(0), (3, 1)),
                                  rtol=2e-3)


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        tl.amp.autocast("tpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        region = tl.amp.autocast("cpu", dtype=tl.float64)
    assert "Disabling autocast" in str(caught[0].message)
    a = tl.tensor(arrays()["a"])
    with region:
        assert (a @ a).dtype == tl.float32
