"""Tests for tinygrad_lite/nn/functional/loss.py: cross_entropy, nll_loss, regression losses,
binary cross-entropies and kl_div (parity with PyTorch, gradcheck, stability, dtypes, errors)."""
import warnings

import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch

if torch is not None:
    import torch.nn.functional as torch_F

REDUCTIONS = ["none", "mean", "sum"]
FLOATS = [numpy.float32, numpy.float64]
CLASSES = 4
# Input shapes covering unbatched (C,), (N, C) and the spatial (N, C, d1, ...) forms.
CLASS_SHAPES = [(CLASSES,), (5, CLASSES), (3, CLASSES, 2), (2, CLASSES, 2, 3)]
CLASS_WEIGHT = numpy.array([0.5, 2.0, 1.0, 0.25])

pytestmark = pytest.mark.filterwarnings("ignore:.*(reduction|size_average|target size).*")


def _F(x):
    """Our functional module or PyTorch's, matching the library of ``x``."""
    return F if isinstance(x, tl.Tensor) else torch_F


def _const(x, array):
    """``array`` as a no-grad tensor of ``x``'s library, device and dtype (weights, masks)."""
    if array is None:
        return None
    library = tl if isinstance(x, tl.Tensor) else torch
    return library.tensor(array, device=x.device).to(x.dtype)


def _class_target(shape, ignore_index, seed=0):
    """Integer targets for an input of ``shape``; one entry (batched inputs) is ``ignore_index``."""
    rng = numpy.random.default_rng(seed)
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = rng.integers(0, CLASSES, target_shape).astype(numpy.int64)
    if target.ndim:
        target.reshape(-1)[0] = ignore_index
    return numpy.asarray(target)


def _probabilities(shape, seed=1):
    """A valid class distribution along the class dim of ``shape``."""
    logits = numpy.random.default_rng(seed).standard_normal(shape)
    exp = numpy.exp(logits)
    return exp / exp.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)


def _unit_interval(shape, seed=2, low=0.05):
    return numpy.random.default_rng(seed).uniform(low, 1.0 - low, shape)


# ---------------------------------------------------------------- cross_entropy / nll_loss

@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices_parity(shape, reduction, weighted, ignore_index,
                                            label_smoothing, device):
    weight = CLASS_WEIGHT if weighted else None

    def loss(x, target):
        return _F(x).cross_entropy(x, target, weight=_const(x, weight), ignore_index=ignore_index,
                                   reduction=reduction, label_smoothing=label_smoothing)

    check_parity(loss, loss, shape, _class_target(shape, ignore_index), device=device)


@requires_torch
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_dtype_follows_input(dtype, weighted):
    """check_parity asserts dtypes: float32 logits give a float32 loss (and float64 float64)."""
    target = numpy.array([3, 1, -100, 0, 2])

    def loss(x, target):
        return _F(x).cross_entropy(x, target, weight=_const(x, CLASS_WEIGHT if weighted else None),
                                   label_smoothing=0.1)

    check_parity(loss, loss, (5, CLASSES), target, dtype=dtype, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_probabilities_parity(shape, reduction, weighted, label_smoothing, dtype):
    """Class-probability targets; the target requires grad here, so its gradient is compared too."""
    weight = CLASS_WEIGHT if weighted else None

    def loss(x, target):
        return _F(x).cross_entropy(x, target, weight=_const(x, weight), reduction=reduction,
                                   label_smoothing=label_smoothing)

    check_parity(loss, loss, shape, _probabilities(shape), dtype=dtype)


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_nll_loss_parity(shape, reduction, weighted, ignore_index, device):
    weight = CLASS_WEIGHT if weighted else None

    def loss(x, target):
        return _F(x).nll_loss(x.log_softmax(0 if x.ndim == 1 else 1), target,
                              weight=_const(x, weight), ignore_index=ignore_index,
                              reduction=reduction)

    check_parity(loss, loss, shape, _class_target(shape, ignore_index), device=device)


@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_cross_entropy_gradcheck(shape, weighted, label_smoothing):
    weight = tl.tensor(CLASS_WEIGHT) if weighted else None
    target = _class_target(shape, ignore_index=0)
    check_gradcheck(lambda x, t: F.cross_entropy(x, t, weight=weight, ignore_index=0,
                                                 label_smoothing=label_smoothing), shape, target)
    check_gradcheck(lambda x: F.nll_loss(x, tl.tensor(target), weight=weight, ignore_index=0,
                                         reduction="sum"), shape)


@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_gradcheck(shape, reduction):
    weight = tl.tensor(CLASS_WEIGHT)
    check_gradcheck(lambda x, t: F.cross_entropy(x, t, weight=weight, reduction=reduction,
                                                 label_smoothing=0.1), shape, _probabilities(shape))


def test_cross_entropy_values_by_hand():
    """Weighted mean divides by the weights of the non-ignored targets only."""
    logits = tl.tensor([[0.0, 0.0], [0.0, 0.0], [5.0, 1.0]])
    target = tl.tensor([0, 1, -100])
    weight = tl.tensor([1.0, 3.0])
    expected = numpy.log(2.0)  # (1 * log 2 + 3 * log 2) / (1 + 3)
    assert F.cross_entropy(logits, target, weight=weight).item() == pytest.approx(expected)
    assert F.cross_entropy(logits, target, weight=weight, reduction="sum").item() == pytest.approx(
        4 * expected)
    none = F.cross_entropy(logits, target, reduction="none").numpy()
    numpy.testing.assert_allclose(none, [expected, expected, 0.0], rtol=1e-6)


def test_all_targets_ignored_gives_nan_like_pytorch():
    logits = tl.tensor([[1.0, 2.0], [0.5, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert numpy.isnan(F.cross_entropy(logits, tl.tensor([-100, -100])).item())
    assert F.cross_entropy(logits, tl.tensor([-100, -100]), reduction="sum").item() == 0.0


# Empty inputs: each target is ignore_index where there are no classes.
EMPTY_CLASS_CASES = {
    "no classes, unbatched": ((0,), numpy.array(-100)),
    "no classes": ((2, 0), numpy.array([-100, -100])),
    "no classes, 4-d": ((2, 0, 1, 2), numpy.full((2, 1, 2), -100)),
    "empty batch": ((0, 3), numpy.zeros(0, dtype=numpy.int64)),
    "empty batch, no classes": ((0, 0), numpy.zeros(0, dtype=numpy.int64)),
    "probabilities, no classes": ((1, 0, 3), None),
    "probabilities, unbatched": ((0,), None),
    "probabilities, empty batch": ((0, 3), None),
}


@requires_torch
@pytest.mark.parametrize("case", list(EMPTY_CLASS_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_on_empty_inputs_matches_pytorch(case, reduction, label_smoothing,
                                                       weighted):
    # These raised ZeroDivisionError/IndexError or gave 0 where PyTorch gives NaN ('mean' is
    # 0 / 0; label smoothing over no classes scales by inf, so even an empty sum is NaN).
    shape, target = EMPTY_CLASS_CASES[case]
    weight = numpy.ones(shape[0] if len(shape) == 1 else shape[1]) if weighted else None

    def loss(x, target):
        return _F(x).cross_entropy(x, target, weight=_const(x, weight), reduction=reduction,
                                   label_smoothing=label_smoothing)

    check_parity(loss, loss, shape, numpy.zeros(shape) if target is None else target)
    if target is not None and not label_smoothing:
        def nll(x, target):
            return _F(x).nll_loss(x, target, weight=_const(x, weight), reduction=reduction)

        check_parity(nll, nll, shape, target)


@requires_torch
@pytest.mark.parametrize("case", ["ignored", "probabilities summed over nothing",
                                  "probabilities over nothing"])
def test_signed_zero_losses_match_pytorch(case):
    # The sign of a zero loss shows through 1 / loss: an ignored target gave -0.0 (PyTorch +0.0);
    # a sum of no class-probability losses +0.0 (PyTorch negates the sum: -0.0).
    def loss(library):
        functional = library.nn.functional
        if case == "ignored":
            return functional.nll_loss(library.tensor([-1.0]), library.tensor(-100), reduction="none")
        reduction = "sum" if case == "probabilities summed over nothing" else "none"
        return functional.cross_entropy(library.zeros((0, 4)), library.zeros((0, 4)),
                                        reduction=reduction)

    ours, theirs = loss(tl).numpy(), loss(torch).numpy()
    numpy.testing.assert_array_equal(numpy.signbit(ours), numpy.signbit(theirs))
    numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_losses_without_classes_on_3d_input(name):
    # A deliberate difference (README): PyTorch raises "size mismatch" for an (N, 0, d) input
    # (its reshape fails) but not for (N, 0), (N, 0, d1, d2) or (0, 0, d); ours answers all.
    target = tl.full((2, 3), -100)
    loss = getattr(F, name)(tl.zeros((2, 0, 3), requires_grad=True), target, reduction="none")
    assert loss.shape == (2, 3) and loss.requires_grad and not loss.detach().numpy().any()
    assert numpy.isnan(getattr(F, name)(tl.zeros((2, 0, 3)), target).item())


@requires_torch
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_huge_logits_stay_finite(label_smoothing):
    logits = numpy.array([[1000.0, -1000.0, 0.0, 3.0], [-1000.0, 1000.0, 1000.0, -1000.0],
                          [1000.0, 1000.0, -1000.0, 0.0]])
    target = numpy.array([1, 3, 0])

    def loss(x, target):
        return _F(x).cross_entropy(x, target, label_smoothing=label_smoothing)

    check_parity(loss, loss, logits, target)
    x = tl.tensor(logits.astype(numpy.float32), requires_grad=True)
    probabilities = tl.tensor(_probabilities((3, 4)).astype(numpy.float32))
    for result in (loss(x, tl.tensor(target)), F.cross_entropy(x, probabilities)):
        result.backward()
        assert numpy.isfinite(result.item()) and numpy.all(numpy.isfinite(x.grad.numpy()))
        x.grad = None


# ---------------------------------------------------------------- class-loss errors

@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [4, 7, -1, -3])
def test_out_of_range_target_raises_index_error(name, bad):
    logits = tl.zeros((3, CLASSES))
    with pytest.raises(IndexError, match=rf"Target {bad} is out of bounds for {CLASSES} classes"):
        getattr(F, name)(logits, tl.tensor([0, bad, 1]))
    with pytest.raises(IndexError, match=rf"Target {bad} "):
        getattr(F, name)(tl.zeros((2, CLASSES, 3)), tl.tensor([[0, 1, 2], [3, bad, 0]]))


def test_ignore_index_is_not_out_of_range():
    logits = tl.zeros((2, CLASSES))
    assert F.cross_entropy(logits, tl.tensor([-7, 1]), ignore_index=-7).item() == pytest.approx(
        numpy.log(CLASSES))
    with pytest.raises(IndexError, match="Target -100"):
        F.cross_entropy(logits, tl.tensor([-100, 1]), ignore_index=-7)


@pytest.mark.parametrize("input_shape, target_shape, error", [
    ((3, 4), (2,), ValueError), ((3, 4), (), ValueError), ((2, 4, 5), (2, 3), RuntimeError),
    ((2, 4, 5), (2,), RuntimeError), ((4,), (2,), ValueError),
])
def test_class_target_shape_mismatch_names_both_shapes(input_shape, target_shape, error):
    target = tl.zeros(target_shape, dtype=tl.int64)
    for loss in (F.cross_entropy, F.nll_loss):
        with pytest.raises(error) as info:
            loss(tl.zeros(input_shape), target)
        assert str(list(input_shape)) in str(info.value)


def test_float_class_indices_and_integer_logits_are_refused():
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.cross_entropy(tl.zeros((3, 4)), tl.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        F.cross_entropy(tl.zeros((3, 4), dtype=tl.int64), tl.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        F.nll_loss(tl.zeros((3, 4), dtype=tl.int64), tl.tensor([0, 1, 2]))
    # Integer targets of the input's own shape would be probabilities: refused clearly.
    with pytest.raises(RuntimeError, match="class probabilities"):
        F.cross_entropy(tl.zeros((2, 2)), tl.tensor([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match="0-d"):
        F.cross_entropy(tl.tensor(1.0), tl.tensor(0))


def test_class_weight_and_option_errors():
    logits, target = tl.zeros((3, 4)), tl.tensor([0, 1, 2])
    with pytest.raises(RuntimeError, match=r"all 4 classes.*\[3\]"):
        F.cross_entropy(logits, target, weight=tl.ones(3))
    with pytest.raises(RuntimeError, match="float64.*float32"):
        F.nll_loss(logits, target, weight=tl.ones(4, dtype=tl.float64))
    with pytest.raises(RuntimeError, match="label_smoothing"):
        F.cross_entropy(logits, target, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index"):
        F.cross_entropy(logits, tl.zeros((3, 4)), ignore_index=1)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(logits, target, reduction="batchmean")


def test_unbatched_target_forms_and_legacy_reduction_flags():
    x = tl.tensor([0.5, -1.0, 2.0, 0.0])
    expected = F.cross_entropy(x.unsqueeze(0), tl.tensor([2])).item()
    assert F.cross_entropy(x, tl.tensor(2)).item() == pytest.approx(expected)
    assert F.cross_entropy(x, tl.tensor([2]), reduction="none").shape == ()
    logits, target = tl.tensor([[1.0, 2.0], [0.0, 3.0]]), tl.tensor([0, 1])
    with pytest.warns(UserWarning, match="deprecated"):
        summed = F.cross_entropy(logits, target, size_average=False)
    assert summed.item() == pytest.approx(F.cross_entropy(logits, target, reduction="sum").item())
    with pytest.warns(UserWarning):
        assert F.nll_loss(logits, target, reduce=False).shape == (2,)


# ---------------------------------------------------------------- regression losses

REGRESSION = {
    "mse_loss": {}, "l1_loss": {},
    "smooth_l1_loss beta=1": {"beta": 1.0}, "smooth_l1_loss beta=0.5": {"beta": 0.5},
    "smooth_l1_loss beta=0": {"beta": 0.0},
    "huber_loss delta=1": {"delta": 1.0}, "huber_loss delta=0.3": {"delta": 0.3},
}


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", list(REGRESSION))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_regression_parity(case, reduction, shape, dtype, device):
    name, options = case.split()[0], REGRESSION[case]

    def loss(x, target):
        return getattr(_F(x), name)(x, target, reduction=reduction, **options)

    check_parity(loss, loss, shape, shape, dtype=dtype, device=device)


@requires_torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_sample_weight_parity(name, reduction):
    weight = numpy.random.default_rng(3).uniform(0.1, 2.0, (3, 4))

    def loss(x, target):
        return getattr(_F(x), name)(x, target, reduction=reduction, weight=_const(x, weight))

    check_parity(loss, loss, (3, 4), (3, 4))


@pytest.mark.parametrize("case", list(REGRESSION))
def test_regression_gradcheck(case):
    name, options = case.split()[0], REGRESSION[case]
    check_gradcheck(lambda x, t: getattr(F, name)(x, t, **options), (3, 4), (3, 4))
    check_gradcheck(lambda x, t: getattr(F, name)(x, t, reduction="none", **options), (5,), (5,))


REGRESSION_DTYPES = [numpy.bool_, numpy.uint8, numpy.int16, numpy.int64, numpy.float16,
                     numpy.float32, numpy.float64]


def _raised(call):
    """The exception type ``call()`` raises, or None."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - which type is what the test compares
        return type(error)
    return None


@requires_torch
@pytest.mark.parametrize("case", list(REGRESSION))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_shape", [(2, 3), ()], ids=str)
def test_regression_dtypes_match_pytorch(case, reduction, target_shape):
    # Bool/integer operands used to be refused; PyTorch computes in the pair's promoted dtype
    # (a 0-d target does not give way), keeps integers in l1_loss and the input's dtype in Huber.
    name, options = case.split()[0], REGRESSION[case]

    def loss(x, target):
        return getattr(_F(x), name)(x, target, reduction=reduction, **options)

    for input_dtype in REGRESSION_DTYPES:
        for target_dtype in REGRESSION_DTYPES:
            x = numpy.array([[1, 0, 3], [2, 5, 0]]).astype(input_dtype)
            target = numpy.full(target_shape, 2).astype(target_dtype)
            refused = _raised(lambda: loss(torch.tensor(x), torch.tensor(target)))
            # PyTorch's Huber backward fails on mixed dtypes (pinned by the next test)
            grad = name != "huber_loss" or input_dtype == target_dtype
            if refused is None:  # float16 rounding: PyTorch's kernels compute it in float32
                check_parity(loss, loss, x, target, dtype=None, grad=grad, atol=1e-3, rtol=1e-3)
            else:
                with pytest.raises(refused):
                    loss(tl.tensor(x), tl.tensor(target))


@pytest.mark.parametrize("target_dtype", [tl.float64, tl.float16, tl.int64, tl.bool])
def test_huber_loss_gradient_with_a_target_of_another_dtype(target_dtype):
    # A deliberate difference (README): PyTorch's backward raises "Found dtype ... but expected
    # Float" here although its forward accepts the pair; ours gives the gradient.
    x = tl.tensor([0.5, 3.0, -2.0], requires_grad=True)
    F.huber_loss(x, tl.tensor([1, 0, 0]).to(target_dtype), reduction="sum").backward()
    assert x.grad.dtype == tl.float32
    numpy.testing.assert_allclose(x.grad.numpy(), [-0.5, 1.0, -1.0] if target_dtype != tl.bool
                                  else [-0.5, 1.0, -1.0])


@requires_torch
@pytest.mark.parametrize("case", [case for case in REGRESSION if case.startswith(("smooth", "huber"))])
@pytest.mark.parametrize("dtype", FLOATS)
def test_smooth_regression_gradient_is_finite_at_infinite_differences(case, dtype):
    # The gradient was NaN at an infinite difference (0 * inf in the unused quadratic branch).
    name, options = case.split()[0], REGRESSION[case]
    x = numpy.array([-numpy.inf, numpy.inf, 0.25, -3.0, numpy.nan, 0.0])

    def loss(x, target):
        return getattr(_F(x), name)(x, target, reduction="none", **options)

    check_parity(loss, loss, x, numpy.zeros(6), dtype=dtype)


@requires_torch
def test_regression_broadcasting_warns_like_pytorch():
    def loss(x, target):
        return _F(x).mse_loss(x, target)

    with pytest.warns(UserWarning, match="target size"):
        check_parity(loss, loss, (3, 1), (3,))
    with pytest.raises(RuntimeError, match=r"\[3, 2\].*\[4\]"):
        F.l1_loss(tl.zeros((3, 2)), tl.zeros(4))


def test_regression_errors():
    x = tl.zeros((2, 3))
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match=r"weight of shape \[3\].*\[2, 3\]"):
        F.mse_loss(x, x, weight=tl.ones(3))
    for reduction in ("batchmean", "avg", None):
        with pytest.raises(ValueError, match="not a valid value for reduction"):
            F.mse_loss(x, x, reduction=reduction)
    with pytest.raises(TypeError, match="target must be a Tensor"):
        F.mse_loss(x, numpy.zeros((2, 3)))


# ---------------------------------------------------------------- binary cross-entropy

BCE_WEIGHTS = {"none": None, "per column": (4,), "per element": (3, 4), "per row": (3, 1)}


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight_shape", list(BCE_WEIGHTS))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_parity(weight_shape, reduction, dtype, device):
    shape = BCE_WEIGHTS[weight_shape]
    weight = None if shape is None else _unit_interval(shape, seed=4) * 2.0

    def loss(p, target):
        return _F(p).binary_cross_entropy(p, target, weight=_const(p, weight), reduction=reduction)

    check_parity(loss, loss, _unit_interval((3, 4)), _unit_interval((3, 4), seed=5), dtype=dtype,
                 device=device)


@requires_torch
def test_binary_cross_entropy_at_zero_and_one_matches_pytorch():
    """Logs floored at -100; the input gradient uses PyTorch's 1e-12 guard, finite at 0 and 1."""
    probabilities = numpy.array([0.0, 1.0, 0.0, 1.0, 0.5])
    target = numpy.array([0.0, 1.0, 1.0, 0.0, 0.5])

    def loss(p, target):
        return _F(p).binary_cross_entropy(p, target.detach(), reduction="sum")

    check_parity(loss, loss, probabilities, target, rtol=1e-5)
    value = F.binary_cross_entropy(tl.tensor(probabilities), tl.tensor(target), reduction="none")
    expected = [0.0, 0.0, 100.0, 100.0, numpy.log(2.0)]
    numpy.testing.assert_allclose(value.numpy(), expected, rtol=1e-10)


@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight_shape", list(BCE_WEIGHTS))
@pytest.mark.parametrize("pos_weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_with_logits_parity(weight_shape, pos_weighted, reduction, dtype,
                                                 device):
    shape = BCE_WEIGHTS[weight_shape]
    weight = None if shape is None else _unit_interval(shape, seed=4) * 2.0
    pos_weight = numpy.array([0.5, 1.0, 2.0, 3.0]) if pos_weighted else None

    def loss(x, target):
        return _F(x).binary_cross_entropy_with_logits(
            x, target, weight=_const(x, weight), reduction=reduction,
            pos_weight=_const(x, pos_weight))

    logits = numpy.random.default_rng(6).standard_normal((3, 4)) * 3.0
    logits[0, 0] = 0.0  # the kink of a naive stable softplus: the slope must still be right
    check_parity(loss, loss, logits, _unit_interval((3, 4), seed=5), dtype=dtype, device=device)


@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_gradcheck(pos_weighted):
    weight = tl.tensor(_unit_interval((4,), seed=7))
    pos_weight = tl.tensor([0.5, 1.0, 2.0, 3.0]) if pos_weighted else None
    check_gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, weight=weight, pos_weight=pos_weight), (3, 4), _unit_interval((3, 4)))
    check_gradcheck(lambda p, t: F.binary_cross_entropy(p, t, weight=weight, reduction="sum"),
                    _unit_interval((3, 4), seed=8), _unit_interval((3, 4)))


@requires_torch
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_with_huge_logits_stays_finite(pos_weighted):
    logits = numpy.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0])
    target = numpy.array([0.0, 1.0, 1.0, 0.0, 1.0])
    pos_weight = numpy.array([2.0]) if pos_weighted else None

    def loss(x, target):
        return _F(x).binary_cross_entropy_with_logits(x, target, pos_weight=_const(x, pos_weight))

    check_parity(loss, loss, logits, target)
    x = tl.tensor(logits.astype(numpy.float32), requires_grad=True)
    result = loss(x, tl.tensor(target.astype(numpy.float32)))
    result.backward()
    assert result.dtype == tl.float32 and numpy.isfinite(result.item())
    assert numpy.all(numpy.isfinite(x.grad.numpy()))


def test_binary_cross_entropy_errors():
    p = tl.full((2, 3), 0.5)
    with pytest.raises(RuntimeError, match="between 0 and 1.*1.5"):
        F.binary_cross_entropy(tl.tensor([0.2, 1.5]), tl.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[3\].*\[2, 3\]"):
        F.binary_cross_entropy(p, tl.zeros(3))
    with pytest.raises(ValueError, match=r"\[2, 1\].*\[2, 3\]"):
        F.binary_cross_entropy_with_logits(p, tl.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="float64.*float32"):
        F.binary_cross_entropy(p, tl.zeros((2, 3), dtype=tl.float64))
    with pytest.raises(RuntimeError, match=r"input \[2, 3\], weight \[4\]"):
        F.binary_cross_entropy_with_logits(p, p, weight=tl.ones(4))
    with pytest.raises(RuntimeError, match="enlarge"):
        F.binary_cross_entropy(p, p, weight=tl.ones((2, 2, 3)))
    with pytest.raises(RuntimeError, match="floating point"):
        F.binary_cross_entropy_with_logits(tl.zeros(3, dtype=tl.int64), tl.zeros(3))


@requires_torch
@pytest.mark.parametrize("pos_weight", [None, [1.0], [2.5]], ids=str)
def test_binary_cross_entropy_with_logits_gradients_at_infinities_match_pytorch(pos_weight):
    # Built from its terms, the loss gave NaN gradients where PyTorch's formulas are finite:
    # the target's at an infinite logit, the logit's under an infinite upstream gradient.
    x = numpy.array([-numpy.inf, numpy.inf, 0.0, 3.0, -3.0, numpy.nan])
    target = numpy.array([1.0, 0.0, 0.5, 1.0, 0.0, 1.0])
    upstream = numpy.array([1.0, 2.0, 3.0, -1.0, numpy.inf, 1.0])

    def loss(x, target):
        library = tl if isinstance(x, tl.Tensor) else torch
        weight = None if pos_weight is None else _const(x, numpy.array(pos_weight))
        losses = _F(x).binary_cross_entropy_with_logits(x, target, pos_weight=weight,
                                                         reduction="none")
        return losses * library.tensor(upstream)

    check_parity(loss, loss, x, target, dtype=numpy.float64)


@requires_torch
@pytest.mark.parametrize("name", ["weight", "pos_weight"])
def test_loss_weights_that_require_grad_are_refused_like_pytorch(name):
    # PyTorch's fused losses have no gradient for their weights; ours silently gave one.
    x, target = tl.tensor([[1.0, -2.0]], requires_grad=True), tl.tensor([[0.0, 1.0]])
    weight = tl.tensor([2.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"not differentiable with respect to argument '{name}'"):
        F.binary_cross_entropy_with_logits(x, target, **{name: weight})
    with tl.no_grad():
        F.binary_cross_entropy_with_logits(x, target, **{name: weight})
    if name == "weight":
        for call in (lambda: F.binary_cross_entropy(x.sigmoid(), target, weight=weight),
                     lambda: F.cross_entropy(x, tl.tensor([1]), weight=weight),
                     lambda: F.nll_loss(x, tl.tensor([1]), weight=weight)):
            with pytest.raises(RuntimeError, match="not differentiable with respect to"):
                call()


@requires_torch
@pytest.mark.parametrize("input_dtype, target_dtype", [(numpy.float32, numpy.float16),
                                                       (numpy.float64, numpy.float32),
                                                       (numpy.float16, numpy.float32)], ids=str)
def test_binary_cross_entropy_with_logits_has_the_targets_dtype(input_dtype, target_dtype):
    # PyTorch computes the loss in place on the target's dtype; ours promoted the pair.
    x = numpy.array([[0.5, -1.0, 2.0]], dtype=input_dtype)
    target = numpy.array([[1.0, 0.0, 0.5]], dtype=target_dtype)

    def loss(x, target):
        return _F(x).binary_cross_entropy_with_logits(x, target, reduction="none")

    check_parity(loss, loss, x, target, dtype=None, atol=1e-3, rtol=1e-3)


@requires_torch
def test_binary_cross_entropy_in_float16_rounds_once_like_pytorch():
    # A float16 sigmoid(8) rounded to 1.0 (loss 100 where PyTorch has 7.6): sigmoid and the
    # loss now compute float16 in float32 and round once, as PyTorch's kernels do.
    logits = numpy.array([3.0, 10.0, 8.0, 10.0], dtype=numpy.float16)
    target = numpy.array([0.0, 1.0, 0.0, 1.0], dtype=numpy.float16)

    def loss(x, target):
        return _F(x).binary_cross_entropy(x.sigmoid(), target, reduction="none")

    check_parity(loss, loss, logits, target, dtype=None, atol=1e-3, rtol=1e-3)


# ---------------------------------------------------------------- kl_div

@requires_torch
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_kl_div_parity(reduction, log_target, dtype, device):
    target = _probabilities((3, 4))
    if log_target:
        target = numpy.log(target)

    def loss(log_p, target):
        return _F(log_p).kl_div(log_p.log_softmax(1), target, reduction=reduction,
                                log_target=log_target)

    check_parity(loss, loss, (3, 4), target, dtype=dtype, device=device)


@requires_torch
def test_kl_div_zero_target_contributes_zero():
    target = numpy.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])

    def loss(log_p):
        return _F(log_p).kl_div(log_p, _const(log_p, target), reduction="sum")

    check_parity(loss, loss, numpy.array([[-1.0, -0.5, -2.0], [-0.1, -3.0, -1.0]]))
    value = F.kl_div(tl.tensor([[-1.0, -2.0]]), tl.tensor([[0.0, 1.0]]), reduction="none")
    numpy.testing.assert_allclose(value.numpy(), [[0.0, 2.0]])


@requires_torch
def test_kl_div_target_gradient_is_pytorchs_at_zero_targets():
    check_parity(lambda x, t: F.kl_div(x, t.abs() * tl.tensor([0.0, 1.0, 1.0]), reduction="sum"),
                 lambda x, t: torch.nn.functional.kl_div(x, t.abs() * torch.tensor([0.0, 1.0, 1.0]),
                                                         reduction="sum"), (2, 3), (2, 3))


@requires_torch
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_gradients_at_non_finite_values_match_pytorch(log_target):
    # The target's gradient at an infinite target was inf; PyTorch's xlogy gives log(t) + t / t,
    # NaN there.
    x = numpy.array([[-1.0, -numpy.inf, 0.5, numpy.nan], [-2.0, 0.0, -0.5, 1.0]])
    target = numpy.array([[0.0, 0.5, -1.0, 0.2], [numpy.inf, 0.0, 1e-30, 0.3]])

    def loss(x, t):
        return _F(x).kl_div(x, t, reduction="sum", log_target=log_target)

    check_parity(loss, loss, x, target, dtype=numpy.float64)


def test_kl_div_gradcheck_and_reduction_rules():
    target = _unit_interval((3, 4))
    check_gradcheck(lambda x, t: F.kl_div(x, t, reduction="batchmean"), (3, 4), target)
    check_gradcheck(lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True), (3, 4), (3, 4))
    x, t = tl.tensor(numpy.log(target)), tl.tensor(_unit_interval((3, 4), seed=9))
    total = F.kl_div(x, t, reduction="sum").item()
    assert F.kl_div(x, t, reduction="batchmean").item() == pytest.approx(total / 3)
    with pytest.warns(UserWarning, match="batchmean"):
        assert F.kl_div(x, t).item() == pytest.approx(total / 12)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.kl_div(x, t, reduction="batch")
    with pytest.raises(RuntimeError, match=r"\[3, 4\].*\[5\]"):
        F.kl_div(x, tl.zeros(5), reduction="sum")


@requires_torch
@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy_with_logits"])
def test_second_order_gradients_match_pytorch(name):
    """Backward is built from differentiable ops, so gradient-of-gradient matches PyTorch."""
    rng = numpy.random.default_rng(10)
    logits, weight = rng.standard_normal((3, 4)), numpy.array([1.0, 2.0, 3.0, 0.5])
    targets = {"cross_entropy": numpy.array([0, 3, -100]),
               "binary_cross_entropy_with_logits": rng.uniform(0.0, 1.0, (3, 4))}
    options = {"cross_entropy": lambda w: {"weight": w, "label_smoothing": 0.1},
               "binary_cross_entropy_with_logits": lambda w: {"pos_weight": w}}

    def curvature(library, functional):
        x = library.tensor(logits, requires_grad=True)
        loss = getattr(functional, name)(x, library.tensor(targets[name]),
                                         **options[name](library.tensor(weight)))
        (grad,) = library.autograd.grad(loss, [x], create_graph=True)
        (second,) = library.autograd.grad((grad * grad).sum(), [x])
        return second.detach().numpy()

    numpy.testing.assert_allclose(curvature(tl, F), curvature(torch, torch_F), atol=1e-12,
                                  rtol=1e-10)


@pytest.mark.parametrize("dtype", [tl.int32, tl.int16, tl.uint8])
@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_class_targets_of_any_integer_dtype_are_accepted(loss, dtype):
    # A deliberate difference (README): PyTorch refuses targets other than int64 (and uint8).
    scores = tl.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]).log_softmax(1)
    expected = loss(scores, tl.tensor([2, 0]))
    assert loss(scores, tl.tensor([2, 0], dtype=dtype)).item() == expected.item()
