"""benchmarks/bench_checkpoint_memory.py: checkpointing lowers a GPT step's peak memory, same grads."""
from benchmarks import bench_checkpoint_memory as bench


def test_checkpointed_step_uses_less_memory_with_identical_gradients():
    summary = bench.compare(bench.parse_args(["--layers", "3", "--embedding", "32", "--heads", "2",
                                              "--batch", "2", "--block", "32", "--vocab", "64"]))
    assert summary["gradients_identical"]
    assert summary["memory_ratio"] < 0.8, summary
