"""Train a GAN (seed 004 #10) on the 8x8 digits, then let a digits CNN judge 1,000 of its samples.

    python -m examples.train_gan                  # train; results in out/train_gan/
    python -m examples.train_gan --epochs 20      # a shorter run (blurrier digits)
    python -m examples.train_gan --data my.npz    # your own square grey images: x in [0, 1], y labels

The generator never sees a label: the GAN is unconditional. The judge (models.CNN, trained here on
the real images for a few seconds, or reloaded from judge.ckpt in the run folder) tells how
digit-like the samples are (``judge_confidence``) and how many classes they cover
(``classes_covered``: a collapsed GAN draws one or two digits only).
"""
import os
import sys

if __package__ in (None, ""):  # allow `python examples/train_gan.py` as well as `-m`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import math

import numpy

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, optim
from tinygrad_lite.data import DataLoader, TensorDataset
from models.cnn import CNN
from models.data import load_digits
from models.gan import Discriminator, Generator
from models.training import (RunFolder, example_parser, plot_curves, progress, report_classifier, setup,
                             split_loaders, train_classifier)

REAL_LABEL = 0.9  # one-sided label smoothing: D never becomes certain, so G keeps a gradient
JUDGE_EPOCHS = 20  # reaches >= 0.97 test accuracy on the digits
JUDGE_SEED = 0  # one judge for every --seed, so runs are graded by the same yardstick
COVERED_SHARE = 0.02  # a class counts as covered when it gets at least 2% of the samples


def main(argv=None):
    """Train the GAN, save sample grids and curves, grade the samples; returns the metrics."""
    parser = example_parser(__doc__.splitlines()[0], epochs=120, lr=1e-3, batch_size=64)
    parser.add_argument("--latent-dim", type=int, default=32, help="size of the generator's noise input")
    parser.add_argument("--average", type=float, default=0.995,
                        help="decay of the generator's weight average (EMA) used for sampling; 0 = off")
    parser.add_argument("--samples", type=int, default=1000, help="generated samples the judge classifies")
    args = setup(parser, argv)
    run = RunFolder(args.out, "train_gan")

    # Data: grey images in [0, 1] (digits, or your file), scaled to [-1, 1] for the tanh generator.
    split = load_digits(args.data, seed=args.seed)
    side = image_side(parser, split.x_train)
    real_images = tl.tensor(split.x_train.reshape(-1, 1, side, side) * 2 - 1)
    loader = DataLoader(TensorDataset(real_images), batch_size=args.batch_size, shuffle=True,
                        drop_last=True, seed=args.seed)

    # Models: an MLP generator (BatchNorm + LeakyReLU) and an MLP discriminator (LeakyReLU + dropout);
    # `average` holds an exponential moving average of the generator's weights, which draws cleaner
    # samples than the last, noisy step of the adversarial game.
    generator = Generator(args.latent_dim, side).to(args.device)
    discriminator = Discriminator(side, dropout=0.3).to(args.device)
    average = Generator(args.latent_dim, side).to(args.device)
    average.load_state_dict(generator.state_dict())
    print(generator, discriminator, sep="\n")
    optimizers = [optim.Adam(model.parameters(), lr=args.lr, betas=(0.5, 0.999))
                  for model in (generator, discriminator)]
    schedulers = [optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs) for optimizer in optimizers]
    generator_optimizer, discriminator_optimizer = optimizers

    # Training: per batch, one discriminator step (real -> 0.9, fake -> 0), then one generator step
    # (make D call the fakes real). A fixed noise batch shows the same 100 samples after each epoch.
    fixed_noise = tl.randn(100, args.latent_dim, device=args.device)
    history = []
    bar = progress(range(1, args.epochs + 1), "GAN")
    for epoch in bar:
        totals = numpy.zeros(4)
        for (real,) in loader:
            real = real.to(args.device)
            fake = generator(tl.randn(len(real), args.latent_dim, device=args.device))
            d_loss, d_real, d_fake = discriminator_loss(discriminator, real, fake.detach())
            discriminator_optimizer.zero_grad()
            d_loss.backward()
            discriminator_optimizer.step()

            g_loss = generator_loss(discriminator, fake)
            generator_optimizer.zero_grad()
            g_loss.backward()
            generator_optimizer.step()
            update_average(average, generator, args.average)
            totals += [d_loss.item(), g_loss.item(), d_real, d_fake]
        for scheduler in schedulers:
            scheduler.step()
        d_mean, g_mean, d_real_mean, d_fake_mean = totals / len(loader)
        history.append({"epoch": epoch, "d_loss": d_mean, "g_loss": g_mean,
                        "d_real": d_real_mean, "d_fake": d_fake_mean})
        save_grid(run.file(f"samples_epoch_{epoch:03d}.png"), sample(average, fixed_noise))
        bar.set_postfix(d_loss=f"{d_mean:.3f}", g_loss=f"{g_mean:.3f}", d_fake=f"{d_fake_mean:.2f}")

    run.write_history(history)
    plot_curves(run.file("loss.png"), {"discriminator": [row["d_loss"] for row in history],
                                       "generator": [row["g_loss"] for row in history]},
                "GAN on digits: losses", ylabel="binary cross-entropy")
    plot_curves(run.file("discriminator_outputs.png"), {"D(real)": [row["d_real"] for row in history],
                                                        "D(G(z))": [row["d_fake"] for row in history]},
                "GAN on digits: mean discriminator probability", ylabel="P(real)")
    print(f"samples: {save_grid(run.file('samples_final.png'), sample(average, fixed_noise))}")

    # Evaluate: a CNN trained on the real images classifies the generated ones.
    samples = sample(average, tl.randn(args.samples, args.latent_dim, device=args.device))
    judge, judge_accuracy, real_confidence = digits_judge(run, args, side)
    generated = class_probabilities(judge, samples, args.device)
    shares = numpy.bincount(generated.argmax(1), minlength=generated.shape[1]) / len(generated)
    results = {"judge_confidence": float(generated.max(1).mean()),
               "classes_covered": int((shares >= COVERED_SHARE).sum()),
               "judge_test_accuracy": judge_accuracy,
               "judge_confidence_on_real": real_confidence,
               **{f"class_share_{label}": float(share) for label, share in enumerate(shares)},
               "final_d_loss": history[-1]["d_loss"], "final_g_loss": history[-1]["g_loss"]}
    print(f"judge (test accuracy {judge_accuracy:.4f}): confidence {results['judge_confidence']:.4f} on "
          f"{len(samples)} samples vs {real_confidence:.4f} on real test images; "
          f"{results['classes_covered']}/{len(shares)} classes covered, shares {numpy.round(shares, 3).tolist()}")
    run.write_metrics(results)

    # The graph of one generator step: noise -> G -> D -> loss. D's weights are in it too; only the
    # generator's optimizer steps on this loss.
    loss = generator_loss(discriminator, generator(tl.randn(8, args.latent_dim, device=args.device)))
    print(f"graph: {run.save_graph(loss, nn.ModuleDict({'generator': generator, 'discriminator': discriminator}))}")
    return results


def image_side(parser, images):
    """The side of the square images in ``images`` (N, ...); stops the script on anything else."""
    pixels = int(numpy.prod(images.shape[1:]))
    side = math.isqrt(pixels)
    if side * side != pixels or side < 4:
        parser.error(f"the GAN needs square images of side >= 4, got {pixels} pixels per sample")
    if images.min() < 0 or images.max() > 1:
        parser.error(f"images must be scaled to [0, 1], got values in [{images.min():g}, {images.max():g}]")
    return side


def discriminator_loss(discriminator, real, fake):
    """BCE of D on real (target 0.9) plus fake (target 0) images, and D's mean P(real) on each."""
    real_logits, fake_logits = discriminator(real), discriminator(fake)
    loss = (F.binary_cross_entropy_with_logits(real_logits, tl.full_like(real_logits, REAL_LABEL))
            + F.binary_cross_entropy_with_logits(fake_logits, tl.zeros_like(fake_logits)))
    return loss, real_logits.detach().sigmoid().mean().item(), fake_logits.detach().sigmoid().mean().item()


def generator_loss(discriminator, fake):
    """The non-saturating generator loss: BCE of D(fake) against "real" (-log D(G(z)))."""
    logits = discriminator(fake)
    return F.binary_cross_entropy_with_logits(logits, tl.ones_like(logits))


def update_average(average, generator, decay):
    """``average <- decay * average + (1 - decay) * generator`` for weights; BatchNorm statistics copied."""
    with tl.no_grad():
        for averaged, current in zip(average.parameters(), generator.parameters()):
            averaged.mul_(decay).add_(current * (1 - decay))
        for averaged, current in zip(average.buffers(), generator.buffers()):
            averaged.copy_(current)


def sample(generator, noise):
    """Images (N, side, side) in [0, 1] as NumPy, drawn in eval mode (BatchNorm running statistics)."""
    generator.eval()
    with tl.no_grad():
        images = (generator(noise) + 1) / 2
    generator.train()
    return images.cpu().numpy()[:, 0]


def save_grid(path, images, columns=10, scale=4):
    """Tile images (N, side, side) in [0, 1] into a grid PNG (ink dark, 1-pixel grey gaps)."""
    from matplotlib.image import imsave

    rows = math.ceil(len(images) / columns)
    side = images.shape[-1]
    tiles = numpy.full((rows * columns, side + 1, side + 1), 0.3, dtype=images.dtype)
    tiles[:len(images), 1:, 1:] = images
    grid = tiles.reshape(rows, columns, side + 1, side + 1).transpose(0, 2, 1, 3).reshape(rows * (side + 1), -1)
    imsave(path, numpy.kron(grid, numpy.ones((scale, scale))), cmap="gray_r", vmin=0, vmax=1)
    return path


def digits_judge(run, args, side):
    """The judge CNN, its test accuracy and its mean confidence on those real test images (the
    baseline for the samples): reloaded from ``judge.ckpt`` when trained on the same data, else
    trained on split ``JUDGE_SEED`` for a few seconds and saved there."""
    checkpoint, source = run.file("judge.ckpt"), os.path.abspath(args.data) if args.data else "digits"
    tl.manual_seed(JUDGE_SEED)
    split = load_digits(args.data, seed=JUDGE_SEED)
    classes = int(max(split.y_train.max(), split.y_test.max())) + 1
    judge = CNN(side, classes, dropout=0.1).to(args.device)
    saved = tl.load(checkpoint, map_location=args.device) if os.path.isfile(checkpoint) else None
    reuse = saved is not None and (saved["data"], saved["side"], saved["classes"]) == (source, side, classes)
    if reuse:
        judge.load_state_dict(saved["model"])
    else:
        train_loader, test_loader = split_loaders(split, 32, JUDGE_SEED)
        optimizer = optim.AdamW(judge.parameters(), lr=1e-2, weight_decay=1e-4)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=JUDGE_EPOCHS)
        train_classifier(judge, optimizer, train_loader, test_loader, JUDGE_EPOCHS, args.device, scheduler,
                         description="judge")
    judge.eval()
    probabilities = class_probabilities(judge, split.x_test, args.device)
    report = report_classifier(run, split.y_test, probabilities.argmax(1), "judge test",
                               filename="judge_confusion_matrix.png")
    if reuse:
        return judge, float(saved["test_accuracy"]), float(saved["real_confidence"])
    accuracy, real_confidence = report["test_accuracy"], float(probabilities.max(1).mean())
    tl.save({"model": judge.state_dict(), "data": source, "side": side, "classes": classes,
             "test_accuracy": accuracy, "real_confidence": real_confidence}, checkpoint)
    return judge, accuracy, real_confidence


def class_probabilities(judge, images, device):
    """The judge's softmax (N, classes) for images (N, side, side) in [0, 1]."""
    with tl.no_grad():
        return F.softmax(judge(tl.tensor(images).to(device)), dim=1).numpy(force=True)


if __name__ == "__main__":
    main()
