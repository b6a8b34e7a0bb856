"""DistributedSampler (tinygrad_lite/data/distributed_sampler.py) against PyTorch's split."""
import pytest

import tinygrad_lite as tl
from helpers import requires_torch
from tinygrad_lite.data import DataLoader, DistributedSampler, TensorDataset

CASES = [(size, replicas, drop_last) for size in (1, 7, 10, 12) for replicas in (1, 3, 4)
         for drop_last in (False, True) if not (drop_last and size < replicas)]


@requires_torch
@pytest.mark.parametrize("size, replicas, drop_last", CASES)
def test_unshuffled_indices_are_pytorchs(size, replicas, drop_last):
    from torch.utils.data import DistributedSampler as TorchSampler

    for rank in range(replicas):
        mine = DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(mine) == list(theirs) and len(mine) == len(theirs)


@requires_torch
@pytest.mark.parametrize("size, replicas, drop_last", CASES)
def test_shuffled_shares_have_pytorchs_sizes_and_cover_the_data(size, replicas, drop_last):
    from torch.utils.data import DistributedSampler as TorchSampler

    shares = [list(DistributedSampler(range(size), replicas, rank, seed=3, drop_last=drop_last))
              for rank in range(replicas)]
    torch_shares = [list(TorchSampler(range(size), replicas, rank, drop_last=drop_last))
                    for rank in range(replicas)]
    assert [len(share) for share in shares] == [len(share) for share in torch_shares]
    taken = sorted(index for share in shares for index in share)
    if drop_last:
        assert len(set(taken)) == len(taken)  # nobody sees an index twice
    else:
        assert set(taken) == set(range(size))


def test_shuffle_repeats_per_epoch_and_changes_between_epochs():
    sampler = DistributedSampler(range(20), num_replicas=2, rank=1, seed=5)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    assert list(sampler) != first
    sampler.set_epoch(0)
    assert list(sampler) == first
    assert list(DistributedSampler(range(20), 2, 1, seed=6)) != first


def test_a_dataloader_batches_the_ranks_share():
    dataset = TensorDataset(tl.arange(10.0))
    loader = DataLoader(dataset, batch_size=2, sampler=DistributedSampler(dataset, 2, 1, shuffle=False))
    assert [batch[0].tolist() for batch in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]


@pytest.mark.parametrize("kwargs, message", [
    ({"num_replicas": 2, "rank": 2}, r"Invalid rank 2, rank should be in the interval \[0, 1\]"),
    ({"num_replicas": 0, "rank": 0}, "num_replicas must be a positive integer"),
    ({"num_replicas": 2}, "Default process group has not been initialized"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), **kwargs)


def test_defaults_come_from_the_process_group(single_process_group):
    assert list(DistributedSampler(range(3), shuffle=False)) == [0, 1, 2]

