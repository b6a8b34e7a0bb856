"""The recurrence of one RNN/LSTM/GRU layer and direction, as one fused autograd node.

``recurrence`` takes the input projection of every time step at once (one matmul done by the
caller, ``F.linear(x, weight_ih, bias_ih)``) and runs the time loop on raw arrays: per step one
matmul ``h @ weight_hh.T`` plus the gate math. Its backward runs backpropagation through time on
arrays too, and gets the ``weight_hh`` gradient from a single matmul over all steps, so neither
direction builds a graph node per step or does any per-element Python work.

Variable-length batches use PyTorch's packed layout: the rows of step ``t`` are the first
``batch_sizes[t]`` sequences (sorted longest first), stored one step after the other. A step
only touches its own rows (slicing, not masking), so padding never reaches the result.

The step math is written once, with operators and a small ``math`` namespace, and runs either on
arrays (the normal fast path) or on Tensors: when a backward is itself recorded
(``create_graph=True``), the node replays the steps with Tensor ops so second derivatives work.
"""
import numpy

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.nn.functional.recurrent_steps import (STEPS, RECURRENT_MODES, ArrayMath,
                                                          LSTMArrays, LSTMStep, TensorMath)

__all__ = ["recurrence", "final_states", "RECURRENT_MODES"]


def _plan(batch_sizes, reverse):
    """Per processed step: (first packed row, rows, rows carried over from the previous step).

    Forward in time the batch only shrinks, so every row after step 0 is carried. Backward in
    time it grows: the rows a step adds start from the initial state, at their own last step.
    """
    offsets = numpy.concatenate([[0], numpy.cumsum(batch_sizes)]).tolist()
    times = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    plan, previous = [], 0
    for t in times:
        size = batch_sizes[t]
        plan.append((offsets[t], size, min(previous, size)))
        previous = size
    return plan


def _unroll(math, cell, xproj, weight_hh, bias_hh, state0, plan):
    """Run the steps of ``plan``; returns each step's previous state, cache and new state."""
    size = weight_hh.shape[1]
    weight_t = weight_hh.T
    prevs, caches, news = [], [], []
    new = None
    for start, rows, carried in plan:
        if carried == 0:
            prev = state0 if state0.shape[0] == rows else state0[:rows]
        elif carried == rows:
            prev = new if new.shape[0] == rows else new[:rows]
        else:
            prev = math.cat_rows([new[:carried], state0[carried:rows]])
        hidden = prev[:, :size] if cell.state_blocks > 1 else prev
        hh = hidden @ weight_t
        if bias_hh is not None:
            hh = hh + bias_hh
        x = xproj if xproj.shape[0] == rows else xproj[start:start + rows]
        new, cache = cell.step(math, x, hh, prev, size)
        prevs.append(prev)
        caches.append(cache)
        news.append(new)
    return prevs, caches, news


def _in_time_order(items, reverse):
    return items[::-1] if reverse else items


def _unroll_backward(math, cell, grad_output, weight_hh, prevs, caches, plan, reverse, needs):
    """Backpropagation through time; gradients of (xproj, weight_hh, state0, bias_hh)."""
    size = weight_hh.shape[1]

    def hidden_grad(d_hh):
        return d_hh @ weight_hh

    d_xs, d_hhs, d_state_parts = [], [], []
    carry = None
    for (start, rows, carried), prev, cache in zip(plan[::-1], prevs[::-1], caches[::-1]):
        d_new = grad_output if grad_output.shape[0] == rows else grad_output[start:start + rows]
        if carry is not None:
            d_new = math.add_rows(d_new, carry)
        d_x, d_hh, d_prev = cell.step_backward(math, d_new, cache, prev, size, hidden_grad)
        d_xs.append(d_x)
        d_hhs.append(d_hh)
        if carried < rows:
            d_state_parts.append(d_prev[carried:] if carried else d_prev)
        carry = d_prev[:carried] if carried else None
    # The lists run in reverse processing order; packed rows (and the sums below) in time order.
    d_xproj = d_weight = d_state0 = d_bias = None
    wants_bias = len(needs) > 3 and needs[3]
    if needs[0] or ((needs[1] or wants_bias) and d_xs[0] is d_hhs[0]):
        d_xproj = math.cat_rows(_in_time_order(d_xs, not reverse))
    if needs[1] or wants_bias:
        # LSTM and RNN gates get the same gradient from both projections: reuse the sum.
        d_hh_all = d_xproj if d_xs[0] is d_hhs[0] else math.cat_rows(
            _in_time_order(d_hhs, not reverse))
        if needs[1]:
            hidden_all = math.cat_rows(_in_time_order(prevs, reverse))
            if cell.state_blocks > 1:
                hidden_all = hidden_all[:, :size]
            d_weight = d_hh_all.T @ hidden_all
        if wants_bias:
            d_bias = d_hh_all.sum(0)
        if not needs[0]:
            d_xproj = None
    if needs[2]:
        d_state0 = math.cat_rows(d_state_parts[::-1])
    return d_xproj, d_weight, d_state0, d_bias


class Recurrence(Function):
    """All steps of one layer/direction; see :func:`recurrence` for the arguments."""

    saves_inputs = True

    def forward(self, xproj, weight_hh, state0, *bias_hh, mode, batch_sizes, reverse):
        cell = STEPS[mode]
        plan = _plan(batch_sizes, reverse)
        self.cell, self.plan, self.reverse = cell, plan, reverse
        bias = bias_hh[0] if bias_hh else None
        if cell is LSTMStep:
            output, self.saved = LSTMArrays.forward(self.xp, xproj, weight_hh, bias, state0, plan)
            return output
        math = ArrayMath(self.xp)
        prevs, caches, news = _unroll(math, cell, xproj, weight_hh, bias, state0, plan)
        self.prevs, self.caches = prevs, caches
        return math.cat_rows(_in_time_order(news, reverse))

    def backward(self, grad_output):
        xproj, weight_hh, state0, *bias_hh = self.saved_inputs
        needs = self.needs_input_grad
        if GradMode.enabled:
            # create_graph: replay the steps with Tensor ops so the gradients are themselves
            # differentiable functions of the inputs.
            bias = bias_hh[0] if bias_hh else None
            prevs, caches, _ = _unroll(TensorMath, self.cell, xproj, weight_hh, bias, state0,
                                       self.plan)
            grads = _unroll_backward(TensorMath, self.cell, grad_output, weight_hh, prevs, caches,
                                     self.plan, self.reverse, needs)
            return grads[:len(needs)]
        if self.cell is LSTMStep:
            grads = LSTMArrays.backward(self.xp, self.saved, grad_output.data, weight_hh.data,
                                         state0.shape[0], self.plan, needs)
        else:
            grads = _unroll_backward(ArrayMath(self.xp), self.cell, grad_output.data,
                                     weight_hh.data, self.prevs, self.caches, self.plan,
                                     self.reverse, needs)
        return tuple(None if grad is None else self.constant(grad) for grad in grads[:len(needs)])


def _check_batch_sizes(batch_sizes, rows):
    sizes = [int(size) for size in batch_sizes]
    if not sizes:
        raise RuntimeError("recurrence: expected at least one time step, got none")
    if any(size <= 0 for size in sizes) or any(a < b for a, b in zip(sizes, sizes[1:])):
        raise ValueError(
            f"recurrence: batch_sizes must be positive and non-increasing, got {sizes}")
    if sum(sizes) != rows:
        raise ValueError(
            f"recurrence: batch_sizes {sizes} sum to {sum(sizes)} but the input projection has "
            f"{rows} rows"
        )
    return tuple(sizes)


def recurrence(input_projection, weight_hh, bias_hh, initial_state, mode, batch_sizes,
               reverse=False):
    """Run one recurrent layer in one direction over a packed batch of sequences.

    Args:
        input_projection: (N, G*H), ``x @ weight_ih.T + bias_ih`` for every packed row, where
            N = sum(batch_sizes) and G is 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n) or 1 (RNN).
        weight_hh: (G*H, H). bias_hh: (G*H,) or None.
        initial_state: (B, S*H) with B = batch_sizes[0]; S = 2 for LSTM ([h | c]), else 1.
        mode: ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"``.
        batch_sizes: non-increasing ints, rows per time step (all equal for a padded batch).
        reverse: run from each sequence's last valid step back to its first.

    Returns:
        (N, S*H): the state after every step, in the packed row order (time ascending).
    """
    if mode not in STEPS:
        raise ValueError(f"recurrence: unknown mode {mode!r}; expected one of {sorted(STEPS)}")
    gates, state_blocks = RECURRENT_MODES[mode]
    size = weight_hh.shape[1]
    tensors = [input_projection, weight_hh, initial_state]
    if bias_hh is not None:
        tensors.append(bias_hh)
    for tensor in tensors[1:]:
        if tensor.dtype != input_projection.dtype:
            raise RuntimeError(
                f"recurrence: expected all tensors to have dtype {input_projection.dtype}, got "
                f"{tensor.dtype} (shape {list(tensor.shape)})"
            )
    if tuple(weight_hh.shape) != (gates * size, size) or input_projection.ndim != 2 or \
            input_projection.shape[1] != gates * size:
        raise RuntimeError(
            f"recurrence ({mode}): weight_hh must be ({gates}*H, H) and the input projection "
            f"(N, {gates}*H); got {list(weight_hh.shape)} and {list(input_projection.shape)}"
        )
    sizes = _check_batch_sizes(batch_sizes, input_projection.shape[0])
    if tuple(initial_state.shape) != (sizes[0], state_blocks * size):
        raise RuntimeError(
            f"recurrence ({mode}): expected initial state of shape "
            f"{[sizes[0], state_blocks * size]}, got {list(initial_state.shape)}"
        )
    return Recurrence.apply(*tensors, mode=mode, batch_sizes=sizes, reverse=reverse)


def final_states(states, batch_sizes, reverse=False):
    """Each sequence's last state from :func:`recurrence`'s output: (N, S*H) -> (B, S*H).

    Forward in time that is the state at the sequence's own last valid step; in reverse it is
    the state after step 0, which holds every sequence.
    """
    batch = int(batch_sizes[0])
    if reverse:
        return states[:batch]
    if int(batch_sizes[-1]) == batch:
        return states[states.shape[0] - batch:]
    sizes = numpy.asarray(batch_sizes, dtype=numpy.int64)
    rows = numpy.arange(batch)
    lengths = (sizes[None, :] > rows[:, None]).sum(axis=1)
    offsets = numpy.concatenate([[0], numpy.cumsum(sizes)])
    return states[offsets[lengths - 1] + rows]
