#!/bin/bash
# The GPU checks of issue 15 in one pass, sized for a 15-minute device lease (about 9 minutes):
# the CUDA tests on the real GPU, the step benchmarks against PyTorch CUDA, and three examples
# with --device cuda. Logs go to $OUT (at most 8 files), or to ./gpu_checks without it.
#
# The device machine has CuPy, PyTorch CUDA, pytest(-xdist), matplotlib and tqdm but not the
# graphviz Python package, and nothing can be installed there from the network. Before the run,
# in the repo's root here: copy graphviz (pure Python) into an ignored folder that travels:
#     echo /.gpu_site/ >> .git/info/exclude
#     mkdir -p .gpu_site && cp -r "$(python -c 'import graphviz, os; print(os.path.dirname(graphviz.__file__))')" .gpu_site/
# then call the device tool with: command "bash benchmarks/gpu_checks.sh", carry [".gpu_site"],
# timeout_s 590. Without `dot` there, examples write their graph as DOT text (.gv).
set -u
cd "$(dirname "$0")/.."
out=${OUT:-gpu_checks}
mkdir -p "$out"
export PYTHONPATH="$PWD:$PWD/.gpu_site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TL_PROGRESS=0
python=python3

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    $python -c "import sys, numpy, cupy, torch; print(sys.version.split()[0], 'numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__, torch.cuda.is_available())"
    $python -c "import tinygrad_lite as tl; print('tl.cuda.is_available():', tl.cuda.is_available(), tl.cuda.device_count())"
} > "$out/environment.txt" 2>&1

# 1. Every CUDA test against the CPU, on the GPU (CuPy compiles each kernel once: the first run is
#    the slow one). --maxfail keeps the log short if something systematic breaks.
timeout 240 $python -m pytest -o addopts= -q -p no:cacheprovider -n 8 --maxfail 50 -m cuda \
    tests/test_cuda.py tests/ops tests/nn tests/utils tests/examples > "$out/cuda_tests.txt" 2>&1
echo "cuda tests exit status $?" >> "$out/cuda_tests.txt"

# 2. The step benchmarks: both frameworks on the GPU, synchronized after every step.
for bench in bench_op_overhead bench_mlp_step bench_cnn_step bench_lstm_lm bench_gpt2_step; do
    timeout 60 $python -m benchmarks.$bench --device cuda --repeats 10 --no-memory 2>&1 | tail -6
    echo "($bench exit status ${PIPESTATUS[0]})"
done > "$out/benchmarks.txt" 2>&1

# 3. Examples as users run them, shortened.
{
    timeout 60 $python -m examples.train_mlp --device cuda --epochs 5 --out "$out/runs"
    echo "(train_mlp exit status $?)"
    timeout 120 $python -m examples.train_gpt --device cuda --epochs 1 --out "$out/runs"
    echo "(train_gpt exit status $?)"
    timeout 90 $python -m examples.train_lstm_lm --device cuda --epochs 1 --out "$out/runs"
    echo "(train_lstm_lm exit status $?)"
} > "$out/examples.txt" 2>&1
for run in "$out"/runs/*/metrics.json; do echo "$run"; cat "$run"; echo; done > "$out/metrics.txt" 2>&1
rm -rf "$out/runs"  # only flat files come back
tail -n 3 "$out/cuda_tests.txt" "$out/benchmarks.txt" "$out/examples.txt"
