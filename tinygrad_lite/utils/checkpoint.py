"""Gradient checkpointing: ``checkpoint`` and ``checkpoint_sequential``, as ``torch.utils.checkpoint``.

A checkpointed segment runs its forward under ``no_grad``, so none of its intermediate
activations are kept: only its inputs are. Backward runs the segment again with grad enabled,
with the random state and autocast settings of the first run (dropout draws the same mask), and
backpropagates through that copy into the segment's inputs and into the parameters it used.
Activation memory falls from one set per layer to one per segment, for one extra forward.

In the graph a segment is one ``Checkpoint`` node whose output is a 0-d token, read by one
``CheckpointOutput`` node per output tensor. An output node hands its gradient to the segment
and gives the token a zero; the engine runs ``Checkpoint`` only after every output node that
received a gradient, so the segment is recomputed once whatever the number of outputs.

Limits (those of PyTorch's reentrant variant, which both ``use_reentrant`` values share here):
tensors that need gradients enter positionally (keyword tensors must not require grad), the
parameters get their gradients from ``backward()`` (``tl.autograd.grad`` would see only the
inputs'), and double backward through a segment is not supported. Under grad mode a segment's
outputs always require grad, so that parameters get gradients even when no input needs one.
"""
import contextlib

from tinygrad_lite import cuda, random
from tinygrad_lite.amp.autocast_mode import (DEVICE_TYPES, autocast, get_autocast_dtype,
                                             is_autocast_enabled)
from tinygrad_lite.autograd.engine import backward
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode, enable_grad, no_grad
from tinygrad_lite.backend import get_default_device
from tinygrad_lite.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class Checkpoint(Function):
    """The segment's node: its backward recomputes the segment and returns its inputs' grads."""

    def forward(self, anchor, *input_arrays, segment):
        self.segment = segment
        return self.xp.zeros((), dtype=anchor.dtype)

    def backward(self, grad_token):
        return (None,) + self.segment.recompute_gradients()


class CheckpointOutput(Function):
    """One output of a segment: hands its gradient to the segment, a zero to the token."""

    def forward(self, token, segment, index, value):
        self.segment, self.index = segment, index
        return value

    def backward(self, grad_output):
        self.segment.receive(self.index, grad_output)
        return self.constant(self.xp.zeros((), dtype=self.xp.float32))


class _Segment:
    """What a checkpointed call keeps: the function, its arguments, and the state to replay."""

    def __init__(self, function, args, kwargs, preserve_rng_state):
        self.function, self.args, self.kwargs = function, args, kwargs
        devices = {arg.device for arg in args if isinstance(arg, Tensor) and arg.device.type == "cuda"}
        self.rng_states = _rng_states(devices) if preserve_rng_state else None
        self.autocast_settings = [(device_type, get_autocast_dtype(device_type),
                                   is_autocast_enabled(device_type)) for device_type in DEVICE_TYPES]
        self.output_grads = {}

    def receive(self, index, grad_output):
        """Keep the gradient of output ``index`` until the segment's node runs."""
        earlier = self.output_grads.get(index)
        self.output_grads[index] = grad_output if earlier is None else earlier + grad_output

    def recompute_gradients(self):
        """Run the segment again with grad enabled, backpropagate the kept output gradients
        through it, and return the gradients of its tensor inputs (None where unused)."""
        inputs = tuple(arg.detach().requires_grad_(arg.requires_grad) if isinstance(arg, Tensor)
                       else arg for arg in self.args)
        with self._replayed_state(), enable_grad():
            outputs = _as_sequence(self.function(*inputs, **self.kwargs))
        grads, self.output_grads = self.output_grads, {}
        pairs = [(outputs[index], grad) for index, grad in sorted(grads.items())
                 if isinstance(outputs[index], Tensor) and outputs[index].requires_grad]
        if pairs:
            backward([output for output, _ in pairs], [grad for _, grad in pairs])
        return tuple(tensor.grad for tensor in inputs if isinstance(tensor, Tensor))

    @contextlib.contextmanager
    def _replayed_state(self):
        """The first run's autocast settings and random state; the current random state after."""
        with contextlib.ExitStack() as stack:
            for device_type, dtype, enabled in self.autocast_settings:
                stack.enter_context(autocast(device_type, dtype=dtype, enabled=enabled))
            if self.rng_states is None:
                yield
                return
            current = _rng_states(set(self.rng_states) - {"cpu"})
            _set_rng_states(self.rng_states)
            try:
                yield
            finally:
                _set_rng_states(current)


def _rng_states(cuda_devices):
    """The CPU generator's state and that of each CUDA device in ``cuda_devices``."""
    states = {"cpu": random.get_rng_state()}
    for device in cuda_devices:
        states[device] = cuda.get_rng_state(device)
    return states


def _set_rng_states(states):
    for device, state in states.items():
        if device == "cpu":
            random.set_rng_state(state)
        else:
            cuda.set_rng_state(state, device)


def _as_sequence(outputs):
    return tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)


def checkpoint(function, *args, use_reentrant=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)`` without keeping its activations; they are recomputed in
    backward. Returns what ``function`` returns (a tensor, or a tuple/list holding tensors and
    other values), with the same values and, after backward, the same gradients as a plain call.

    ``preserve_rng_state=True`` replays the random state of the first run in the recomputation,
    so dropout draws the same mask. ``use_reentrant`` is accepted for PyTorch compatibility; both
    values behave the same here (see the module notes). Outside grad mode it is a plain call.
    """
    if not isinstance(use_reentrant, bool):
        raise TypeError(f"checkpoint: use_reentrant must be True or False, got {use_reentrant!r}")
    for name, value in kwargs.items():
        if isinstance(value, Tensor) and value.requires_grad:
            raise ValueError(f"checkpoint: keyword argument {name!r} requires grad; pass tensors "
                             "that need gradients positionally")
    if not GradMode.enabled:
        return function(*args, **kwargs)
    segment = _Segment(function, args, kwargs, preserve_rng_state)
    with no_grad():
        outputs = function(*args, **kwargs)
    tensors = [arg for arg in args if isinstance(arg, Tensor)]
    device = tensors[0].device if tensors else get_default_device()
    anchor = Tensor(0.0, dtype="float32", device=device, requires_grad=True)
    token = Checkpoint.apply(anchor, *tensors, segment=segment)
    wrapped = tuple(_connected(output, token, segment, index)
                    for index, output in enumerate(_as_sequence(outputs)))
    if isinstance(outputs, (tuple, list)):
        return type(outputs)(wrapped)
    return wrapped[0]


def _connected(output, token, segment, index):
    """A floating output tensor tied into the graph through the segment; others unchanged."""
    if not isinstance(output, Tensor) or output.dtype.kind != "f":
        return output
    return CheckpointOutput.apply(token, segment=segment, index=index, value=output.data)


def checkpoint_sequential(functions, segments, input, use_reentrant=False, preserve_rng_state=True):
    """Run ``functions`` (an ``nn.Sequential`` or a list of callables) one after another on
    ``input``, split into ``segments`` chunks of ``len // segments``: each chunk but the last is
    checkpointed, the last (with any remainder) runs normally, as in PyTorch."""
    if hasattr(functions, "children"):
        functions = list(functions.children())
    functions = list(functions)
    if segments < 1 or segments > len(functions):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the number of "
                         f"functions ({len(functions)}), got {segments}")
    size = len(functions) // segments
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(_run_chain(functions[start:end]), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve_rng_state)
    return _run_chain(functions[end:])(input)


def _run_chain(functions):
    def run(input):
        for function in functions:
            input = function(input)
        return input

    return run
