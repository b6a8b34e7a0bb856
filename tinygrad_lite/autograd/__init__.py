"""Reverse-mode automatic differentiation: the engine, grad modes, gradcheck and anomaly checks."""
from tinygrad_lite.autograd.anomaly import detect_anomaly
from tinygrad_lite.autograd.engine import backward, grad
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "backward", "detect_anomaly", "enable_grad", "grad", "gradcheck",
           "gradgradcheck", "is_grad_enabled", "no_grad", "set_grad_enabled"]
