"""Registry entries for the ``nn.functional`` layers: linear, convolution, pooling,
normalisation, dropout, embedding, one_hot, pad, attention and the fused recurrence."""
import numpy

import tinygrad_lite.nn.functional as F
from helpers import torch
from ops.op_info import FLOAT16, INT64, OpInfo, Sample, torch_function, transposed
from ops.op_samples import indices, make
from tinygrad_lite.nn.functional.recurrent import recurrence


def functional(name, samples, **fields):
    """``F.NAME`` against ``torch.nn.functional.NAME``."""
    return OpInfo(f"F.{name}", getattr(F, name), samples, ref=torch_function(f"nn.functional.{name}"), **fields)


def _linear_samples(dtype, rng):
    weight, bias = make(rng, (4, 3), dtype), make(rng, (4,), dtype)
    yield Sample((make(rng, (2, 3), dtype), weight, bias), label="2-d")
    yield Sample((make(rng, (3,), dtype), weight, bias), label="1-d input")
    yield Sample((make(rng, (2, 2, 3), dtype), weight), label="3-d, no bias")
    yield Sample((make(rng, (0, 3), dtype), weight, bias), label="0-size batch")
    yield Sample((transposed(make(rng, (2, 3), dtype)), transposed(weight), bias), label="transposed")
    yield Sample((make(rng, (2, 3), dtype), weight, make(rng, (), dtype)), label="0-d bias")
    yield Sample((make(rng, (2, 3), dtype), weight, make(rng, (1,), dtype)), label="bias of size 1")
    yield Sample((make(rng, (2, 3), dtype), weight, make(rng, (2, 4), dtype)), label="bias as big as the output")
    yield Sample((make(rng, (2, 2, 3), dtype), weight, bias), label="3-d with bias")
    yield Sample((make(rng, (2, 1, 0), dtype), make(rng, (4, 0), dtype)), label="0 input features, 3-d")
    yield Sample((make(rng, (2, 3), dtype), weight, make(rng, (3,), dtype)), label="bias of the wrong size",
                 raises=RuntimeError)
    yield Sample((make(rng, (2, 4), dtype), weight, bias), label="mismatched", raises=RuntimeError)


def _bilinear_samples(dtype, rng):
    weight = make(rng, (4, 2, 3), dtype)
    yield Sample((make(rng, (5, 2), dtype), make(rng, (5, 3), dtype), weight, make(rng, (4,), dtype)), label="bias")
    yield Sample((make(rng, (2, 5, 2), dtype), make(rng, (2, 5, 3), dtype), weight), label="batch dims, no bias")


def _conv_samples(dims):
    def samples(dtype, rng):
        spatial = (5,) * dims
        kernel = (3,) * dims

        def images(batch, channels):
            return make(rng, (batch, channels) + spatial, dtype)

        def weights(out_channels, in_channels):
            return make(rng, (out_channels, in_channels) + kernel, dtype)

        yield Sample((images(2, 3), weights(4, 3), make(rng, (4,), dtype)), label="bias")
        yield Sample((images(1, 2), weights(2, 2)), {"stride": 2, "padding": 1}, label="stride 2 padding 1")
        yield Sample((images(1, 2), weights(2, 2)), {"dilation": 2}, label="dilation 2")
        yield Sample((images(1, 4), weights(2, 2)), {"groups": 2}, label="groups 2")
        yield Sample((images(1, 2), weights(2, 2)), {"padding": "same"}, label="padding same")
        yield Sample((images(1, 2), weights(2, 2)), {"padding": "valid"}, label="padding valid")
        yield Sample((make(rng, (2,) + spatial, dtype), weights(3, 2)), label="unbatched")
        yield Sample((images(0, 2), weights(3, 2)), label="0-size batch")
        if dims == 2:
            yield Sample((images(1, 2), make(rng, (3, 2, 2, 3), dtype)), {"stride": (1, 2), "padding": (1, 0)},
                         label="rectangular kernel, pair arguments")
            yield Sample((images(1, 2), make(rng, (2, 2, 2, 2), dtype)), {"padding": "same", "dilation": (1, 2)},
                         label="even kernel, padding same")
        yield Sample((images(1, 3), weights(2, 2)), label="channel mismatch", raises=RuntimeError)

    return samples


def _pool_input(rng, dims, dtype, size=5, batch=1, channels=2):
    return make(rng, (batch, channels) + (size,) * dims, dtype)


def _max_pool_samples(dims):
    def samples(dtype, rng):
        def image(size=5):
            return _pool_input(rng, dims, dtype, size)

        yield Sample((image(), 2), label="kernel 2")
        yield Sample((image(), 3), {"stride": 1, "padding": 1}, label="stride 1 padding 1")
        yield Sample((image(), 2), {"dilation": 2}, label="dilation 2")
        yield Sample((image(), 2), {"ceil_mode": True}, label="ceil_mode")
        yield Sample((image(2), 3), {"ceil_mode": True}, label="ceil_mode, kernel larger than input")
        yield Sample((image(5), 3), {"stride": 2, "ceil_mode": True}, label="ceil_mode stride 2")
        yield Sample((image(), 2), {"return_indices": True}, label="return_indices")
        yield Sample((make(rng, (2,) + (4,) * dims, dtype), 2), label="unbatched")
        ties = numpy.ones((1, 1) + (4,) * dims, dtype)
        yield Sample((ties, 2), label="ties", gradcheck=False)
        if dtype.kind == "f":
            nan = _pool_input(rng, dims, dtype, 4, channels=1)
            nan.reshape(-1)[1] = numpy.nan
            yield Sample((nan, 2), label="nan", gradcheck=False)
        yield Sample((image(2), 3), label="kernel larger than input", raises=RuntimeError)

    return samples


def _avg_pool_samples(dims):
    def samples(dtype, rng):
        def image(size=5):
            return _pool_input(rng, dims, dtype, size)

        yield Sample((image(), 2), label="kernel 2")
        yield Sample((image(), 3), {"stride": 1, "padding": 1}, label="stride 1 padding 1")
        yield Sample((image(), 3), {"stride": 2, "padding": 1, "count_include_pad": False},
                     label="count_include_pad False")
        yield Sample((image(), 2), {"ceil_mode": True}, label="ceil_mode")
        yield Sample((image(2), 3), {"ceil_mode": True}, label="ceil_mode, kernel larger than input")
        yield Sample((image(2), 3), {"ceil_mode": True, "padding": 1}, label="ceil_mode, kernel larger, padding")
        yield Sample((make(rng, (2,) + (4,) * dims, dtype), 2), label="unbatched")
        if dims == 2:
            yield Sample((image(), 2), {"divisor_override": 3}, label="divisor_override")
        yield Sample((image(2), 3), label="kernel larger than input", raises=RuntimeError)

    return samples


def _adaptive_samples(dims):
    def samples(dtype, rng):
        for size, output in ((6, 3), (5, 3), (5, 1), (3, 5), (4, 4)):
            yield Sample((_pool_input(rng, dims, dtype, size), output), label=f"{size} to {output}")
        yield Sample((make(rng, (2,) + (5,) * dims, dtype), 2), label="unbatched")
        if dims == 2:
            yield Sample((_pool_input(rng, dims, dtype, 5), (2, None)), label="(2, None)")

    return samples


def _layer_norm_samples(dtype, rng):
    yield Sample((make(rng, (2, 3, 4), dtype), (4,)), label="last dim")
    yield Sample((make(rng, (2, 3, 4), dtype), (3, 4), make(rng, (3, 4), dtype), make(rng, (3, 4), dtype)),
                 label="two dims, affine")
    yield Sample((make(rng, (2, 4), dtype), (4,)), {"eps": 0.1}, label="eps")
    yield Sample((make(rng, (0, 4), dtype), (4,)), label="0-size batch")
    yield Sample((numpy.full((2, 3), 0.5, dtype), (3,)), label="constant rows")


def _batch_norm_samples(dtype, rng):
    def statistics():
        return make(rng, (3,), dtype), make(rng, (3,), dtype, 0.5, 2)

    mean, var = statistics()
    yield Sample((make(rng, (4, 3), dtype), mean, var, make(rng, (3,), dtype), make(rng, (3,), dtype)),
                 label="eval, affine")
    yield Sample((make(rng, (2, 3, 4), dtype), mean, var), {"training": True}, label="training, (N, C, L)")
    yield Sample((make(rng, (2, 3, 2, 2), dtype), None, None, make(rng, (3,), dtype), None),
                 {"training": True, "momentum": 0.3, "eps": 0.01}, label="training without running stats")
    yield Sample((make(rng, (1, 3), dtype), mean, var), {"training": True}, label="one value per channel",
                 raises=ValueError)


def _batch_norm_with_statistics(input, running_mean, running_var, *args, **kwargs):
    """``F.batch_norm`` followed by the running statistics it updated in place."""
    output = F.batch_norm(input, running_mean, running_var, *args, **kwargs)
    return output, running_mean, running_var


def _statistics_samples(dtype, rng):
    mean, var = make(rng, (3,), dtype), make(rng, (3,), dtype, 0.5, 2)
    yield Sample((make(rng, (4, 3), dtype), mean, var), {"training": True}, label="momentum 0.1")
    yield Sample((make(rng, (2, 3, 4), dtype), mean, var), {"training": True, "momentum": 0.5},
                 label="(N, C, L), momentum 0.5")
    yield Sample((make(rng, (4, 3), dtype), mean, var), label="eval leaves them")


def _group_norm_samples(dtype, rng):
    yield Sample((make(rng, (2, 4, 3), dtype), 2), label="two groups")
    yield Sample((make(rng, (2, 4, 2, 2), dtype), 4, make(rng, (4,), dtype), make(rng, (4,), dtype)),
                 label="4-d, affine")
    yield Sample((make(rng, (2, 4), dtype), 1), label="one group")


def _rms_norm_samples(dtype, rng):
    yield Sample((make(rng, (2, 3, 4), dtype), (4,)), label="last dim")
    yield Sample((make(rng, (2, 3, 4), dtype), (3, 4), make(rng, (3, 4), dtype)), {"eps": 1e-3}, label="weight, eps")


def _normalize_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype),), label="default")
    yield Sample((make(rng, (2, 3), dtype),), {"p": 1.0, "dim": 0}, label="p=1 dim 0")
    yield Sample((numpy.zeros((2, 3), dtype),), label="zeros", gradcheck=False)


def _dropout_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype),), {"training": False}, label="eval")
    yield Sample((make(rng, (2, 3), dtype),), {"p": 0.0}, label="p=0")
    yield Sample((make(rng, (2, 3), dtype),), {"p": 1.0}, label="p=1")


def _channel_dropout_samples(ndim):
    def samples(dtype, rng):
        shape = (2, 3) + (2,) * (ndim - 2)
        yield Sample((make(rng, shape, dtype),), {"training": False}, label="eval")
        yield Sample((make(rng, shape, dtype),), {"p": 0.0}, label="p=0")
        yield Sample((make(rng, shape, dtype),), {"p": 1.0}, label="p=1")

    return samples


def _embedding_samples(dtype, rng):
    weight = make(rng, (5, 3), dtype)
    yield Sample((indices(rng, 5, (2, 3)), weight), label="2-d ids")
    yield Sample((numpy.array([4, 0, 1], numpy.int32), weight), label="int32 ids")
    yield Sample((numpy.array([1, 1, 4, 1]), weight), label="repeated ids")
    yield Sample((numpy.array(2), weight), label="0-d id")
    yield Sample((indices(rng, 5, (0,)), weight), label="no ids")
    # padding_idx and scale_grad_by_freq change the gradient on purpose: no finite differences.
    yield Sample((numpy.array([0, 2, 0, 3]), weight), {"padding_idx": 0}, label="padding_idx", gradcheck=False)
    yield Sample((numpy.array([0, 2, 4, 3]), weight), {"padding_idx": -1}, label="negative padding_idx",
                 gradcheck=False)
    yield Sample((numpy.array([1, 1, 4, 1]), weight), {"scale_grad_by_freq": True}, label="scale_grad_by_freq",
                 gradcheck=False)
    yield Sample((numpy.array([1, 4]), make(rng, (5, 3), dtype) * 3), {"max_norm": 1.0}, label="max_norm",
                 gradcheck=False)
    yield Sample((numpy.array([1, 5]), weight), label="id out of range", raises=IndexError)


def _one_hot_samples(dtype, rng):
    yield Sample((numpy.array([0, 2, 1]),), label="inferred classes")
    yield Sample((indices(rng, 4, (2, 3)), 4), label="2-d, 4 classes")
    yield Sample((numpy.array(1), 3), label="0-d")
    yield Sample((indices(rng, 3, (0,)), 3), label="no ids")
    yield Sample((numpy.array([0, 3]), 3), label="id out of range", raises=(IndexError, RuntimeError))


def _pad_samples(dtype, rng):
    yield Sample((make(rng, (2, 3), dtype), (1, 2)), label="constant last dim")
    yield Sample((make(rng, (2, 3), dtype), (1, 0, 2, 1)), {"value": 1.5}, label="constant two dims, value")
    yield Sample((make(rng, (2, 3), dtype), (-1, 1)), label="negative crops")
    yield Sample((make(rng, (0, 3), dtype), (1, 1)), label="0-size")
    for mode in ("reflect", "replicate", "circular"):
        yield Sample((make(rng, (1, 2, 4), dtype), (2, 1)), {"mode": mode}, label=f"{mode} 1-d")
        yield Sample((make(rng, (1, 2, 3, 4), dtype), (1, 2, 2, 1)), {"mode": mode}, label=f"{mode} 2-d")
    yield Sample((make(rng, (1, 2, 3), dtype), (3, 0)), {"mode": "reflect"}, label="reflect beyond the size",
                 raises=RuntimeError)


def _attention_samples(dtype, rng):
    def tensor(*shape):
        return make(rng, shape, dtype)

    query, key, value = tensor(2, 3, 4), tensor(2, 5, 4), tensor(2, 5, 2)
    yield Sample((query, key, value), label="plain, L != S")
    yield Sample((tensor(2, 3, 4), tensor(2, 3, 4), tensor(2, 3, 4)), {"is_causal": True}, label="causal")
    yield Sample((tensor(2, 3, 4), tensor(2, 5, 4), tensor(2, 5, 4)), {"is_causal": True}, label="causal, L < S")
    yield Sample((query, key, value), {"attn_mask": make(rng, (3, 5), numpy.bool_)}, label="bool mask")
    yield Sample((query, key, value), {"attn_mask": numpy.zeros((3, 5), bool)}, label="bool mask, all masked")
    yield Sample((query, key, value), {"attn_mask": tensor(3, 5)}, label="float mask")
    yield Sample((query, key, value), {"scale": 0.3}, label="scale")
    yield Sample((tensor(1, 4, 3, 2), tensor(1, 2, 3, 2), tensor(1, 2, 3, 2)), {"enable_gqa": True},
                 label="grouped query heads")
    yield Sample((tensor(2, 1, 3, 4), tensor(3, 5, 4), tensor(3, 5, 2)), label="broadcast batch")
    yield Sample((tensor(2, 3, 4), tensor(2, 0, 4), tensor(2, 0, 2)), label="no keys")


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _recurrence_samples(dtype, rng):
    hidden = 2
    for mode, gates in _GATES.items():
        blocks = 2 if mode == "LSTM" else 1
        for sizes, reverse in (((2, 2, 2), False), ((3, 2, 1), False), ((3, 2, 1), True)):
            rows = sum(sizes)
            yield Sample((make(rng, (rows, gates * hidden), dtype), make(rng, (gates * hidden, hidden), dtype),
                          make(rng, (gates * hidden,), dtype), make(rng, (sizes[0], blocks * hidden), dtype),
                          mode, sizes), {"reverse": reverse}, label=f"{mode} {sizes} reverse={reverse}")
        yield Sample((make(rng, (2, gates * hidden), dtype), make(rng, (gates * hidden, hidden), dtype), None,
                      make(rng, (1, blocks * hidden), dtype), mode, (1, 1)), label=f"{mode} no bias")


def _torch_step(mode, x, hidden_projection, previous, hidden):
    """One step of PyTorch's cell equations (gate order i, f, g, o and r, z, n)."""
    h = previous[:, :hidden]
    if mode == "LSTM":
        i, f, g, o = (x + hidden_projection).chunk(4, 1)
        c = torch.sigmoid(f) * previous[:, hidden:] + torch.sigmoid(i) * torch.tanh(g)
        return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], 1)
    if mode == "GRU":
        x_r, x_z, x_n = x.chunk(3, 1)
        h_r, h_z, h_n = hidden_projection.chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h
    pre = x + hidden_projection
    return torch.tanh(pre) if mode == "RNN_TANH" else torch.relu(pre)


def torch_recurrence(input_projection, weight_hh, bias_hh, initial_state, mode, batch_sizes, reverse=False):
    """PyTorch reference of ``recurrence``: the packed steps one by one with torch ops."""
    hidden = weight_hh.shape[1]
    offsets = numpy.concatenate([[0], numpy.cumsum(batch_sizes)]).tolist()
    times = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    states, state = [None] * len(batch_sizes), None
    for t in times:
        rows = batch_sizes[t]
        if state is None:
            previous = initial_state[:rows]
        elif state.shape[0] >= rows:
            previous = state[:rows]
        else:  # backward in time the batch grows: new rows start from the initial state
            previous = torch.cat([state, initial_state[state.shape[0]:rows]])
        projection = previous[:, :hidden] @ weight_hh.T
        if bias_hh is not None:
            projection = projection + bias_hh
        state = _torch_step(mode, input_projection[offsets[t]:offsets[t] + rows], projection, previous, hidden)
        states[t] = state
    return torch.cat(states)


LAYERS = [
    functional("linear", _linear_samples),
    functional("bilinear", _bilinear_samples),
    functional("conv1d", _conv_samples(1)),
    functional("conv2d", _conv_samples(2)),
    functional("max_pool1d", _max_pool_samples(1)),
    functional("max_pool2d", _max_pool_samples(2)),
    functional("avg_pool1d", _avg_pool_samples(1)),
    functional("avg_pool2d", _avg_pool_samples(2)),
    functional("adaptive_avg_pool1d", _adaptive_samples(1)),
    functional("adaptive_avg_pool2d", _adaptive_samples(2)),
    functional("layer_norm", _layer_norm_samples),
    # Running statistics are buffers updated in place: they take no gradient.
    functional("batch_norm", _batch_norm_samples, grad_args=(0, 3, 4)),
    OpInfo("F.batch_norm running statistics", _batch_norm_with_statistics, _statistics_samples, grad_args=(0,),
           gradcheck=False, gradcheck_reason="every call updates the running statistics (F.batch_norm's "
                                             "gradients are checked by its own entry)",
           ref=lambda input, mean, var, *args, **kwargs: (
               torch.nn.functional.batch_norm(input, mean, var, *args, **kwargs), mean, var)),
    functional("group_norm", _group_norm_samples),
    functional("rms_norm", _rms_norm_samples, tolerance={FLOAT16: (5e-3, 2e-3)},
               tolerance_reason="float16: a gradient element that cancels to ~1e-3 is off by one "
                                "rounding of its ~1.0 terms (2e-3 absolute)"),
    functional("normalize", _normalize_samples),
    functional("dropout", _dropout_samples),
    functional("dropout1d", _channel_dropout_samples(3)),
    functional("dropout2d", _channel_dropout_samples(4)),
    functional("dropout3d", _channel_dropout_samples(5)),
    functional("embedding", _embedding_samples),
    functional("one_hot", _one_hot_samples, dtypes=(INT64,), differentiable=False),
    functional("pad", _pad_samples),
    functional("scaled_dot_product_attention", _attention_samples),
    OpInfo("recurrence", recurrence, _recurrence_samples, ref=torch_recurrence),
]

ENTRIES = LAYERS
