"""From an image in its file's own units to the float32 ``(C, H, W)`` array a model takes.

A model carries a *normalisation record* (stored in its checkpoint); the user
never normalises. Two kinds:

``{"kind": "percentile", "low": 1.0, "high": 99.8}``
    Per image and channel, ``(x - p_low) / (p_high - p_low)``: the usual choice for
    microscopy, whatever the bit depth (uint8, uint16, float).
``{"kind": "scale", "max": 255.0, "mean": [...], "std": [...]}``
    ``(x / max - mean) / std`` per channel (ImageNet style); one mean/std value
    applies to every channel.

Statistics are taken over the whole image before any tiling, so tiled and
untiled predictions see the same numbers. This module needs numpy only.

Examples
--------
>>> import numpy as np
>>> image = np.array([[0, 100], [200, 255]], np.uint8)
>>> prepare(image, in_channels=1, normalization={"kind": "scale", "max": 255.0, "mean": [0.0], "std": [1.0]})[0]
array([[0.       , 0.3921569],
       [0.7843137, 1.       ]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...core.errors import InvalidImageError, InvalidParameterError
from ...core.validate import as_image, float_dtype_for, to_gray

__all__ = ["check_normalization", "default_normalization", "to_channels", "normalize", "prepare"]

_KEYS = {"percentile": {"low", "high"}, "scale": {"max", "mean", "std"}}


def check_normalization(record: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a normalisation record and return it as a plain JSON-able dict.

    Examples
    --------
    >>> check_normalization({"kind": "percentile", "low": 1, "high": 99.8})
    {'kind': 'percentile', 'low': 1.0, 'high': 99.8}
    >>> check_normalization({"kind": "minmax"})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: normalization: kind must be 'percentile' or 'scale'; got ...
    """
    if not isinstance(record, Mapping) or record.get("kind") not in _KEYS:
        got = record.get("kind") if isinstance(record, Mapping) else record
        raise InvalidParameterError(f"normalization: kind must be 'percentile' or 'scale'; got {got!r}.")
    kind = record["kind"]
    keys = set(record) - {"kind"}
    if keys != _KEYS[kind]:
        raise InvalidParameterError(
            f"normalization: a {kind!r} record needs exactly {sorted(_KEYS[kind])}; got {sorted(keys)}."
        )
    if kind == "percentile":
        low, high = float(record["low"]), float(record["high"])
        if not 0 <= low < high <= 100:
            raise InvalidParameterError(f"normalization: need 0 <= low < high <= 100; got {low}, {high}.")
        return {"kind": kind, "low": low, "high": high}
    mean = [float(v) for v in np.atleast_1d(record["mean"])]
    std = [float(v) for v in np.atleast_1d(record["std"])]
    if float(record["max"]) <= 0 or len(mean) != len(std) or min(std) <= 0:
        raise InvalidParameterError(
            f"normalization: need max > 0, std > 0 and as many means as stds; got {dict(record)!r}."
        )
    return {"kind": kind, "max": float(record["max"]), "mean": mean, "std": std}


def default_normalization(dtype: np.dtype, channels: int) -> dict[str, Any]:
    """ImageNet mean/std for 8-bit RGB; per-image percentiles (1, 99.8) otherwise.

    Examples
    --------
    >>> default_normalization(np.dtype(np.uint16), 1)
    {'kind': 'percentile', 'low': 1.0, 'high': 99.8}
    """
    if np.dtype(dtype) == np.uint8 and channels == 3:
        return {"kind": "scale", "max": 255.0, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    return {"kind": "percentile", "low": 1.0, "high": 99.8}


def to_channels(image: ArrayLike, in_channels: int, *, name: str = "image") -> NDArray:
    """Validate `image` and give it `in_channels` channels last: ``(H, W, in_channels)``.

    A gray image fed to a 3-channel model is replicated into three channels; an
    RGB image fed to a 1-channel model becomes BT.601 luma
    (:func:`seglab.core.validate.to_gray`). Any other mismatch is an error.

    Examples
    --------
    >>> to_channels(np.zeros((4, 5), np.uint8), 3).shape
    (4, 5, 3)
    >>> to_channels(np.zeros((4, 5, 4), np.uint8), 3)
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidImageError: image has 4 channels but the model takes 3; ...
    """
    arr = np.asarray(image)
    channels = arr.shape[2] if arr.ndim == 3 else 1
    if arr.ndim == 3 and channels not in (1, 3):
        if arr.dtype.kind not in "uif" or arr.size == 0 or (arr.dtype.kind == "f" and not np.isfinite(arr).all()):
            raise InvalidImageError(f"{name} must be a non-empty numeric array of finite values; got "
                                    f"shape {arr.shape}, dtype {arr.dtype}.")
    else:
        arr = as_image(arr, name=name)
        channels = arr.shape[2] if arr.ndim == 3 else 1
    if channels == in_channels:
        return arr if arr.ndim == 3 else arr[..., None]
    if channels == 1 and in_channels == 3:
        return np.repeat(arr[..., None], 3, axis=2)
    if channels == 3 and in_channels == 1:
        return to_gray(arr)[..., None]
    fix = (f"select the channels the model was trained on, e.g. {name}[..., :{in_channels}]"
           if channels > in_channels else f"the model needs {in_channels}-channel images")
    raise InvalidImageError(f"{name} has {channels} channels but the model takes {in_channels}; {fix}.")


def normalize(image: NDArray, normalization: Mapping[str, Any]) -> NDArray[np.float32]:
    """Apply a (checked) normalisation record to an ``(H, W, C)`` array; return float32 ``(C, H, W)``."""
    if normalization["kind"] == "percentile":
        # float64 and 32/64-bit integers are scaled in float64 first: values beyond float32's range (1e300) or
        # below its resolution (1e-300) would overflow or vanish in the cast, before the percentiles bring them to ~1
        x = np.moveaxis(image, -1, 0).astype(float_dtype_for(image.dtype))
        for c in range(x.shape[0]):
            low, high = np.percentile(x[c], [normalization["low"], normalization["high"]])
            x[c] -= low
            span = float(high - low)
            x[c] /= span if span > 0 else 1.0  # flat: all zeros either way
        return x.astype(np.float32, copy=False)
    x = np.moveaxis(image, -1, 0).astype(np.float32)
    if len(normalization["mean"]) not in (1, x.shape[0]):
        raise InvalidParameterError(
            f"normalization: {len(normalization['mean'])} means and stds for a {x.shape[0]}-channel input."
        )
    mean = np.broadcast_to(np.asarray(normalization["mean"], np.float32), (x.shape[0],))
    std = np.broadcast_to(np.asarray(normalization["std"], np.float32), (x.shape[0],))
    x /= np.float32(normalization["max"])
    x -= mean[:, None, None]
    x /= std[:, None, None]
    return x


def prepare(image: ArrayLike, *, in_channels: int, normalization: Mapping[str, Any],
            name: str = "image") -> NDArray[np.float32]:
    """:func:`to_channels` then :func:`normalize`: the model input ``(in_channels, H, W)`` float32."""
    return normalize(to_channels(image, in_channels, name=name), check_normalization(normalization))
