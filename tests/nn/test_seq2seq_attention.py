"""Tests for tinygrad_lite/nn/seq2seq_attention.py: AdditiveAttention (Bahdanau), LuongAttention."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, torch
from tinygrad_lite.nn.seq2seq_attention import AdditiveAttention, BahdanauAttention, LuongAttention

N, S, T_Q, QUERY, KEY, VALUE, HIDDEN = 2, 5, 3, 4, 6, 3, 5

# name -> constructor for the module under test (float64 for gradcheck; cast as needed)
MODULES = {
    "additive": lambda: AdditiveAttention(QUERY, KEY, HIDDEN),
    "additive bias": lambda: AdditiveAttention(QUERY, KEY, HIDDEN, bias=True),
    "dot": lambda: LuongAttention(KEY, score="dot"),
    "general": lambda: LuongAttention(QUERY, KEY, score="general"),
    "concat": lambda: LuongAttention(QUERY, KEY, score="concat", hidden_size=HIDDEN),
}
LENGTHS = [S, 3]  # batch item 1 has two padded positions
MASK = numpy.arange(S)[None, :] < numpy.array(LENGTHS)[:, None]


def _module(kind, dtype=tl.float64, device="cpu"):
    tl.manual_seed(5)
    return MODULES[kind]().to(dtype).to(device)


def _with_parameters(module, tensors, call):
    """Run ``call()`` with the module's parameters temporarily replaced by ``tensors`` (in order)."""
    named = list(module.named_parameters())
    saved = []
    for (name, _), tensor in zip(named, tensors):
        *path, leaf = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        saved.append((owner, leaf, owner._parameters[leaf]))
        owner._parameters[leaf] = tensor
    try:
        return call()
    finally:
        for owner, leaf, parameter in saved:
            owner._parameters[leaf] = parameter


def _ours(module, one_step=False, mask=None):
    """fn(query, keys, values, *parameters) -> (context, weights) for gradcheck/parity."""
    def run(query, keys, values, *parameters):
        if one_step:
            query = query[:, 0]
        our_mask = None if mask is None else tl.tensor(mask, device=query.device)
        return _with_parameters(module, parameters,
                                lambda: module(query, keys, values, mask=our_mask))
    return run


def _reference(kind, query_size, one_step=False, mask=None):
    """The same scores written independently with torch ops, from the formulas."""
    def run(query, keys, values, *parameters):
        if one_step:
            query = query[:, :1]
        if kind == "dot":
            scores = query @ keys.mT
        elif kind == "general":
            (weight,) = parameters
            scores = query @ weight @ keys.mT
        else:
            if kind == "concat":
                weight, v = parameters
                query_part = query @ weight[:, :query_size].T
                key_part = keys @ weight[:, query_size:].T
            else:
                v, query_weight, key_weight, *bias = parameters
                query_part = query @ query_weight.T
                key_part = keys @ key_weight.T + (bias[0] if bias else 0.0)
            scores = torch.tanh(query_part[:, :, None, :] + key_part[:, None, :, :]) @ v
        if mask is not None:
            scores = scores.masked_fill(~torch.tensor(mask)[:, None, :], -math.inf)
        weights = torch.softmax(scores, dim=-1)
        context = weights @ values
        if one_step:
            return context[:, 0], weights[:, 0]
        return context, weights
    return run


def _shapes(module):
    return [(N, T_Q, module.query_size), (N, S, KEY), (N, S, VALUE)] + [
        tuple(parameter.shape) for parameter in module.parameters()]


@pytest.mark.parametrize("one_step", [False, True], ids=["many steps", "one step"])
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("kind", list(MODULES))
def test_gradcheck_inputs_and_parameters(kind, masked, one_step):
    module = _module(kind)
    check_gradcheck(_ours(module, one_step, MASK if masked else None), *_shapes(module))


@pytest.mark.parametrize("one_step", [False, True], ids=["many steps", "one step"])
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("kind", list(MODULES))
def test_parity_with_the_formula_in_torch(kind, masked, one_step):
    module = _module(kind, tl.float32)
    mask = MASK if masked else None
    check_parity(_ours(module, one_step, mask), _reference(kind, module.query_size, one_step, mask),
                 *_shapes(module))


def test_luong_dot_by_hand():
    # Scores s.h = 0 and ln 3 give weights 1/4 and 3/4, so the context is 4/4 + 3 * 8/4 = 7.
    query = tl.tensor([[1.0, 0.0]])
    keys = tl.tensor([[[0.0, 5.0], [math.log(3.0), -2.0]]])
    context, weights = LuongAttention(2)(query, keys, tl.tensor([[[4.0], [8.0]]]))
    numpy.testing.assert_allclose(weights.numpy(), [[0.25, 0.75]], rtol=1e-6)
    numpy.testing.assert_allclose(context.numpy(), [[7.0]], rtol=1e-6)


def test_luong_general_by_hand():
    # s^T W_a h with s = [2], W_a = [[0.5, 1]]: scores 2 * (0.5 * h0 + h1) = 0 and ln 3.
    attention = LuongAttention(1, 2, score="general")
    attention.weight.data[...] = [[0.5, 1.0]]
    keys = tl.tensor([[[1.0, -0.5], [math.log(3.0), 0.0]]])
    context, weights = attention(tl.tensor([[2.0]]), keys, tl.tensor([[[4.0], [8.0]]]))
    numpy.testing.assert_allclose(weights.detach().numpy(), [[0.25, 0.75]], rtol=1e-6)
    numpy.testing.assert_allclose(context.detach().numpy(), [[7.0]], rtol=1e-6)


def _softmax_by_hand(scores):
    exps = [math.exp(score) for score in scores]
    return [value / sum(exps) for value in exps]


def test_luong_concat_by_hand():
    # v^T tanh(W [s; h]) with W = [[1, 1]], v = [2], s = 0.5: scores 2 tanh(0.5 + h).
    attention = LuongAttention(1, 1, score="concat", hidden_size=1)
    attention.weight.data[...] = [[1.0, 1.0]]
    attention.v.data[...] = [2.0]
    keys = tl.tensor([[[-0.5], [0.5], [1.5]]])
    context, weights = attention(tl.tensor([[0.5]]), keys)
    expected = _softmax_by_hand([0.0, 2 * math.tanh(1.0), 2 * math.tanh(2.0)])
    numpy.testing.assert_allclose(weights.detach().numpy(), [expected], rtol=1e-6)
    numpy.testing.assert_allclose(context.detach().numpy(), [[-0.5 * expected[0] + 0.5 * expected[1]
                                                             + 1.5 * expected[2]]], rtol=1e-6)


def test_additive_by_hand():
    # v^T tanh(W_q s + W_k h + b) with 1-wide everything: scores 3 tanh(2 s + h - 1).
    attention = BahdanauAttention(1, 1, 1, bias=True)
    attention.query_proj.weight.data[...] = [[2.0]]
    attention.key_proj.weight.data[...] = [[1.0]]
    attention.key_proj.bias.data[...] = [-1.0]
    attention.v.data[...] = [3.0]
    keys = tl.tensor([[[0.0], [1.0]], [[2.0], [-1.0]]])
    values = tl.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    context, weights = attention(tl.tensor([[0.25], [0.0]]), keys, values)
    expected = [_softmax_by_hand([3 * math.tanh(-0.5), 3 * math.tanh(0.5)]),
                _softmax_by_hand([3 * math.tanh(1.0), 3 * math.tanh(-2.0)])]
    numpy.testing.assert_allclose(weights.detach().numpy(), expected, rtol=1e-6)
    numpy.testing.assert_allclose(context.detach().numpy(), expected, rtol=1e-6)  # values = identity


@pytest.mark.parametrize("kind", list(MODULES))
def test_padded_positions_are_excluded_exactly(kind):
    module = _module(kind)
    rng = numpy.random.default_rng(1)
    query = tl.tensor(rng.standard_normal((N, T_Q, module.query_size)))
    keys, values = rng.standard_normal((N, S, KEY)), rng.standard_normal((N, S, VALUE))
    keys[~MASK], values[~MASK] = 50.0, 1e6  # junk in the padding must not leak through
    keys, values = tl.tensor(keys, requires_grad=True), tl.tensor(values, requires_grad=True)
    context, weights = module(query, keys, values, mask=tl.tensor(MASK))
    assert (weights.detach().numpy()[~MASK[:, None, :].repeat(T_Q, 1)] == 0.0).all()
    for item, length in enumerate(LENGTHS):  # the same as running on the real positions alone
        alone_context, alone_weights = module(query[item:item + 1], keys[item:item + 1, :length],
                                              values[item:item + 1, :length])
        numpy.testing.assert_allclose(context.detach().numpy()[item], alone_context.detach().numpy()[0],
                                      rtol=1e-12, atol=1e-12)
        numpy.testing.assert_allclose(weights.detach().numpy()[item, :, :length],
                                      alone_weights.detach().numpy()[0], rtol=1e-12, atol=1e-12)
    (context.sum() + weights.sum()).backward()
    assert not keys.grad.numpy()[~MASK].any() and not values.grad.numpy()[~MASK].any()


@pytest.mark.parametrize("kind", list(MODULES))
def test_row_without_valid_positions_gives_zeros(kind):
    module = _module(kind)
    query = tl.randn(N, module.query_size, dtype=tl.float64, requires_grad=True)
    mask = tl.tensor(numpy.array([[True, False, True, False, False], [False] * S]))
    context, weights = module(query, tl.randn(N, S, KEY, dtype=tl.float64), mask=mask)
    assert not weights.detach().numpy()[1].any() and not context.detach().numpy()[1].any()
    numpy.testing.assert_allclose(weights.detach().numpy()[0].sum(), 1.0, rtol=1e-12)
    (context.sum() + weights.sum()).backward()
    assert numpy.isfinite(query.grad.numpy()).all() and not query.grad.numpy()[1].any()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
@pytest.mark.parametrize("kind", list(MODULES))
def test_dtype_device_and_shapes(kind, dtype, device):
    module = _module(kind, dtype, device)
    keys = tl.randn(N, S, KEY, device=device).to(dtype)
    values = tl.randn(N, S, VALUE, device=device).to(dtype)
    mask = tl.tensor(MASK, device=device)
    cases = (((N, module.query_size), (N, VALUE), (N, S)),
             ((N, T_Q, module.query_size), (N, T_Q, VALUE), (N, T_Q, S)))
    for query_shape, context_shape, weight_shape in cases:
        query = tl.randn(*query_shape, device=device).to(dtype)
        context, weights = module(query, keys, values, mask=mask)
        assert context.shape == context_shape and weights.shape == weight_shape
        assert context.dtype == dtype and weights.dtype == dtype and context.device == query.device
    context, _ = module(query, keys)  # values default to the keys
    assert context.shape == (N, T_Q, KEY) and context.dtype == dtype


@pytest.mark.parametrize("kind, names", [
    ("additive", {"v": (HIDDEN,), "query_proj.weight": (HIDDEN, QUERY), "key_proj.weight": (HIDDEN, KEY)}),
    ("additive bias", {"v": (HIDDEN,), "query_proj.weight": (HIDDEN, QUERY),
                       "key_proj.weight": (HIDDEN, KEY), "key_proj.bias": (HIDDEN,)}),
    ("dot", {}),
    ("general", {"weight": (QUERY, KEY)}),
    ("concat", {"weight": (HIDDEN, QUERY + KEY), "v": (HIDDEN,)}),
])
def test_parameters_and_linear_style_init(kind, names):
    module = MODULES[kind]()
    shapes = {name: tuple(parameter.shape) for name, parameter in module.named_parameters()}
    assert shapes == names
    fan_ins = {"v": HIDDEN, "query_proj.weight": QUERY, "key_proj.weight": KEY, "key_proj.bias": KEY,
               "weight": KEY if kind == "general" else QUERY + KEY}
    for name, parameter in module.named_parameters():
        values = parameter.detach().numpy()
        assert parameter.dtype == tl.float32
        assert numpy.abs(values).max() <= 1 / math.sqrt(fan_ins[name]) and values.std() > 0


def test_alias_and_repr():
    assert BahdanauAttention is AdditiveAttention
    assert "hidden_size=5, bias=True" in repr(AdditiveAttention(QUERY, KEY, HIDDEN, bias=True))
    assert "score='concat', hidden_size=4" in repr(LuongAttention(QUERY, KEY, score="concat"))


@pytest.mark.parametrize("build, message", [
    (lambda: LuongAttention(4, 6), r"score='dot' needs query_size == key_size, got 4 and 6"),
    (lambda: LuongAttention(4, score="bilinear"), "score must be one of"),
    (lambda: LuongAttention(4, score="general", hidden_size=3), "hidden_size is only used"),
    (lambda: AdditiveAttention(4, 0, 3), "key_size must be a positive integer, got 0"),
])
def test_constructor_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m(tl.randn(N, 5), tl.randn(N, S, KEY)), RuntimeError,
     r"query of shape \(N, 4\).*got \[2, 5\]"),
    (lambda m: m(tl.randn(N, 1, 1, QUERY), tl.randn(N, S, KEY)), RuntimeError, "query of shape"),
    (lambda m: m(tl.randn(N, QUERY), tl.randn(N, S, 7)), RuntimeError, r"keys of shape \(N, S, 6\)"),
    (lambda m: m(tl.randn(N, QUERY), tl.randn(3, S, KEY)), RuntimeError, "with N = 2"),
    (lambda m: m(tl.randn(N, QUERY), tl.randn(S, KEY)), RuntimeError, "keys of shape"),
    (lambda m: m(tl.randn(N, QUERY), tl.randn(N, S, KEY), tl.randn(N, 4, VALUE)), RuntimeError,
     r"values of shape .* \(2, 5\) from keys, got \[2, 4, 3\]"),
    (lambda m: m(tl.randn(N, QUERY).double(), tl.randn(N, S, KEY)), RuntimeError,
     r"\(tl.float32\), got query of dtype tl.float64"),
    (lambda m: m(tl.randn(N, QUERY), tl.randn(N, S, KEY), mask=tl.ones(N, 4, dtype=tl.bool)),
     RuntimeError, r"mask of shape \(N, S\) = \(2, 5\).*got \[2, 4\]"),
    (lambda m: m(tl.randn(N, QUERY), tl.randn(N, S, KEY), mask=tl.ones(N, S)), TypeError,
     "mask must be a bool Tensor"),
    (lambda m: m(MASK, tl.randn(N, S, KEY)), TypeError, "query must be a Tensor"),
])
def test_forward_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(AdditiveAttention(QUERY, KEY, HIDDEN))


def test_dot_without_parameters_checks_input_dtypes():
    with pytest.raises(RuntimeError, match="got keys of dtype tl.float64"):
        LuongAttention(KEY)(tl.randn(N, KEY), tl.randn(N, S, KEY).double())
