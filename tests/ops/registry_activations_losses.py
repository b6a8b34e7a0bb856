"""Registry entries for ``nn.functional`` activations and losses."""
import numpy

import tinygrad_lite.nn.functional as F
from ops.op_info import OpInfo, Sample, torch_function
from ops.op_samples import indices, make, unary_samples


def functional(name, samples, **fields):
    """``F.NAME`` against ``torch.nn.functional.NAME``."""
    return OpInfo(f"F.{name}", getattr(F, name), samples, ref=torch_function(f"nn.functional.{name}"), **fields)


def _sqrt_of(result):
    return result.sqrt()


def activation_samples(kinks=(), with_special=True, **kwargs_variants):
    """Elementwise samples (see :func:`unary_samples`), each variant's kwargs on a 2-d input,
    and an infinite upstream gradient at the kinks."""

    def samples(dtype, rng):
        yield from unary_samples(kinks=kinks, with_special=with_special)(dtype, rng)
        for label, kwargs in kwargs_variants.items():
            yield Sample((make(rng, (2, 3), dtype, -3, 3),), kwargs, label=label)
        if kinks:
            yield Sample((numpy.array(sorted(kinks) + [4.0], dtype),), label="kinks then sqrt",
                         gradcheck=False, then=_sqrt_of)

    return samples


def _clone_then(function):
    """``function(x.clone(), inplace=True, ...)``: the in-place form on a non-leaf."""
    return lambda x, **kwargs: function(x.clone(), inplace=True, **kwargs)


def inplace_pair(name, samples):
    """The ``inplace=True`` form of ``F.NAME`` on a non-leaf copy."""
    return OpInfo(f"F.{name}(inplace=True)", _clone_then(getattr(F, name)), samples,
                  ref=lambda x, **kwargs: torch_function(f"nn.functional.{name}")(x.clone(), inplace=True, **kwargs))


def _softmax_samples(dtype, rng):
    for shape, dim in (((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((), 0)):
        yield Sample((make(rng, shape, dtype),), {"dim": dim}, label=f"{shape} dim={dim}")
    yield Sample((make(rng, (0, 3), dtype),), {"dim": 0}, label="0-size, empty dim")
    yield Sample((numpy.array([[1000.0, 0.0, -numpy.inf]], dtype),), {"dim": 1}, label="huge and -inf",
                 gradcheck=False)


ACTIVATIONS = [
    functional("relu", activation_samples(kinks=(0.0,))),
    inplace_pair("relu", activation_samples()),
    functional("relu6", activation_samples(kinks=(0.0, 6.0))),
    functional("leaky_relu", activation_samples(kinks=(0.0,), **{"slope 0.2": {"negative_slope": 0.2}})),
    inplace_pair("leaky_relu", activation_samples()),
    functional("hardtanh", activation_samples(kinks=(-1.0, 1.0), **{"(-2, 0.5)": {"min_val": -2.0, "max_val": 0.5}})),
    # No inf: PyTorch's vectorised gelu(inf) is NaN but its scalar path gives inf (ours: inf).
    functional("gelu", activation_samples(with_special=False, tanh={"approximate": "tanh"})),
    functional("silu", activation_samples()),
    inplace_pair("silu", activation_samples()),
    functional("elu", activation_samples(**{"alpha 0.5": {"alpha": 0.5}})),
    inplace_pair("elu", activation_samples()),
    functional("selu", activation_samples()),
    functional("celu", activation_samples(**{"alpha 2": {"alpha": 2.0}})),
    functional("softplus", activation_samples(**{"beta 2 threshold 1": {"beta": 2.0, "threshold": 1.0}})),
    functional("mish", activation_samples()),
    functional("sigmoid", activation_samples()),
    functional("tanh", activation_samples()),
    functional("logsigmoid", activation_samples()),
    functional("softmax", _softmax_samples),
    functional("log_softmax", _softmax_samples),
]


# ----- losses ------------------------------------------------------------------------------------
REDUCTIONS = ("mean", "sum", "none")


def _class_target_samples(log_probabilities):
    """(input, class target) pairs for cross_entropy / nll_loss, with PyTorch's options."""

    def samples(dtype, rng):
        def scores(*shape):
            values = make(rng, shape, dtype)
            if log_probabilities:
                values = values - numpy.log(numpy.exp(values).sum(axis=1 if len(shape) > 1 else 0, keepdims=True))
            return values.astype(dtype)

        for reduction in REDUCTIONS:
            yield Sample((scores(4, 3), indices(rng, 3, (4,))), {"reduction": reduction}, label=reduction)
        yield Sample((scores(3), numpy.array(1)), label="unbatched")
        yield Sample((scores(2, 3, 2), indices(rng, 3, (2, 2))), label="K-dim")
        yield Sample((scores(4, 3), indices(rng, 3, (4,))), {"weight": make(rng, (3,), dtype, 0.5, 2)},
                     label="class weights")
        ignored = numpy.array([0, -100, 2, -100])
        yield Sample((scores(4, 3), ignored), label="ignore_index")
        yield Sample((scores(4, 3), numpy.array([0, 1, 2, 1])), {"ignore_index": 1, "weight": make(rng, (3,), dtype, 0.5, 2)},
                     label="ignore_index 1 with weights")
        yield Sample((scores(2, 3), numpy.array([-100, -100])), label="all ignored", gradcheck=False)
        yield Sample((scores(0, 3), indices(rng, 3, (0,))), {"reduction": "sum"}, label="0-size batch")
        yield Sample((scores(4, 3), numpy.array([0, 3, 1, 1])), label="class out of range",
                     raises=(IndexError, RuntimeError))
        # int32 class targets: PyTorch refuses them, ours accepts any integer dtype (a README
        # difference, pinned in tests/nn/test_loss.py).
        if not log_probabilities:
            yield Sample((scores(4, 3), indices(rng, 3, (4,))), {"label_smoothing": 0.2}, label="label_smoothing")
            yield Sample((scores(4, 3), indices(rng, 3, (4,))),
                         {"label_smoothing": 0.1, "weight": make(rng, (3,), dtype, 0.5, 2), "reduction": "sum"},
                         label="label_smoothing with weights")
            probabilities = rng.dirichlet(numpy.ones(3), 4).astype(dtype)
            yield Sample((scores(4, 3), probabilities), label="probability target")
            yield Sample((scores(4, 3), probabilities), {"label_smoothing": 0.3, "reduction": "none"},
                         label="probability target, smoothing")

    return samples


def _pair_samples(low=None, high=None, target_low=None, target_high=None, **variants):
    """(input, target) samples for elementwise losses: each reduction, broadcasting, 0-size."""

    def samples(dtype, rng):
        def input(*shape):
            return make(rng, shape, dtype, low, high)

        def target(*shape):
            return make(rng, shape, dtype, target_low, target_high)

        for reduction in REDUCTIONS:
            yield Sample((input(2, 3), target(2, 3)), {"reduction": reduction}, label=reduction)
        yield Sample((input(), target()), label="0-d")
        yield Sample((input(0, 3), target(0, 3)), {"reduction": "sum"}, label="0-size")
        yield Sample((input(0, 3), target(0, 3)), label="0-size mean", gradcheck=False)
        for label, kwargs in variants.items():
            extra = {key: (input(2, 3) if value == "weight" else value) for key, value in kwargs.items()}
            yield Sample((input(2, 3), target(2, 3)), extra, label=label)

    return samples


def _regression_extras(name):
    def samples(dtype, rng):
        yield from _pair_samples()(dtype, rng)
        same = make(rng, (2, 3), dtype)
        yield Sample((same, same.copy()), label="input == target", gradcheck=False)
        if name in ("mse_loss", "l1_loss", "huber_loss"):
            yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)),
                         {"weight": make(rng, (2, 3), dtype, 0.5, 2)}, label="weight")
            yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)),
                         {"weight": make(rng, (2, 3), dtype, 0.5, 2), "reduction": "sum"}, label="weight, sum")
        if name == "smooth_l1_loss":
            for beta in (0.0, 0.5):
                yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), {"beta": beta}, label=f"beta={beta}")
        if name == "huber_loss":
            yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype)), {"delta": 0.5}, label="delta=0.5")

    return samples


def _bce_samples(dtype, rng):
    yield from _pair_samples(0.05, 0.95, 0.0, 1.0)(dtype, rng)
    yield Sample((make(rng, (2, 3), dtype, 0.05, 0.95), make(rng, (2, 3), dtype, 0, 1)),
                 {"weight": make(rng, (3,), dtype, 0.5, 2)}, label="broadcast weight")
    yield Sample((numpy.array([0.0, 1.0, 0.5], dtype), numpy.array([0.0, 1.0, 1.0], dtype)), label="p at 0 and 1",
                 gradcheck=False)
    yield Sample((numpy.array([1.5], dtype), numpy.array([1.0], dtype)), label="p above 1", raises=RuntimeError)


def _bce_logits_samples(dtype, rng):
    yield from _pair_samples(target_low=0.0, target_high=1.0)(dtype, rng)
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype, 0, 1)),
                 {"weight": make(rng, (3,), dtype, 0.5, 2)}, label="weight")
    yield Sample((make(rng, (2, 3), dtype), make(rng, (2, 3), dtype, 0, 1)),
                 {"pos_weight": make(rng, (3,), dtype, 0.5, 2)}, label="pos_weight")
    yield Sample((numpy.array([-200.0, 200.0, 0.0], dtype), numpy.array([1.0, 0.0, 0.5], dtype)),
                 label="huge logits")


def _kl_div_samples(dtype, rng):
    def log_probabilities():
        values = make(rng, (2, 3), dtype)
        return (values - numpy.log(numpy.exp(values).sum(axis=1, keepdims=True))).astype(dtype)

    target = rng.dirichlet(numpy.ones(3), 2).astype(dtype)
    for reduction in ("batchmean", "sum", "none", "mean"):
        yield Sample((log_probabilities(), target), {"reduction": reduction}, label=reduction)
    yield Sample((log_probabilities(), numpy.log(target)), {"log_target": True, "reduction": "batchmean"},
                 label="log_target")
    yield Sample((log_probabilities(), numpy.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], dtype)),
                 {"reduction": "sum"}, label="zero targets", gradcheck=False)


LOSSES = [
    functional("cross_entropy", _class_target_samples(log_probabilities=False), grad_args=(0, 1)),
    functional("nll_loss", _class_target_samples(log_probabilities=True), grad_args=(0,)),
    functional("mse_loss", _regression_extras("mse_loss"), grad_args=(0, 1)),
    functional("l1_loss", _regression_extras("l1_loss"), grad_args=(0, 1)),
    functional("smooth_l1_loss", _regression_extras("smooth_l1_loss"), grad_args=(0, 1)),
    functional("huber_loss", _regression_extras("huber_loss"), grad_args=(0, 1)),
    functional("binary_cross_entropy", _bce_samples, grad_args=(0, 1)),
    functional("binary_cross_entropy_with_logits", _bce_logits_samples, grad_args=(0, 1)),
    functional("kl_div", _kl_div_samples, grad_args=(0, 1)),
]

ENTRIES = ACTIVATIONS + LOSSES
