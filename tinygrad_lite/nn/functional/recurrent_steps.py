"""The per-step math of the recurrent cells, shared by ``nn.functional.recurrent``.

Each cell's step and its hand-derived backward are written once with operators plus a small
``math`` namespace, so the same code runs on raw arrays (``ArrayMath``: the fast path) and on
Tensors (``TensorMath``: differentiable, for recorded backward passes and second derivatives).
``LSTMArrays`` is the LSTM recurrence again on arrays only, in place into preallocated buffers:
training's hot path.
"""
from tinygrad_lite.ops.join import cat

__all__ = ["ArrayMath", "TensorMath", "STEPS", "RECURRENT_MODES", "LSTMArrays"]


class ArrayMath:
    """The step math's non-operator functions on raw NumPy/CuPy arrays."""

    def __init__(self, xp):
        self.xp = xp

    def sigmoid(self, x):
        # 0.5 * tanh(x / 2) + 0.5 is the logistic function without exp overflow for any x.
        y = self.xp.tanh(x * 0.5)
        y *= 0.5
        y += 0.5
        return y

    def tanh(self, x):
        return self.xp.tanh(x)

    def relu(self, x):
        return self.xp.maximum(x, 0.0)

    @staticmethod
    def relu_grad(grad, output):
        return grad * (output > 0)

    def cat_rows(self, parts):
        return parts[0] if len(parts) == 1 else self.xp.concatenate(parts, axis=0)

    def cat_cols(self, parts):
        return self.xp.concatenate(parts, axis=1)

    @staticmethod
    def add_rows(full, part):
        """``full`` with ``part`` added to its first rows."""
        if part.shape[0] == full.shape[0]:
            return full + part
        total = full.copy()
        total[:part.shape[0]] += part
        return total


class TensorMath:
    """The same functions on Tensors (differentiable), for recorded backward passes."""

    @staticmethod
    def sigmoid(x):
        return x.sigmoid()

    @staticmethod
    def tanh(x):
        return x.tanh()

    @staticmethod
    def relu(x):
        return x.relu()

    @staticmethod
    def relu_grad(grad, output):
        return grad.masked_fill(output <= 0, 0.0)

    @staticmethod
    def cat_rows(parts):
        return parts[0] if len(parts) == 1 else cat(parts, 0)

    @staticmethod
    def cat_cols(parts):
        return cat(parts, 1)

    @staticmethod
    def add_rows(full, part):
        rows = part.shape[0]
        if rows == full.shape[0]:
            return full + part
        return cat([full[:rows] + part, full[rows:]], 0)


# Every step class has ``gates`` (blocks of H in the projections), ``state_blocks`` (blocks of H
# in the state: LSTM carries [h | c]), ``step(math, x, hh, prev, H) -> (new state, cache)`` and
# ``step_backward(math, d_new, cache, prev, H, hidden_grad) -> (d x, d hh, d prev)``, where x is
# the step's input projection (B, G*H), ``hh = h_prev @ weight_hh.T + bias_hh`` and
# ``hidden_grad(d_hh) = d_hh @ weight_hh`` (the recurrent matmul's share of d prev).

class LSTMStep:
    """LSTM: gates i, f, g, o; ``c' = f*c + i*g``, ``h' = o*tanh(c')``; state [h | c]."""

    gates, state_blocks = 4, 2

    @staticmethod
    def step(math, x, hh, prev, size):
        gates = x + hh
        sig = math.sigmoid(gates)  # one call for i, f and o; the g block of it goes unused
        g = math.tanh(gates[:, 2 * size:3 * size])
        i, f, o = sig[:, :size], sig[:, size:2 * size], sig[:, 3 * size:]
        c = f * prev[:, size:] + i * g
        tanh_c = math.tanh(c)
        return math.cat_cols([o * tanh_c, c]), (i, f, g, o, tanh_c)

    @staticmethod
    def step_backward(math, d_new, cache, prev, size, hidden_grad):
        i, f, g, o, tanh_c = cache
        d_h = d_new[:, :size]
        d_c = d_new[:, size:] + d_h * o * (1.0 - tanh_c * tanh_c)
        d_gates = math.cat_cols([d_c * g * i * (1.0 - i), d_c * prev[:, size:] * f * (1.0 - f),
                                 d_c * i * (1.0 - g * g), d_h * tanh_c * o * (1.0 - o)])
        return d_gates, d_gates, math.cat_cols([hidden_grad(d_gates), d_c * f])


class GRUStep:
    """GRU: gates r, z, n; ``n = tanh(x_n + r * hh_n)``, ``h' = (1 - z)*n + z*h``."""

    gates, state_blocks = 3, 1

    @staticmethod
    def step(math, x, hh, prev, size):
        rz = math.sigmoid(x[:, :2 * size] + hh[:, :2 * size])
        r, z = rz[:, :size], rz[:, size:]
        hh_n = hh[:, 2 * size:]
        n = math.tanh(x[:, 2 * size:] + r * hh_n)
        return n + z * (prev - n), (r, z, n, hh_n)

    @staticmethod
    def step_backward(math, d_new, cache, prev, size, hidden_grad):
        r, z, n, hh_n = cache
        d_n = d_new * (1.0 - z) * (1.0 - n * n)
        d_rz = math.cat_cols([d_n * hh_n * r * (1.0 - r), d_new * (prev - n) * z * (1.0 - z)])
        d_hh = math.cat_cols([d_rz, d_n * r])
        return math.cat_cols([d_rz, d_n]), d_hh, hidden_grad(d_hh) + d_new * z


class _ElmanStep:
    """Elman RNN: ``h' = activation(x + hh)``; subclasses give the activation and its derivative."""

    gates, state_blocks = 1, 1

    @classmethod
    def step(cls, math, x, hh, prev, size):
        h = cls.activate(math, x + hh)
        return h, h

    @classmethod
    def step_backward(cls, math, d_new, h, prev, size, hidden_grad):
        d_pre = cls.derivative(math, d_new, h)
        return d_pre, d_pre, hidden_grad(d_pre)


class TanhStep(_ElmanStep):
    """Elman RNN with tanh: ``h' = tanh(x + hh)``."""

    @staticmethod
    def activate(math, pre):
        return math.tanh(pre)

    @staticmethod
    def derivative(math, d_new, h):
        return d_new * (1.0 - h * h)


class ReluStep(_ElmanStep):
    """Elman RNN with relu: ``h' = relu(x + hh)``."""

    @staticmethod
    def activate(math, pre):
        return math.relu(pre)

    @staticmethod
    def derivative(math, d_new, h):
        return math.relu_grad(d_new, h)


STEPS = {"LSTM": LSTMStep, "GRU": GRUStep, "RNN_TANH": TanhStep, "RNN_RELU": ReluStep}
#: mode name -> (gate blocks, state blocks), e.g. ``"LSTM": (4, 2)``.
RECURRENT_MODES = {name: (cell.gates, cell.state_blocks) for name, cell in STEPS.items()}


class LSTMArrays:
    """The LSTM recurrence on arrays, in place into preallocated buffers (training's hot path).

    Same arithmetic as ``LSTMStep`` but about half the array passes: each step's activations
    overwrite its slice of one (N, 4H) buffer, states land directly in the (N, 2H) output, and
    BPTT writes each step's gate gradient straight into the (N, 4H) result.
    """

    @staticmethod
    def _scales(xp, size, dtype):
        # sigmoid(x) = s * tanh(s * x) + offset with s = 0.5, offset = 0.5; tanh: s = 1, offset 0.
        scale = xp.full(4 * size, 0.5, dtype=dtype)
        scale[2 * size:3 * size] = 1.0
        return scale, 1.0 - scale

    @staticmethod
    def forward(xp, xproj, weight_hh, bias_hh, state0, plan):
        size = weight_hh.shape[1]
        # Per-step bias adds are cheaper than one pass over the whole (N, 4H) projection.
        acts = xp.empty_like(xproj)
        scale, offset = LSTMArrays._scales(xp, size, acts.dtype)
        out = xp.empty((acts.shape[0], 2 * size), dtype=acts.dtype)
        prev_all = xp.empty_like(out)
        tanh_c_all = xp.empty((acts.shape[0], size), dtype=acts.dtype)
        weight_t = weight_hh.T
        new = None
        for start, rows, carried in plan:
            end = start + rows
            prev = prev_all[start:end]
            if carried:
                prev[:carried] = new[:carried]
            if carried < rows:
                prev[carried:] = state0[carried:rows]
            gates = acts[start:end]
            xp.add(xproj[start:end], prev[:, :size] @ weight_t, out=gates)
            if bias_hh is not None:
                gates += bias_hh
            gates *= scale
            xp.tanh(gates, out=gates)
            gates *= scale
            gates += offset
            new = out[start:end]
            c_new = new[:, size:]
            xp.multiply(gates[:, size:2 * size], prev[:, size:], out=c_new)
            c_new += gates[:, :size] * gates[:, 2 * size:3 * size]
            tanh_c = tanh_c_all[start:end]
            xp.tanh(c_new, out=tanh_c)
            xp.multiply(gates[:, 3 * size:], tanh_c, out=new[:, :size])
        return out, (acts, prev_all, tanh_c_all)

    @staticmethod
    def backward(xp, saved, grad_output, weight_hh, batch, plan, needs):
        acts, prev_all, tanh_c_all = saved
        size = weight_hh.shape[1]
        d_gates_all = xp.empty_like(acts)
        # d(act)/d(pre) = (1 - a) * (tanh_flag + a): a(1 - a) for sigmoid, 1 - a^2 for tanh.
        tanh_flag = 1.0 - 2.0 * LSTMArrays._scales(xp, size, acts.dtype)[1]
        d_state0 = xp.empty((batch, 2 * size), dtype=acts.dtype) if needs[2] else None
        carry_h = carry_c = None
        for start, rows, carried in plan[::-1]:
            end = start + rows
            d_h, d_c = grad_output[start:end, :size], grad_output[start:end, size:]
            if carry_h is not None:
                d_h, d_c = ArrayMath.add_rows(d_h, carry_h), ArrayMath.add_rows(d_c, carry_c)
            a, tanh_c = acts[start:end], tanh_c_all[start:end]
            d_gates = d_gates_all[start:end]
            d_c = d_c + d_h * a[:, 3 * size:] * (1.0 - tanh_c * tanh_c)
            xp.multiply(d_c, a[:, 2 * size:3 * size], out=d_gates[:, :size])
            xp.multiply(d_c, prev_all[start:end, size:], out=d_gates[:, size:2 * size])
            xp.multiply(d_c, a[:, :size], out=d_gates[:, 2 * size:3 * size])
            xp.multiply(d_h, tanh_c, out=d_gates[:, 3 * size:])
            derivative = 1.0 - a
            derivative *= tanh_flag + a
            d_gates *= derivative
            carry_h = d_gates @ weight_hh
            carry_c = d_c * a[:, size:2 * size]
            if carried < rows and d_state0 is not None:
                d_state0[carried:rows, :size] = carry_h[carried:]
                d_state0[carried:rows, size:] = carry_c[carried:]
            carry_h, carry_c = (carry_h[:carried], carry_c[:carried]) if carried else (None, None)
        d_weight = d_gates_all.T @ prev_all[:, :size] if needs[1] else None
        d_bias = d_gates_all.sum(0) if len(needs) > 3 and needs[3] else None
        return d_gates_all if needs[0] else None, d_weight, d_state0, d_bias
