"""Tests for tinygrad_lite/nn/positional_encoding.py: sinusoidal and learned positional encodings."""
import math

import numpy
import pytest

import tinygrad_lite as tl
from helpers import DEVICES, check_gradcheck, check_parity, requires_torch, torch
from tinygrad_lite.nn.positional_encoding import LearnedPositionalEncoding, SinusoidalPositionalEncoding


def _reference_table(max_len, d_model):
    """The formula written element by element (slow, obviously right)."""
    table = numpy.zeros((max_len, d_model))
    for position in range(max_len):
        for i in range(0, d_model, 2):
            angle = position / 10000 ** (i / d_model)
            table[position, i] = math.sin(angle)
            if i + 1 < d_model:
                table[position, i + 1] = math.cos(angle)
    return table


@pytest.mark.parametrize("d_model", [6, 7])
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_sinusoidal_table_follows_the_formula(d_model, dtype):
    encoding = SinusoidalPositionalEncoding(d_model, max_len=50, dtype=dtype)
    assert encoding.pe.dtype == dtype and encoding.pe.shape == (50, d_model)
    numpy.testing.assert_allclose(encoding.pe.numpy(), _reference_table(50, d_model),
                                  atol=1e-6 if dtype == tl.float32 else 1e-12, rtol=1e-10)
    numpy.testing.assert_array_equal(encoding.pe.numpy()[0, 0::2], 0.0)


def test_sinusoidal_table_is_a_non_persistent_buffer():
    encoding = SinusoidalPositionalEncoding(4, max_len=10)
    assert "pe" in dict(encoding.named_buffers()) and "pe" not in encoding.state_dict()
    assert list(encoding.parameters()) == []
    encoding.double()
    assert encoding.pe.dtype == tl.float64


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("offset", [0, 3])
@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_sinusoidal_adds_rows_from_the_offset(batch_first, offset, dtype):
    encoding = SinusoidalPositionalEncoding(6, max_len=20, batch_first=batch_first, dtype=dtype)
    shape = (2, 5, 6) if batch_first else (5, 2, 6)
    x = tl.randn(*shape, dtype=dtype)
    output = encoding(x, offset=offset)
    assert output.dtype == dtype and output.shape == shape
    rows = _reference_table(20, 6)[offset:offset + 5]
    expected = x.numpy() + (rows[None] if batch_first else rows[:, None])
    atol = 1e-6 if dtype == tl.float32 else 1e-12
    numpy.testing.assert_allclose(output.numpy(), expected, atol=atol, rtol=1e-10)
    unbatched = encoding(x[0] if batch_first else x[:, 0], offset=offset)
    numpy.testing.assert_allclose(unbatched.numpy(), expected[0] if batch_first else expected[:, 0],
                                  atol=atol, rtol=1e-10)


@requires_torch
def test_sinusoidal_parity_with_torch_expression():
    encoding = SinusoidalPositionalEncoding(6, max_len=20, dtype=tl.float64)
    table = torch.tensor(_reference_table(20, 6))
    check_parity(lambda x: encoding(x, offset=2), lambda x: x + table[2:6, None], (4, 3, 6),
                 dtype=numpy.float64, atol=1e-12, rtol=1e-10)


def test_sinusoidal_gradcheck():
    encoding = SinusoidalPositionalEncoding(4, max_len=8, dtype=tl.float64)
    check_gradcheck(lambda x: encoding(x, offset=1) * encoding(x), (3, 2, 4))


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64], ids=["float32", "float64"])
def test_learned_matches_torch_embedding_of_positions(batch_first, dtype):
    ours = LearnedPositionalEncoding(10, 4, batch_first=batch_first, dtype=dtype)
    table = torch.tensor(ours.weight.numpy(force=True), requires_grad=True)

    def theirs(x):
        rows = torch.nn.functional.embedding(torch.arange(2, 5), table)
        return x + (rows if batch_first else rows[:, None])

    shape = (2, 3, 4) if batch_first else (3, 2, 4)
    check_parity(lambda x: ours(x, offset=2), theirs, shape, dtype=dtype, atol=1e-6)
    assert ours.weight.dtype == dtype
    numpy.testing.assert_allclose(ours.weight.grad.numpy(), table.grad.numpy(), atol=1e-6)
    assert not ours.weight.grad.numpy()[[0, 1, 5, 6, 7, 8, 9]].any()


def test_learned_gradcheck():
    # The table's own gradient is compared with torch's in the parity test above.
    ours = LearnedPositionalEncoding(6, 3, dtype=tl.float64)
    check_gradcheck(lambda x: ours(x, offset=2).tanh(), (4, 2, 3))


def test_learned_initialisation_and_state_dict():
    encoding = LearnedPositionalEncoding(500, 40)
    values = encoding.weight.numpy(force=True)
    assert abs(values.mean()) < 0.03 and abs(values.std() - 1.0) < 0.03  # N(0, 1) like nn.Embedding
    assert list(encoding.state_dict()) == ["weight"]


@pytest.mark.parametrize("device", DEVICES)
def test_device_argument(device):
    for encoding in (SinusoidalPositionalEncoding(4, 8, device=device),
                     LearnedPositionalEncoding(8, 4, device=device)):
        output = encoding(tl.randn(3, 2, 4, device=device), offset=5)
        assert output.device == device and output.shape == (3, 2, 4)


def test_dropout_applies_after_the_sum_in_training_only():
    encoding = SinusoidalPositionalEncoding(4, max_len=8, dropout=1.0)
    x = tl.randn(3, 2, 4)
    assert not encoding(x).numpy().any()
    encoding.eval()
    expected = x.numpy() + _reference_table(8, 4)[:3, None]
    numpy.testing.assert_allclose(encoding(x).numpy(), expected, atol=1e-6)


def test_out_of_range_positions_and_bad_shapes_raise():
    for encoding in (SinusoidalPositionalEncoding(4, max_len=5), LearnedPositionalEncoding(5, 4)):
        with pytest.raises(IndexError, match=r"positions 3\.\.5 .*max_len=5"):
            encoding(tl.zeros(3, 1, 4), offset=3)
        with pytest.raises(IndexError, match="max_len=5"):
            encoding(tl.zeros(2, 1, 4), offset=-1)
        with pytest.raises(ValueError, match=r"\[3, 1, 6\].*d_model=4"):
            encoding(tl.zeros(3, 1, 6))
