"""The per-step arithmetic of the recurrent cells, shared by ``nn.functional.recurrent``.

Each cell's step and its hand-derived backward are written once, against a small namespace of
operations ``ops`` that comes in two kinds:

- ``ArrayOps``: raw NumPy/CuPy arrays, the fast path. An operation given ``out=`` writes into
  that view of a buffer the caller allocated once for the whole sequence, so a step allocates
  almost nothing and each value is written where it will be read from.
- ``TensorOps``: differentiable Tensor ops, for recorded (``create_graph``) backward passes.
  ``out=`` is ignored and ``empty`` gives a stand-in whose slices are itself.

So the step code only ever reads the values the operations return, never a buffer, and
``ops.assembled(buffer, parts, axis)`` turns the parts written into a buffer into one value: the
buffer itself on arrays, a concatenation of the parts on Tensors.
"""
import numpy

from tinygrad_lite.ops.join import cat
from tinygrad_lite.tensor import Tensor

__all__ = ["ArrayOps", "TensorOps", "STEPS", "RECURRENT_MODES"]


# (dtype, rows, columns) -> whole-sequence NumPy buffers handed back by released nodes. Bounded:
# a few sequences' worth (layers x directions of one model), a few shapes.
_SPARE_BUFFERS = {}
_MOST_SPARES_PER_SHAPE, _MOST_SPARE_SHAPES = 8, 16


class ArrayOps:
    """Step operations on raw NumPy/CuPy arrays; ``out=`` writes into a preallocated view."""

    def __init__(self, xp):
        self.xp = xp
        # The ufuncs themselves: no wrapper call per operation on the hot path.
        self.add, self.multiply, self.matmul, self.tanh = xp.add, xp.multiply, xp.matmul, xp.tanh
        self.subtract = xp.subtract

    def empty(self, like, rows, columns):
        """A (rows, columns) buffer of ``like``'s dtype, for the steps to write into."""
        return self.xp.empty((rows, columns), dtype=like.dtype)

    def reusable(self, like, rows, columns):
        """``empty``, but one a finished node handed back (``give_back``) when one fits.

        A whole-sequence buffer is megabytes: fresh memory costs a page fault per 4 KiB when
        first written, on every training step. Only NumPy's: CuPy has its own memory pool.
        """
        if self.xp is numpy:
            spares = _SPARE_BUFFERS.get((like.dtype, rows, columns))
            if spares:
                return spares.pop()
        return self.empty(like, rows, columns)

    def give_back(self, buffers):
        """Keep ``buffers`` (nothing else references them any more) for ``reusable``."""
        if self.xp is not numpy:
            return
        if len(_SPARE_BUFFERS) > _MOST_SPARE_SHAPES:
            _SPARE_BUFFERS.clear()
        for buffer in buffers:
            spares = _SPARE_BUFFERS.setdefault((buffer.dtype, *buffer.shape), [])
            if len(spares) < _MOST_SPARES_PER_SHAPE:
                spares.append(buffer)

    def constant(self, values, like):
        """``values`` (a NumPy array) as an array of ``like``'s dtype."""
        return self.xp.asarray(values, dtype=like.dtype)

    def transposed(self, weight, steps):
        """``weight.T`` for the per-step matmuls, C-contiguous when several steps use it.

        BLAS multiplies a small batch by a row-major matrix markedly faster than by a transposed
        one, so one copy per sequence pays for itself from the second step (same result).
        """
        return self.xp.ascontiguousarray(weight.T) if steps > 1 else weight.T

    def repeated(self, vector, rows, steps):
        """``vector`` (n,) repeated to (rows, n) when several steps use it, else itself.

        A same-shape ufunc runs markedly faster than a broadcasting one on these small arrays;
        the values, and so every result, are the same. Steps take ``first_rows`` of it.
        """
        if vector is None or steps < 2:
            return vector
        return self.xp.ascontiguousarray(self.xp.broadcast_to(vector, (rows, vector.shape[0])))

    @staticmethod
    def first_rows(array, rows):
        """The first ``rows`` rows of a (rows, n) array; a 1-D one (a vector) as it is."""
        return array if array.ndim == 1 or array.shape[0] == rows else array[:rows]

    def sigmoid(self, x, out=None):
        # 0.5 * tanh(x / 2) + 0.5 is the logistic function without exp overflow for any x.
        y = self.xp.multiply(x, 0.5, out=out)
        self.xp.tanh(y, out=y)
        y *= 0.5
        y += 0.5
        return y

    def relu(self, x, out=None):
        return self.xp.maximum(x, 0.0, out=out)

    def relu_grad(self, grad, output, out=None):
        # Select, not multiply: an infinite incoming gradient must not become NaN where relu is 0.
        out = self.xp.empty_like(grad) if out is None else out
        self.xp.copyto(out, grad)
        self.xp.copyto(out, 0, where=output <= 0)
        return out

    def cat_rows(self, parts, out=None):
        if out is None and len(parts) == 1:
            return parts[0]
        return self.xp.concatenate(parts, axis=0, out=out)

    def cat_cols(self, parts, out=None):
        return self.xp.concatenate(parts, axis=1, out=out)

    @staticmethod
    def assembled(buffer, parts, axis):
        """``buffer``, into whose blocks along ``axis`` the ``parts`` were written."""
        return buffer

    @staticmethod
    def add_rows(full, part):
        """``full`` with ``part`` added to its first rows (a new array; neither input changes)."""
        if part.shape[0] == full.shape[0]:
            return full + part
        total = full.copy()
        total[:part.shape[0]] += part
        return total


class _NoBuffer:
    """The Tensor path's stand-in for a buffer: any slice of it is itself, nothing is stored."""

    def __getitem__(self, index):
        return self


_NO_BUFFER = _NoBuffer()


def _ignoring_out(operation):
    """``operation`` on Tensors, accepting (and ignoring) the arrays' ``out=``."""

    def tensor_operation(*tensors, out=None):
        return operation(*tensors)

    return staticmethod(tensor_operation)


class TensorOps:
    """The same operations on Tensors (differentiable), for recorded backward passes."""

    add = _ignoring_out(lambda a, b: a + b)
    subtract = _ignoring_out(lambda a, b: a - b)
    multiply = _ignoring_out(lambda a, b: a * b)
    matmul = _ignoring_out(lambda a, b: a @ b)
    tanh = _ignoring_out(lambda x: x.tanh())
    sigmoid = _ignoring_out(lambda x: x.sigmoid())
    relu = _ignoring_out(lambda x: x.relu())
    relu_grad = _ignoring_out(lambda grad, output: grad.masked_fill(output <= 0, 0.0))
    cat_rows = _ignoring_out(lambda parts: parts[0] if len(parts) == 1 else cat(parts, 0))
    cat_cols = _ignoring_out(lambda parts: cat(parts, 1))

    @staticmethod
    def add_rows(full, part):
        rows = part.shape[0]
        if rows == full.shape[0]:
            return full + part
        return cat([full[:rows] + part, full[rows:]], 0)

    @staticmethod
    def empty(like, rows, columns):
        return _NO_BUFFER

    reusable = empty

    @staticmethod
    def give_back(buffers):
        pass

    @staticmethod
    def transposed(weight, steps):
        return weight.T

    @staticmethod
    def repeated(vector, rows, steps):
        return vector

    @staticmethod
    def first_rows(tensor, rows):
        return tensor

    @staticmethod
    def constant(values, like):
        return Tensor(values, dtype=like.dtype, device=like.device)

    @staticmethod
    def assembled(buffer, parts, axis):
        return parts[0] if len(parts) == 1 else cat(parts, axis)


# A cell is built per sequence as ``Cell(ops, weight_hh, bias_hh, like, batch, steps)`` (``like``:
# the input projection, for dtype and device; ``batch``: the most rows a step has; ``steps``: how
# many steps will run) and has, as class attributes, ``gates`` (blocks of H in the projections),
# ``state_blocks`` (blocks of H in the state: LSTM carries [h | c]), ``cache_blocks`` (widths, in
# H, of the buffers its step writes what backward needs into) and ``separate_hh_grad`` (the
# gradient of the recurrent projection differs from the input projection's: GRU's, through r):
#   ``step(x, prev, out) -> (new state, cache)`` gets x, the step's input projection (B, G*H),
#   and ``out = (state view, cache views)``;
#   ``step_backward(d_new, cache, prev, out) -> (d x, d hh, d prev)`` gets
#   ``out = (d x view, d prev view, d hh view or None)``; d hh is the gradient of
#   ``h_prev @ weight_hh.T``.
# Temporaries live in buffers of ``batch`` rows allocated once per sequence (``_scratch``); a
# step writes into their first rows, so no step allocates, and every value is rounded exactly as
# the formula in the comment beside it reads.

class _Cell:
    """Holds the operations namespace and the recurrent weights for one sequence's steps."""

    separate_hh_grad = False

    def __init__(self, ops, weight_hh, bias_hh, like, batch, steps):
        self.ops, self.size = ops, weight_hh.shape[1]
        self.weight_hh, self.weight_t = weight_hh, ops.transposed(weight_hh, steps)
        self.bias_hh = ops.repeated(bias_hh, batch, steps)
        self.like, self.batch = like, batch

    def _scratch(self, blocks):
        """A temporary of (batch, blocks*H) for the steps to write into."""
        return self.ops.empty(self.like, self.batch, blocks * self.size)

    def hidden_projection(self, hidden, out=None):
        """``hidden @ weight_hh.T + bias_hh``: the recurrent share of the pre-activations."""
        ops = self.ops
        hh = ops.matmul(hidden, self.weight_t, out=out)
        if self.bias_hh is None:
            return hh
        return ops.add(hh, ops.first_rows(self.bias_hh, hidden.shape[0]), out=hh)


class LSTMStep(_Cell):
    """LSTM: gates i, f, g, o; ``c' = f*c + i*g``, ``h' = o*tanh(c')``; state [h | c]."""

    gates, state_blocks, cache_blocks = 4, 2, (4, 1)

    def __init__(self, ops, weight_hh, bias_hh, like, batch, steps):
        super().__init__(ops, weight_hh, bias_hh, like, batch, steps)
        size = self.size
        # sigmoid(x) = 0.5 * tanh(0.5 * x) + 0.5 and tanh(x) = 1 * tanh(1 * x) + 0, so one tanh
        # pass activates all four gates: act = scale * tanh(scale * pre) + (1 - scale).
        scale = numpy.full(4 * size, 0.5)
        scale[2 * size:3 * size] = 1.0

        def constant(values):
            return ops.repeated(ops.constant(values, like), batch, steps)

        self.scale, self.offset = constant(scale), constant(1.0 - scale)
        # d act / d pre = (1 - act) * (tanh_flag + act): act(1 - act) for sigmoid, 1 - act^2 for tanh.
        self.tanh_flag = constant(2.0 * scale - 1.0)
        self.cell_scratch, self.d_cell = self._scratch(1), self._scratch(1)
        self.slope, self.slope_term = self._scratch(4), self._scratch(4)

    def step(self, x, prev, out):
        ops, size, rows = self.ops, self.size, x.shape[0]
        state_out, (acts_out, tanh_c_out) = out
        scale = ops.first_rows(self.scale, rows)
        acts = ops.add(self.hidden_projection(prev[:, :size], out=acts_out), x, out=acts_out)
        acts = ops.multiply(acts, scale, out=acts)
        acts = ops.tanh(acts, out=acts)
        acts = ops.multiply(acts, scale, out=acts)
        acts = ops.add(acts, ops.first_rows(self.offset, rows), out=acts)
        i, f = acts[:, :size], acts[:, size:2 * size]
        g, o = acts[:, 2 * size:3 * size], acts[:, 3 * size:]
        c = ops.multiply(f, prev[:, size:], out=state_out[:, size:])
        c = ops.add(c, ops.multiply(i, g, out=self.cell_scratch[:rows]), out=c)  # f*c + i*g
        tanh_c = ops.tanh(c, out=tanh_c_out)
        h = ops.multiply(o, tanh_c, out=state_out[:, :size])
        return ops.assembled(state_out, [h, c], 1), (acts, tanh_c)

    def step_backward(self, d_new, cache, prev, out):
        ops, size = self.ops, self.size
        acts, tanh_c = cache
        rows = acts.shape[0]
        d_gates_out, d_prev_out, _ = out
        d_h = d_new[:, :size]
        slope_c = ops.multiply(tanh_c, tanh_c, out=self.cell_scratch[:rows])
        slope_c = ops.subtract(1.0, slope_c, out=slope_c)
        d_c = ops.multiply(d_h, acts[:, 3 * size:], out=self.d_cell[:rows])
        d_c = ops.multiply(d_c, slope_c, out=d_c)
        d_c = ops.add(d_new[:, size:], d_c, out=d_c)  # d_c' + d_h * o * (1 - tanh(c')^2)
        d_gates = ops.assembled(d_gates_out, [
            ops.multiply(d_c, acts[:, 2 * size:3 * size], out=d_gates_out[:, :size]),
            ops.multiply(d_c, prev[:, size:], out=d_gates_out[:, size:2 * size]),
            ops.multiply(d_c, acts[:, :size], out=d_gates_out[:, 2 * size:3 * size]),
            ops.multiply(d_h, tanh_c, out=d_gates_out[:, 3 * size:]),
        ], 1)
        slope = ops.subtract(1.0, acts, out=self.slope[:rows])
        term = ops.add(ops.first_rows(self.tanh_flag, rows), acts, out=self.slope_term[:rows])
        slope = ops.multiply(slope, term, out=slope)  # (1 - act) * (tanh_flag + act)
        d_gates = ops.multiply(d_gates, slope, out=d_gates)
        d_prev = ops.assembled(d_prev_out, [
            ops.matmul(d_gates, self.weight_hh, out=d_prev_out[:, :size]),
            ops.multiply(d_c, acts[:, size:2 * size], out=d_prev_out[:, size:]),
        ], 1)
        return d_gates, d_gates, d_prev


class GRUStep(_Cell):
    """GRU: gates r, z, n; ``n = tanh(x_n + r * hh_n)``, ``h' = (1 - z)*n + z*h``."""

    gates, state_blocks, cache_blocks = 3, 1, (2, 1, 3)
    separate_hh_grad = True

    def __init__(self, ops, weight_hh, bias_hh, like, batch, steps):
        super().__init__(ops, weight_hh, bias_hh, like, batch, steps)
        self.scratch = [self._scratch(1) for _ in range(3)]

    def step(self, x, prev, out):
        ops, size, rows = self.ops, self.size, x.shape[0]
        state_out, (rz_out, n_out, hh_out) = out
        hh = self.hidden_projection(prev, out=hh_out)
        rz = ops.add(x[:, :2 * size], hh[:, :2 * size], out=rz_out)
        rz = ops.sigmoid(rz, out=rz)
        r, z = rz[:, :size], rz[:, size:]
        hh_n = hh[:, 2 * size:]
        n = ops.add(x[:, 2 * size:], ops.multiply(r, hh_n, out=self.scratch[0][:rows]), out=n_out)
        n = ops.tanh(n, out=n)
        update = ops.subtract(prev, n, out=self.scratch[0][:rows])
        update = ops.multiply(z, update, out=update)
        return ops.add(n, update, out=state_out), (r, z, n, hh_n)  # n + z * (h - n)

    def step_backward(self, d_new, cache, prev, out):
        ops, size = self.ops, self.size
        r, z, n, hh_n = cache
        rows = r.shape[0]
        d_x_out, d_prev_out, d_hh_out = out
        first, second, one_minus_z = (buffer[:rows] for buffer in self.scratch)
        one_minus_z = ops.subtract(1.0, z, out=one_minus_z)
        term = ops.multiply(d_new, one_minus_z, out=first)
        slope = ops.multiply(n, n, out=second)
        slope = ops.subtract(1.0, slope, out=slope)
        d_n = ops.multiply(term, slope, out=d_x_out[:, 2 * size:])  # d_new*(1-z) * (1-n*n)
        term = ops.multiply(d_n, hh_n, out=first)
        term = ops.multiply(term, r, out=term)
        slope = ops.subtract(1.0, r, out=second)
        d_r = ops.multiply(term, slope, out=d_x_out[:, :size])  # d_n*hh_n*r * (1-r)
        term = ops.subtract(prev, n, out=first)
        term = ops.multiply(d_new, term, out=term)
        term = ops.multiply(term, z, out=term)
        d_z = ops.multiply(term, one_minus_z, out=d_x_out[:, size:2 * size])  # d_new*(h-n)*z * (1-z)
        d_x = ops.assembled(d_x_out, [d_r, d_z, d_n], 1)
        d_hh = ops.cat_cols([d_r, d_z, ops.multiply(d_n, r, out=second)], out=d_hh_out)
        d_prev = ops.matmul(d_hh, self.weight_hh, out=d_prev_out)
        return d_x, d_hh, ops.add(d_prev, ops.multiply(d_new, z, out=first), out=d_prev)


class _ElmanStep(_Cell):
    """Elman RNN: ``h' = activation(x + hh)``; subclasses give the activation and its derivative."""

    gates, state_blocks, cache_blocks = 1, 1, ()

    def __init__(self, ops, weight_hh, bias_hh, like, batch, steps):
        super().__init__(ops, weight_hh, bias_hh, like, batch, steps)
        self.scratch = self._scratch(1)

    def step(self, x, prev, out):
        state_out, _ = out
        pre = self.ops.add(self.hidden_projection(prev, out=state_out), x, out=state_out)
        h = self.activate(pre, out=pre)
        return h, h

    def step_backward(self, d_new, h, prev, out):
        d_x_out, d_prev_out, _ = out
        d_pre = self.derivative(d_new, h, out=d_x_out)
        return d_pre, d_pre, self.ops.matmul(d_pre, self.weight_hh, out=d_prev_out)


class TanhStep(_ElmanStep):
    """Elman RNN with tanh: ``h' = tanh(x + hh)``."""

    def activate(self, pre, out):
        return self.ops.tanh(pre, out=out)

    def derivative(self, d_new, h, out):
        ops = self.ops
        slope = ops.multiply(h, h, out=self.scratch[:h.shape[0]])
        slope = ops.subtract(1.0, slope, out=slope)
        return ops.multiply(d_new, slope, out=out)  # d_new * (1 - h*h)


class ReluStep(_ElmanStep):
    """Elman RNN with relu: ``h' = relu(x + hh)``."""

    def activate(self, pre, out):
        return self.ops.relu(pre, out=out)

    def derivative(self, d_new, h, out):
        return self.ops.relu_grad(d_new, h, out=out)


STEPS = {"LSTM": LSTMStep, "GRU": GRUStep, "RNN_TANH": TanhStep, "RNN_RELU": ReluStep}
#: mode name -> (gate blocks, state blocks), e.g. ``"LSTM": (4, 2)``.
RECURRENT_MODES = {name: (cell.gates, cell.state_blocks) for name, cell in STEPS.items()}
