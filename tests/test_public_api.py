"""The package's face: help() lists its functions and classes, and every listed name exists."""
import pydoc

import tinygrad_lite as tl


def test_help_lists_the_public_functions_classes_and_dtypes():
    page = pydoc.render_doc(tl, renderer=pydoc.plaintext)
    for section in ("CLASSES", "FUNCTIONS", "DATA"):
        assert section in page
    for name in ("tensor(", "zeros(", "manual_seed(", "class Tensor", "float32 ="):
        assert name in page, name


def test_every_name_in_all_exists_and_star_import_gives_the_pytorch_spellings():
    assert all(hasattr(tl, name) for name in tl.__all__)
    namespace = {}
    exec("from tinygrad_lite import *", namespace)  # noqa: S102 - the point of the test
    for name in ("Tensor", "tensor", "nn", "optim", "data", "text", "viz", "float32", "no_grad", "cat"):
        assert name in namespace, name
    assert "backend" not in namespace and "creation" not in namespace  # internals stay internal
