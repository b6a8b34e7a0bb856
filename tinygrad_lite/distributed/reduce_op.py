"""``ReduceOp``: how a collective combines the ranks' tensors (``dist.ReduceOp.SUM``...)."""
import enum


class ReduceOp(enum.Enum):
    """The reductions ``all_reduce`` accepts, PyTorch's names: SUM, AVG, PRODUCT, MIN, MAX.

    ``AVG`` is a SUM divided by the world size (neither MPI nor older NCCL has it natively), so
    on integer tensors it rounds toward zero.
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
