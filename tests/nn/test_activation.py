"""Tests for tinygrad_lite/nn/functional/activation.py: relu, leaky_relu, hardtanh, relu6, gelu,
silu, elu, selu, celu, softplus, mish, sigmoid, tanh, logsigmoid, softmax, log_softmax."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F


def away_from_kinks(shape, kinks=(0.0,), seed=3):
    """Signed values at least 0.05 from every kink, so finite differences never straddle one."""
    values = numpy.random.default_rng(seed).uniform(-3.0, 7.0, shape)
    for kink in kinks:
        close = numpy.abs(values - kink) < 0.05
        values[close] += 0.1
    return values


# name -> (call with F or torch_F as ``lib``, input maker): one table drives gradcheck and parity.
ACTIVATIONS = {
    "relu": (lambda lib, x: lib.relu(x), lambda s: away_from_kinks(s)),
    "leaky_relu": (lambda lib, x: lib.leaky_relu(x), lambda s: away_from_kinks(s)),
    "leaky_relu slope": (lambda lib, x: lib.leaky_relu(x, 0.2), lambda s: away_from_kinks(s)),
    "hardtanh": (lambda lib, x: lib.hardtanh(x), lambda s: away_from_kinks(s, (-1.0, 1.0))),
    "hardtanh range": (lambda lib, x: lib.hardtanh(x, -0.5, 2.0), lambda s: away_from_kinks(s, (-0.5, 2.0))),
    "relu6": (lambda lib, x: lib.relu6(x), lambda s: away_from_kinks(s, (0.0, 6.0))),
    "gelu": (lambda lib, x: lib.gelu(x), lambda s: s),
    "gelu tanh": (lambda lib, x: lib.gelu(x, approximate="tanh"), lambda s: s),
    "silu": (lambda lib, x: lib.silu(x), lambda s: s),
    "elu": (lambda lib, x: lib.elu(x), lambda s: away_from_kinks(s)),
    "elu alpha": (lambda lib, x: lib.elu(x, alpha=0.7), lambda s: away_from_kinks(s)),
    "selu": (lambda lib, x: lib.selu(x), lambda s: away_from_kinks(s)),
    "celu": (lambda lib, x: lib.celu(x, alpha=1.5), lambda s: away_from_kinks(s)),
    "softplus": (lambda lib, x: lib.softplus(x), lambda s: s),
    "softplus beta threshold": (lambda lib, x: lib.softplus(x, beta=2.0, threshold=3.0),
                                lambda s: away_from_kinks(s, (1.5,))),
    "mish": (lambda lib, x: lib.mish(x), lambda s: s),
    "sigmoid": (lambda lib, x: lib.sigmoid(x), lambda s: s),
    "tanh": (lambda lib, x: lib.tanh(x), lambda s: s),
    "logsigmoid": (lambda lib, x: lib.logsigmoid(x), lambda s: s),
    "softmax": (lambda lib, x: lib.softmax(x, dim=1), lambda s: s),
    "softmax dim -1": (lambda lib, x: lib.softmax(x, -1), lambda s: s),
    "log_softmax": (lambda lib, x: lib.log_softmax(x, dim=0), lambda s: s),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_gradcheck(name):
    call, make = ACTIVATIONS[name]
    check_gradcheck(lambda x: call(F, x), make((3, 5)))


@requires_torch
@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_parity_and_dtype(name, dtype):
    # check_parity also asserts the output dtype equals PyTorch's, i.e. the input's dtype.
    call, make = ACTIVATIONS[name]
    check_parity(lambda x: call(F, x), lambda x: call(torch_F, x), make((4, 6)), dtype=dtype,
                 atol=1e-6, rtol=1e-5)


@requires_torch
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "hardtanh", "relu6", "elu", "elu alpha",
                                  "selu", "celu"])
def test_gradient_at_kinks_matches_torch(name):
    call, _ = ACTIVATIONS[name]
    values = numpy.array([-1.0, 0.0, 1.0, 6.0, -0.5, 2.0])
    check_parity(lambda x: call(F, x), lambda x: call(torch_F, x), values, dtype=numpy.float64)


@requires_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_gelu_over_a_wide_range(approximate, dtype):
    # float32 tolerance: near x = -5 both libraries' tanh rounds 1 + tanh(u) to a few ulps or
    # zero, so gradients there differ by ~1e-6 (the forward is checked more tightly below).
    values = numpy.linspace(-12.0, 12.0, 2001)
    check_parity(lambda x: F.gelu(x, approximate=approximate),
                 lambda x: torch_F.gelu(x, approximate=approximate), values, dtype=dtype,
                 atol=1e-5 if dtype == numpy.float32 else 1e-12, rtol=1e-5)
    ours = F.gelu(tl.tensor(values.astype(dtype)), approximate=approximate).numpy()
    theirs = torch_F.gelu(torch.tensor(values.astype(dtype)), approximate=approximate).numpy()
    numpy.testing.assert_allclose(ours, theirs, atol=2e-6 if dtype == numpy.float32 else 1e-13,
                                  rtol=2e-7 if dtype == numpy.float32 else 1e-13)


@pytest.mark.parametrize("dtype", [tl.float16, tl.float32])
def test_gelu_far_negative_tail_rounds_as_pytorch(dtype):
    # Ours kept the tail exactly (gelu(-7) = -9e-12) where PyTorch's 1 + erf cancels to -0.0,
    # so rsqrt/log/division of the output gave NaN/finite where PyTorch's gives -inf.
    out = F.gelu(tl.tensor([-7.0, -30.0, -1.0], dtype=dtype))
    assert out.tolist()[:2] == [0.0, 0.0] and numpy.signbit(out.numpy()[:2]).all()
    assert out.rsqrt().tolist()[:2] == [-float("inf")] * 2


def test_gelu_exact_values():
    # x * Phi(x) at points where Phi is known to many digits.
    x = tl.tensor([0.0, 1.0, -1.0, 2.0, -3.0], dtype=tl.float64)
    phi = numpy.array([0.5, 0.8413447460685429, 0.15865525393145707, 0.9772498680518208,
                       0.0013498980316301035])
    numpy.testing.assert_allclose(F.gelu(x).numpy(), x.numpy() * phi, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("name", ["gelu", "gelu tanh", "silu", "elu", "softplus", "mish", "celu"])
def test_second_derivatives(name):
    call, make = ACTIVATIONS[name]
    x = tl.tensor(make((2, 3)), dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradgradcheck(lambda t: call(F, t), [x])


@requires_torch
def test_softplus_is_linear_above_threshold():
    values = numpy.array([-30.0, -1.0, 0.0, 9.9, 10.1, 40.0, 500.0])
    check_parity(lambda x: F.softplus(x, beta=2.0), lambda x: torch_F.softplus(x, beta=2.0), values,
                 dtype=numpy.float64)
    big = F.softplus(tl.tensor([1000.0], requires_grad=True), threshold=1e6)
    assert numpy.isfinite(big.item()) and big.item() == pytest.approx(1000.0)


@requires_torch
def test_softmax_dtype_argument_and_implicit_dim():
    values = numpy.random.default_rng(0).standard_normal((2, 3, 4))
    check_parity(lambda x: F.softmax(x, 2, dtype=tl.float64),
                 lambda x: torch_F.softmax(x, 2, dtype=torch.float64), values)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = F.softmax(tl.tensor(values))
    with pytest.warns(UserWarning):
        theirs = torch_F.softmax(torch.tensor(values))
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning):
        numpy.testing.assert_allclose(F.log_softmax(tl.tensor(values[0])).numpy(),
                                      torch_F.log_softmax(torch.tensor(values[0]), 1).numpy(), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "hardtanh", "relu6", "silu", "elu", "selu",
                                  "celu", "mish"])
def test_inplace_on_non_leaf(name):
    values = away_from_kinks((3, 4), (-1.0, 0.0, 1.0, 6.0))
    ours_leaf = tl.tensor(values, requires_grad=True)
    theirs_leaf = torch.tensor(values, requires_grad=True)
    ours_mid, theirs_mid = ours_leaf * 2.0, theirs_leaf * 2.0
    ours = getattr(F, name)(ours_mid, inplace=True)
    theirs = getattr(torch_F, name)(theirs_mid, inplace=True)
    assert ours is ours_mid
    numpy.testing.assert_allclose(ours_mid.detach().numpy(), theirs_mid.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    numpy.testing.assert_allclose(ours_leaf.grad.numpy(), theirs_leaf.grad.numpy(), rtol=1e-12)


def test_inplace_without_grad_writes_into_the_array():
    x = tl.tensor([-1.0, 2.0, -3.0])
    array = x.data
    assert F.relu(x, inplace=True) is x
    numpy.testing.assert_array_equal(array, [0.0, 2.0, 0.0])


def test_inplace_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(tl.tensor([1.0, -1.0], requires_grad=True), inplace=True)


def test_out_of_place_leaves_input_alone():
    x = tl.tensor([-1.0, 2.0])
    F.relu(x)
    F.leaky_relu(x)
    assert x.tolist() == [-1.0, 2.0]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float16, tl.float32, tl.float64])
def test_dtype_and_device_preserved(device, dtype):
    x = tl.randn(3, 4, device=device).to(dtype)
    for name in ["relu", "leaky_relu", "hardtanh", "relu6", "gelu", "silu", "elu", "selu", "celu",
                 "softplus", "mish", "sigmoid", "tanh", "logsigmoid"]:
        out = getattr(F, name)(x)
        assert out.dtype == dtype and out.device == x.device, name


def test_bad_arguments():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(tl.ones(2), approximate="fast")
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(tl.ones(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="alpha"):
        F.celu(tl.ones(2), alpha=0.0)


@pytest.mark.parametrize("dtype", [tl.float16, tl.float32, tl.float64])
def test_gelu_of_infinities(dtype):
    # A deliberate difference (README): gelu(inf) is inf, as in PyTorch's float64 kernel; its
    # float16/float32 kernels give NaN there. gelu(-inf) = -inf * 0 is NaN in both.
    out = F.gelu(tl.tensor([float("inf"), float("-inf")], dtype=dtype)).numpy()
    assert out[0] == numpy.inf and numpy.isnan(out[1])


def test_hardtanh_of_unsigned_with_negative_limits_is_refused_like_pytorch():
    # It clamped (uint8 253 stayed 1); PyTorch refuses, and relu6's (0, 6) is fine.
    with pytest.raises(RuntimeError, match="unsigned type .* negative limits"):
        F.hardtanh(tl.tensor([253, 1], dtype=tl.uint8))
    assert F.relu6(tl.tensor([253, 1], dtype=tl.uint8)).tolist() == [6, 1]
    assert F.hardtanh(tl.tensor([6], dtype=tl.uint8), -0.5, 0.5).tolist() == [0]  # -0.5 is 0


@requires_torch
@pytest.mark.parametrize("name", ["gelu", "gelu tanh", "silu", "mish"])
@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
def test_smooth_activation_gradients_under_infinite_upstream_gradients(name, dtype):
    # Built by the product rule (x * Phi(x), x * sigmoid(x), ...), an infinite upstream gradient
    # met a zero factor (inf * 0 = NaN) where PyTorch's one-expression gradient is +-inf; and
    # float16 rounded tiny slopes (and 1000 ** 3) in float16 where PyTorch computes in float32.
    call, _ = ACTIVATIONS[name]
    values = numpy.array([-1000.0, -30.0, -6.0, -2.0, -0.0, 0.5, 3.0, 30.0, 1000.0, -numpy.inf,
                          numpy.nan])
    upstream = numpy.array([numpy.inf, -numpy.inf, numpy.inf, numpy.inf, 1.0, -numpy.inf, 2.0,
                            numpy.inf, 1.0, 1.0, 1.0])
    if name == "gelu":  # gelu(-6) and (-30) are 0 in float16/32 (1 + erf cancels)
        upstream[1:3] = 1.0

    def activation(x):
        ours = isinstance(x, tl.Tensor)
        return call(F if ours else torch_F, x) * (tl if ours else torch).tensor(upstream.astype(dtype))

    tolerance = 3e-3 if dtype == numpy.float16 else 1e-5
    check_parity(activation, activation, values, dtype=dtype, atol=tolerance, rtol=tolerance)


def test_hardtanh_bounds_must_fit_float16_like_pytorch():
    # They were used unchecked; PyTorch refuses bounds a float16 cannot hold.
    with pytest.raises(RuntimeError, match="without overflow"):
        F.hardtanh(tl.ones(2, dtype=tl.float16), -1e30, 1e30)
    assert F.hardtanh(tl.ones(2, dtype=tl.float32), -1e30, 0.5).tolist() == [0.5, 0.5]


# ----- integer inputs (issue 8) -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
                                  "softplus", "logsigmoid"])
def test_integer_input_is_refused_like_pytorch(name):
    with pytest.raises(NotImplementedError, match="int64"):
        getattr(F, name)(tl.tensor([1, -2]))


@pytest.mark.parametrize("name, expected", [("relu", [1, 0]), ("hardtanh", [1, -1]),
                                            ("relu6", [1, 0])])
def test_piecewise_linear_activations_keep_an_integer_dtype(name, expected):
    result = getattr(F, name)(tl.tensor([1, -2]))
    assert result.dtype == tl.int64 and result.tolist() == expected
