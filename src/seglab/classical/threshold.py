"""Thresholding: fixed value and Otsu's global threshold.

Intensity parameters and reported thresholds are in the image's own units
(no rescaling of 16-bit or float data). Colour input is converted to gray
with BT.601 luma by the registry before these functions run.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.threshold import otsu
>>> img = np.zeros((8, 8), np.uint8); img[2:6, 2:6] = 200
>>> int(otsu(img).labels.sum())
16
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval
from ..core.registry import register
from ..core.types import Segmentation

__all__ = ["threshold", "otsu", "otsu_threshold"]

BINARY_CLASSES = ("background", "foreground")


def _binary(image: NDArray, t: float, meta: Mapping[str, Any]) -> Segmentation:
    labels = np.greater(image, t).view(np.uint8).astype(np.int32)
    return Segmentation(labels=labels, task="semantic", classes=BINARY_CLASSES, meta=dict(meta))


def _apply_threshold(image: NDArray, state: Mapping[str, Any], **_: Any) -> Segmentation:
    return _binary(image, state["threshold"], state)


def _threshold_fit(image: NDArray, *, value: float, **_: Any) -> dict[str, Any]:
    return {"threshold": float(value)}


@register(
    "threshold", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_threshold_fit, apply=_apply_threshold, example_params={"value": 0.5},
)
def threshold(image: ArrayLike, /, *, value: float, mask: ArrayLike | None = None) -> Segmentation:
    """Fixed threshold: foreground where ``image > value``.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype; RGB is converted to gray (BT.601 luma).
    value : float
        Threshold in the image's units (e.g. 0-255 for uint8, 0-65535 for uint16).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0.

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``; ``meta["threshold"]``.

    Examples
    --------
    >>> import numpy as np
    >>> threshold(np.array([[1, 5], [9, 3]]), value=4).labels.tolist()
    [[0, 1], [1, 0]]
    """
    return _apply_threshold(image, _threshold_fit(image, value=value))


def otsu_threshold(image: NDArray, *, nbins: int = 256, mask: NDArray | None = None) -> float:
    """Otsu's threshold of a validated gray image, in the image's units.

    uint8 images without a mask use OpenCV's exact 256-level histogram (the
    result equals ``cv2.threshold(..., THRESH_OTSU)``); other dtypes use
    scikit-image's ``threshold_otsu`` with `nbins` bins.

    Examples
    --------
    >>> otsu_threshold(np.array([[10, 10], [200, 200]], np.uint8))
    10.0
    """
    values = image if mask is None else image[mask]
    if values.size == 0:
        return float(image.min())
    if values.dtype == np.uint8 and mask is None:
        import cv2

        t, _ = cv2.threshold(values, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        return float(t)
    lo, hi = values.min(), values.max()
    if lo == hi:
        return float(lo)
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(values.ravel(), nbins=nbins))


def _otsu_fit(image: NDArray, *, nbins: int = 256, mask: NDArray | None = None, **_: Any) -> dict[str, Any]:
    return {"threshold": otsu_threshold(image, nbins=nbins, mask=mask)}


@register(
    "otsu", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_otsu_fit, apply=_apply_threshold,
)
def otsu(
    image: ArrayLike,
    /,
    *,
    nbins: Annotated[int, Interval(2, 65536)] = 256,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Two-class segmentation with Otsu's threshold.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype; values are used as-is (no rescaling).
        RGB is converted to gray (BT.601 luma).
    nbins : int, optional
        Histogram bins for non-uint8 images; uint8 always uses its 256 levels.
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 and do not enter the histogram.

    Returns
    -------
    Segmentation
        Semantic labels (1 where ``image > threshold``), ``classes=("background",
        "foreground")``; ``meta["threshold"]`` is in image units.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8)); img[2:6, 2:6] = 1.0
    >>> int(otsu(img).labels.sum())
    16
    """
    return _apply_threshold(image, _otsu_fit(image, nbins=nbins, mask=mask))
