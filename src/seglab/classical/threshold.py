"""Global thresholding: fixed value and Otsu, plus the helpers of the whole family.

Conventions shared by the thresholding family (this module,
:mod:`seglab.classical.histogram_threshold` and
:mod:`seglab.classical.local_threshold`):

- Thresholds are in the image's own units (0-255 for uint8, 0-65535 for
  uint16, float as given); nothing is rescaled. ``meta["threshold"]`` (or
  ``meta["thresholds"]``) reports them as Python floats.
- A pixel is foreground (label 1) when ``image > threshold``. With
  ``polarity="dark"`` the labels are exactly the complement: foreground
  where ``image <= threshold`` (dark objects on a bright ground, e.g. ink).
  The default is ``"bright"`` for every method; ``polarity="auto"`` takes
  the side with fewer pixels as the objects (dark ink on a page, bright
  nuclei on a dark slide) and records the choice in ``meta["polarity"]``.
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

from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval
from ..core.registry import register
from ..core.types import Segmentation
from .histograms import (
    POLARITY_RENAMED,
    Polarity,
    apply_binary,
    above_in_image,
    above_in_stats,
    binary_labels,
    binary_result,
    int32_from_uint8,
    binary_state,
    histogram_stats,
    otsu_threshold,
    otsu_threshold_stats,
)

__all__ = ["threshold", "otsu"]


def _threshold_fit(image: NDArray, *, value: float, polarity: Polarity = "bright", mask: NDArray | None = None,
                   **_: Any) -> dict[str, Any]:
    return binary_state(value, polarity, above_in_image(image, value, mask))


@register(
    "threshold", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_threshold_fit, apply=apply_binary, example_params={"value": 0.5}, renamed=(POLARITY_RENAMED,),
)
def threshold(
    image: ArrayLike, /, *, value: float, polarity: Polarity = "bright", mask: ArrayLike | None = None
) -> Segmentation:
    """Fixed threshold: foreground where ``image > value``.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype; RGB is converted to gray (BT.601 luma).
    value : float
        Threshold in the image's units (e.g. 0-255 for uint8, 0-65535 for uint16).
    polarity : {"bright", "dark", "auto"}, optional
        Foreground is ``image > value`` (bright objects), ``image <= value``
        (dark objects, the exact complement), or whichever side holds fewer
        pixels ("auto"; ``meta["polarity"]`` records the choice).
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
    if polarity != "auto":  # nothing to fit
        return binary_result(binary_labels(image, value, polarity), value)
    return apply_binary(image, _threshold_fit(image, value=value, polarity=polarity, mask=mask))


def _otsu_fit(
    image: NDArray, *, nbins: int = 256, polarity: Polarity = "bright", mask: NDArray | None = None, **_: Any
) -> dict[str, Any]:
    t = otsu_threshold(image, nbins=nbins, mask=mask)
    return binary_state(t, polarity, above_in_image(image, t, mask))


def _otsu_fit_stats(total: NDArray, *, value_range: tuple[float, float], dtype: np.dtype, nbins: int = 256,
                    polarity: Polarity = "bright", **_: Any) -> dict[str, Any]:
    t = otsu_threshold_stats(total, value_range=value_range, dtype=dtype, nbins=nbins)
    return binary_state(t, polarity, above_in_stats(total, t, value_range=value_range, dtype=dtype, nbins=nbins))


@register(
    "otsu", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_otsu_fit, apply=apply_binary, stats=histogram_stats, fit_stats=_otsu_fit_stats, renamed=(POLARITY_RENAMED,),
)
def otsu(
    image: ArrayLike,
    /,
    *,
    nbins: Annotated[int, Interval(2, 65536)] = 256,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Two-class segmentation with Otsu's threshold.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype; values are used as-is (no rescaling).
        RGB is converted to gray (BT.601 luma).
    nbins : int, optional
        Histogram bins for float images; integer images use one bin per value, unless their
        values span more than 65,536 levels (32- and 64-bit data), which get `nbins` bins.
    polarity : {"bright", "dark", "auto"}, optional
        Foreground is ``image > threshold`` (bright objects), ``image <= threshold``
        (dark objects, the exact complement), or whichever side holds fewer
        pixels ("auto"; ``meta["polarity"]`` records the choice).
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
    if image.dtype == np.uint8 and mask is None and polarity != "auto":  # one OpenCV call: level and labels
        import cv2

        dark = polarity == "dark"
        kind = cv2.THRESH_BINARY_INV if dark else cv2.THRESH_BINARY
        labels, (t, _) = int32_from_uint8(image.shape,
                                          lambda out: cv2.threshold(image, 0, 1, kind | cv2.THRESH_OTSU, dst=out))
        if t > 0 or np.count_nonzero(labels) != (0 if dark else labels.size):
            return binary_result(labels, t)
    return apply_binary(image, _otsu_fit(image, nbins=nbins, polarity=polarity, mask=mask))
