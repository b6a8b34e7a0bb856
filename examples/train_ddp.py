"""Data-parallel training of the digits CNN on several MPI processes, checked against one process.

    mpirun -n 2 python -m examples.train_ddp       # 2 processes; results in out/train_ddp/
    python -m examples.train_ddp                   # the same script as a world of one

Every process holds a replica of the model (DistributedDataParallel gives them rank 0's weights)
and trains on its own shard of each global batch (DistributedSampler); after backward the
gradients are averaged over processes, so each step is the step one process would take on the
whole global batch. At the end every rank repeats the training as a single process at the global
batch size on the same batches and prints the largest weight difference (float rounding only);
rank 0 writes metrics.json with it and the samples/s of both runs. Dropout is off: its random
masks would differ between the two runs.
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_ddp.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
import tinygrad_lite.distributed as dist
import tinygrad_lite.nn.functional as F
from models import CNN
from models.data import load_digits
from models.training import RunFolder, evaluate_classifier, example_parser, plot_curves, progress, setup
from tinygrad_lite.data import DataLoader, DistributedSampler, TensorDataset
from tinygrad_lite.nn.parallel import DistributedDataParallel


def main(argv=None):
    """Train with DDP on every rank of ``mpirun``; returns (on every rank) the metrics rank 0 writes."""
    parser = example_parser(__doc__.splitlines()[0], epochs=5, lr=2e-3, batch_size=64)
    parser.add_argument("--train-samples", type=int, default=None,
                        help="train on the first N training images only (quick runs)")
    args = setup(parser, argv)
    joined = not dist.is_initialized()  # a caller that set up the group keeps it
    if joined:
        dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        parser.error(f"--batch-size {args.batch_size} must be a multiple of the {world} processes")

    # Data: each rank's shard of every global batch comes from its DistributedSampler.
    split = load_digits(args.data, seed=args.seed)
    count = args.train_samples or len(split.x_train)
    train_set = TensorDataset(tl.tensor(split.x_train[:count]), tl.tensor(split.y_train[:count]))
    samplers = [DistributedSampler(train_set, world, shard, seed=args.seed) for shard in range(world)]
    local_loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=samplers[rank])

    # Model: the digits CNN wrapped in DDP; every rank starts from rank 0's weights.
    tl.manual_seed(args.seed + rank)  # different on purpose: DDP must make the replicas equal
    model = DistributedDataParallel(CNN(side=split.x_train.shape[-1], dropout=0.0))
    start = {name: value.clone() for name, value in model.module.state_dict().items()}
    optimizer = tl.optim.Adam(model.parameters(), lr=args.lr)

    history, seconds = train(model, optimizer, local_loader, samplers[rank], args.epochs,
                             show=rank == 0)
    samples_per_second = args.epochs * world * len(samplers[0]) / seconds

    # The check: one process, the global batch, the same batches in the same order.
    single = CNN(side=split.x_train.shape[-1], dropout=0.0)
    single.load_state_dict(start)
    global_loader = GlobalBatches(train_set, samplers, args.batch_size)
    _, single_seconds = train(single, tl.optim.Adam(single.parameters(), lr=args.lr),
                              global_loader, global_loader, args.epochs, show=False)
    difference = max(float(numpy.abs(mine.detach().numpy() - theirs.detach().numpy()).max())
                     for mine, theirs in zip(model.module.parameters(), single.parameters()))
    _, labels, predictions = evaluate_classifier(model.module, DataLoader(
        TensorDataset(tl.tensor(split.x_test), tl.tensor(split.y_test)), batch_size=256))
    metrics = {"processes": world, "global_batch_size": args.batch_size, "epochs": args.epochs,
               "samples_per_second": samples_per_second,
               "single_process_samples_per_second": args.epochs * len(global_loader.order) / single_seconds,
               "max_weight_difference": difference, "final_train_loss": history[-1],
               "test_accuracy": float(numpy.mean(labels == predictions))}
    if rank == 0:
        print(f"{world} process(es): {samples_per_second:.0f} samples/s; one process at the global "
              f"batch: {metrics['single_process_samples_per_second']:.0f} samples/s")
        print(f"max |DDP weight - single-process weight| = {difference:.3g}")
        print(f"test accuracy {metrics['test_accuracy']:.4f}")
        run = RunFolder(args.out, "train_ddp")
        run.write_metrics(metrics)
        run.write_history({"train_loss": history})
        plot_curves(run.file("loss.png"), {"train loss (mean over ranks)": history},
                    f"digits CNN, DDP on {world} processes", ylabel="cross-entropy")
    dist.barrier()
    if joined:
        dist.destroy_process_group()
    return metrics


class GlobalBatches:
    """The global batches the ranks' samplers make together: batch k is the ranks' k-th shards."""

    def __init__(self, dataset, samplers, batch_size):
        self.dataset, self.samplers, self.batch_size = dataset, samplers, batch_size
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Follow the samplers' order for ``epoch``."""
        for sampler in self.samplers:
            sampler.set_epoch(epoch)
        # position j * world + r holds rank r's j-th index: consecutive B positions = one global batch
        self.order = numpy.stack([sampler.indices() for sampler in self.samplers], axis=1).reshape(-1)

    def __iter__(self):
        return iter(DataLoader(self.dataset, batch_size=self.batch_size, sampler=self.order.tolist()))


def train(model, optimizer, loader, sampler, epochs, show):
    """Plain training loop; returns the per-epoch mean loss (averaged over ranks) and seconds."""
    history, seconds = [], 0.0
    bar = progress(range(epochs), "train", total=epochs) if show else None
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        began, losses = time.perf_counter(), []
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        seconds += time.perf_counter() - began
        mean = tl.tensor([numpy.mean(losses)])
        if isinstance(model, DistributedDataParallel):
            dist.all_reduce(mean, op=dist.ReduceOp.AVG)
        history.append(mean.item())
        if bar is not None:
            bar.update()
            bar.set_postfix(loss=history[-1])
    if bar is not None:
        bar.close()
    return history, seconds


if __name__ == "__main__":
    main()
