"""Tests for tinygrad_lite/nn/functional/conv.py: conv1d and conv2d (values, gradients, errors)."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, random_arrays, requires_torch, torch

# PyTorch warns that it copies the input for an even 'same' kernel; that is its business.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# (input shape, weight shape, keyword arguments): strides, paddings, dilations, groups, and the
# stride-1 fast col2im path as well as the general strided one.
CONV2D_CASES = [
    ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    ((2, 3, 6, 5), (4, 3, 3, 2), {"stride": 2}),
    ((2, 3, 7, 6), (4, 3, 3, 3), {"stride": (2, 1), "padding": (1, 2)}),
    ((1, 2, 7, 7), (3, 2, 2, 3), {"dilation": (2, 1), "padding": 1}),
    ((2, 4, 6, 6), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 7, 5), (4, 1, 3, 3), {"groups": 4, "stride": 2, "dilation": 2, "padding": 2}),
    ((2, 3, 6, 5), (4, 3, 2, 2), {"padding": "same"}),
    ((2, 3, 6, 5), (2, 3, 3, 2), {"padding": "same", "dilation": (1, 2)}),
    ((2, 3, 6, 5), (4, 3, 3, 3), {"padding": "valid", "stride": 3}),
    ((3, 6, 5), (4, 3, 3, 3), {"padding": 1}),  # unbatched
]
CONV1D_CASES = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 3, 9), (4, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 4, 10), (6, 2, 3), {"groups": 2, "dilation": 2, "padding": (2,)}),
    ((2, 3, 8), (4, 3, 4), {"padding": "same"}),
    ((3, 9), (4, 3, 3), {"stride": 3}),  # unbatched
]


def _case_id(case):
    return f"{case[0]}-{case[1]}-{case[2]}"


@pytest.mark.parametrize("case", CONV2D_CASES, ids=_case_id)
def test_conv2d_gradcheck(case):
    x_shape, w_shape, kwargs = case
    check_gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kwargs), x_shape, w_shape, (w_shape[0],))


@pytest.mark.parametrize("case", CONV1D_CASES, ids=_case_id)
def test_conv1d_gradcheck(case):
    x_shape, w_shape, kwargs = case
    check_gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kwargs), x_shape, w_shape, (w_shape[0],))


@requires_torch
@pytest.mark.parametrize("case", CONV2D_CASES, ids=_case_id)
def test_conv2d_parity(case):
    x_shape, w_shape, kwargs = case
    check_parity(lambda x, w, b: F.conv2d(x, w, b, **kwargs),
                 lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs),
                 x_shape, w_shape, (w_shape[0],))


@requires_torch
@pytest.mark.parametrize("case", CONV1D_CASES, ids=_case_id)
def test_conv1d_parity(case):
    x_shape, w_shape, kwargs = case
    check_parity(lambda x, w, b: F.conv1d(x, w, b, **kwargs),
                 lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kwargs),
                 x_shape, w_shape, (w_shape[0],))


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "padding": 1}], ids=str)
def test_conv2d_parity_without_bias_float64(kwargs):
    check_parity(lambda x, w: F.conv2d(x, w, **kwargs),
                 lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs),
                 (2, 3, 7, 6), (5, 3, 3, 3), dtype=numpy.float64, atol=1e-12, rtol=1e-10)


@requires_torch
def test_conv2d_parity_benchmark_shapes():
    """The benchmark's second layer: 16 -> 32 channels, 3x3, on 13x13 maps (float32)."""
    # 2x the contract: 144-term float32 sums (484-term for the weight gradient) are added in
    # another order than PyTorch's; the worst element measures 1.5x.
    check_parity(lambda x, w, b: F.conv2d(x, w, b),
                 lambda x, w, b: torch.nn.functional.conv2d(x, w, b),
                 (4, 16, 13, 13), (32, 16, 3, 3), (32,), atol=2e-5, rtol=2e-5)


@pytest.mark.parametrize("case", [CONV2D_CASES[1], CONV2D_CASES[4], CONV2D_CASES[6]], ids=_case_id)
def test_conv2d_double_backward(case):
    """Gradients of the gradients (w.r.t. x, w and the upstream gradient) are exact."""
    x_shape, w_shape, kwargs = case
    out_shape = tuple(F.conv2d(tl.zeros(x_shape, dtype=tl.float64),
                               tl.zeros(w_shape, dtype=tl.float64), **kwargs).shape)

    def first_grads(x, w, g):
        out = F.conv2d(x, w, **kwargs)
        return tl.autograd.grad((out * g).sum(), (x, w), create_graph=True)

    check_gradcheck(first_grads, x_shape, w_shape, out_shape)


def test_conv1d_gradgradcheck():
    x, w = random_arrays([(2, 2, 7), (3, 2, 3)])
    inputs = [tl.tensor(x, requires_grad=True), tl.tensor(w, requires_grad=True)]
    assert tl.autograd.gradgradcheck(lambda a, b: F.conv1d(a, b, stride=2, padding=1) ** 2, inputs)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_conv_keeps_dtype(device, dtype):
    x = tl.randn(2, 3, 6, 6, dtype=dtype, device=device, requires_grad=True)
    w = tl.randn(4, 3, 3, 3, dtype=dtype, device=device, requires_grad=True)
    b = tl.randn(4, dtype=dtype, device=device, requires_grad=True)
    out = F.conv2d(x, w, b, padding=1)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype and w.grad.dtype == dtype
    assert b.grad.dtype == dtype
    out1d = F.conv1d(x[:, :, 0], w[:, :, 0], stride=2)
    assert out1d.dtype == dtype and tuple(out1d.shape) == (2, 4, 2)


@pytest.mark.parametrize("device", DEVICES)
def test_conv2d_known_values(device):
    """A 2x2 all-ones kernel sums each window; the input gradient counts window memberships."""
    x = tl.arange(16, dtype=tl.float32, device=device).reshape(1, 1, 4, 4).requires_grad_()
    w = tl.ones(1, 1, 2, 2, device=device)
    out = F.conv2d(x, w, stride=2)
    numpy.testing.assert_array_equal(out.numpy(force=True)[0, 0], [[10.0, 18.0], [42.0, 50.0]])
    F.conv2d(x, w).sum().backward()
    expected = numpy.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], numpy.float32)
    numpy.testing.assert_array_equal(x.grad.numpy(force=True)[0, 0], expected)


def test_conv2d_without_grad_and_empty_batch():
    x, w = tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3)
    with tl.no_grad():
        out = F.conv2d(x, w, padding=1)
    assert out.grad_fn is None and tuple(out.shape) == (2, 4, 5, 5)
    assert tuple(F.conv2d(tl.randn(0, 3, 5, 5), w).shape) == (0, 4, 3, 3)


# (input shape, weight shape, keyword arguments) of convolutions over an empty batch
EMPTY_BATCHES = [
    ((0, 2, 3), (4, 2, 2), {}),
    ((0, 2, 3), (4, 1, 2), {"groups": 2, "padding": 1}),
    ((0, 2, 0), (1, 2, 1), {"padding": 1}),
    ((0, 2, 3, 3), (2, 2, 2, 2), {"stride": 2, "dilation": 1, "padding": "same"}),
]


@requires_torch
@pytest.mark.parametrize("case", EMPTY_BATCHES, ids=_case_id)
def test_conv_over_an_empty_batch_matches_pytorch(case):
    # A raw NumPy "cannot reshape array of size 0" came out of im2col.
    input_shape, weight_shape, kwargs = case
    if kwargs.get("padding") == "same":
        kwargs = {"padding": "same"}

    def conv(x, w, b):
        library = F if isinstance(x, tl.Tensor) else torch.nn.functional
        return getattr(library, f"conv{len(input_shape) - 2}d")(x, w, b, **kwargs)

    check_parity(conv, conv, input_shape, weight_shape, (weight_shape[0],), dtype=numpy.float64)


@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("kwargs", [{}, {"padding": 1, "groups": 2}], ids=str)
def test_conv_over_no_input_channels_gives_the_bias(kwargs, unbatched):
    # A deliberate difference (README): PyTorch returns 0 output channels here (its (N, 0, L_out)
    # ignores the weight's 4 output channels); ours is the (N, C_out, L_out) the formula gives,
    # a sum over no channels plus the bias. These raised a NumPy reshape error.
    x = tl.zeros((0, 3) if unbatched else (2, 0, 3), requires_grad=True)
    w, b = tl.zeros((4, 0, 2), requires_grad=True), tl.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    out = F.conv1d(x, w, b, **kwargs)
    length = 4 if kwargs else 2
    assert out.shape == ((4, length) if unbatched else (2, 4, length))
    numpy.testing.assert_array_equal(out.detach().numpy(), numpy.broadcast_to(
        numpy.array([1.0, 2.0, 3.0, 4.0])[:, None], out.shape))
    out.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == (4, 0, 2)
    numpy.testing.assert_array_equal(b.grad.numpy(), [length * (1 if unbatched else 2)] * 4)


def test_conv_over_no_positions_or_no_output_channels_is_refused():
    # PyTorch's rules: a non-empty batch of non-empty channels needs positions, and the weight
    # needs at least ``groups`` output channels (both gave a result or a NumPy error here).
    with pytest.raises(RuntimeError, match=r"only zero batch or zero channel inputs.*\[2, 2, 0\]"):
        F.conv1d(tl.zeros((2, 2, 0)), tl.ones((1, 2, 1)), padding=1)
    with pytest.raises(RuntimeError, match=r"expected weight to be at least 1 at dimension 0"):
        F.conv1d(tl.zeros((2, 2, 3)), tl.ones((0, 2, 2)))


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"dilation": 2}, {"padding": "same", "groups": 2}],
                         ids=str)
def test_conv_gradients_with_infinite_weights_match_pytorch(kwargs):
    # The stride-1 input gradient multiplied the weight by zeros past the output's edge, so an
    # infinite weight gave NaN where PyTorch gives finite gradients.
    weight = numpy.array([[[0.0, -2.0], [-numpy.inf, -0.0]], [[1.0, 1.0], [-4.0, 2.5]],
                          [[3.0, 1.0], [-4.0, 2.0]], [[-1.0, 0.0], [1.0, 1.0]]])
    x = numpy.array([[[1.0, -1.0, 2.0, 0.5, 3.0], [2.0, 1.0, 0.0, -1.0, 1.0]]])
    x = numpy.concatenate([x] * kwargs.get("groups", 1), axis=1)

    def conv(x, w):
        return (F if isinstance(x, tl.Tensor) else torch.nn.functional).conv1d(x, w, **kwargs)

    check_parity(conv, conv, x, weight, dtype=numpy.float64, grad_inputs=[0])


@requires_torch
@pytest.mark.parametrize("dims", [1, 2])
def test_conv_padding_times_an_infinite_weight_is_nan(dims):
    # A deliberate difference (README): zero padding is multiplied like any input, as PyTorch's
    # float64 kernels and most of its float32 ones do (0 * inf = NaN); its float16 and some
    # float32 (oneDNN) kernels skip the padding and give 0 there.
    x = numpy.ones((1, 1) + (3,) * dims)
    weight = numpy.full((1, 1) + (1,) * dims, numpy.inf)

    def conv(x, w):
        library = F if isinstance(x, tl.Tensor) else torch.nn.functional
        return getattr(library, f"conv{dims}d")(x, w, padding=1)

    check_parity(conv, conv, x, weight, dtype=numpy.float64)
    out = conv(tl.tensor(x), tl.tensor(weight)).numpy()
    assert numpy.isnan(out.reshape(-1)[0]) and numpy.isinf(out[(0, 0) + (1,) * dims])


def test_conv2d_input_only_and_weight_only_gradients():
    x = tl.randn(2, 3, 5, 5, dtype=tl.float64, requires_grad=True)
    w = tl.randn(4, 3, 3, 3, dtype=tl.float64)
    F.conv2d(x, w).sum().backward()
    assert x.grad is not None and w.grad is None
    x2 = tl.randn(2, 3, 5, 5, dtype=tl.float64)
    w2 = tl.randn(4, 3, 3, 3, dtype=tl.float64, requires_grad=True)
    F.conv2d(x2, w2).sum().backward()
    # d sum(conv)/dw[o, c, i, j] is the sum of the input pixels tap (i, j) sees in channel c.
    expected = numpy.stack([x2.numpy()[:, :, i:i + 3, j:j + 3].sum((0, 2, 3))
                            for i in range(3) for j in range(3)], axis=-1).reshape(3, 3, 3)
    numpy.testing.assert_allclose(w2.grad.numpy()[0], expected, rtol=1e-12)


# ----- errors -------------------------------------------------------------------------------------
ERRORS = [
    ("channels", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 2, 3, 3)),
     r"weight of size \[4, 2, 3, 3\], expected input\[2, 3, 5, 5\] to have 2 channels, but got 3"),
    ("grouped channels", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), groups=2),
     r"groups=2, weight of size \[4, 3, 3, 3\], expected input\[2, 3, 5, 5\] to have 6 channels"),
    ("groups divide out", lambda: F.conv2d(tl.randn(2, 4, 5, 5), tl.randn(3, 2, 3, 3), groups=2),
     r"groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size "
     r"\[3, 2, 3, 3\]"),
    ("kernel too big", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 7, 6), padding=(1, 0)),
     r"padded input size per channel: \(7 x 5\). Kernel size: \(7 x 6\). Kernel size can't be "
     r"greater than actual input size"),
    ("dilated kernel too big", lambda: F.conv1d(tl.randn(2, 3, 5), tl.randn(4, 3, 3), dilation=3),
     r"padded input size per channel: \(5\). Kernel size: \(7\)"),
    ("input dims", lambda: F.conv2d(tl.randn(5, 5), tl.randn(4, 3, 3, 3)),
     r"expected 3D \(unbatched\) or 4D \(batched\) input, but got input of size \[5, 5\]"),
    ("weight dims", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3)),
     r"4D weight .* got weight of size \[4, 3, 3\]"),
    ("bias", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), tl.randn(3)),
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\]"),
    ("dtype", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3, dtype=tl.float64)),
     r"input dtype tl.float32 and weight dtype tl.float64"),
    ("padding string", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), padding="full"),
     r"invalid padding string 'full'"),
    ("same strided", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), padding="same",
                                      stride=2),
     r"padding='same' is not supported for strided convolutions"),
    ("negative padding", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), padding=-1),
     r"negative padding is not supported"),
    ("zero stride", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), stride=0),
     r"non-positive stride is not supported"),
    ("zero dilation", lambda: F.conv1d(tl.randn(2, 3, 5), tl.randn(4, 3, 3), dilation=0),
     r"non-positive dilation is not supported"),
    ("stride length",
     lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), stride=(1, 2, 3)),
     r"expected stride to be a single integer value or a list of 2"),
    ("zero groups", lambda: F.conv2d(tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), groups=0),
     r"non-positive groups is not supported"),
]


@pytest.mark.parametrize("call, message", [case[1:] for case in ERRORS], ids=[c[0] for c in ERRORS])
def test_conv_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


@pytest.mark.parametrize("kwargs", [{}, {"padding": 1}, {"stride": 2, "padding": 1}], ids=str)
def test_conv2d_results_own_their_memory(kwargs):
    """Kernels reuse scratch buffers between calls; outputs and gradients must never alias them.

    A hook sees the raw gradient (before the engine copies views into ``.grad``).
    """
    x1, x2, w = (tl.tensor(a, requires_grad=True)
                 for a in random_arrays([(1, 2, 5, 5), (1, 2, 5, 5), (3, 2, 3, 3)]))
    seen = []
    x1.register_hook(seen.append)
    out = F.conv2d(x1, w, **kwargs)
    out.sum().backward()
    kept_out, kept_grad = out.detach().numpy().copy(), seen[0].numpy().copy()
    (F.conv2d(x2, w, **kwargs) * 2.0).sum().backward()
    numpy.testing.assert_array_equal(out.detach().numpy(), kept_out)
    numpy.testing.assert_array_equal(seen[0].numpy(), kept_grad)


def test_conv_rejects_non_tensors():
    with pytest.raises(TypeError, match="weight must be a Tensor"):
        F.conv2d(tl.randn(1, 1, 3, 3), numpy.ones((1, 1, 2, 2)))
