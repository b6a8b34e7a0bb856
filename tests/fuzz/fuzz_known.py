"""Deliberate differences from PyTorch (README, "Differences from PyTorch"): not findings.

Each entry names the README bullet it stands for and recognises a Finding that is only that
difference. Keep this list in step with the README; everything else the fuzzer reports is a bug.
"""
import re

MATMUL_OPS = {"matmul", "mm", "bmm", "dot", "einsum", "linear"}
INTEGER_TYPE_NAMES = re.compile(
    r"\b(long|int|Long|Int|Byte|Char|Short|Bool|bool|unsigned char|signed char)\b")
INTEGER_DTYPE = re.compile(r"dtype=(u?int\d+|bool)")
DTYPE_NAME = re.compile(r"\b(bool|u?int\d+|float\d+)\b")


def _integer_matmul_promoted(finding):
    # "Integer matmul operands mixed with floats are promoted (PyTorch refuses)." On empty
    # operands PyTorch does not refuse but returns the integer dtype.
    if finding.op not in MATMUL_OPS:
        return False
    if finding.kind == "dtype":
        return INTEGER_DTYPE.search(finding.theirs) is not None and "dtype=float" in finding.ours
    return (finding.kind.startswith("only PyTorch raises")
            and INTEGER_TYPE_NAMES.search(finding.theirs) is not None)


def _floor_divide_has_no_gradient(finding):
    # "Gradients are computed for float dtypes only; floor_divide and comparisons carry none."
    # PyTorch marks a float floor division as requiring grad and refuses its backward.
    uses_floor_divide = any("//" in s.code or "floor_divide" in s.code or "rounding_mode='floor'" in s.code
                            for s in finding.program.statements)
    return uses_floor_divide and (finding.kind == "requires_grad"
                                  or finding.kind.startswith("backward: only PyTorch raises"))


def _class_targets_any_integer_dtype(finding):
    # "Losses accept class targets of any integer dtype."
    return (finding.op in ("cross_entropy", "nll_loss") and finding.kind.startswith("only PyTorch raises")
            and ("Long" in finding.theirs or "Int" in finding.theirs or "Byte" in finding.theirs))


def _private_copies_let_later_writes_pass(finding):
    # "An op that keeps a private copy of what its backward reads (a mask, a cast) lets a later
    # in-place write of the original pass, where PyTorch, which keeps the original, raises."
    return (finding.kind.startswith("backward: only PyTorch raises")
            and ("modified by an inplace operation" in finding.theirs
                 or "has been modified inplace" in finding.theirs))


def _original_kept_where_pytorch_copies(finding):
    # The same README bullet, the other way round: where PyTorch keeps a private copy (its fused
    # attention kernel does) and ours keeps the original, ours raises its version error.
    return (finding.kind.startswith("backward: only ours raises")
            and "modified by an in-place operation" in finding.ours)


def _integer_tensors_written_from_a_graph(finding):
    # "fill_ or x[i] = v with a value that requires grad leaves an integer or bool tensor without
    # requires_grad (PyTorch marks it, though no gradient can reach it)."
    return (finding.kind == "requires_grad" and INTEGER_DTYPE.search(finding.theirs) is not None
            and any(s.mutates for s in finding.program.statements))


def _attention_fully_masked_rows_are_zero(finding):
    # "Rows of scaled_dot_product_attention whose keys are all masked give zeros instead of NaN."
    return (finding.op == "scaled_dot_product_attention"
            and finding.kind in ("nan positions", "grad nan positions"))


def _index_errors_are_index_error(note):
    # "F.one_hot and the other index checks raise IndexError naming the index and the size."
    return note.ours.startswith("IndexError")


def _convolution_without_input_channels(finding):
    # "A convolution over 0 input channels gives the bias, shape (N, C_out, L_out)": PyTorch
    # returns 0 output channels there, whatever the weight's C_out.
    return (finding.op in ("conv1d", "conv2d") and finding.kind == "shape"
            and re.search(r"shape=\((\d+, )?0, \d", finding.theirs) is not None)


def _uses(finding, ops):
    """The statements of the finding's program that apply one of ``ops``."""
    return [statement for statement in finding.program.statements if statement.op in ops]


def _has_non_finite_input(finding):
    return any("inf" in repr(tensor.values) or "nan" in repr(tensor.values)
               for tensor in finding.program.inputs)


def _convolution_multiplies_its_padding(finding):
    # "Convolution padding is multiplied like any input (0 * inf = NaN)", as PyTorch's float64
    # and most float32 kernels do; its float16 and some float32 (oneDNN) kernels skip it, and
    # some multiply positions no window covers. Such NaN differences show downstream too.
    return (_uses(finding, ("conv1d", "conv2d")) and _has_non_finite_input(finding)
            and finding.kind.split(",")[0] in ("nan positions", "grad nan positions"))


def _layer_norm_of_one_element(finding):
    # Over one element x - mean is exactly 0 here; PyTorch computes x * scale + (bias - mean *
    # scale) with a fused multiply-add, which leaves the rounding of mean * scale (x * 316 * w's
    # last bit) as output: its noise, not a value, shows as gradients and inf * noise products.
    for statement in _uses(finding, ("layer_norm",)):
        shape = re.search(r"F\.layer_norm\([^,]+, \(([\d, ]*)\)", statement.code)
        if shape and all(int(size) == 1 for size in shape.group(1).replace(",", " ").split()):
            return True
    return False


def _layer_norm_of_a_huge_mean_is_nan(finding):
    # "layer_norm of a row whose mean's square overflows is NaN": PyTorch's NaN there depends on
    # how its vectorised moments split the row (NaN for short rows, 0 for longer ones; float64
    # rows of cancelling +-1e300 can be NaN too), so NaN-position differences on extreme values
    # go either way.
    return (finding.op == "layer_norm" and finding.kind.startswith(("nan positions", "grad nan positions"))
            and "extreme" in finding.kind)


# PyTorch 2.13 bugs: PyTorch's answer is wrong, so a difference is not ours to fix.
def _pytorch_internal_assert(finding):
    # PyTorch failing its own internal check (e.g. ``False ** x`` in backward) is its bug.
    return "INTERNAL ASSERT FAILED" in finding.theirs



def _pytorch_skips_dtype_checks_on_empty_tensors(finding):
    # PyTorch runs no kernel for an empty result, so it skips the dtype check it makes otherwise
    # (softmax of an empty int64 tensor, matmul of empty bool tensors, ...).
    return (finding.theirs_empty and finding.kind.startswith("only ours raises")
            and DTYPE_NAME.search(finding.ours) is not None)


def _pytorch_bool_exponent_backward(finding):
    # pow's backward computes ``exponent - 1``, which PyTorch refuses for a bool exponent.
    return (finding.op == "pow" and finding.kind.startswith("backward: only PyTorch raises")
            and "bool tensor is not supported" in finding.theirs)


def _pytorch_logsumexp_over_no_dims(finding):
    # logsumexp(dim=()) fails inside PyTorch ("output with shape [] doesn't match the broadcast
    # shape") where every other reduction takes dim=() as all dims.
    return (finding.op == "logsumexp" and "dim=()" in finding.variant
            and finding.kind.startswith("only PyTorch raises"))


def _pytorch_variance_over_no_dims_gradient(finding):
    # var/std(dim=()) reduce every dim forward, but PyTorch's backward takes N = 1: the gradient
    # is inf (correction=1) or twice too large (correction=0). dim=None gives the right one.
    return finding.op in ("var", "std") and "dim=()" in finding.variant and finding.kind.startswith("grad")


def _pytorch_activation_gradient_at_nan_depends_on_position(finding):
    # At a NaN input PyTorch's CPU kernels disagree with themselves: hardtanh/relu6 give 0 in
    # their vectorised loop and pass the gradient on in the scalar one; elu/selu/celu give NaN
    # in vectorised float64 and the slope elsewhere. Ours follows the formulas (scalar loops).
    has_nan = ("nan" in finding.theirs or "nan" in finding.ours
               or any("nan" in repr(tensor.values) for tensor in finding.program.inputs))
    return (_uses(finding, ("hardtanh", "relu6", "elu", "selu", "celu")) and has_nan
            and finding.kind.startswith(("grad values", "grad nan positions")))


def _pytorch_gelu_of_inf_is_nan(finding):
    # PyTorch's exact gelu gives NaN at +inf in float16/float32 (inf in float64); ours is inf.
    return (finding.op == "gelu" and finding.kind.split(",")[0] == "nan positions"
            and finding.theirs.count("nan") > finding.ours.count("nan"))


def _pytorch_float16_trunc_division_of_one_element(finding):
    # PyTorch truncates a float16 quotient in float32 when the result has one element (-1 / 0.04
    # is -24) but rounds it to float16 first otherwise (-25), as ours always does.
    return (finding.op == "div" and "rounding_mode" in finding.variant and finding.kind == "values"
            and "dtype=float16" in finding.theirs)


def _pytorch_huber_backward_with_mixed_dtypes(finding):
    # huber_loss accepts an input and a target of different dtypes, but PyTorch's backward then
    # fails ("Found dtype Float but expected Double"); ours gives the gradient.
    return (finding.op == "huber_loss" and finding.kind.startswith("backward: only PyTorch raises")
            and "Found dtype" in finding.theirs)


def _pytorch_class_loss_without_classes_on_3d_input(finding):
    # cross_entropy/nll_loss of an (N, 0, d) input: PyTorch's internal reshape fails ("size
    # mismatch (got input: [N, 0, 0, 0] ...") although (N, 0) and (N, 0, d1, d2) work.
    return (finding.op in ("cross_entropy", "nll_loss") and finding.kind.startswith("only PyTorch raises")
            and "size mismatch (got input:" in finding.theirs)


KNOWN_DIFFERENCES = (
    _integer_matmul_promoted,
    _floor_divide_has_no_gradient,
    _class_targets_any_integer_dtype,
    _private_copies_let_later_writes_pass,
    _original_kept_where_pytorch_copies,
    _integer_tensors_written_from_a_graph,
    _attention_fully_masked_rows_are_zero,
    _convolution_without_input_channels,
    _convolution_multiplies_its_padding,
    _layer_norm_of_one_element,
    _layer_norm_of_a_huge_mean_is_nan,
    _pytorch_internal_assert,
    _pytorch_skips_dtype_checks_on_empty_tensors,
    _pytorch_bool_exponent_backward,
    _pytorch_logsumexp_over_no_dims,
    _pytorch_variance_over_no_dims_gradient,
    _pytorch_activation_gradient_at_nan_depends_on_position,
    _pytorch_gelu_of_inf_is_nan,
    _pytorch_float16_trunc_division_of_one_element,
    _pytorch_huber_backward_with_mixed_dtypes,
    _pytorch_class_loss_without_classes_on_3d_input,
)
KNOWN_ERROR_TYPE_DIFFERENCES = (_index_errors_are_index_error,)


def is_known_difference(finding):
    """True when ``finding`` is one of the deliberate differences listed in the README."""
    return any(known(finding) for known in KNOWN_DIFFERENCES)


def is_known_error_type_difference(note):
    """True when both libraries refused and ours uses a documented exception type."""
    return any(known(note) for known in KNOWN_ERROR_TYPE_DIFFERENCES)
