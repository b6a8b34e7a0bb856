"""Training a language model here and its PyTorch twin side by side (issue 11 item 4).

The twin is built in the test with the same parameter names; ``assert_same_training`` copies our
initial weights into it, runs Adam on identical batches with both and compares the loss curves.
"""
import numpy

import tinygrad_lite as tl

from helpers import torch


def token_batches(vocab_size, batch_size, length, steps, seed=0, pool=2):
    """``steps`` (ids, targets) int64 pairs (batch_size, length), targets = ids shifted by one.

    Rows come from a pool of ``pool * batch_size`` fixed random sequences, so a small model can
    memorise them and the loss falls far enough for the curves to say something.
    """
    rng = numpy.random.default_rng(seed)
    sequences = rng.integers(0, vocab_size, (pool * batch_size, length + 1), dtype=numpy.int64)
    batches = []
    for _ in range(steps):
        rows = sequences[rng.choice(len(sequences), batch_size, replace=False)]
        batches.append((rows[:, :-1], rows[:, 1:]))
    return batches


def copy_parameters(ours, theirs):
    """Copy every parameter of our model into the PyTorch one (same names, shapes, tying)."""
    their_parameters = dict(theirs.named_parameters())
    our_parameters = dict(ours.named_parameters())
    assert list(our_parameters) == list(their_parameters)
    with torch.no_grad():
        for name, parameter in our_parameters.items():
            their_parameters[name].copy_(torch.from_numpy(parameter.detach().numpy()))


def our_adam_losses(model, batches, lr):
    """Loss before each of ``len(batches)`` Adam steps, training our model (uses ``model.loss``)."""
    optimizer = tl.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for ids, targets in batches:
        loss = model.loss(tl.tensor(ids), tl.tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return numpy.array(losses)


def torch_adam_losses(model, batches, lr):
    """The same loop for the PyTorch twin (cross-entropy over its (B, T, V) logits)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for ids, targets in batches:
        logits = model(torch.from_numpy(ids))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 torch.from_numpy(targets).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return numpy.array(losses)


def assert_same_training(ours, theirs, batches, lr, rtol=1e-3):
    """Train both from our initial weights; the loss curves agree to ``rtol`` at every step.

    Returns our curve (the tests also check that it fell: equal flat curves would prove little).
    """
    copy_parameters(ours, theirs)
    our_losses = our_adam_losses(ours, batches, lr)
    their_losses = torch_adam_losses(theirs, batches, lr)
    numpy.testing.assert_allclose(our_losses, their_losses, rtol=rtol, atol=0)
    return our_losses
