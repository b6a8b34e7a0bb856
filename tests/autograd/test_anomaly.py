"""Tests for tinygrad_lite/autograd/anomaly.py: detect_anomaly names the op whose backward went bad."""
import numpy
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd.anomaly import AnomalyMode


def test_anomaly_detection_is_off_by_default():
    assert AnomalyMode.enabled is False
    x = tl.tensor([0.0, 1.0], requires_grad=True)
    with numpy.errstate(all="ignore"):
        x.sqrt().sum().backward()  # inf gradient at 0, silently, as in PyTorch
    assert numpy.isinf(x.grad.numpy()[0])


def test_detect_anomaly_names_sqrt_at_zero():
    x = tl.tensor([0.0, 4.0], requires_grad=True)
    with tl.autograd.detect_anomaly():
        y = (x * 1.0).sqrt().sum()
        with numpy.errstate(all="ignore"), pytest.raises(RuntimeError, match="SqrtBackward") as caught:
            y.backward()
    message = str(caught.value)
    assert "inf" in message and "test_anomaly.py" in message  # where the forward op was created
    assert AnomalyMode.enabled is False


def test_detect_anomaly_names_the_op_producing_nan():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with tl.autograd.detect_anomaly():
        infinite = tl.tensor([float("inf"), 1.0])
        product = x * infinite  # d/dx = inf, then 0 * inf = nan upstream
        with numpy.errstate(all="ignore"), pytest.raises(RuntimeError, match="returned (nan|inf)"):
            (product * 0.0).sum().backward()


def test_detect_anomaly_passes_clean_backward_and_restores_state():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with tl.autograd.detect_anomaly():
        assert AnomalyMode.enabled
        (x * x).sum().backward()
        with tl.autograd.detect_anomaly(check_nan=False):
            assert not AnomalyMode.enabled
        assert AnomalyMode.enabled
    assert not AnomalyMode.enabled
    assert x.grad.tolist() == [2.0, 4.0]


def test_detect_anomaly_restores_state_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with tl.autograd.detect_anomaly():
            1 / 0
    assert AnomalyMode.enabled is False
