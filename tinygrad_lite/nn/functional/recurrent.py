"""The recurrence of one RNN/LSTM/GRU layer and direction, as one fused autograd node.

``recurrence`` takes the input projection of every time step at once (one matmul done by the
caller, ``F.linear(x, weight_ih, bias_ih)``) and runs the time loop on raw arrays: per step one
matmul ``h @ weight_hh.T`` plus the gate math. Its backward runs backpropagation through time on
arrays too, and gets the ``weight_hh`` gradient from a single matmul over all steps, so neither
direction builds a graph node per step or does any per-element Python work.

Variable-length batches use PyTorch's packed layout: the rows of step ``t`` are the first
``batch_sizes[t]`` sequences (sorted longest first), stored one step after the other. A step
only touches its own rows (slicing, not masking), so padding never reaches the result.

Each cell's step is written once (``recurrent_steps``) against an operations namespace: on
arrays (the normal fast path, writing into buffers allocated once per sequence) or on Tensors:
when a backward is itself recorded (``create_graph=True``), the node replays the steps with
Tensor ops so second derivatives work.
"""
import numpy

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import GradMode
from tinygrad_lite.nn.functional.recurrent_steps import (STEPS, RECURRENT_MODES, ArrayOps,
                                                          TensorOps)

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


def _previous_state(ops, new, state0, rows, carried):
    """The state a step starts from: ``carried`` rows of the last step's, the rest from state0."""
    if carried == 0:
        return state0 if state0.shape[0] == rows else state0[:rows]
    if carried == rows:
        return new if new.shape[0] == rows else new[:rows]
    return ops.cat_rows([new[:carried], state0[carried:rows]])


def _in_time_order(items, reverse):
    return items[::-1] if reverse else items


def _unroll(cell, xproj, state0, plan, reverse):
    """Run the steps of ``plan``: (N, S*H) states in packed row order, and what backward needs.

    What backward needs is (each step's previous state, each step's cache, the states, the
    buffers holding the caches: only backward reads them, so they can be reused after it).
    """
    ops, size, total = cell.ops, cell.size, xproj.shape[0]
    states = ops.empty(xproj, total, cell.state_blocks * size)
    cache_buffers = [ops.reusable(xproj, total, blocks * size) for blocks in cell.cache_blocks]
    prevs, caches, news = [], [], []
    new = None
    for start, rows, carried in plan:
        end = start + rows
        prev = _previous_state(ops, new, state0, rows, carried)
        x = xproj if total == rows else xproj[start:end]
        cache_out = [buffer[start:end] for buffer in cache_buffers]
        new, cache = cell.step(x, prev, (states[start:end], cache_out))
        prevs.append(prev)
        caches.append(cache)
        news.append(new)
    states = ops.assembled(states, _in_time_order(news, reverse), 0)
    return states, (prevs, caches, states, cache_buffers)


def _weight_hh_grad(cell, d_hh_all, prevs, states, plan, reverse):
    """``sum over steps of d_hh.T @ h_prev``, as one matmul over all packed rows (time order).

    With equal batch sizes, the previous states of all steps but the first processed one are
    ``states`` itself shifted by one step, so they are used where they are: concatenating them
    would copy N*H values into fresh memory (page-faulted in again) on every backward.
    """
    ops, size = cell.ops, cell.size

    def hidden(state):
        return state[:, :size] if cell.state_blocks > 1 else state

    batch, total = plan[0][1], states.shape[0]
    if len(plan) == 1 or any(rows != batch for _, rows, _ in plan):
        return d_hh_all.T @ ops.cat_rows(_in_time_order([hidden(prev) for prev in prevs], reverse))
    # Forward, step t starts from step t-1's state; in reverse from step t+1's.
    first, later = (slice(total - batch, total), slice(0, total - batch)) if reverse else \
        (slice(0, batch), slice(batch, total))
    shifted = slice(batch, total) if reverse else slice(0, total - batch)
    return d_hh_all[later].T @ hidden(states[shifted]) + d_hh_all[first].T @ hidden(prevs[0])


def _unroll_backward(cell, grad_output, unrolled, plan, reverse, needs):
    """Backpropagation through time; gradients of (xproj, weight_hh, state0, bias_hh)."""
    ops, size, total = cell.ops, cell.size, grad_output.shape[0]
    prevs, caches, states, _ = unrolled
    d_x_buffer = ops.empty(grad_output, total, cell.gates * size)
    d_hh_buffer = ops.empty(grad_output, total, cell.gates * size) if cell.separate_hh_grad \
        else None
    d_xs, d_hhs, d_state_parts = [], [], []
    carry = None
    for (start, rows, carried), prev, cache in zip(plan[::-1], prevs[::-1], caches[::-1]):
        end = start + rows
        d_new = grad_output if total == rows else grad_output[start:end]
        if carry is not None:
            d_new = ops.add_rows(d_new, carry)
        # A fresh small d_prev per step stays in cache; a whole-sequence buffer would not.
        d_prev_out = ops.empty(grad_output, rows, cell.state_blocks * size)
        d_hh_out = None if d_hh_buffer is None else d_hh_buffer[start:end]
        d_x, d_hh, d_prev = cell.step_backward(d_new, cache, prev,
                                               (d_x_buffer[start:end], d_prev_out, d_hh_out))
        d_xs.append(d_x)
        d_hhs.append(d_hh)
        if carried < rows:
            d_state_parts.append(d_prev[carried:] if carried else d_prev)
        carry = d_prev[:carried] if carried else None
    # The lists run in reverse processing order; packed rows (and the sums below) in time order.
    d_xproj = d_weight = d_state0 = d_bias = None
    wants_bias = len(needs) > 3 and needs[3]
    if needs[0] or ((needs[1] or wants_bias) and d_xs[0] is d_hhs[0]):
        d_xproj = ops.assembled(d_x_buffer, _in_time_order(d_xs, not reverse), 0)
    if needs[1] or wants_bias:
        # LSTM and RNN gates get the same gradient from both projections: reuse the sum.
        d_hh_all = d_xproj if d_xs[0] is d_hhs[0] else ops.assembled(
            d_hh_buffer, _in_time_order(d_hhs, not reverse), 0)
        if needs[1]:
            d_weight = _weight_hh_grad(cell, d_hh_all, prevs, states, plan, reverse)
        if wants_bias:
            d_bias = d_hh_all.sum(0)
        if not needs[0]:
            d_xproj = None
    if needs[2]:
        d_state0 = ops.cat_rows(d_state_parts[::-1])
    return d_xproj, d_weight, d_state0, d_bias


class Recurrence(Function):
    """All steps of one layer/direction; see :func:`recurrence` for the arguments."""

    saves_inputs = True

    def forward(self, xproj, weight_hh, state0, *bias_hh, mode, batch_sizes, reverse):
        self.mode, self.plan, self.reverse = mode, _plan(batch_sizes, reverse), reverse
        self.batch = batch_sizes[0]
        bias = bias_hh[0] if bias_hh else None
        self.cell = STEPS[mode](ArrayOps(self.xp), weight_hh, bias, xproj, self.batch,
                                len(self.plan))
        output, self.unrolled = _unroll(self.cell, xproj, state0, self.plan, reverse)
        return output

    def backward(self, grad_output):
        xproj, weight_hh, state0, *bias_hh = self.saved_inputs
        needs = self.needs_input_grad
        if GradMode.enabled:
            # create_graph: replay the steps with Tensor ops so the gradients are themselves
            # differentiable functions of the inputs.
            cell = STEPS[self.mode](TensorOps(), weight_hh, bias_hh[0] if bias_hh else None, xproj,
                                    self.batch, len(self.plan))
            _, unrolled = _unroll(cell, xproj, state0, self.plan, self.reverse)
            return _unroll_backward(cell, grad_output, unrolled, self.plan, self.reverse,
                                    needs)[:len(needs)]
        grads = _unroll_backward(self.cell, grad_output.data, self.unrolled, self.plan,
                                 self.reverse, needs)
        return tuple(None if grad is None else self.constant(grad) for grad in grads[:len(needs)])

    def release(self):
        # The cache buffers were seen by this node only: the next sequence can write into them.
        ops = self.cell.ops if "cell" in self.__dict__ else None
        buffers = self.unrolled[3] if "unrolled" in self.__dict__ else ()
        super().release()
        if buffers:
            ops.give_back(buffers)


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
