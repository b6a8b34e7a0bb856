"""Registry entries for matrix products: matmul (and ``@``), mm, bmm, dot and einsum."""
import tinygrad_lite as tl
from ops.op_info import FLOAT32, FLOAT64, FLOATS, INT64, NUMERIC, OpInfo, Sample, torch_function, transposed
from ops.op_samples import make



def _matmul_samples(dtype, rng):
    def values(shape, of=dtype):
        return make(rng, shape, of, -3, 3) if of.kind in "iu" else make(rng, shape, of)

    pairs = [("2-d @ 2-d", (2, 3), (3, 4)), ("1-d @ 1-d", (3,), (3,)), ("1-d @ 2-d", (3,), (3, 4)),
             ("2-d @ 1-d", (2, 3), (3,)), ("batch @ 2-d", (2, 3, 4), (4, 5)),
             ("broadcast batches", (2, 1, 3, 4), (3, 4, 2)), ("1-d @ batch", (3,), (2, 3, 4)),
             ("batch @ 1-d", (2, 3, 4), (4,)), ("0-size inner", (2, 0), (0, 3)),
             ("0-size rows", (0, 3), (3, 2))]
    for label, left, right in pairs:
        yield Sample((values(left), values(right)), label=label)
    yield Sample((transposed(values((2, 3))), transposed(values((3, 4)))), label="transposed")
    if dtype == FLOAT32:
        yield Sample((values((2, 3)), values((3, 4), FLOAT64)), label="float32 @ float64", raises=RuntimeError)
    yield Sample((values(()), values((3,))), label="0-d", raises=RuntimeError)
    yield Sample((values((2, 3)), values((4, 2))), label="mismatched", raises=RuntimeError)


def _shaped_pairs(*pairs):
    def samples(dtype, rng):
        for label, left, right, *raises in pairs:
            yield Sample((make(rng, left, dtype), make(rng, right, dtype)), label=label,
                         raises=raises[0] if raises else None)

    return samples


def _einsum_samples(dtype, rng):
    def values(*shape):
        return make(rng, shape, dtype, -3, 3) if dtype.kind in "iu" else make(rng, shape, dtype)

    yield Sample(("bij,bjk->bik", values(2, 3, 4), values(2, 4, 5)), label="batched matmul")
    yield Sample(("ij->ji", values(2, 3)), label="transpose")
    yield Sample(("ij->", values(2, 3)), label="sum all")
    yield Sample(("i,i->", values(3), values(3)), label="dot")
    yield Sample(("i,j->ij", values(2), values(3)), label="outer")
    yield Sample(("ij,jk", values(2, 3), values(3, 4)), label="implicit output")
    yield Sample(("ij,jk,kl->il", values(2, 3), values(3, 4), values(4, 2)), label="three operands")
    yield Sample(("ij,jk->ik", [values(2, 3), values(3, 4)]), label="operands as a list")
    yield Sample(("...ij,...jk->...ik", values(2, 3, 4), values(4, 5)), label="... broadcast")
    yield Sample(("i...,i...->i", values(2, 3), values(2, 1)), label="... broadcast in backward")
    yield Sample(("ij,ij->i", values(2, 3), values(1, 3)), label="size-1 broadcast")
    yield Sample(("ii->i", values(3, 3)), label="diagonal")
    yield Sample(("ii", values(3, 3)), label="trace")
    yield Sample(("bii->bi", values(2, 3, 3)), label="batched diagonal")
    yield Sample(("ij,jk->ik", values(2, 0), values(0, 3)), label="0-size")
    yield Sample(("i j , j k -> i k", values(2, 3), values(3, 4)), label="spaces")
    yield Sample(("ij,jk->ik", values(2, 3)), label="too few operands", raises=(RuntimeError, ValueError))


LINALG = [
    OpInfo("matmul", tl.matmul, _matmul_samples, ref=torch_function("matmul"), dtypes=NUMERIC),
    OpInfo("@", lambda a, b: a @ b, _matmul_samples, dtypes=NUMERIC),
    OpInfo("mm", tl.mm, ref=torch_function("mm"), dtypes=NUMERIC, samples=_shaped_pairs(
        ("(2, 3) @ (3, 4)", (2, 3), (3, 4)), ("0-size", (0, 3), (3, 2)), ("3-d", (2, 2, 3), (3, 4), RuntimeError))),
    OpInfo("bmm", tl.bmm, ref=torch_function("bmm"), dtypes=NUMERIC, samples=_shaped_pairs(
        ("batched", (2, 3, 4), (2, 4, 5)), ("0-size batch", (0, 3, 4), (0, 4, 2)),
        ("2-d", (3, 4), (4, 5), RuntimeError))),
    OpInfo("dot", tl.dot, ref=torch_function("dot"), dtypes=NUMERIC, samples=_shaped_pairs(
        ("vectors", (4,), (4,)), ("0-size", (0,), (0,)), ("2-d", (2, 2), (2, 2), RuntimeError))),
    OpInfo("einsum", tl.einsum, _einsum_samples, ref=torch_function("einsum"), dtypes=FLOATS + (INT64,)),
]

ENTRIES = LINALG
