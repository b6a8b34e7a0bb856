"""A run with skipped tests ends with one line per reason and the command that enables them."""
import pathlib

pytest_plugins = ["pytester"]

CONFTEST = pathlib.Path(__file__).with_name("conftest.py")


def test_skipped_parity_tests_are_counted_with_the_command_that_enables_them(pytester):
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_sample='''
        import pytest

        needs_torch = pytest.mark.skipif(True, reason="PyTorch is not installed")

        @needs_torch
        @pytest.mark.parametrize("case", range(3))
        def test_parity(case):
            pass

        def test_plain():
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["3 skipped: PyTorch is not installed -> enable with: pip install torch==2.13.0*"])
