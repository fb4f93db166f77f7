"""Running a trained network on one image: weights resolved, model loaded once, prediction tiled.

Torch-free until called: :func:`run_semantic` imports the engine
(:mod:`seglab.deep._torch`) only when a model method runs. Loaded models are
kept (a few, by file, size and time stamp), so a batch loads each checkpoint once.

Examples
--------
>>> from seglab.core.weights import Weights
>>> weights_path("unet", "no/such.pt", {})
Traceback (most recent call last):
...
seglab.core.errors.InvalidParameterError: unet: weights='no/such.pt' is neither a shipped name nor a file. ...
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidParameterError
from ..core.optional import require
from ..core.types import Segmentation
from ..core.weights import Weights, resolve_weights

__all__ = ["weights_path", "run_semantic", "load_model", "fixed_range", "fit_input_range"]

_CACHED_MODELS = 4


def weights_path(method: str, weights: str | None, known: Mapping[str, Weights], param: str = "weights") -> Path:
    """The checkpoint (or ONNX) file of `weights`: a shipped name (checked against its sha256) or a path.

    Errors name the value as `param` (the parameter or option it came from).
    """
    found = resolve_weights(method, weights, known, param)
    return found.path if isinstance(found, Weights) else found  # type: ignore[return-value]


@functools.lru_cache(maxsize=_CACHED_MODELS)
def _load(path: str, size: int, mtime: int, arch: str, backend: str) -> Any:
    if backend == "onnxruntime":
        from ._torch.export import OnnxModel

        model = OnnxModel(path)
        if model.config.get("arch") != arch:
            from ..core.errors import CheckpointError

            raise CheckpointError(f"{path} holds a {model.config.get('arch')!r} model, not {arch!r}.")
        return model, model.classes, model.normalization
    from ._torch.checkpoint import load_checkpoint
    from ._torch.models.base import fuse_batchnorm

    checkpoint = load_checkpoint(path, arch=arch)
    fuse_batchnorm(checkpoint.model.eval())  # inference only: conv + BatchNorm folded into one conv
    return checkpoint.model, checkpoint.classes, checkpoint.normalization


def load_model(arch: str, path: str | os.PathLike[str], *, backend: str = "torch") -> tuple[Any, tuple[str, ...],
                                                                                             dict[str, Any]]:
    """The model of `path` (a seglab checkpoint, or an exported ONNX file for ``backend="onnxruntime"``).

    Returns
    -------
    model, class names, normalisation record
    """
    require("torch", extra="torch", feature=arch)
    if backend == "onnxruntime":
        require("onnxruntime", extra="onnx", feature=f"{arch} with backend='onnxruntime'")
        if Path(path).suffix.lower() != ".onnx":
            raise InvalidParameterError(
                f"{arch}: backend='onnxruntime' runs an exported model; give weights=PATH.onnx "
                f"(make one with `seglab export {arch} --weights W -o model.onnx`)."
            )
    stat = os.stat(path)
    return _load(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, arch, backend)


def run_semantic(arch: str, image: NDArray[Any], *, known: Mapping[str, Weights], weights: str | None,
                 device: str, batch_size: int, tile_size: int | None, overlap: float, tta: bool,
                 return_scores: bool, backend: str, input_range: list[float] | None = None,
                 precision: str = "auto") -> Segmentation:
    """Segment `image` with the `arch` network of `weights`; the shared body of the semantic model methods."""
    require("torch", extra="torch", feature=arch)
    path = weights_path(arch, weights, known)
    model, classes, normalization = load_model(arch, path, backend=backend)
    if input_range is not None:
        normalization = fixed_range(arch, normalization, input_range, model.in_channels)
    from ._torch.predict import predict

    labels, scores = predict(model, image, normalization=normalization, tile_size=tile_size, overlap=overlap,
                             batch_size=batch_size, device=device, return_scores=return_scores, tta=tta,
                             precision=precision)
    meta = {"weights": weights if weights in known else str(path), "backend": backend}
    return Segmentation(labels=labels, task="semantic", classes=tuple(classes), scores=scores, meta=meta)


def fixed_range(arch: str, normalization: Mapping[str, Any], input_range: list[float],
                channels: int) -> dict[str, Any]:
    """The percentile record `normalization` with the percentiles replaced by `input_range` (low, high per channel).

    Returns the equivalent fixed record: ``(x - low) / (high - low)``.

    Examples
    --------
    >>> fixed_range("unet", {"kind": "percentile", "low": 1, "high": 99}, [10, 50], 1)
    {'kind': 'scale', 'max': 1.0, 'mean': [10.0], 'std': [40.0]}
    """
    if normalization.get("kind") != "percentile":
        raise InvalidParameterError(
            f"{arch}: input_range replaces the percentiles of a percentile normalisation, but these weights "
            f"scale by fixed values ({dict(normalization)}); leave input_range out.")
    try:  # a flat list: [low, high] for one channel, [low1, high1, low2, high2, ...] for several
        values = [float(v) for v in input_range]
    except (TypeError, ValueError):
        values = []
    if (len(values) != 2 * channels or not all(math.isfinite(v) for v in values)
            or any(hi < lo for lo, hi in zip(values[::2], values[1::2], strict=True))):
        raise InvalidParameterError(
            f"{arch}: input_range must be a flat list of finite numbers, low and high for each of the network's "
            f"{channels} input channel(s) ([low, high] for one; [l1, h1, l2, h2, ...] for several), low <= high; "
            f"got {input_range!r}.")
    return {"kind": "scale", "max": 1.0, "mean": values[::2],
            "std": [max(hi - lo, 1e-6) for lo, hi in zip(values[::2], values[1::2], strict=True)]}


def fit_input_range(arch: str, sample: NDArray[Any], *, known: Mapping[str, Weights], weights: str | None,
                    backend: str) -> dict[str, Any]:
    """``{"input_range": [...]}``: the weights' percentiles measured on `sample`, or ``{}`` for fixed records."""
    require("torch", extra="torch", feature=arch)
    model, _, normalization = load_model(arch, weights_path(arch, weights, known), backend=backend)
    if normalization.get("kind") != "percentile":
        return {}
    from ._torch.preprocess import to_channels

    x = to_channels(sample, model.in_channels, name="sample").reshape(-1, model.in_channels)
    values = np.percentile(x.astype(np.float32), [normalization["low"], normalization["high"]], axis=0)
    return {"input_range": [float(v) for pair in values.T for v in pair]}
