"""Every op of the registry (ops/op_registry.py) through every check, on every device.

For each entry x sample x dtype x device: gradcheck in float64 (and gradgradcheck on the small
samples), parity with PyTorch (values, shapes and dtypes of every output and every input
gradient), float32 preservation (no float64 anywhere in forward or backward), and refusal of the
calls PyTorch refuses. A last test walks every ``Function`` subclass of tinygrad_lite and fails
naming any op class no entry exercises. The device matrix (cuda against cpu) is in
``tests/test_cuda.py``. A failure's id names the entry, the sample and the dtype.
"""
import contextlib

import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional  # noqa: F401 - defines the nn.functional op classes
from helpers import DEVICES, check_gradcheck, check_parity, torch
from ops.op_info import FLOAT32, FLOAT64, call, cases, grad_leaves, leaf_arrays, run_ours
from ops.op_registry import ALIASES, REGISTRY
from tinygrad_lite.autograd.function import Function


# The cuda cases exist only where a GPU is: thousands of skipped items would cost seconds.
ON_DEVICES = DEVICES if tl.cuda.is_available() else DEVICES[:1]


def _params(selected):
    return [pytest.param(info, sample, dtype, id=label) for info, sample, dtype, label in selected]


SECOND_ORDER_ELEMENTS = 8


def _grad_elements(case):
    arrays = leaf_arrays(case[1])
    return sum(arrays[position].size for position in grad_leaves(case[0], case[1], FLOAT64))


ALL_CASES = cases(REGISTRY)
VALID = [case for case in ALL_CASES if case[1].raises is None]
REFUSED = [case for case in ALL_CASES if case[1].raises is not None]
GRADCHECK = [
    case for case in VALID
    if case[2] == FLOAT64 and case[0].differentiable and case[0].gradcheck and case[1].gradcheck
    and grad_leaves(case[0], case[1], FLOAT64)
]
# Second derivatives cost ~(input elements)**2 forward runs: the small samples only.
SECOND_ORDER = [case for case in GRADCHECK if _grad_elements(case) <= SECOND_ORDER_ELEMENTS]
FLOAT32_CASES = [
    case for case in VALID
    if case[2] == FLOAT32 and case[0].keeps_float32
    and all(a.dtype == FLOAT32 for a in leaf_arrays(case[1]) if a.dtype.kind == "f")
]


@pytest.mark.parametrize("device", ON_DEVICES)
@pytest.mark.parametrize("info, sample, dtype", _params(GRADCHECK))
def test_gradcheck(info, sample, dtype, device):
    check_gradcheck(lambda *tensors: call(info.op, sample, tensors), *leaf_arrays(sample),
                    device=device, grad_inputs=grad_leaves(info, sample, FLOAT64))


@pytest.mark.parametrize("device", ON_DEVICES)
@pytest.mark.parametrize("info, sample, dtype", _params(SECOND_ORDER))
def test_gradgradcheck(info, sample, dtype, device):
    outputs, _ = run_ours(info, sample, device)
    if not any(output.requires_grad for output in outputs):
        pytest.skip("no output carries a gradient (a cast to an integer dtype): nothing to differentiate twice")
    check_gradcheck(lambda *tensors: call(info.op, sample, tensors), *leaf_arrays(sample),
                    device=device, grad_inputs=grad_leaves(info, sample, FLOAT64), second_order=True)


@pytest.mark.parametrize("device", ON_DEVICES)
@pytest.mark.parametrize("info, sample, dtype", _params(VALID))
def test_parity_with_pytorch(info, sample, dtype, device):
    atol, rtol = info.tolerances(dtype)
    check_parity(lambda *tensors: call(info.op, sample, tensors),
                 lambda *tensors: call(info.reference(), sample, tensors, for_torch=True),
                 *leaf_arrays(sample), dtype=None, atol=atol, rtol=rtol, device=device,
                 grad_inputs=grad_leaves(info, sample))


@contextlib.contextmanager
def recording_ops():
    """Record ``(op class, output dtype)`` of every ``Function.apply`` inside the block, and of
    every op a first-order backward runs straight on arrays (``Function.derivative`` and
    ``Function.derivative_of_output``)."""
    original, original_derivative = Function.__dict__["apply"], Function.derivative
    original_of_output = Function.derivative_of_output
    records = []

    def recording_apply(cls, *inputs, **params):
        output = original.__func__(cls, *inputs, **params)
        records.append((cls, output.dtype))
        return output

    def recording_derivative(node, op, *inputs, **params):
        output = original_derivative(node, op, *inputs, **params)
        records.append((op, output.dtype))
        return output

    def recording_of_output(node, op, grad_output):
        output = original_of_output(node, op, grad_output)
        records.append((op, output.dtype))
        return output

    Function.apply, Function.derivative = classmethod(recording_apply), recording_derivative
    Function.derivative_of_output = recording_of_output
    try:
        yield records
    finally:
        Function.apply, Function.derivative = original, original_derivative
        Function.derivative_of_output = original_of_output


@pytest.mark.parametrize("device", ON_DEVICES)
@pytest.mark.parametrize("info, sample, dtype", _params(FLOAT32_CASES))
def test_float32_stays_float32(info, sample, dtype, device):
    with recording_ops() as records:
        outputs, gradients = run_ours(info, sample, device)
    widened = sorted({cls.__name__ for cls, output_dtype in records if output_dtype == FLOAT64})
    assert not widened, f"float64 made by {widened} (forward or backward) from float32 inputs"
    for position, output in enumerate(outputs):
        assert output.dtype.kind != "f" or output.dtype == FLOAT32, f"output {position}: {output.dtype}"
    for position, gradient in enumerate(gradients):
        assert gradient is None or gradient.dtype == FLOAT32, f"gradient {position}: {gradient.dtype}"


def _run_torch(info, sample):
    arrays = leaf_arrays(sample)
    wanted = grad_leaves(info, sample)
    tensors = [torch.tensor(a, requires_grad=i in wanted) for i, a in enumerate(arrays)]
    result = call(info.reference(), sample, tensors, for_torch=True)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    total = None
    for output in outputs:
        if output.requires_grad:
            total = output.sum() if total is None else total + output.sum()
    if total is not None:
        total.backward()


@pytest.mark.parametrize("device", ON_DEVICES)
@pytest.mark.parametrize("info, sample, dtype", _params(REFUSED))
def test_refused_like_pytorch(info, sample, dtype, device):
    if torch is not None:  # the sample itself must be one PyTorch refuses
        with pytest.raises(sample.raises):
            _run_torch(info, sample)
    with pytest.raises(sample.raises):
        run_ours(info, sample, device)


# Function subclasses no entry needs to reach, each with the reason.
INTERNAL_OP_CLASSES = {
    "ToDevice": "moves between devices: this test runs on the CPU alone; on a GPU the device "
                "matrix (test_cuda.py) runs the registry's .to('cpu') and .cpu() on cuda inputs",
    "Checkpoint": "gradient checkpointing's recompute node, not an op of its own: "
                  "tests/utils/test_checkpoint.py checks its gradients equal the plain run's",
    "CheckpointOutput": "picks one output of a Checkpoint node (tests/utils/test_checkpoint.py)",
}


def _framework_op_classes():
    """Every Function subclass defined in tinygrad_lite (test files define their own)."""
    found, stack = set(), [Function]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                stack.append(subclass)
    return {cls for cls in found if cls.__module__.split(".")[0] == "tinygrad_lite"}


def test_every_op_class_is_exercised_by_the_registry():
    with recording_ops() as records:
        for info, sample, _, _ in VALID:
            try:
                run_ours(info, sample)
            except Exception:  # a failing op is reported by the other tests; here only reach counts
                pass
    reached = {cls for cls, _ in records}
    missing = sorted(f"{cls.__module__}.{cls.__name__}" for cls in _framework_op_classes()
                     if cls not in reached and cls.__name__ not in INTERNAL_OP_CLASSES)
    assert not missing, f"op classes no registry entry exercises: {missing}"


@pytest.mark.parametrize("alias, target", sorted(ALIASES.items()))
def test_aliases_are_the_tested_function(alias, target):
    assert getattr(tl, alias) is getattr(tl, target)
