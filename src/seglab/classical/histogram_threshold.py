"""Histogram-based global thresholds: multi-Otsu, Li, triangle and Yen.

The family's conventions hold (see :mod:`seglab.classical.threshold`):
thresholds in the image's own units, foreground where ``image > threshold``
(``polarity="dark"`` for the exact complement), a constant image is all
background, colour is converted to gray with BT.601 luma by the registry. Each
threshold equals scikit-image's on the same pixels.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.histogram_threshold import yen
>>> img = np.zeros((8, 8), np.uint16); img[2:6, 2:6] = 3000
>>> yen(img).meta["threshold"]
0.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation
from ..core.validate import check_param
from .histograms import (
    POLARITY_RENAMED,
    Polarity,
    apply_binary,
    fallback_threshold,
    histogram,
    no_split,
    pixel_values,
)

__all__ = ["multiotsu", "li", "triangle", "yen"]

_MULTIOTSU_MAX_COMBINATIONS = 5e8  # about 10 s in scikit-image's search


def _multiotsu_fit(
    image: NDArray, *, num_classes: int = 3, nbins: int = 256, mask: NDArray | None = None, **_: Any
) -> dict[str, Any]:
    if no_split(image, mask):
        return {"thresholds": [fallback_threshold(image, mask)] * (num_classes - 1)}
    values = pixel_values(image, mask)
    if image.dtype.kind in "iu" and int(values.max()) - int(values.min()) >= nbins:
        # Too many integer levels for an exhaustive search: bin them like a float image.
        from skimage.exposure import histogram as sk_histogram

        counts, centers = sk_histogram(values.astype(np.float64), nbins, source_range="image")
    else:
        counts, centers = histogram(image, nbins=nbins, mask=mask)
    levels = np.flatnonzero(counts)
    if levels.size < num_classes:  # one class per occupied level, lowest first; the rest stay empty
        t = [float(c) for c in centers[levels[:-1]]]
        return {"thresholds": t + [float(values.max())] * (num_classes - 1 - len(t))}
    combos = math.comb(counts.size - 1, num_classes - 1)
    check_param(
        combos <= _MULTIOTSU_MAX_COMBINATIONS, "num_classes",
        f"{num_classes} classes over {counts.size} histogram levels means {combos:.2g} threshold "
        f"combinations to search (limit {_MULTIOTSU_MAX_COMBINATIONS:.0e}, about 10 s); "
        "use fewer classes or fewer bins (nbins).",
    )
    from skimage.filters import threshold_multiotsu

    prob = counts / np.sum(counts)  # normalised exactly as skimage.exposure.histogram(normalize=True)
    return {"thresholds": [float(t) for t in threshold_multiotsu(hist=(prob, centers), classes=num_classes)]}


def _multiotsu_apply(image: NDArray, state: Mapping[str, Any], **_: Any) -> Segmentation:
    t = np.asarray(state["thresholds"], np.float64)
    if image.dtype == np.uint8:
        import cv2

        lut = np.searchsorted(t, np.arange(256), side="left").astype(np.int32)
        labels = cv2.LUT(image, lut)
    else:  # class k: t[k-1] < value <= t[k], i.e. the number of thresholds below the value
        labels = np.searchsorted(t, image, side="left").astype(np.int32)
    classes = tuple(f"class{k}" for k in range(t.size + 1))
    return Segmentation(labels=labels, task="semantic", classes=classes, meta={"thresholds": t.tolist()})


@register(
    "multiotsu", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_multiotsu_fit, apply=_multiotsu_apply, renamed=(Renamed("n_classes", "num_classes"),),
)
def multiotsu(
    image: ArrayLike,
    /,
    *,
    num_classes: Annotated[int, Interval(2, 8)] = 3,
    nbins: Annotated[int, Interval(2, 65536)] = 256,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Multi-class Otsu: `num_classes` intensity classes from ``num_classes - 1`` thresholds.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    num_classes : int, optional
        Number of classes. The exhaustive search grows as ``levels ** (num_classes - 1)``:
        on 256 levels, 4 classes take ~0.05 s and 5 classes ~3 s; larger searches are refused.
    nbins : int, optional
        Histogram bins. Integer images whose value range fits in `nbins` use one
        bin per value (as scikit-image); wider ranges (typical of uint16) and
        float images use `nbins` bins between the minimum and the maximum.
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 and do not enter the histogram.

    Returns
    -------
    Segmentation
        Semantic labels 0..num_classes-1 ordered by intensity: class ``k`` holds
        ``t[k-1] < value <= t[k]`` (the same ``>`` rule as `otsu`); ``classes``
        are ``"class0"``... ; ``meta["thresholds"]`` equals scikit-image's
        ``threshold_multiotsu`` on the same histogram (for wide integer ranges,
        that of ``image.astype(float)``). If fewer histogram levels are occupied
        than there are classes, each occupied level gets its own class and the
        upper classes stay empty.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.repeat(np.array([[10, 100, 200]], np.uint8), 4, axis=0)
    >>> seg = multiotsu(img, num_classes=3)
    >>> seg.labels[0].tolist(), seg.meta["thresholds"]
    ([0, 1, 2], [10.0, 100.0])
    """
    return _multiotsu_apply(image, _multiotsu_fit(image, num_classes=num_classes, nbins=nbins, mask=mask))


def _li_fit(
    image: NDArray, *, tol: float | None = None, polarity: Polarity = "bright", mask: NDArray | None = None,
    **_: Any,
) -> dict[str, Any]:
    if no_split(image, mask):
        t = fallback_threshold(image, mask)
    else:
        from skimage.filters import threshold_li

        t = float(threshold_li(pixel_values(image, mask), tolerance=tol))
    return {"threshold": t, "polarity": polarity}


@register("li", family="threshold", task="semantic", input="gray", tiling="global", fit=_li_fit, apply=apply_binary,
          renamed=(POLARITY_RENAMED,))
def li(
    image: ArrayLike,
    /,
    *,
    tol: Annotated[float, Interval(0, None, lo_open=True)] | None = None,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Two-class segmentation with Li's minimum cross-entropy threshold.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    tol : float, optional
        Stop when the threshold moves by less than this (image units). Default:
        0.5 for integer images, half the smallest step between values for float ones.
    polarity : {"bright", "dark"}, optional
        Foreground is ``image > threshold`` (bright objects) or ``image <= threshold``
        (dark objects, the exact complement).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 and do not enter the computation.

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``;
        ``meta["threshold"]`` equals scikit-image's ``threshold_li``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8), np.uint16); img[2:6, 2:6] = 3000
    >>> int(li(img).labels.sum())
    16
    """
    return apply_binary(image, _li_fit(image, tol=tol, polarity=polarity, mask=mask))


def _triangle_fit(
    image: NDArray, *, nbins: int = 256, polarity: Polarity = "bright", mask: NDArray | None = None, **_: Any
) -> dict[str, Any]:
    if no_split(image, mask):
        t = fallback_threshold(image, mask)
    else:
        from skimage.filters import threshold_triangle

        t = float(threshold_triangle(pixel_values(image, mask), nbins=nbins))
    return {"threshold": t, "polarity": polarity}


@register(
    "triangle", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_triangle_fit, apply=apply_binary, renamed=(POLARITY_RENAMED,),
)
def triangle(
    image: ArrayLike,
    /,
    *,
    nbins: Annotated[int, Interval(2, 65536)] = 256,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Two-class segmentation with the triangle (Zack) threshold, for one dominant peak.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    nbins : int, optional
        Histogram bins for float images; integer images use one bin per value.
    polarity : {"bright", "dark"}, optional
        Foreground is ``image > threshold`` (bright objects) or ``image <= threshold``
        (dark objects, the exact complement).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 and do not enter the histogram.

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``;
        ``meta["threshold"]`` equals scikit-image's ``threshold_triangle``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((10, 10), 20, np.uint8); img[0, :5] = [60, 100, 140, 180, 220]
    >>> int(triangle(img).labels.sum())
    5
    """
    return apply_binary(image, _triangle_fit(image, nbins=nbins, polarity=polarity, mask=mask))


def _yen_fit(
    image: NDArray, *, nbins: int = 256, polarity: Polarity = "bright", mask: NDArray | None = None, **_: Any
) -> dict[str, Any]:
    if no_split(image, mask):
        t = fallback_threshold(image, mask)
    else:
        from skimage.filters import threshold_yen

        t = float(threshold_yen(hist=histogram(image, nbins=nbins, mask=mask)))
    return {"threshold": t, "polarity": polarity}


@register("yen", family="threshold", task="semantic", input="gray", tiling="global", fit=_yen_fit, apply=apply_binary,
          renamed=(POLARITY_RENAMED,))
def yen(
    image: ArrayLike,
    /,
    *,
    nbins: Annotated[int, Interval(2, 65536)] = 256,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Two-class segmentation with Yen's maximum-correlation threshold.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    nbins : int, optional
        Histogram bins for float images; integer images use one bin per value.
    polarity : {"bright", "dark"}, optional
        Foreground is ``image > threshold`` (bright objects) or ``image <= threshold``
        (dark objects, the exact complement).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 and do not enter the histogram.

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``;
        ``meta["threshold"]`` equals scikit-image's ``threshold_yen``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8)); img[2:6, 2:6] = 0.9
    >>> int(yen(img).labels.sum())
    16
    """
    return apply_binary(image, _yen_fit(image, nbins=nbins, polarity=polarity, mask=mask))
