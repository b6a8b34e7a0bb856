"""Checkpointed at step 5 and resumed in a new process, a run with dropout and shuffling gives the
same losses and weights as the run that was never interrupted (tl.get_rng_state, loader state)."""
import subprocess
import sys

import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite.data import DataLoader, TensorDataset

SCRIPT = r"""
import sys
import numpy
import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, optim
from tinygrad_lite.data import DataLoader, TensorDataset

mode, path = sys.argv[1], sys.argv[2]
tl.manual_seed(0)
x, y = tl.randn(40, 6), tl.randint(0, 3, (40,))
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
optimizer = optim.Adam(model.parameters(), lr=1e-2)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)  # the global generator shuffles
start = 0
if mode == "resume":
    state = tl.load(path)
    model.load_state_dict(state["model"]); optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"]); loader.load_state_dict(state["loader"])
    tl.set_rng_state(state["rng"]); start = 5
losses, step = [], start
while step < 10:
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad(); loss.backward(); optimizer.step(); scheduler.step()
        losses.append(loss.item())
        step += 1
        if step == 5 and mode == "first half":
            tl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), "loader": loader.state_dict(),
                     "rng": tl.get_rng_state()}, path)
            print(repr(losses)); sys.exit(0)
        if step == 10:
            break
print(repr(losses))
print(repr(numpy.concatenate([p.detach().numpy().ravel() for p in model.parameters()]).tolist()))
"""


def run(mode, path):
    completed = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(path)], capture_output=True,
                               text=True, check=True)
    return [eval(line) for line in completed.stdout.splitlines()]  # noqa: S307 - our own repr output


@pytest.mark.slow
def test_a_run_resumed_in_a_new_process_equals_the_uninterrupted_run(tmp_path):
    whole_losses, whole_weights = run("whole", tmp_path / "unused.ckpt")
    first_losses, = run("first half", tmp_path / "step5.ckpt")
    second_losses, resumed_weights = run("resume", tmp_path / "step5.ckpt")
    assert len(whole_losses) == 10
    assert first_losses + second_losses == whole_losses
    assert resumed_weights == whole_weights


def test_rng_state_round_trips_through_a_checkpoint(tmp_path):
    tl.manual_seed(7)
    tl.rand(3)
    state = tl.get_rng_state()
    assert state.dtype == tl.uint8 and state.ndim == 1
    expected = tl.rand(4).tolist()
    tl.rand(100)
    tl.save({"rng": state}, tmp_path / "rng.ckpt")
    tl.set_rng_state(tl.load(tmp_path / "rng.ckpt")["rng"])
    assert tl.rand(4).tolist() == expected


@pytest.mark.parametrize("bad, error", [(tl.zeros(3), TypeError), (tl.tensor([1, 2], dtype=tl.uint8), ValueError)])
def test_set_rng_state_refuses_what_get_rng_state_did_not_make(bad, error):
    with pytest.raises(error, match="get_rng_state"):
        tl.set_rng_state(bad)


@pytest.mark.parametrize("source", ["seed", "generator"])
def test_loader_state_continues_mid_epoch_with_the_next_batch(source):
    data = TensorDataset(tl.arange(10))
    options = {"seed": 3} if source == "seed" else {"generator": numpy.random.default_rng(3)}
    loader = DataLoader(data, batch_size=3, shuffle=True, **options)
    batches = iter(loader)
    next(batches)
    state = loader.state_dict()
    rest = [batch[0].tolist() for batch in batches] + [batch[0].tolist() for batch in loader]
    options = {"seed": 3} if source == "seed" else {"generator": numpy.random.default_rng(99)}
    fresh = DataLoader(data, batch_size=3, shuffle=True, **options)
    fresh.load_state_dict(state)
    assert [batch[0].tolist() for batch in fresh] + [batch[0].tolist() for batch in fresh] == rest


@pytest.mark.cuda
def test_cuda_rng_state_restores_the_stream_after_the_capture():
    if not tl.cuda.is_available():
        pytest.skip("no CUDA GPU / CuPy")
    tl.manual_seed(1)
    tl.rand(3, device="cuda")
    state = tl.cuda.get_rng_state("cuda")
    expected = tl.rand(5, device="cuda").tolist()
    tl.rand(50, device="cuda")
    tl.cuda.set_rng_state(state, "cuda")
    assert tl.rand(5, device="cuda").tolist() == expected
