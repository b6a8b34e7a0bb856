"""How tensors print: PyTorch's layout (one width per tensor, 4 decimals or scientific notation)."""
import numpy


def format_array(array, prefix="tensor("):
    """The bracketed body of a tensor's repr: floats all in one style and one width, as PyTorch
    prints them (``[ 0.5220,  1.0000, -3.2500]``, ``[1., 2.]`` for whole numbers,
    ``1.0000e-05`` when the magnitudes span more than 1000x or leave [1e-4, 1e8])."""
    if array.dtype.kind != "f":
        return numpy.array2string(array, separator=", ", prefix=prefix, threshold=1000, edgeitems=3)
    style = _float_style(array.astype(numpy.float64))
    width = max((len(style(value)) for value in _shown_values(array)), default=1)
    return numpy.array2string(array, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                              formatter={"float_kind": lambda value: style(value).rjust(width)})


def _float_style(values):
    finite = values[numpy.isfinite(values)]
    magnitudes = numpy.abs(finite[finite != 0])
    if finite.size and numpy.array_equal(finite, numpy.round(finite)) and (
            not magnitudes.size or magnitudes.max() < 1e8):
        return lambda value: f"{value:.0f}." if numpy.isfinite(value) else f"{value}"
    if magnitudes.size and (magnitudes.max() / magnitudes.min() > 1000 or magnitudes.max() >= 1e8
                            or magnitudes.min() < 1e-4):
        return lambda value: f"{value:.4e}" if numpy.isfinite(value) else f"{value}"
    return lambda value: f"{value:.4f}" if numpy.isfinite(value) else f"{value}"


def _shown_values(array):
    """The elements printing shows (array2string elides the middle of big arrays)."""
    if array.size <= 1000:
        return array.reshape(-1).tolist()
    edges = [array[(slice(None),) * axis + (slice(None, 3),)] for axis in range(array.ndim)]
    edges += [array[(slice(None),) * axis + (slice(-3, None),)] for axis in range(array.ndim)]
    return numpy.concatenate([edge.reshape(-1) for edge in edges]).tolist()
