"""quantize_dynamic: which layers are swapped, the copy semantics, and the saved size."""
import os

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite.quantization import DynamicQuantizedLinear


def small_model():
    tl.manual_seed(0)
    return tl.nn.Sequential(tl.nn.Linear(64, 128), tl.nn.ReLU(),
                            tl.nn.Sequential(tl.nn.Linear(128, 128), tl.nn.ReLU()),
                            tl.nn.Linear(128, 10))


def test_every_linear_is_swapped_in_a_copy():
    model = small_model()
    quantized = tl.quantization.quantize_dynamic(model, {tl.nn.Linear}, dtype=tl.qint8)
    kinds = [type(module).__name__ for _, module in quantized.named_modules()]
    assert kinds.count("DynamicQuantizedLinear") == 3 and "Linear" not in kinds
    assert isinstance(model[0], tl.nn.Linear)  # the original is untouched
    x = tl.tensor(numpy.random.default_rng(0).random((20, 64), dtype=numpy.float32))
    with tl.no_grad():
        expected = model(x).numpy()
    got = quantized(x).numpy()
    assert numpy.abs(got - expected).max() < 0.02 * numpy.abs(expected).max()
    assert (got.argmax(1) == expected.argmax(1)).mean() >= 0.9


def test_inplace_and_names():
    model = small_model()
    same = tl.quantization.quantize_dynamic(model, {"2.0"}, inplace=True)
    assert same is model and isinstance(model[2][0], DynamicQuantizedLinear)
    assert isinstance(model[0], tl.nn.Linear)


def test_saved_checkpoint_is_about_four_times_smaller(tmp_path):
    model = small_model()
    tl.save(model.state_dict(), tmp_path / "float.tl")
    tl.save(tl.quantization.quantize_dynamic(model).state_dict(), tmp_path / "int8.tl")
    ratio = os.path.getsize(tmp_path / "float.tl") / os.path.getsize(tmp_path / "int8.tl")
    assert 3.0 < ratio < 4.0  # 4x on weights; scales, biases and the zip directory cost a bit


@pytest.mark.parametrize("kwargs, words", [({"dtype": tl.quint8}, "qint8"),
                                           ({"qconfig_spec": {tl.nn.LSTM}}, "LSTM")])
def test_unsupported_requests_raise(kwargs, words):
    with pytest.raises(ValueError, match=words):
        tl.quantization.quantize_dynamic(small_model(), **kwargs)
