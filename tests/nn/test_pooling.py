"""Tests for tinygrad_lite/nn/functional/pooling.py: max, average and adaptive average pooling."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, random_arrays, requires_torch, torch

MAX_POOL2D_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "dilation": (2, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 1, "padding": 1},
]
AVG_POOL2D_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "count_include_pad": False},
    {"kernel_size": 3, "padding": 1, "divisor_override": 5},
]
ADAPTIVE_SIZES = [3, (3, 5), (None, 2), (7, 8), (1, 1), (5, 3), (4, None)]
SHAPE = (2, 3, 7, 8)


# ----- max pooling --------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", MAX_POOL2D_CASES, ids=str)
def test_max_pool2d_gradcheck(kwargs):
    check_gradcheck(lambda x: F.max_pool2d(x, **kwargs), SHAPE)


@requires_torch
@pytest.mark.parametrize("kwargs", MAX_POOL2D_CASES, ids=str)
@pytest.mark.parametrize("relu", [False, True], ids=["distinct", "ties"])
def test_max_pool2d_parity(kwargs, relu):
    """Values, int64 indices and gradients; after a ReLU, ties pick the first max like PyTorch."""
    (x,) = random_arrays([SHAPE])
    x = numpy.maximum(x, 0.0) if relu else x
    check_parity(lambda t: F.max_pool2d(t, **kwargs, return_indices=True),
                 lambda t: torch.nn.functional.max_pool2d(t, **kwargs, return_indices=True), x)


@requires_torch
@pytest.mark.parametrize("kwargs", [{"kernel_size": 3, "stride": 2, "padding": 1},
                                    {"kernel_size": 2, "dilation": 2, "ceil_mode": True},
                                    {"kernel_size": 4}], ids=str)
def test_max_pool1d_parity(kwargs):
    check_parity(lambda t: F.max_pool1d(t, **kwargs, return_indices=True),
                 lambda t: torch.nn.functional.max_pool1d(t, **kwargs, return_indices=True),
                 (2, 3, 11))
    check_gradcheck(lambda t: F.max_pool1d(t, **kwargs), (2, 3, 11))


@requires_torch
def test_max_pool2d_non_finite_like_pytorch():
    """-inf-only windows point at their first in-bounds pixel; NaN propagates like PyTorch."""
    (x,) = random_arrays([(1, 2, 6, 6)])
    x[0, 0, :3, :3] = -numpy.inf
    x[0, 1, 0, 1] = x[0, 1, 1, 0] = numpy.nan  # two NaNs in one window: PyTorch reports the last
    ours, our_indices = F.max_pool2d(tl.tensor(x), 3, 2, 1, return_indices=True)
    theirs, their_indices = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1,
                                                           return_indices=True)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    numpy.testing.assert_array_equal(our_indices.numpy(), their_indices.numpy())


def test_max_pool2d_gradient_goes_to_first_max():
    x = tl.tensor([[[[1.0, 1.0], [1.0, 0.0]]]], requires_grad=True)
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    assert indices.dtype == tl.int64 and indices.item() == 0
    numpy.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool2d_double_backward():
    """The gradient w.r.t. the upstream gradient selects the max (adjoint of the routing)."""
    out_shape = (2, 3, 4, 4)

    def first_grad(x, g):
        out = F.max_pool2d(x, 3, 2, 1)
        return tl.autograd.grad((out * g).sum(), x, create_graph=True)

    check_gradcheck(first_grad, SHAPE, out_shape)


# ----- average pooling ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", AVG_POOL2D_CASES, ids=str)
def test_avg_pool2d_gradcheck(kwargs):
    check_gradcheck(lambda x: F.avg_pool2d(x, **kwargs), SHAPE)


@requires_torch
@pytest.mark.parametrize("kwargs", AVG_POOL2D_CASES, ids=str)
def test_avg_pool2d_parity(kwargs):
    check_parity(lambda t: F.avg_pool2d(t, **kwargs),
                 lambda t: torch.nn.functional.avg_pool2d(t, **kwargs), SHAPE)


@requires_torch
@pytest.mark.parametrize("args", [(3,), (3, 2, 1, True, False), (4, 3, 2, True, True),
                                  (2, None, 1)], ids=str)
def test_avg_pool1d_parity(args):
    check_parity(lambda t: F.avg_pool1d(t, *args),
                 lambda t: torch.nn.functional.avg_pool1d(t, *args),
                 (2, 3, 11))
    check_gradcheck(lambda t: F.avg_pool1d(t, *args), (2, 3, 11))


def test_avg_pool2d_known_values():
    """Ceil mode plus padding: PyTorch's divisors, window by window."""
    x = tl.ones(1, 1, 5, 5)
    counted = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True).numpy()[0, 0]
    uncounted = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                             count_include_pad=False).numpy()[0, 0]
    numpy.testing.assert_allclose(counted, [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9],
                                            [4 / 9, 6 / 9, 4 / 9]], rtol=1e-6)
    numpy.testing.assert_array_equal(uncounted, numpy.ones((3, 3), numpy.float32))


def test_avg_pool2d_double_backward():
    x = tl.tensor(random_arrays([SHAPE])[0], requires_grad=True)
    assert tl.autograd.gradgradcheck(
        lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False) ** 2, [x])


# ----- adaptive average pooling -------------------------------------------------------------------
@pytest.mark.parametrize("size", ADAPTIVE_SIZES, ids=str)
def test_adaptive_avg_pool2d_gradcheck(size):
    check_gradcheck(lambda x: F.adaptive_avg_pool2d(x, size), SHAPE)


@requires_torch
@pytest.mark.parametrize("size", ADAPTIVE_SIZES, ids=str)
def test_adaptive_avg_pool2d_parity(size):
    check_parity(lambda t: F.adaptive_avg_pool2d(t, size),
                 lambda t: torch.nn.functional.adaptive_avg_pool2d(t, size), SHAPE, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("size", [1, 4, 5, 11, 13], ids=str)
def test_adaptive_avg_pool1d_parity(size):
    check_parity(lambda t: F.adaptive_avg_pool1d(t, size),
                 lambda t: torch.nn.functional.adaptive_avg_pool1d(t, size), (2, 3, 11), atol=1e-6)


def test_adaptive_avg_pool2d_non_divisible_bins():
    """7 -> 3 bins are [0, 3), [2, 5), [4, 7): overlapping, as PyTorch defines them."""
    x = tl.arange(7, dtype=tl.float64).reshape(1, 1, 1, 7)
    out = F.adaptive_avg_pool2d(x, (1, 3)).numpy()[0, 0, 0]
    numpy.testing.assert_allclose(out, [1.0, 3.0, 5.0])


# ----- shared behaviour ---------------------------------------------------------------------------
POOLS = {
    "max": lambda x: F.max_pool2d(x, 2),
    "max ceil": lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "avg": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    "adaptive": lambda x: F.adaptive_avg_pool2d(x, (3, 5)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("name", list(POOLS))
def test_pooling_keeps_dtype(name, dtype, device):
    x = tl.randn(*SHAPE, dtype=dtype, device=device, requires_grad=True)
    out = POOLS[name](x)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype


@requires_torch
@pytest.mark.parametrize("name", list(POOLS))
def test_pooling_unbatched(name):
    reference = {
        "max": lambda x: torch.nn.functional.max_pool2d(x, 2),
        "max ceil": lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True),
        "avg": lambda x: torch.nn.functional.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        "adaptive": lambda x: torch.nn.functional.adaptive_avg_pool2d(x, (3, 5)),
    }[name]
    check_parity(POOLS[name], reference, SHAPE[1:])


@pytest.mark.parametrize("name", list(POOLS))
def test_pooling_empty_batch(name):
    x = tl.randn(0, 3, 7, 8, requires_grad=True)
    out = POOLS[name](x)
    out.sum().backward()
    assert out.shape[0] == 0 and tuple(x.grad.shape) == (0, 3, 7, 8)


def test_max_pool2d_integer_input():
    x = tl.tensor([[[[1, 5], [7, 3]]]])
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    assert out.dtype == tl.int64 and out.item() == 7 and indices.item() == 2


ERRORS = [
    ("pad too big", lambda: F.max_pool2d(tl.randn(*SHAPE), 3, padding=2),
     r"pad should be at most half of effective kernel size, but got pad=2, kernel_size=3"),
    ("avg pad too big", lambda: F.avg_pool2d(tl.randn(*SHAPE), 2, padding=2),
     r"pad should be at most half"),
    ("output too small", lambda: F.max_pool2d(tl.randn(1, 3, 5, 5), 7),
     r"given input size: \(3x5x5\). Calculated output size: \(3x-?\d+x-?\d+\). Output size is too "
     r"small"),
    ("input dims", lambda: F.max_pool2d(tl.randn(3, 5), 2),
     r"non-empty 3D \(unbatched\) or 4D \(batched\) input, but got input of size \[3, 5\]"),
    ("empty spatial", lambda: F.avg_pool2d(tl.randn(1, 3, 0, 4), 2), r"non-empty"),
    ("zero stride", lambda: F.max_pool2d(tl.randn(*SHAPE), 2, stride=0),
     r"stride should be greater than zero"),
    ("zero kernel", lambda: F.avg_pool2d(tl.randn(*SHAPE), 0), r"kernel size should be greater"),
    ("kernel length", lambda: F.max_pool2d(tl.randn(*SHAPE), (2, 2, 2)),
     r"expected kernel_size to be a single integer value or a list of 2"),
    ("zero divisor", lambda: F.avg_pool2d(tl.randn(*SHAPE), 2, divisor_override=0),
     r"divisor must be not zero"),
    ("int32 average", lambda: F.avg_pool2d(tl.tensor([[[[1, 2], [3, 4]]]], dtype=tl.int32), 2),
     r"not implemented for tl.int32"),
    ("bool max", lambda: F.max_pool2d(tl.ones(1, 1, 2, 2, dtype=tl.bool), 2), r"bool"),
    ("int adaptive", lambda: F.adaptive_avg_pool2d(tl.ones(1, 2, 2, dtype=tl.int64), 2),
     r"not implemented for tl.int64"),
    ("adaptive empty", lambda: F.adaptive_avg_pool2d(tl.randn(2, 3, 0, 4), 2),
     r"non-zero size for non-batch dimensions, but input has sizes \[2, 3, 0, 4\] with dimension "
     r"2 being empty"),
    ("adaptive size", lambda: F.adaptive_avg_pool2d(tl.randn(*SHAPE), (2, 2, 2)),
     r"output_size must have 2 elements"),
    ("adaptive negative", lambda: F.adaptive_avg_pool2d(tl.randn(*SHAPE), -1),
     r"elements of output_size must be non-negative"),
]


@pytest.mark.parametrize("call, message", [case[1:] for case in ERRORS], ids=[c[0] for c in ERRORS])
def test_pooling_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


@requires_torch
@pytest.mark.parametrize("kwargs", [{"kernel_size": 2},
                                    {"kernel_size": 3, "stride": 1, "padding": 1}], ids=str)
def test_max_pool2d_non_finite_gradient_stays_on_chosen_pixels(kwargs):
    (x,) = random_arrays([(1, 2, 6, 6)])
    upstream = numpy.ones(tuple(F.max_pool2d(tl.tensor(x), **kwargs).shape))
    upstream[0, 0, 0, 0], upstream[0, 1, 1, 1] = numpy.inf, numpy.nan
    ours, theirs = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(ours, **kwargs).backward(tl.tensor(upstream))
    torch.nn.functional.max_pool2d(theirs, **kwargs).backward(torch.tensor(upstream))
    numpy.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("pool", [lambda t: F.max_pool2d(t, 3, 2, 1),
                                  lambda t: F.avg_pool2d(t, 3, 2, 1),
                                  lambda t: F.max_pool2d(t, 2)], ids=["max", "avg", "max-unpadded"])
def test_pooling_results_own_their_memory(pool):
    """Kernels reuse scratch buffers between calls; outputs and gradients must never alias them."""
    first, second = (tl.tensor(a, requires_grad=True) for a in random_arrays([(1, 1, 6, 6)] * 2))
    seen = []
    first.register_hook(seen.append)  # the raw gradient, before the engine copies views
    out = pool(first)
    out.sum().backward()
    kept_out, kept_grad = out.detach().numpy().copy(), seen[0].numpy().copy()
    (pool(second) * 3.0).sum().backward()
    numpy.testing.assert_array_equal(out.detach().numpy(), kept_out)
    numpy.testing.assert_array_equal(seen[0].numpy(), kept_grad)


# ----- ceil mode with windows larger than the input (issue 8) ------------------------------------
CEIL_OVERHANG = [
    ("max", {"kernel_size": 2, "stride": 3, "ceil_mode": True}, [[1.0, 4.0], [6.0, 9.0]]),
    ("max", {"kernel_size": (3, 4), "stride": 3, "padding": 1, "ceil_mode": True},
     [[2.0, 4.0], [7.0, 9.0]]),
    ("avg", {"kernel_size": 2, "stride": 3, "ceil_mode": True}, [[0.5, 3.5], [5.5, 8.5]]),
    ("avg", {"kernel_size": (3, 4), "stride": 3, "padding": 1, "ceil_mode": True},
     [[0.25, 0.75], [1.5, 2.0]]),
    ("avg", {"kernel_size": (3, 4), "stride": 3, "padding": 1, "ceil_mode": True,
             "count_include_pad": False}, [[1.0, 3.0], [6.0, 8.0]]),
]


@pytest.mark.parametrize("kind, kwargs, expected", CEIL_OVERHANG,
                         ids=[f"{case[0]} {case[1]}" for case in CEIL_OVERHANG])
def test_ceil_mode_keeps_a_window_larger_than_the_input(kind, kwargs, expected):
    """PyTorch's rule: ceil((size + 2*pad - kernel) / stride) + 1 windows, the last one starting
    inside the input or its left padding, whatever it runs past."""
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    x = tl.arange(10.0).reshape(1, 2, 1, 5)
    assert pool(x, **kwargs).numpy()[0, :, 0].tolist() == expected
    check_gradcheck(lambda t: pool(t, **kwargs), (1, 2, 1, 5))


@requires_torch
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (1, 5), (3, 3)], ids=str)
@pytest.mark.parametrize("kernel, stride, padding", [(2, 3, 0), (3, 2, 1), (4, 3, 1), (4, 1, 2),
                                                     (3, None, 0)], ids=str)
def test_ceil_mode_parity_on_small_inputs(kind, size, kernel, stride, padding):
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": True}
    ours = F.max_pool2d if kind == "max" else F.avg_pool2d
    theirs = getattr(torch.nn.functional, f"{kind}_pool2d")
    try:
        expected_shape = theirs(torch.zeros(1, 2, *size), **kwargs).shape
    except RuntimeError:
        with pytest.raises(RuntimeError, match="Output size is too small"):
            ours(tl.zeros(1, 2, *size), **kwargs)
        return
    for count_include_pad in ([True, False] if kind == "avg" else [None]):
        if count_include_pad is not None:
            kwargs["count_include_pad"] = count_include_pad
        check_parity(lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), (1, 2) + size)
    assert ours(tl.zeros(1, 2, *size), **kwargs).shape == tuple(expected_shape)


@pytest.mark.parametrize("kwargs, expected", [
    ({"kernel_size": 2, "stride": 1}, [[-2, 1], [-1, 1]]),
    ({"kernel_size": 2, "stride": 1, "divisor_override": 3}, [[-3, 1], [-2, 1]]),
    ({"kernel_size": 2, "stride": 2, "ceil_mode": True}, [[-2, 6], [1, 1]]),
])
def test_avg_pool2d_of_int64_rounds_toward_zero(kwargs, expected):
    """PyTorch averages int64 (only) in int64, rounding toward zero: -11 / 4 is -2."""
    x = tl.tensor([[[[-1, -2, 5], [-3, -5, 7], [1, 1, 1]]]])
    result = F.avg_pool2d(x, **kwargs)
    assert result.dtype == tl.int64 and result.numpy()[0, 0].tolist() == expected


@pytest.mark.parametrize("size", [(3, 3), (2, 1), 1], ids=str)
def test_adaptive_avg_pool2d_keeps_inf_and_nan_in_their_bins(size):
    """Each bin averages only its own elements (an averaging matrix spread inf * 0 = NaN)."""
    inf, nan = float("inf"), float("nan")
    values = numpy.array([[[3.0, 0.0, inf], [3.0, 2.0, 3.0]], [[0.0, nan, -3.0], [1.0, 3.0, -1.0]]])
    x = tl.tensor(values, requires_grad=True)
    out = F.adaptive_avg_pool2d(x, size)
    upstream = numpy.full(out.shape, inf)
    (grad,) = tl.autograd.grad(out, x, tl.tensor(upstream))
    if torch is not None:
        reference = torch.tensor(values, requires_grad=True)
        theirs = torch.nn.functional.adaptive_avg_pool2d(reference, size)
        (their_grad,) = torch.autograd.grad(theirs, reference, torch.tensor(upstream))
        numpy.testing.assert_array_equal(out.detach().numpy(), theirs.detach().numpy())
        numpy.testing.assert_array_equal(grad.numpy(), their_grad.numpy())
    if size == (3, 3):
        assert str(out.detach().numpy()[0, :, 2].tolist()) == "[inf, inf, 3.0]"


def test_adaptive_avg_pool2d_to_one_is_a_mean_even_over_nothing():
    assert str(F.adaptive_avg_pool2d(tl.zeros(3, 0, 1), 1).flatten().tolist()) == "[nan, nan, nan]"
    with pytest.raises(RuntimeError, match="non-zero size"):
        F.adaptive_avg_pool2d(tl.zeros(3, 0, 1), 2)


def test_adaptive_avg_pool2d_sums_rows_first_as_pytorch():
    """1e30 - 1e30 - 2 - 1 is -3 summed row by row, 0 column by column (-2 vanishes in 1e30)."""
    x = tl.tensor([[[[1e30, -1e30, 2.0], [-2.0, -1.0, 2.0]]]])
    assert F.adaptive_avg_pool2d(x, (1, 2)).numpy()[0, 0, 0, 0] == -0.75


@requires_torch
@pytest.mark.parametrize("shape, size, refused", [
    ((3, 0, 4, 3), (1, 3), True), ((3, 0, 4, 3), (4, 3), True), ((2, 3, 4, 3), (0, 3), True),
    ((0, 4, 3), (0, 2), True), ((3, 0, 4, 3), (1, 1), False), ((0, 4, 3), (2, 2), False),
    ((0, 2, 4, 3), (1, 3), False),
], ids=str)
def test_adaptive_avg_pool2d_backward_refuses_empty_gradients_like_pytorch(shape, size, refused):
    # PyTorch's backward refuses an empty non-batch dim of grad_output (the global (1, 1)
    # pooling is a mean and does not); ours gave a gradient.
    for library in (torch, tl):
        x = library.zeros(shape, requires_grad=True)
        out = library.nn.functional.adaptive_avg_pool2d(x, size)
        if not refused:
            out.sum().backward()
            assert tuple(x.grad.shape) == shape
            continue
        with pytest.raises(RuntimeError, match="non-zero size for non-batch dimensions"):
            out.sum().backward()


# ----- scatter buffers left uninitialised when the windows tile them --------------------------------
TILING_CASES = [  # (in_size, kernel, stride, dilation, padding, ceil_mode, tiles)
    ((26, 26), (2, 2), (2, 2), (1, 1), ((0, 0), (0, 0)), False, True),
    ((6, 8), (2, 2), (2, 2), (1, 1), ((1, 1), (1, 1)), False, True),
    ((6, 9), (3, 3), (3, 3), (1, 1), ((0, 0), (0, 0)), False, True),
    ((11, 11), (2, 2), (2, 2), (1, 1), ((0, 0), (0, 0)), False, False),  # the last row is left out
    ((11, 11), (2, 2), (2, 2), (1, 1), ((0, 0), (0, 0)), True, True),  # ceil mode grows the buffer
    ((8, 8), (3, 3), (2, 2), (1, 1), ((1, 1), (1, 1)), False, False),  # windows overlap
    ((8, 8), (2, 2), (2, 2), (2, 2), ((0, 0), (0, 0)), False, False),  # dilated: gaps and overlaps
]


@pytest.mark.parametrize("in_size, kernel, stride, dilation, padding, ceil_mode, tiles", TILING_CASES)
def test_tiling_windows_cover_every_buffer_pixel_exactly_once(in_size, kernel, stride, dilation,
                                                               padding, ceil_mode, tiles):
    from tinygrad_lite.nn.functional.windows import Window2d

    window = Window2d(in_size, kernel, stride, dilation, padding, ceil_mode)
    assert window.tiles_buffer is tiles
    coverage = numpy.zeros((1, 1) + window.buffer_size, dtype=numpy.int64)
    for _, i, j in window.taps():
        coverage[window.offset_slices(i, j)] += 1
    assert bool((coverage == 1).all()) is tiles


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@pytest.mark.parametrize("padding", [0, 1])
def test_tiling_pool_gradients_ignore_stale_scatter_memory(pool, padding):
    # A tiling pool's backward scatters into a buffer it does not zero first. Poison the reused
    # scratch array (the padded case scatters into it) and check every pixel was still written.
    from tinygrad_lite.nn.functional.windows import scratch

    values = numpy.random.default_rng(0).standard_normal((2, 3, 6, 8)).astype(numpy.float32)
    x = tl.tensor(values, requires_grad=True)
    out = pool(x, 2, padding=padding)
    padded = (2, 3, 6 + 2 * padding, 8 + 2 * padding)
    scratch(numpy, padded, numpy.float32, "pool.buffer").fill(numpy.nan)
    out.sum().backward()
    grad = x.grad.numpy()
    if pool is F.avg_pool2d:  # every pixel lies in exactly one window of 4 (padding counted)
        numpy.testing.assert_array_equal(grad, numpy.full(values.shape, 0.25, numpy.float32))
    else:  # 1 at each window's chosen pixel, 0 at every other
        assert set(numpy.unique(grad)) == {0.0, 1.0}
        assert grad.sum() == out.numel()
