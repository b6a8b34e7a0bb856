"""DistributedDataParallel at world size 1: buckets, hooks, no_sync and errors (two ranks:
test_multiprocess.py)."""
import numpy
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.nn.parallel import DistributedDataParallel


def _model():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def _loss(model, seed=0):
    rng = numpy.random.default_rng(seed)
    x = tl.tensor(rng.standard_normal((6, 4)).astype(numpy.float32))
    return F.cross_entropy(model(x), tl.tensor(rng.integers(0, 2, 6)))


# Bucket element counts, last layer first: bias 2 + weight 16 | bias 8 | weight 32 (float32 bytes x4).
@pytest.mark.parametrize("bucket_cap_mb, buckets", [(None, [58]), (100 / 2 ** 20, [18, 8, 32]),
                                                    (200 / 2 ** 20, [26, 32])])
def test_gradients_equal_the_plain_models_and_go_through_buckets(single_process_group, bucket_cap_mb,
                                                                 buckets):
    model = _model()
    plain = _model()
    plain.load_state_dict(model.state_dict())
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    assert ddp.module is model
    single_process_group.calls.clear()
    _loss(ddp).backward()
    _loss(plain).backward()
    for mine, reference in zip(model.parameters(), plain.parameters()):
        numpy.testing.assert_array_equal(mine.grad.numpy(), reference.grad.numpy())
    assert single_process_group.calls == [("all_reduce", size, "SUM") for size in buckets]


def test_construction_broadcasts_parameters_and_buffers_from_rank_0(single_process_group):
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    DistributedDataParallel(model)
    broadcast = [call[1] for call in single_process_group.calls if call[0] == "broadcast"]
    parameters = [p.numel() for p in model.parameters()]
    buffers = [b.numel() for b in model.buffers()]
    assert broadcast == parameters + buffers


def test_state_dict_keys_carry_the_module_prefix(single_process_group):
    ddp = DistributedDataParallel(nn.Linear(2, 1))
    assert list(ddp.state_dict()) == ["module.weight", "module.bias"]


def test_no_sync_skips_communication_and_accumulates(single_process_group):
    model = _model()
    ddp = DistributedDataParallel(model)
    single_process_group.calls.clear()
    with ddp.no_sync():
        _loss(ddp, seed=0).backward()
    assert single_process_group.calls == []
    first = model[0].weight.grad.numpy().copy()
    _loss(ddp, seed=1).backward()
    assert [call[0] for call in single_process_group.calls] == ["all_reduce"]
    plain = _model()
    plain.load_state_dict(model.state_dict())
    _loss(plain, seed=1).backward()
    numpy.testing.assert_allclose(model[0].weight.grad.numpy(), first + plain[0].weight.grad.numpy(),
                                  rtol=1e-6)


def test_backward_without_a_ddp_forward_does_not_communicate(single_process_group):
    model = _model()
    DistributedDataParallel(model)
    single_process_group.calls.clear()
    _loss(model).backward()
    assert single_process_group.calls == []


class _PartlyUsed(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x):
        return self.used(x)


def test_unused_parameters_are_named_at_the_next_forward(single_process_group):
    ddp = DistributedDataParallel(_PartlyUsed(), bucket_cap_mb=1e-6)
    ddp(tl.ones(1, 4)).sum().backward()
    with pytest.raises(RuntimeError, match=r"prior iteration.*: unused\.weight, unused\.bias\. "):
        ddp(tl.ones(1, 4))


def test_a_second_gradient_in_one_synchronised_backward_is_refused(single_process_group):
    model = nn.Linear(2, 1)
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-6)  # buckets [bias], [weight]
    ddp(tl.ones(1, 2))
    ddp.reducer._on_gradient(model.weight)  # waits for the bias's bucket, which goes first
    with pytest.raises(RuntimeError, match="ready only once: parameter weight"):
        ddp.reducer._on_gradient(model.weight)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"find_unused_parameters": True}, NotImplementedError, "find_unused_parameters"),
    ({"process_group": object()}, NotImplementedError, "default process group"),
    ({"bucket_cap_mb": 0}, ValueError, "bucket_cap_mb must be positive"),
    ({"dim": 1}, ValueError, "dim=0"),
])
def test_unsupported_options_are_refused(single_process_group, kwargs, error, message):
    with pytest.raises(error, match=message):
        DistributedDataParallel(nn.Linear(2, 1), **kwargs)


def test_ddp_needs_a_process_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 1))
