"""Pipeline (model) parallelism: the GPT split into two stages on two MPI processes, GPipe schedule.

    mpirun -n 2 python -m examples.train_pipeline     # results in out/train_pipeline/

Rank 0 holds the embeddings and the first half of the blocks, rank 1 the second half, the final
LayerNorm and the LM head. Each global batch is cut into micro-batches: rank 0 runs every
micro-batch forward and sends its activations (dist.send); rank 1 receives them, finishes the
forward, and runs the backwards, sending each activation's gradient back (dist.recv on rank 0),
which rank 0 pushes through its own half with ``activation.backward(gradient)``. The LM head is
tied to the token embedding, which now lives on both ranks: their two gradient shares are summed
with an all-reduce. Before training, the first step's gradients are compared with the unsplit
model's on the whole batch (printed; they agree to float rounding).
"""
import os
import sys
import time

if __package__ in (None, ""):  # allow `python examples/train_pipeline.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy

import tinygrad_lite as tl
import tinygrad_lite.distributed as dist
import tinygrad_lite.nn.functional as F
import models.gpt
from models.gpt import GPT
from models.training import RunFolder, example_parser, plot_curves, progress, setup

CONFIG = dict(vocab_size=256, block_size=32, n_layer=4, n_head=4, n_embd=64)  # bytes as tokens


def first_stage(gpt, ids):
    """Rank 0: embeddings and the first half of the blocks, (B, T) ids -> (B, T, C) activations."""
    positions = tl.arange(ids.shape[1])
    x = gpt.dropout(gpt.token_embedding(ids) + gpt.position_embedding(positions))
    for block in gpt.blocks[:len(gpt.blocks) // 2]:
        x = block(x)
    return x


def second_stage(gpt, x):
    """Rank 1: the other blocks, the final LayerNorm and the (tied) LM head -> logits (B, T, V)."""
    for block in gpt.blocks[len(gpt.blocks) // 2:]:
        x = block(x)
    return gpt.lm_head(gpt.ln_f(x))


def pipeline_step(gpt, ids, targets, micro_batches, rank):
    """One GPipe step: all micro-batches forward, then all backward; returns rank 1's mean loss."""
    chunks = list(zip(ids.chunk(micro_batches), targets.chunk(micro_batches)))
    if rank == 0:
        outputs = [first_stage(gpt, chunk) for chunk, _ in chunks]
        for output in outputs:
            dist.send(output.detach(), dst=1)
        for output in reversed(outputs):
            gradient = tl.zeros(*output.shape)
            dist.recv(gradient, src=1)
            output.backward(gradient)
        loss = tl.zeros(1)
    else:
        total = 0.0
        received = []
        for chunk, target in chunks:
            activation = tl.zeros(chunk.shape[0], chunk.shape[1], CONFIG["n_embd"])
            dist.recv(activation, src=0)
            received.append((activation.requires_grad_(), target))
        losses = [F.cross_entropy(second_stage(gpt, x).flatten(0, 1), y.flatten()) / micro_batches
                  for x, y in received]
        for (activation, _), micro_loss in zip(reversed(received), reversed(losses)):
            micro_loss.backward()
            dist.send(activation.grad, dst=0)
            total += micro_loss.item()
        loss = tl.tensor([total])
    # The tied embedding / LM head weight: rank 0 holds the embedding's share, rank 1 the head's.
    dist.all_reduce(gpt.token_embedding.weight.grad)
    dist.broadcast(loss, src=1)
    return loss.item()


def main(argv=None):
    """Train the two-stage GPT on every rank of ``mpirun -n 2``; returns the metrics rank 0 writes."""
    parser = example_parser(__doc__.splitlines()[0], epochs=3, lr=1e-3, batch_size=16,
                            data_help="a UTF-8 text file to model (default: models/gpt.py's docstring)")
    parser.add_argument("--micro-batches", type=int, default=4, help="GPipe micro-batches per batch")
    parser.add_argument("--steps-per-epoch", type=int, default=10, help="batches per epoch")
    args = setup(parser, argv)
    joined = not dist.is_initialized()  # a caller that set up the group keeps it
    if joined:
        dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if world != 2:
        parser.error(f"the pipeline has 2 stages: run it with mpirun -n 2 (got {world} processes)")
    if args.batch_size % args.micro_batches:
        parser.error(f"--batch-size {args.batch_size} is not a multiple of --micro-batches {args.micro_batches}")

    # Data: the text as bytes; every rank draws the same random windows (same seed).
    text = open(args.data, encoding="utf-8").read() if args.data else models.gpt.__doc__
    tokens = numpy.frombuffer(text.encode("utf-8"), numpy.uint8).astype(numpy.int64)
    rng = numpy.random.default_rng(args.seed)

    def batch():
        starts = rng.integers(0, len(tokens) - CONFIG["block_size"] - 1, args.batch_size)
        rows = numpy.stack([tokens[s:s + CONFIG["block_size"] + 1] for s in starts])
        return tl.tensor(rows[:, :-1]), tl.tensor(rows[:, 1:])

    # Model: the same GPT on both ranks (same seed); each uses only its stage's layers.
    tl.manual_seed(args.seed)
    gpt = GPT(**CONFIG)
    tl.manual_seed(args.seed)
    unsplit = GPT(**CONFIG)

    ids, targets = batch()
    difference = gradient_difference(gpt, unsplit, ids, targets, args.micro_batches, rank)
    optimizer = tl.optim.Adam(stage_parameters(gpt, rank), lr=args.lr)
    history, began = [], time.perf_counter()
    bar = progress(range(args.epochs), "train") if rank == 0 else range(args.epochs)
    for _ in bar:
        losses = []
        for _ in range(args.steps_per_epoch):
            ids, targets = batch()
            optimizer.zero_grad()
            losses.append(pipeline_step(gpt, ids, targets, args.micro_batches, rank))
            optimizer.step()
        history.append(float(numpy.mean(losses)))
    seconds = time.perf_counter() - began
    metrics = {"stages": world, "micro_batches": args.micro_batches, "max_gradient_difference": difference,
               "final_train_loss": history[-1],
               "samples_per_second": args.epochs * args.steps_per_epoch * args.batch_size / seconds}
    if rank == 0:
        print(f"max |pipeline gradient - unsplit gradient| = {difference:.3g}")
        print(f"train loss {history[0]:.3f} -> {history[-1]:.3f}; {metrics['samples_per_second']:.0f} samples/s")
        run = RunFolder(args.out, "train_pipeline")
        run.write_metrics(metrics)
        run.write_history({"train_loss": history})
        plot_curves(run.file("loss.png"), {"train loss": history}, "GPT in 2 pipeline stages",
                    ylabel="cross-entropy")
    dist.barrier()
    if joined:
        dist.destroy_process_group()
    return metrics


def stage_parameters(gpt, rank):
    """The parameters this rank's stage uses (the tied embedding weight on both)."""
    blocks = gpt.blocks[:len(gpt.blocks) // 2] if rank == 0 else gpt.blocks[len(gpt.blocks) // 2:]
    own = [gpt.token_embedding, gpt.position_embedding] if rank == 0 else [gpt.ln_f, gpt.lm_head]
    return list({id(p): p for module in (*own, *blocks) for p in module.parameters()}.values())


def gradient_difference(gpt, unsplit, ids, targets, micro_batches, rank):
    """Largest difference, over both stages, between the pipeline's and the unsplit model's gradients."""
    pipeline_step(gpt, ids, targets, micro_batches, rank)
    F.cross_entropy(unsplit(ids).flatten(0, 1), targets.flatten()).backward()
    reference = dict(unsplit.named_parameters())
    names = {id(p): name for name, p in gpt.named_parameters()}
    largest = tl.tensor([max(float(numpy.abs(p.grad.numpy() - reference[names[id(p)]].grad.numpy()).max())
                             for p in stage_parameters(gpt, rank))])
    dist.all_reduce(largest, op=dist.ReduceOp.MAX)
    gpt.zero_grad()
    return largest.item()


if __name__ == "__main__":
    main()
