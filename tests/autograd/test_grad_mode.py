"""Tests for tinygrad_lite/autograd/grad_mode.py: no_grad, enable_grad, set_grad_enabled."""
import threading

import pytest

import tinygrad_lite as tl


def _records(x):
    """True when an op on ``x`` records a graph right now."""
    return (x * 2.0).requires_grad


def test_grad_is_enabled_by_default():
    assert tl.is_grad_enabled() and tl.autograd.is_grad_enabled()
    assert _records(tl.ones(1, requires_grad=True))


def test_no_grad_context():
    x = tl.ones(2, requires_grad=True)
    with tl.no_grad():
        assert not tl.is_grad_enabled()
        y = x * 2.0
        assert not y.requires_grad and y.grad_fn is None
    assert tl.is_grad_enabled() and _records(x)


def test_enable_grad_inside_no_grad_and_nesting():
    x = tl.ones(1, requires_grad=True)
    with tl.no_grad():
        with tl.enable_grad():
            assert tl.is_grad_enabled() and _records(x)
            with tl.no_grad():
                assert not _records(x)
            assert _records(x)
        assert not _records(x)
    assert _records(x)


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_as_context_and_function(mode):
    x = tl.ones(1, requires_grad=True)
    with tl.set_grad_enabled(mode):
        assert tl.is_grad_enabled() is mode and _records(x) is mode
    assert tl.is_grad_enabled()
    tl.set_grad_enabled(False)
    try:
        assert not _records(x)
    finally:
        tl.set_grad_enabled(True)
    assert _records(x)


def test_decorators():
    x = tl.ones(1, requires_grad=True)

    @tl.no_grad()
    def without():
        return x * 2.0

    @tl.enable_grad()
    def with_grad():
        return x * 2.0

    assert not without().requires_grad
    assert without.__name__ == "without"
    with tl.no_grad():
        assert with_grad().requires_grad
    assert tl.is_grad_enabled()


def test_set_grad_enabled_as_decorator():
    x = tl.ones(1, requires_grad=True)

    @tl.set_grad_enabled(False)
    def frozen():
        return x * 2.0

    assert tl.is_grad_enabled()
    assert not frozen().requires_grad
    assert tl.is_grad_enabled()


def test_modes_are_restored_after_an_exception():
    with pytest.raises(ValueError):
        with tl.no_grad():
            raise ValueError("boom")
    assert tl.is_grad_enabled()

    @tl.no_grad()
    def failing():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        failing()
    assert tl.is_grad_enabled()


def test_one_no_grad_object_can_be_reused_and_nested():
    guard = tl.no_grad()
    with guard:
        with guard:
            assert not tl.is_grad_enabled()
        assert not tl.is_grad_enabled()
    assert tl.is_grad_enabled()


def test_backward_runs_without_recording_unless_create_graph():
    x = tl.tensor([2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    assert tl.is_grad_enabled()


def test_no_grad_result_can_start_a_new_graph():
    x = tl.ones(2, requires_grad=True)
    with tl.no_grad():
        frozen = x * 3.0
    y = tl.ones(2, requires_grad=True)
    (frozen * y).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0] and x.grad is None


def test_a_decorated_function_run_in_a_thread_restores_the_mode():
    results = []

    @tl.no_grad()
    def work():
        results.append(tl.is_grad_enabled())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert results == [False]
    assert tl.is_grad_enabled()
