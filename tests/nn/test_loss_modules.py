"""Tests for tinygrad_lite/nn/loss.py: loss Modules equal their functional forms and torch's modules."""
import warnings

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite import nn

F = nn.functional
_rng = numpy.random.default_rng(7)
CLASS_WEIGHT = numpy.array([0.5, 2.0, 1.0, 1.5], dtype=numpy.float32)
LABELS = numpy.array([0, 3, 1, 1, 2], dtype=numpy.int64)
LABELS_IGNORED = numpy.array([0, -100, 3, 2, 2], dtype=numpy.int64)
PROBABILITIES = (1 / (1 + numpy.exp(-_rng.standard_normal((5, 3))))).astype(numpy.float32)
BINARY = _rng.integers(0, 2, (5, 3)).astype(numpy.float32)
SOFT_TARGET = numpy.exp(_rng.standard_normal((5, 4))).astype(numpy.float32)
SOFT_TARGET /= SOFT_TARGET.sum(1, keepdims=True)


def _weight(lib, array):
    return lib.tensor(array)


# name -> (build(nn, lib), functional(input, target), input spec, target spec)
CASES = {
    "cross_entropy": (lambda m, lib: m.CrossEntropyLoss(), lambda x, t: F.cross_entropy(x, t),
                      (5, 4), LABELS),
    "cross_entropy_options": (
        lambda m, lib: m.CrossEntropyLoss(weight=_weight(lib, CLASS_WEIGHT), label_smoothing=0.1),
        lambda x, t: F.cross_entropy(x, t, weight=tl.tensor(CLASS_WEIGHT), label_smoothing=0.1),
        (5, 4), LABELS_IGNORED),
    "cross_entropy_sum_ignore": (
        lambda m, lib: m.CrossEntropyLoss(ignore_index=2, reduction="sum"),
        lambda x, t: F.cross_entropy(x, t, ignore_index=2, reduction="sum"), (5, 4), LABELS),
    "cross_entropy_probabilities": (lambda m, lib: m.CrossEntropyLoss(reduction="none"),
                                    lambda x, t: F.cross_entropy(x, t, reduction="none"),
                                    (5, 4), SOFT_TARGET),
    "nll": (lambda m, lib: m.NLLLoss(weight=_weight(lib, CLASS_WEIGHT)),
            lambda x, t: F.nll_loss(x, t, weight=tl.tensor(CLASS_WEIGHT)), (5, 4), LABELS),
    "nll_none": (lambda m, lib: m.NLLLoss(reduction="none"),
                 lambda x, t: F.nll_loss(x, t, reduction="none"), (5, 4), LABELS_IGNORED),
    "mse": (lambda m, lib: m.MSELoss(), lambda x, t: F.mse_loss(x, t), (5, 3), (5, 3)),
    "mse_sum": (lambda m, lib: m.MSELoss(reduction="sum"),
                lambda x, t: F.mse_loss(x, t, reduction="sum"), (5, 3), (5, 3)),
    "l1": (lambda m, lib: m.L1Loss(reduction="none"), lambda x, t: F.l1_loss(x, t, reduction="none"),
           (5, 3), (5, 3)),
    "smooth_l1": (lambda m, lib: m.SmoothL1Loss(beta=0.5),
                  lambda x, t: F.smooth_l1_loss(x, t, beta=0.5), (5, 3), (5, 3)),
    "huber": (lambda m, lib: m.HuberLoss(delta=0.7), lambda x, t: F.huber_loss(x, t, delta=0.7),
              (5, 3), (5, 3)),
    "bce": (lambda m, lib: m.BCELoss(weight=_weight(lib, CLASS_WEIGHT[:3])),
            lambda x, t: F.binary_cross_entropy(x, t, weight=tl.tensor(CLASS_WEIGHT[:3])),
            PROBABILITIES, BINARY),
    "bce_with_logits": (
        lambda m, lib: m.BCEWithLogitsLoss(pos_weight=_weight(lib, CLASS_WEIGHT[1:])),
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=tl.tensor(CLASS_WEIGHT[1:])),
        (5, 3), BINARY),
    "kl_div": (lambda m, lib: m.KLDivLoss(reduction="batchmean"),
               lambda x, t: F.kl_div(x, t, reduction="batchmean"), (5, 4), SOFT_TARGET),
    "kl_div_log_target": (lambda m, lib: m.KLDivLoss(reduction="sum", log_target=True),
                          lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True),
                          (5, 4), (5, 4)),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_module_matches_torch_module(name):
    build, _, input_spec, target_spec = CASES[name]
    check_parity(build(nn, tl), build(torch.nn, torch), input_spec, target_spec)


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_module_equals_functional_form(name):
    build, functional, input_spec, target_spec = CASES[name]
    inputs = []
    for spec in (input_spec, target_spec):
        if not isinstance(spec, numpy.ndarray):
            spec = _rng.standard_normal(spec).astype(numpy.float32)
        inputs.append(tl.tensor(spec))
    module_value = build(nn, tl)(*inputs)
    functional_value = functional(*inputs)
    assert module_value.dtype == tl.float32 and module_value.shape == functional_value.shape
    numpy.testing.assert_array_equal(module_value.numpy(), functional_value.numpy())


@pytest.mark.parametrize("name", ["cross_entropy_options", "nll", "mse", "smooth_l1", "huber", "bce",
                                  "bce_with_logits", "kl_div"])
def test_loss_module_gradcheck(name):
    build, _, input_spec, target_spec = CASES[name]
    loss = build(nn, tl).double()
    if isinstance(input_spec, numpy.ndarray):
        input_spec = input_spec.astype(numpy.float64)
    if isinstance(target_spec, numpy.ndarray) and target_spec.dtype.kind == "f":
        target_spec = target_spec.astype(numpy.float64)
    check_gradcheck(loss, input_spec, target_spec, grad_inputs=[0])


@pytest.mark.parametrize("device", DEVICES)
def test_class_weight_is_a_buffer_that_moves_and_casts_with_to(device):
    loss = nn.CrossEntropyLoss(weight=tl.tensor(CLASS_WEIGHT))
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    assert list(loss.state_dict()) == ["weight"] and list(loss.parameters()) == []
    loss.to(device).double()
    assert loss.weight.device == device and loss.weight.dtype == tl.float64
    logits = tl.randn(5, 4, dtype=tl.float64, device=device)
    value = loss(logits, tl.tensor(LABELS, device=device))
    assert value.dtype == tl.float64 and value.device == device
    expected = F.cross_entropy(logits, tl.tensor(LABELS, device=device),
                               weight=tl.tensor(CLASS_WEIGHT, dtype=tl.float64, device=device))
    numpy.testing.assert_allclose(value.item(), expected.item(), rtol=1e-12)
    logits_loss = nn.BCEWithLogitsLoss(pos_weight=tl.tensor(CLASS_WEIGHT[:3])).to(device)
    assert logits_loss.pos_weight.device == device


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_state_dict_and_repr_match_torch(name):
    build = CASES[name][0]
    ours, theirs = build(nn, tl), build(torch.nn, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@requires_torch
@pytest.mark.parametrize("size_average, reduce, expected", [
    (False, None, "sum"), (None, False, "none"), (True, True, "mean"), (False, True, "sum"),
])
def test_deprecated_reduction_flags_follow_torch(size_average, reduce, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.MSELoss(size_average, reduce)
        theirs = torch.nn.MSELoss(size_average, reduce)
        weighted = nn.NLLLoss(None, size_average, -100, reduce)
    assert ours.reduction == theirs.reduction == weighted.reduction == expected


def test_unknown_reduction_raises():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")(tl.zeros(2), tl.zeros(2))
