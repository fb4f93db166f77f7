"""What a network may ask of this machine: weights, a device and a precision, checked before any image is read.

Torch-free: a model method's ``check`` (:func:`model_check`) refuses missing
or unknown weights, a CUDA device or float16 precision on a machine without a
CUDA GPU, and a precision an ONNX model cannot run in, when the parameters are
validated (so a batch fails once, up front); the engine
(:mod:`seglab.deep._torch.predict`) and the loaders raise the same errors for
direct calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..core.errors import InvalidParameterError
from ..core.optional import is_installed
from ..core.weights import Weights, resolve_weights

__all__ = ["check_runtime", "model_check", "onnx_precision_error", "NO_CUDA", "FLOAT16_NEEDS_CUDA"]

#: The errors of a device or precision this machine cannot give (here and in the engine, which checks calls too).
NO_CUDA = "device: 'cuda' was asked for but PyTorch sees no CUDA GPU; use 'cpu' or 'auto'."
FLOAT16_NEEDS_CUDA = ("precision: 'float16' runs on CUDA only; on a CPU use 'bfloat16' (fast where the CPU has AMX "
                      "or AVX-512 BF16 units) or 'float32'.")


def onnx_precision_error(precision: str) -> InvalidParameterError:
    """The error for a `precision` an ONNX model cannot run in (it runs as exported, float32)."""
    return InvalidParameterError(
        f"precision: {precision!r} applies to PyTorch models; an ONNX model runs as exported (float32): "
        "leave precision at 'auto' or use backend='torch'.")


def check_runtime(params: Mapping[str, Any]) -> None:
    """Refuse, before any image is read, a device or precision this machine cannot give (a method's ``check``).

    ``device="cuda"`` without a CUDA GPU, ``precision="float16"`` without one
    (a CPU has no float16 path), and ``precision`` other than auto/float32 with
    ``backend="onnxruntime"``. PyTorch is imported only to ask about CUDA.

    Examples
    --------
    >>> check_runtime({"device": "cpu", "precision": "float16"})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: precision: 'float16' runs on CUDA only; ...
    """
    device, precision = params.get("device", "auto"), params.get("precision", "auto")
    if params.get("backend") == "onnxruntime" and precision not in ("auto", "float32"):
        raise onnx_precision_error(precision)
    if device != "cuda" and precision != "float16":
        return
    cuda = device != "cpu" and is_installed("torch") and _cuda_available()
    if device == "cuda" and not cuda:
        raise InvalidParameterError(NO_CUDA)
    if precision == "float16" and not cuda:
        raise InvalidParameterError(FLOAT16_NEEDS_CUDA)


def model_check(method: str, known: Mapping[str, Weights]) -> Callable[[Mapping[str, Any]], None]:
    """The ``check`` of a model method: :func:`check_runtime`, then its `weights` (a name among `known` or a file).

    A shipped file's sha256 is computed once per process.

    Examples
    --------
    >>> model_check("unet", {})({"weights": "no/such.pt"})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: unet: weights='no/such.pt' is neither a shipped name nor a file. ...
    """

    def check(params: Mapping[str, Any]) -> None:
        check_runtime(params)
        resolve_weights(method, params.get("weights"), known)

    return check


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())
