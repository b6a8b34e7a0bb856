"""The op catalogue: every op builder with its drawing weight, gathered from the op families."""
import fuzz_ops_elementwise
import fuzz_ops_indexing
import fuzz_ops_inplace
import fuzz_ops_linalg
import fuzz_ops_nn
import fuzz_ops_reduce
import fuzz_ops_shape

FAMILIES = (fuzz_ops_elementwise, fuzz_ops_reduce, fuzz_ops_shape, fuzz_ops_indexing,
            fuzz_ops_inplace, fuzz_ops_linalg, fuzz_ops_nn)
CATALOGUE = {build: weight for family in FAMILIES for build, weight in family.BUILDERS.items()}
