"""Every test module has a basename of its own: pytest imports them by basename (no packages)."""
import collections
import pathlib


def test_no_two_test_modules_share_a_basename():
    tests = pathlib.Path(__file__).resolve().parent
    names = collections.Counter(path.name for path in tests.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
