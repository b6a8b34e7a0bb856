"""Run under ``mpirun -n 2`` by test_multiprocess.py: collectives, DDP and the sampler on two real
ranks. Rank 0 prints one ``RESULT <json>`` line of measured numbers for the test to assert."""
import json

import numpy

import tinygrad_lite as tl
import tinygrad_lite.distributed as dist
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.data import DistributedSampler


def collective_results(rank, world):
    """Values each collective leaves on this rank."""
    results = {}
    for op in dist.ReduceOp:
        x = tl.tensor([rank + 1.0, 2.0 * (rank + 1)])
        dist.all_reduce(x, op=op)
        results[op.name] = x.tolist()
    x = tl.tensor([float(rank)] * 3)
    work = dist.all_reduce(x, async_op=True)
    work.wait()
    results["async"] = x.tolist()
    x = (tl.arange(6.0).reshape(2, 3) * (rank + 1)).t()  # non-contiguous: staged and written back
    dist.broadcast(x, src=1)
    results["broadcast"] = x.tolist()
    gathered = [tl.zeros(2, dtype=tl.int64) for _ in range(world)]
    dist.all_gather(gathered, tl.tensor([rank, 10 * rank]))
    results["all_gather"] = [t.tolist() for t in gathered]
    if rank == 0:
        dist.send(tl.tensor([7.0, 8.0]), dst=1)
    else:
        received = tl.zeros(2)
        results["sender"] = dist.recv(received)
        results["received"] = received.tolist()
    dist.barrier()
    return results


def make_model(seed):
    tl.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))


def ddp_results(rank, world):
    """Weights synchronised, gradients equal to one process on the whole batch, no_sync."""
    rng = numpy.random.default_rng(0)
    x = tl.tensor(rng.standard_normal((8, 5)).astype(numpy.float32))
    y = tl.tensor(rng.integers(0, 3, 8))
    shard = slice(rank * 8 // world, (rank + 1) * 8 // world)
    model = make_model(seed=rank)  # each rank starts different; DDP takes rank 0's weights
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=600 / 2 ** 20)
    reference = make_model(seed=0)
    F.cross_entropy(ddp(x[shard]), y[shard]).backward()
    F.cross_entropy(reference(x), y).backward()
    grad_difference = max(float(numpy.abs(p.grad.numpy() - q.grad.numpy()).max())
                          for p, q in zip(model.parameters(), reference.parameters()))
    # Accumulation: two micro-batches, the first under no_sync (local only), then synced.
    model.zero_grad()
    reference.zero_grad()
    halves = [slice(shard.start, shard.start + 2), slice(shard.start + 2, shard.stop)]
    with ddp.no_sync():
        F.cross_entropy(ddp(x[halves[0]]), y[halves[0]]).backward()
    local = model[0].weight.grad.numpy().copy()
    F.cross_entropy(ddp(x[halves[1]]), y[halves[1]]).backward()
    for part in range(2):
        rows = numpy.r_[0:2, 4:6] if part == 0 else numpy.r_[2:4, 6:8]
        F.cross_entropy(reference(x[tl.tensor(rows)]), y[tl.tensor(rows)]).backward()
    accumulated = max(float(numpy.abs(p.grad.numpy() - q.grad.numpy()).max())
                      for p, q in zip(model.parameters(), reference.parameters()))
    others = [tl.zeros(local.shape) for _ in range(world)]
    dist.all_gather(others, tl.tensor(local))
    return {"buckets": len(ddp.reducer.buckets), "grad_difference": grad_difference,
            "accumulated_difference": accumulated,
            "no_sync_local_differs": bool(numpy.abs(others[0].numpy() - others[1].numpy()).max() > 0),
            "weights_equal_rank0": bool(all(numpy.array_equal(p.detach().numpy(), q.detach().numpy()) for p, q in
                                            zip(model.parameters(), make_model(0).parameters())))}


def mismatch_message(rank):
    """The error both ranks get when their models differ."""
    try:
        nn.parallel.DistributedDataParallel(nn.Linear(3, 2 + rank))
    except RuntimeError as error:
        return str(error)
    return None


def main():
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {"world": world, "collectives": collective_results(rank, world),
               "ddp": ddp_results(rank, world), "mismatch": mismatch_message(rank),
               "sampler": list(DistributedSampler(range(7), shuffle=False))}
    everyone = [results]
    if rank == 0:
        everyone.append(json.loads(_receive_text()))
        print("RESULT " + json.dumps(everyone))
    else:
        _send_text(json.dumps(results))
    dist.destroy_process_group()


def _send_text(text):
    payload = tl.tensor(numpy.frombuffer(text.encode(), numpy.uint8).astype(numpy.int64))
    dist.send(tl.tensor([payload.numel()]), dst=0)
    dist.send(payload, dst=0)


def _receive_text():
    size = tl.zeros(1, dtype=tl.int64)
    dist.recv(size, src=1)
    payload = tl.zeros(int(size.item()), dtype=tl.int64)
    dist.recv(payload, src=1)
    return bytes(payload.numpy().astype(numpy.uint8)).decode()


if __name__ == "__main__":
    main()
