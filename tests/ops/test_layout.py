"""Output layouts match PyTorch's, so ``view`` works (or refuses) exactly where PyTorch's does."""
import numpy
import pytest

import tinygrad_lite as tl
from helpers import requires_torch, torch
from tinygrad_lite.ops.layout import iterator_dim_order

PERMUTATIONS = [(0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0)]


def _libs():
    return [tl] + ([torch] if torch is not None else [])


# Each op on a permuted (2, 3, 4)-element input; PyTorch returns these contiguous.
CONTIGUOUS_OPS = {
    "sum": lambda lib, x: x.sum(1),
    "amax": lambda lib, x: x.amax(0),
    "mean": lambda lib, x: x.mean(-1),
    "var": lambda lib, x: x.var(0),
    "prod": lambda lib, x: x.prod(1),
    "argmax": lambda lib, x: x.argmax(1),
    "logsumexp": lambda lib, x: x.logsumexp(1),
    "norm": lambda lib, x: x.norm(dim=1),
    "softmax": lambda lib, x: x.softmax(1),
    "log_softmax": lambda lib, x: x.log_softmax(0),
    "tril": lambda lib, x: x.tril(),
    "cat": lambda lib, x: lib.cat([x, x], 0),
    "masked_fill": lambda lib, x: x.masked_fill(x > 3, 0.0),
    "layer_norm": lambda lib, x: lib.nn.functional.layer_norm(x, (x.shape[-1],)),
    "index_select": lambda lib, x: lib.index_select(x, -1, lib.tensor([1, 0])),
    "index two dims": lambda lib, x: x[:, [1, 0], [0, 1]],
}


@pytest.mark.parametrize("perm", PERMUTATIONS)
@pytest.mark.parametrize("name", sorted(CONTIGUOUS_OPS))
def test_ops_pytorch_returns_contiguous_can_be_viewed_flat(name, perm):
    x = tl.tensor(numpy.arange(24.0).reshape(2, 3, 4)).permute(*perm)
    result = CONTIGUOUS_OPS[name](tl, x)
    assert result.data.flags.c_contiguous
    assert result.view(-1).tolist() == result.reshape(-1).tolist()


@pytest.mark.parametrize("name", ["clone", "flip", "exp"])
def test_copies_keep_a_permuted_layout_so_a_flat_view_is_refused(name):
    # PyTorch's clone (preserve_format), flip and elementwise ops keep the input's layout.
    x = tl.tensor(numpy.arange(24.0).reshape(2, 3, 4)).permute(2, 0, 1)
    result = {"clone": x.clone, "flip": lambda: x.flip(0), "exp": x.exp}[name]()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        result.view(-1)


INDEXES = {
    "slice, list": lambda x: x[:, [1, 0]],
    "ellipsis, list": lambda x: x[..., [1, 0]],
    "None, ellipsis, 2-d, None": lambda x: x[None, ..., [[1, 0], [0, 1]], None],
    "separated lists": lambda x: x[[0, 1], :, [1, 0]],
    "int, slice, list": lambda x: x[0, :, [1, 0]],
    "2-d list last": lambda x: x[:, :, [[1, 0], [0, 1]]],
    "repeated rows": lambda x: x[[0, 0, 1]],
}


@requires_torch
@pytest.mark.parametrize("perm", [(0, 1, 2, 3), (3, 0, 1, 2), (1, 2, 3, 0), (3, 2, 1, 0), (0, 2, 1, 3)])
@pytest.mark.parametrize("name", sorted(INDEXES))
def test_advanced_indexing_lays_out_its_result_as_pytorch(name, perm):
    values = numpy.arange(48.0).reshape(2, 3, 4, 2)
    ours = INDEXES[name](tl.tensor(values).permute(*perm))
    theirs = INDEXES[name](torch.tensor(values).permute(*perm))
    ours_strides = [stride // 8 for stride, size in zip(ours.data.strides, ours.shape) if size != 1]
    assert ours_strides == [stride for stride, size in zip(theirs.stride(), theirs.shape) if size != 1]
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_iterator_dim_order_sorts_by_the_first_unambiguous_operand():
    # Operand 0 broadcasts dim 1 (stride 0): operand 1 decides between dims 1 and 0.
    assert iterator_dim_order((2, 3, 4), [[12, 0, 1], [0, 1, 0]]) == [2, 1, 0]
    assert iterator_dim_order((2, 3, 4), [[1, 2, 6]]) == [0, 1, 2]


def test_index_put_on_an_expanded_tensor_warns_and_writes_as_pytorch():
    x = tl.zeros(1, 1).expand(2, 3)
    with pytest.warns(UserWarning, match="index_put_ on expanded tensors"):
        x[[0]] = tl.ones(3)
    assert x.tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    with pytest.warns(UserWarning, match="index_put_ on expanded tensors"):
        x[tl.zeros(0, dtype=tl.int64)] = tl.zeros(0, 3)  # fuzz case 63474: nothing written
