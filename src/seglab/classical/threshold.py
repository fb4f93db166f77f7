"""Global thresholding: fixed value and Otsu, plus the helpers of the whole family.

Conventions shared by the thresholding family (this module,
:mod:`seglab.classical.histogram_threshold` and
:mod:`seglab.classical.local_threshold`):

- Thresholds are in the image's own units (0-255 for uint8, 0-65535 for
  uint16, float as given); nothing is rescaled. ``meta["threshold"]`` (or
  ``meta["thresholds"]``) reports them as Python floats.
- A pixel is foreground (label 1) when ``image > threshold``. With
  ``dark_foreground=True`` the labels are exactly the complement: foreground
  where ``image <= threshold`` (dark objects on a bright ground, e.g. ink).
  The default is ``False`` except for the document binarisers
  (``sauvola``, ``niblack``), where ink is dark.
- When no threshold splits the pixels in two (a constant image), the
  threshold is the image's maximum, so every pixel is background.
- Colour input is converted to gray by the registry with BT.601 luma
  (``0.299 R + 0.587 G + 0.114 B``, in the input's units) and the result
  records it in ``meta["input_conversion"]``.
- Histograms equal scikit-image's: one bin per integer value for integer
  images (so `nbins` only applies to float images; ``multiotsu`` also bins
  wide integer ranges), `nbins` bins between the minimum and maximum for
  float images. With `mask`, only masked pixels enter.

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

__all__ = ["threshold", "otsu", "otsu_threshold", "otsu_level", "histogram", "binary_labels", "BINARY_CLASSES"]

BINARY_CLASSES = ("background", "foreground")
_CV_EXACT = 2**24  # cv2.calcHist counts in float32: exact up to 2**24 per call
_FLT_EPSILON = float(np.finfo(np.float32).eps)


def binary_labels(image: NDArray, t: float, dark_foreground: bool = False) -> NDArray[np.int32]:
    """int32 labels: 1 where ``image > t`` (``image <= t`` if `dark_foreground`), else 0.

    Examples
    --------
    >>> binary_labels(np.array([[1, 5]], np.uint16), 3.0).tolist()
    [[0, 1]]
    """
    if image.dtype == np.uint8:
        import cv2

        kind = cv2.THRESH_BINARY_INV if dark_foreground else cv2.THRESH_BINARY
        # OpenCV compares uint8 with floor(t), which is the same as comparing with t.
        return cv2.threshold(image, min(max(t, -1.0), 256.0), 1, kind)[1].astype(np.int32)
    out = np.empty(image.shape, np.int32)
    (np.less_equal if dark_foreground else np.greater)(image, t, out=out)
    return out


def _binary_result(labels: NDArray[np.int32], t: float) -> Segmentation:
    return Segmentation(labels=labels, task="semantic", classes=BINARY_CLASSES, meta={"threshold": float(t)})


def _apply_binary(image: NDArray, state: Mapping[str, Any], **_: Any) -> Segmentation:
    t = state["threshold"]
    return _binary_result(binary_labels(image, t, state.get("dark_foreground", False)), t)


def _values(image: NDArray, mask: NDArray | None) -> NDArray:
    return image.ravel() if mask is None else image[mask]


def histogram(image: NDArray, *, nbins: int = 256, mask: NDArray | None = None) -> tuple[NDArray, NDArray]:
    """Counts and bin centres, equal to ``skimage.exposure.histogram(values, nbins)``.

    uint8/uint16 images are counted with ``cv2.calcHist`` (several times
    faster than ``np.bincount``); the range is trimmed to [min, max] of the
    counted values, as scikit-image does. Other dtypes go to scikit-image.

    Examples
    --------
    >>> counts, centers = histogram(np.array([[3, 3, 5]], np.uint8))
    >>> counts.tolist(), centers.tolist()
    ([2, 0, 1], [3, 4, 5])
    """
    if image.dtype in (np.uint8, np.uint16) and image.shape[1] <= _CV_EXACT:
        counts = _level_counts(image, mask)
        nonzero = np.flatnonzero(counts)
        if nonzero.size == 0:  # nothing counted (empty mask)
            return counts[:0], np.arange(0)
        lo, hi = int(nonzero[0]), int(nonzero[-1])
        return counts[lo : hi + 1], np.arange(lo, hi + 1)
    from skimage.exposure import histogram as sk_histogram

    return sk_histogram(_values(image, mask), nbins, source_range="image")


def _level_counts(image: NDArray, mask: NDArray | None) -> NDArray[np.int64]:
    """Exact count of every level 0..255 (uint8) or 0..65535 (uint16), by ``cv2.calcHist``."""
    import cv2

    n = 256 if image.dtype == np.uint8 else 65536
    counts = np.zeros(n, np.int64)
    step = max(1, _CV_EXACT // image.shape[1])
    for r in range(0, image.shape[0], step):
        part = np.ascontiguousarray(image[r : r + step])
        m8 = None if mask is None else np.ascontiguousarray(mask[r : r + step]).view(np.uint8)
        counts += cv2.calcHist([part], [0], m8, [n], [0, n]).ravel().astype(np.int64)
    return counts


def otsu_level(counts: ArrayLike) -> int:
    """OpenCV's Otsu level from 256 counts, operation for operation as its C++ code (so results are identical).

    OpenCV's IPP-accelerated path, on by default in the pip wheels, computes the
    variances differently and can pick another level where two levels tie to
    within rounding (2 of 20,000 random small images). Unmasked uint8 images go
    straight to ``cv2.threshold`` and so follow whichever path OpenCV takes.

    Returns 0 when no level leaves more than ``FLT_EPSILON`` of the pixels on each side.

    Examples
    --------
    >>> otsu_level([0] * 10 + [5] + [0] * 89 + [5] + [0] * 155)
    10
    """
    h = [float(c) for c in np.asarray(counts).ravel()]
    scale = 1.0 / sum(h)
    mu = 0.0
    for i, c in enumerate(h):
        mu += i * c
    mu *= scale
    mu1 = q1 = max_sigma = 0.0
    best = 0
    for i, c in enumerate(h):
        p_i = c * scale
        mu1 *= q1
        q1 += p_i
        q2 = 1.0 - q1
        if min(q1, q2) < _FLT_EPSILON or max(q1, q2) > 1.0 - _FLT_EPSILON:
            continue
        mu1 = (mu1 + i * p_i) / q1
        mu2 = (mu - q1 * mu1) / q2
        sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2)
        if sigma > max_sigma:
            max_sigma, best = sigma, i
    return best


def _no_split(image: NDArray, mask: NDArray | None) -> bool:
    """True when there is nothing to split: no pixel in `mask`, or a single value."""
    values = _values(image, mask)
    return values.size == 0 or values.min() == values.max()


def _fallback_threshold(image: NDArray, mask: NDArray | None) -> float:
    values = _values(image, mask)
    return float((values if values.size else image).max())


def _threshold_fit(image: NDArray, *, value: float, dark_foreground: bool = False, **_: Any) -> dict[str, Any]:
    return {"threshold": float(value), "dark_foreground": dark_foreground}


@register(
    "threshold", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_threshold_fit, apply=_apply_binary, example_params={"value": 0.5},
)
def threshold(
    image: ArrayLike, /, *, value: float, dark_foreground: bool = False, mask: ArrayLike | None = None
) -> Segmentation:
    """Fixed threshold: foreground where ``image > value``.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype; RGB is converted to gray (BT.601 luma).
    value : float
        Threshold in the image's units (e.g. 0-255 for uint8, 0-65535 for uint16).
    dark_foreground : bool, optional
        If True, foreground is ``image <= value`` (the exact complement).
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
    return _apply_binary(image, _threshold_fit(image, value=value, dark_foreground=dark_foreground))


def otsu_threshold(image: NDArray, *, nbins: int = 256, mask: NDArray | None = None) -> float:
    """Otsu's threshold of a validated gray image, in the image's units.

    uint8 images use OpenCV's 256-level Otsu (equal to ``cv2.threshold(...,
    THRESH_OTSU)`` on the counted pixels, see :func:`otsu_level`); other dtypes
    use scikit-image's ``threshold_otsu`` on the same histogram it would
    compute. A constant image gives its value.

    Examples
    --------
    >>> otsu_threshold(np.array([[10, 10], [200, 200]], np.uint8))
    10.0
    """
    if image.dtype == np.uint8 and image.shape[1] <= _CV_EXACT:
        counts = _level_counts(image, mask)
        levels = np.flatnonzero(counts)
        if levels.size == 0:  # nothing in the mask
            return float(image.max())
        t = otsu_level(counts) if levels.size > 1 else 0
        # level 0 with no pixel at 0: OpenCV found no split; use the family's rule (the maximum)
        return float(t) if t > 0 or counts[0] > 0 else float(levels[-1])
    if _no_split(image, mask):
        return _fallback_threshold(image, mask)
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(hist=histogram(image, nbins=nbins, mask=mask)))


def _otsu_fit(
    image: NDArray, *, nbins: int = 256, dark_foreground: bool = False, mask: NDArray | None = None, **_: Any
) -> dict[str, Any]:
    return {"threshold": otsu_threshold(image, nbins=nbins, mask=mask), "dark_foreground": dark_foreground}


@register(
    "otsu", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_otsu_fit, apply=_apply_binary,
)
def otsu(
    image: ArrayLike,
    /,
    *,
    nbins: Annotated[int, Interval(2, 65536)] = 256,
    dark_foreground: bool = False,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Two-class segmentation with Otsu's threshold.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype; values are used as-is (no rescaling).
        RGB is converted to gray (BT.601 luma).
    nbins : int, optional
        Histogram bins for float images; integer images use one bin per value.
    dark_foreground : bool, optional
        If True, foreground is ``image <= threshold`` (the exact complement).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 and do not enter the histogram.

    Returns
    -------
    Segmentation
        Semantic labels (1 where ``image > threshold``), ``classes=("background",
        "foreground")``; ``meta["threshold"]`` is in image units. For uint8 it
        equals OpenCV's ``THRESH_OTSU`` value, otherwise scikit-image's ``threshold_otsu``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8)); img[2:6, 2:6] = 1.0
    >>> int(otsu(img).labels.sum())
    16
    """
    if image.dtype == np.uint8 and mask is None:  # one OpenCV call gives the level and the labels
        import cv2

        kind = cv2.THRESH_BINARY_INV if dark_foreground else cv2.THRESH_BINARY
        t, out = cv2.threshold(image, 0, 1, kind | cv2.THRESH_OTSU)
        if t > 0 or cv2.countNonZero(out) != (0 if dark_foreground else out.size):
            return _binary_result(out.astype(np.int32), t)
    return _apply_binary(image, _otsu_fit(image, nbins=nbins, dark_foreground=dark_foreground, mask=mask))
