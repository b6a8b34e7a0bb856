"""Tests for tinygrad_lite/nn/functional/normalization.py: layer_norm, batch_norm, group_norm,
rms_norm, normalize."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F


def _lib(x):
    return F if isinstance(x, tl.Tensor) else torch_F


# ----- layer_norm ---------------------------------------------------------------------------------
LAYER_NORM_CASES = {
    "last dim": ((3, 5), (5,)),
    "last two dims": ((2, 3, 4), (3, 4)),
    "4-d input": ((2, 2, 3, 4), (4,)),
}


@pytest.mark.parametrize("case", list(LAYER_NORM_CASES))
@pytest.mark.parametrize("affine", ["none", "weight", "weight and bias"])
def test_layer_norm_gradcheck(case, affine):
    shape, normalized = LAYER_NORM_CASES[case]
    if affine == "none":
        check_gradcheck(lambda x: F.layer_norm(x, normalized), shape)
    elif affine == "weight":
        check_gradcheck(lambda x, w: F.layer_norm(x, normalized, w), shape, normalized)
    else:
        check_gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3), shape,
                        normalized, normalized)


@requires_torch
@pytest.mark.parametrize("case", list(LAYER_NORM_CASES))
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_layer_norm_parity(case, dtype):
    shape, normalized = LAYER_NORM_CASES[case]
    check_parity(lambda x, w, b: _lib(x).layer_norm(x, normalized, w, b, eps=1e-4),
                 lambda x, w, b: _lib(x).layer_norm(x, normalized, w, b, eps=1e-4),
                 shape, normalized, normalized, dtype=dtype)


@requires_torch
def test_layer_norm_int_shape_and_no_affine():
    check_parity(lambda x: F.layer_norm(x, 4), lambda x: torch_F.layer_norm(x, (4,)), (3, 4))


@requires_torch
@pytest.mark.parametrize("rows", [
    [[2.0, 1e30, -4.0], [1.0, 2.0, 3.0]],   # the mean's square overflows: NaN (was the bias)
    [[1e30], [-1e30]],
    [[1e30, -1e30, 1.0], [5.0, 5.0, 5.0]],  # it does not (the variance does): 0
    [[1.39, 1.39, 1.39], [-2.73, -2.73, -2.73]],  # constant rows are exactly 0 (the mean too)
], ids=["huge mean", "single huge", "huge cancelling", "constant"])
def test_layer_norm_of_extreme_and_constant_rows_matches_pytorch(rows):
    x = numpy.array(rows, dtype=numpy.float32)
    bias = numpy.arange(x.shape[1], dtype=numpy.float32)

    def norm(x, b):
        return _lib(x).layer_norm(x, x.shape[-1:], None, b)

    check_parity(norm, norm, x, bias, dtype=None, atol=1e-6, grad=False)


def test_layer_norm_of_a_long_row_with_a_huge_mean_is_nan():
    # A deliberate difference (README): PyTorch gives 0 (the bias) for rows of 8 or more
    # elements here and NaN for shorter ones; ours is NaN whatever the length.
    x = tl.tensor([[1.0, 2, 3, 4, 5, 6, 7, 8, 1e30]])
    assert numpy.isnan(F.layer_norm(x, (9,)).numpy()).all()


def test_layer_norm_bad_shapes():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[2, 3\]"):
        F.layer_norm(tl.zeros(2, 3), (4,))
    with pytest.raises(RuntimeError, match="weight of shape"):
        F.layer_norm(tl.zeros(2, 3), (3,), weight=tl.ones(4))
    with pytest.raises(RuntimeError, match="floating point"):
        F.layer_norm(tl.zeros(2, 3, dtype=tl.int64), (3,))


# ----- batch_norm ---------------------------------------------------------------------------------
BATCH_SHAPES = [(6, 3), (4, 3, 5), (2, 3, 4, 4)]


@pytest.mark.parametrize("shape", BATCH_SHAPES, ids=str)
def test_batch_norm_training_gradcheck(shape):
    check_gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), shape, (3,), (3,))


@pytest.mark.parametrize("shape", BATCH_SHAPES, ids=str)
def test_batch_norm_eval_gradcheck(shape):
    running_var = numpy.random.default_rng(1).uniform(0.5, 2.0, 3)
    check_gradcheck(lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False),
                    shape, (3,), running_var, (3,), (3,), grad_inputs=(0, 3, 4))


@requires_torch
@pytest.mark.parametrize("shape", BATCH_SHAPES, ids=str)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_batch_norm_parity(shape, training, dtype):
    def run(x, w, b):
        lib = tl if isinstance(x, tl.Tensor) else torch
        mean = lib.tensor(numpy.linspace(-0.5, 0.5, 3).astype(dtype))
        var = lib.tensor(numpy.linspace(0.5, 2.0, 3).astype(dtype))
        return _lib(x).batch_norm(x, mean, var, w, b, training=training, momentum=0.2, eps=1e-3)

    check_parity(run, run, shape, (3,), (3,), dtype=dtype)


@requires_torch
@pytest.mark.parametrize("shape", BATCH_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_batch_norm_running_stats_match_torch_over_steps(shape, dtype):
    rng = numpy.random.default_rng(7)
    ours_mean, ours_var = tl.zeros(3, dtype=dtype), tl.ones(3, dtype=dtype)
    torch_dtype = getattr(torch, numpy.dtype(dtype).name)
    theirs_mean, theirs_var = torch.zeros(3, dtype=torch_dtype), torch.ones(3, dtype=torch_dtype)
    mean_array = ours_mean.data
    for _ in range(4):
        batch = (rng.standard_normal(shape) * 3.0 + 1.5).astype(dtype)
        F.batch_norm(tl.tensor(batch), ours_mean, ours_var, training=True, momentum=0.3)
        torch_F.batch_norm(torch.tensor(batch), theirs_mean, theirs_var, training=True, momentum=0.3)
    assert ours_mean.data is mean_array  # updated in place, not replaced
    assert ours_mean.dtype == dtype and ours_var.dtype == dtype
    tolerance = 1e-6 if dtype == numpy.float32 else 1e-12
    numpy.testing.assert_allclose(ours_mean.numpy(), theirs_mean.numpy(), rtol=tolerance)
    numpy.testing.assert_allclose(ours_var.numpy(), theirs_var.numpy(), rtol=tolerance)
    assert not numpy.allclose(ours_var.numpy(), 1.0)


def test_batch_norm_running_var_is_unbiased():
    x = tl.tensor([[1.0], [3.0]])
    mean, var = tl.zeros(1), tl.ones(1)
    F.batch_norm(x, mean, var, training=True, momentum=1.0)
    assert mean.item() == pytest.approx(2.0)
    assert var.item() == pytest.approx(2.0)  # (1 + 1) / (2 - 1), not the biased 1.0


def test_batch_norm_eval_leaves_running_stats_alone():
    mean, var = tl.tensor([0.5, -0.5]), tl.tensor([2.0, 3.0])
    F.batch_norm(tl.randn(4, 2), mean, var, training=False)
    assert mean.tolist() == [0.5, -0.5] and var.tolist() == [2.0, 3.0]


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(tl.randn(1, 4), tl.zeros(4), tl.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"running_mean of shape \[3\]"):
        F.batch_norm(tl.randn(2, 4), tl.zeros(3), tl.ones(3), training=True)
    with pytest.raises(RuntimeError, match="evaluation mode"):
        F.batch_norm(tl.randn(2, 4), None, None, training=False)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.batch_norm(tl.randn(4), tl.zeros(4), tl.ones(4), training=True)


# ----- group_norm, rms_norm, normalize ------------------------------------------------------------
@pytest.mark.parametrize("shape, groups", [((2, 6), 3), ((2, 6, 4), 2), ((2, 4, 3, 3), 4)], ids=str)
def test_group_norm_gradcheck(shape, groups):
    channels = shape[1]
    check_gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b), shape, (channels,), (channels,))


@requires_torch
@pytest.mark.parametrize("shape, groups", [((2, 6), 3), ((2, 6, 4), 2), ((2, 4, 3, 3), 1)], ids=str)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_group_norm_parity(shape, groups, dtype):
    channels = shape[1]
    check_parity(lambda x, w, b: _lib(x).group_norm(x, groups, w, b),
                 lambda x, w, b: _lib(x).group_norm(x, groups, w, b), shape, (channels,),
                 (channels,), dtype=dtype)


def test_group_norm_bad_groups():
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(tl.randn(2, 6, 3), 4)


@requires_torch
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_rms_norm_parity(eps, dtype):
    check_parity(lambda x, w: _lib(x).rms_norm(x, (4,), w, eps),
                 lambda x, w: _lib(x).rms_norm(x, (4,), w, eps), (3, 4), (4,), dtype=dtype)
    check_gradcheck(lambda x, w: F.rms_norm(x, [4], w, eps), (3, 4), (4,))


@requires_torch
@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    check_parity(lambda x: _lib(x).normalize(x, p, dim), lambda x: _lib(x).normalize(x, p, dim),
                 (3, 4), atol=1e-6, rtol=1e-5)
    check_gradcheck(lambda x: F.normalize(x, p, dim), (3, 4))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_dtype_and_device_preserved(device, dtype):
    x = tl.randn(4, 3, 2, device=device).to(dtype)
    weight = tl.ones(3, device=device, dtype=dtype)
    outputs = [F.layer_norm(x, (3, 2)), F.group_norm(x, 3, weight), F.rms_norm(x, (2,)),
               F.batch_norm(x, None, None, weight, training=True), F.normalize(x)]
    for out in outputs:
        assert out.dtype == dtype and out.device == x.device and out.shape == x.shape


@pytest.mark.parametrize("call", [
    lambda x, w: F.layer_norm(x, (3,), w),
    lambda x, w: F.batch_norm(x, None, None, w, training=True),
    lambda x, w: F.batch_norm(x, tl.zeros(3), tl.ones(3), w, training=False),
    lambda x, w: F.group_norm(x, 1, w),
])
def test_norms_refuse_a_float64_input_with_float32_parameters(call):
    x = tl.randn(2, 3, dtype=tl.float64)
    with pytest.raises(RuntimeError, match="float32.*float64|float64.*float32"):
        call(x, tl.ones(3))


def test_norms_accept_half_input_with_float32_parameters_like_pytorch_mixed_precision():
    x = tl.randn(4, 3).half()
    weight = tl.full((3,), 2.0, requires_grad=True)
    out = F.layer_norm(x, (3,), weight, tl.zeros(3))
    assert out.dtype == tl.float16
    expected = F.layer_norm(x.float(), (3,), weight.detach(), tl.zeros(3)).numpy()
    numpy.testing.assert_allclose(out.float().detach().numpy(), expected, atol=2e-3)
    out.float().sum().backward()
    assert weight.grad.dtype == tl.float32
    out = F.batch_norm(x, tl.zeros(3), tl.ones(3), tl.ones(3), tl.zeros(3), training=False)
    assert out.dtype == tl.float16


@requires_torch
def test_half_layer_norm_is_as_accurate_as_pytorchs():
    """PyTorch's float16 layer_norm is within one float16 rounding of the float32 result."""
    x = numpy.random.default_rng(0).standard_normal((64, 3)).astype(numpy.float16)
    weight = numpy.full(3, 2.0, numpy.float32)
    exact = torch_F.layer_norm(torch.tensor(x).float(), (3,), torch.tensor(weight)).numpy()
    theirs = torch_F.layer_norm(torch.tensor(x), (3,), torch.tensor(weight)).float().numpy()
    ours = F.layer_norm(tl.tensor(x), (3,), tl.tensor(weight)).float().numpy()
    rounding = 2.0 ** -11 * numpy.abs(exact) + 1e-7  # half a float16 step
    assert numpy.all(numpy.abs(theirs - exact) <= rounding)
    assert numpy.all(numpy.abs(ours - exact) <= rounding)
