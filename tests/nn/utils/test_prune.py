"""tl.nn.utils.prune: masks equal PyTorch's on the same weights, PyTorch's names and bookkeeping."""
import math

import numpy
import pytest
from helpers import requires_torch, torch

import tinygrad_lite as tl
from tinygrad_lite.nn.utils import prune

if torch is not None:
    import torch.nn.utils.prune as torch_prune


def linear_pair(in_features=6, out_features=5, seed=0, weight=None):
    """A tl Linear and (with torch) a torch Linear holding the same float32 weights."""
    rng = numpy.random.default_rng(seed)
    if weight is None:
        weight = rng.standard_normal((out_features, in_features)).astype(numpy.float32)
    layer = tl.nn.Linear(weight.shape[1], weight.shape[0])
    layer.weight.data[...] = weight
    if torch is None:
        return layer, None
    reference = torch.nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(weight))
        reference.bias.copy_(torch.from_numpy(layer.bias.detach().numpy()))
    return layer, reference


def conv_pair(seed=0):
    rng = numpy.random.default_rng(seed)
    weight = rng.standard_normal((4, 3, 2, 2)).astype(numpy.float32)
    layer = tl.nn.Conv2d(3, 4, 2)
    layer.weight.data[...] = weight
    reference = torch.nn.Conv2d(3, 4, 2)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(weight))
    return layer, reference


def assert_same_mask(layer, reference, name="weight"):
    ours = getattr(layer, name + "_mask").detach().numpy()
    theirs = getattr(reference, name + "_mask").detach().numpy()
    numpy.testing.assert_array_equal(ours, theirs)
    numpy.testing.assert_array_equal(getattr(layer, name).detach().numpy(),
                                     getattr(reference, name).detach().numpy())


# ----- parity with PyTorch ----------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("amount", [0, 1, 7, 30, 0.0, 0.25, 0.3, 0.5, 1.0])
def test_l1_unstructured_matches_torch(amount):
    layer, reference = linear_pair()  # 30 weights: 0.25 * 30 = 7.5 rounds to 8, 0.5 -> 15
    prune.l1_unstructured(layer, "weight", amount)
    torch_prune.l1_unstructured(reference, "weight", amount)
    assert_same_mask(layer, reference)


@requires_torch
@pytest.mark.parametrize("amount", [2, 5, 6])
def test_ties_that_the_threshold_does_not_split_match_torch(amount):
    # magnitudes: 2 zeros, then a tie of three at 0.5 (-0.5 counts as 0.5), then distinct
    weight = numpy.array([[0.5, 0.0, 3.0], [-0.5, 2.0, 0.0], [4.0, 0.5, 1.0]], numpy.float32)
    layer, reference = linear_pair(weight=weight)
    prune.l1_unstructured(layer, "weight", amount)
    torch_prune.l1_unstructured(reference, "weight", amount)
    assert_same_mask(layer, reference)


@requires_torch
def test_a_split_tie_prunes_as_many_and_prunes_the_lower_indices_first():
    weight = numpy.array([[0.5, 0.0, 3.0], [-0.5, 2.0, 0.0], [4.0, 0.5, 1.0]], numpy.float32)
    layer, reference = linear_pair(weight=weight)
    prune.l1_unstructured(layer, "weight", 3)  # both zeros and one of the three 0.5s
    torch_prune.l1_unstructured(reference, "weight", 3)
    ours, theirs = layer.weight_mask.detach().numpy(), reference.weight_mask.detach().numpy()
    outside_tie = numpy.abs(weight) != 0.5
    numpy.testing.assert_array_equal(ours[outside_tie], theirs[outside_tie])
    assert ours.sum() == theirs.sum() == 6
    numpy.testing.assert_array_equal(ours[numpy.abs(weight) == 0.5], [0, 1, 1])


@requires_torch
@pytest.mark.parametrize("n", [1, 2, math.inf, -math.inf, 0.5])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("amount", [1, 0.4])
def test_ln_structured_matches_torch(n, dim, amount):
    layer, reference = linear_pair(seed=1)
    prune.ln_structured(layer, "weight", amount, n, dim)
    torch_prune.ln_structured(reference, "weight", amount, n, dim)
    assert_same_mask(layer, reference)


@requires_torch
@pytest.mark.parametrize("dim", [0, 1, 3])
def test_ln_structured_on_conv_weights_matches_torch(dim):
    layer, reference = conv_pair()
    prune.ln_structured(layer, "weight", 0.5, 1, dim)
    torch_prune.ln_structured(reference, "weight", 0.5, 1, dim)
    assert_same_mask(layer, reference)


@requires_torch
def test_repeated_pruning_acts_on_what_is_left_like_torch():
    steps = [("l1_unstructured", (0.3,)), ("l1_unstructured", (4,)),
             ("ln_structured", (0.4, 2, 0)), ("l1_unstructured", (0.5,)), ("ln_structured", (1, 1, 1))]
    layer, reference = linear_pair(in_features=8, out_features=6, seed=2)
    for function, args in steps:
        getattr(prune, function)(layer, "weight", *args)
        getattr(torch.nn.utils.prune, function)(reference, "weight", *args)
        assert_same_mask(layer, reference)
    assert [type(m).__name__ for m in layer._forward_pre_hooks.values()] == ["PruningContainer"]
    assert len(next(iter(layer._forward_pre_hooks.values()))) == len(steps)


@requires_torch
@pytest.mark.parametrize("amount", [0.45, 17])
def test_global_unstructured_matches_torch(amount):
    first, first_ref = linear_pair(seed=3)
    second, second_ref = linear_pair(in_features=5, out_features=4, seed=4)
    prune.l1_unstructured(second, "weight", 3)  # an existing mask restricts the global pass
    torch_prune.l1_unstructured(second_ref, "weight", 3)
    prune.global_unstructured([(first, "weight"), (second, "weight"), (second, "bias")],
                              prune.L1Unstructured, amount=amount)
    torch_prune.global_unstructured(
        [(first_ref, "weight"), (second_ref, "weight"), (second_ref, "bias")],
        torch_prune.L1Unstructured, amount=amount)
    assert_same_mask(first, first_ref)
    assert_same_mask(second, second_ref)
    assert_same_mask(second, second_ref, "bias")


@requires_torch
def test_importance_scores_decide_the_mask_like_torch():
    layer, reference = linear_pair(seed=5)
    scores = numpy.random.default_rng(6).standard_normal((5, 6)).astype(numpy.float32)
    prune.l1_unstructured(layer, "weight", 0.5, importance_scores=tl.tensor(scores))
    torch_prune.l1_unstructured(reference, "weight", 0.5,
                                         importance_scores=torch.from_numpy(scores))
    assert_same_mask(layer, reference)


@requires_torch
def test_state_dict_keys_and_order_match_torch_before_and_after_remove():
    layer, reference = linear_pair()
    prune.l1_unstructured(layer, "weight", 0.5)
    torch_prune.l1_unstructured(reference, "weight", 0.5)
    assert list(layer.state_dict()) == list(reference.state_dict()) == ["bias", "weight_orig",
                                                                        "weight_mask"]
    prune.remove(layer, "weight")
    torch_prune.remove(reference, "weight")
    assert list(layer.state_dict()) == list(reference.state_dict()) == ["bias", "weight"]
    numpy.testing.assert_array_equal(layer.weight.detach().numpy(), reference.weight.detach().numpy())


# ----- bookkeeping (no torch needed) ------------------------------------------------------------
WEIGHT = numpy.array([[0.1, -3.0, 0.2], [2.0, -0.05, 1.0]], numpy.float32)


def test_names_hook_and_forward_use_the_mask():
    layer, _ = linear_pair(weight=WEIGHT)
    prune.l1_unstructured(layer, "weight", 2)
    assert isinstance(layer.weight_orig, tl.nn.Parameter)
    assert "weight" not in layer._parameters and "weight_mask" in layer._buffers
    numpy.testing.assert_array_equal(layer.weight_mask.detach().numpy(), [[0, 1, 1], [1, 0, 1]])
    with tl.no_grad():
        layer.weight_orig.data[...] = 10.0  # the hook recomputes weight before the next forward
    layer(tl.ones(1, 3))
    numpy.testing.assert_array_equal(layer.weight.detach().numpy(), [[0, 10, 10], [10, 0, 10]])
    assert prune.is_pruned(tl.nn.Sequential(layer)) and not prune.is_pruned(tl.nn.Linear(2, 2))


def test_gradients_reach_weight_orig_through_the_mask():
    layer, _ = linear_pair(weight=WEIGHT)
    prune.l1_unstructured(layer, "weight", 0.5)  # round(0.5 * 6) = 3
    x = tl.tensor([[1.0, 2.0, 3.0]])
    layer(x).sum().backward()
    numpy.testing.assert_array_equal(layer.weight_orig.grad.detach().numpy(), [[0, 2, 0], [1, 0, 3]])


def test_remove_keeps_the_pruned_values_as_a_parameter():
    layer, _ = linear_pair(weight=WEIGHT)
    prune.ln_structured(layer, "weight", 1, 1, 0)  # row L1 norms 3.3 and 3.05: row 1 goes
    orig = layer.weight_orig
    prune.remove(layer, "weight")
    assert layer.weight is orig and not prune.is_pruned(layer)
    numpy.testing.assert_array_equal(layer.weight.detach().numpy(), WEIGHT * [[1], [0]])
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(layer, "weight")


def test_identity_attaches_an_all_ones_mask():
    layer, _ = linear_pair(weight=WEIGHT)
    prune.identity(layer, "bias")
    numpy.testing.assert_array_equal(layer.bias_mask.detach().numpy(), [1, 1])
    assert list(layer.state_dict()) == ["weight", "bias_orig", "bias_mask"]


def test_random_unstructured_prunes_the_count_and_keeps_earlier_zeros():
    tl.manual_seed(0)
    layer = tl.nn.Linear(20, 10)
    prune.random_unstructured(layer, "weight", 0.3)
    first = layer.weight_mask.detach().numpy().copy()
    prune.random_unstructured(layer, "weight", 0.5)  # half of the 140 still unpruned
    second = layer.weight_mask.detach().numpy()
    assert first.sum() == 140 and second.sum() == 70
    assert numpy.all(second <= first)
    tl.manual_seed(0)
    again = prune.random_unstructured(tl.nn.Linear(20, 10), "weight", 0.3)
    numpy.testing.assert_array_equal(again.weight_mask.detach().numpy(), first)


def test_random_structured_prunes_whole_channels_uniformly():
    tl.manual_seed(1)
    counts = numpy.zeros(8)
    for _ in range(200):
        layer = prune.random_structured(tl.nn.Linear(3, 8), "weight", 2, dim=0)
        rows = layer.weight_mask.detach().numpy()
        assert set(rows.min(axis=1)) == set(rows.max(axis=1)) == {0, 1}  # whole rows
        counts += rows[:, 0] == 0
    assert counts.sum() == 400
    assert numpy.all(numpy.abs(counts / 200 - 0.25) < 0.1)  # each row pruned ~2/8 of the time


@pytest.mark.parametrize("amount, error", [(-1, ValueError), (1.5, ValueError), ("half", TypeError),
                                           (7, ValueError)])
def test_bad_amounts_raise_and_leave_the_module_unchanged(amount, error):
    layer, _ = linear_pair(weight=WEIGHT)
    with pytest.raises(error, match="amount"):
        prune.l1_unstructured(layer, "weight", amount)
    assert set(layer.state_dict()) == {"weight", "bias"} and not prune.is_pruned(layer)
    assert isinstance(layer.weight, tl.nn.Parameter)


def test_structured_pruning_needs_two_dims():
    layer, _ = linear_pair(weight=WEIGHT)
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(layer, "bias", 1, 2, 0)
    assert "bias" in layer._parameters


def test_global_unstructured_rejects_structured_methods():
    layer, _ = linear_pair(weight=WEIGHT)
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(layer, "weight")], prune.LnStructured, amount=1, n=2, dim=0)
