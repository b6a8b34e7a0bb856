"""examples/quantize.py: a fast run compares float32 and int8 for both models."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")
pytest.importorskip("sklearn")

from examples import quantize  # noqa: E402
from helpers import requires_cuda  # noqa: E402
from tests.examples.language_text import write_small_text  # noqa: E402


def test_fast_run_reports_size_quality_and_latency(tmp_path, capsys):
    data = write_small_text(tmp_path / "small.txt")
    metrics = quantize.main(["--epochs", "2", "--lm-steps", "3", "--repeats", "1", "--lm-eval-tokens", "64",
                             "--data", str(data), "--out", str(tmp_path)])
    expected = {f"{model}_{kind}_{key}" for model, quality in (("mlp", "accuracy"), ("lm", "perplexity"))
                for kind in ("float32", "int8") for key in ("bytes", quality, "ms")}
    assert set(metrics) == expected
    assert 3.0 < metrics["mlp_float32_bytes"] / metrics["mlp_int8_bytes"] < 4.0
    assert abs(metrics["mlp_int8_accuracy"] - metrics["mlp_float32_accuracy"]) < 0.05
    assert metrics["lm_int8_perplexity"] == pytest.approx(metrics["lm_float32_perplexity"], rel=0.05)
    assert json.loads((tmp_path / "quantize" / "metrics.json").read_text()) == pytest.approx(metrics)
    assert "latency ms" in capsys.readouterr().out


@pytest.mark.cuda
@requires_cuda
def test_a_gpu_device_is_refused_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        quantize.main(["--device", "cuda", "--out", str(tmp_path)])
    assert stopped.value.code == 2 and "runs on the CPU" in capsys.readouterr().err
