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
from collections.abc import Callable, Mapping
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
    above_in_image,
    above_in_stats,
    binary_state,
    apply_binary,
    binnable_values,
    fallback_threshold,
    histogram,
    histogram_stats,
    no_split,
    per_level,
    pixel_values,
    stats_fallback,
    stats_histogram,
)

__all__ = ["multiotsu", "li", "triangle", "yen"]

_MULTIOTSU_MAX_COMBINATIONS = 5e8  # about 10 s in scikit-image's search
_MULTIOTSU_MAX_BINS = 8192  # its search tables: nbins^2 / 2 float64 values, 256 MiB at 8192
_LI_FLOAT_BINS = 65536  # bins of a tiled Li fit on a float image (integer images count every level)


def _binary_fit_stats(level: Callable[[NDArray, NDArray], float]) -> Callable[..., dict[str, Any]]:
    """The ``fit_stats`` of a two-class threshold that `level` computes from the whole image's histogram."""

    def fit_stats(total: NDArray, *, value_range: tuple[float, float], dtype: np.dtype, nbins: int = 256,
                  polarity: Polarity = "bright", **_: Any) -> dict[str, Any]:
        t = stats_fallback(total, value_range, dtype)
        if t is None:
            t = level(*stats_histogram(total, value_range=value_range, dtype=dtype, nbins=nbins))
        return binary_state(t, polarity, above_in_stats(total, t, value_range=value_range, dtype=dtype, nbins=nbins))

    return fit_stats


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
    return _multiotsu_state(counts, centers, num_classes, float(values.max()))


def _multiotsu_fit_stats(
    total: NDArray, *, value_range: tuple[float, float], dtype: np.dtype, num_classes: int = 3, nbins: int = 256,
    **_: Any,
) -> dict[str, Any]:
    """:func:`_multiotsu_fit` of the whole image from its summed histogram statistics (the same state)."""
    fallback = stats_fallback(total, value_range, dtype)
    if fallback is not None:
        return {"thresholds": [fallback] * (num_classes - 1)}
    counts, centers = stats_histogram(total, value_range=value_range, dtype=dtype, nbins=nbins)
    if per_level(dtype, value_range) and int(centers[-1]) - int(centers[0]) >= nbins:
        # the float binning of _multiotsu_fit, weighted by the count of each level
        counts, edges = np.histogram(centers.astype(np.float64), bins=nbins,
                                     range=(float(centers[0]), float(centers[-1])), weights=counts)
        return _multiotsu_state(counts, (edges[:-1] + edges[1:]) / 2.0, num_classes, float(centers[-1]))
    top = float(centers[-1]) if per_level(dtype, value_range) else float(value_range[1])
    return _multiotsu_state(counts, centers, num_classes, top)


def _multiotsu_state(counts: NDArray, centers: NDArray, num_classes: int, top: float) -> dict[str, Any]:
    """Multi-Otsu thresholds from a histogram; `top` is the largest value counted."""
    levels = np.flatnonzero(counts)
    if levels.size < num_classes:  # one class per occupied level, lowest first; the rest stay empty
        t = [float(c) for c in centers[levels[:-1]]]
        return {"thresholds": t + [top] * (num_classes - 1 - len(t))}
    combos = math.comb(counts.size - 1, num_classes - 1)
    check_param(
        combos <= _MULTIOTSU_MAX_COMBINATIONS, "num_classes",
        f"{num_classes} classes over {counts.size} histogram levels means {combos:.2g} threshold "
        f"combinations to search (limit {_MULTIOTSU_MAX_COMBINATIONS:.0e}, about 10 s); "
        "use fewer classes or fewer bins (nbins).",
    )
    # scikit-image's search tables hold nbins^2 / 2 numbers whatever the image (31,000 bins: 1.9 GB, 15 s)
    check_param(num_classes < 3 or counts.size <= _MULTIOTSU_MAX_BINS, "nbins",
                f"{counts.size} histogram levels need search tables of {counts.size ** 2 * 4 / 2**30:.1f} GiB for "
                f"{num_classes} classes; give at most {_MULTIOTSU_MAX_BINS} bins (nbins) with 3 classes or more.")
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
    fit=_multiotsu_fit, apply=_multiotsu_apply, stats=histogram_stats, fit_stats=_multiotsu_fit_stats, renamed=(Renamed("n_classes", "num_classes"),),
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

        t = float(threshold_li(binnable_values(image, mask), tolerance=tol))
    return binary_state(t, polarity, above_in_image(image, t, mask))


def _li_stats(tile: NDArray, *, value_range: tuple[float, float], mask: NDArray | None = None,
              **_: Any) -> NDArray:
    return histogram_stats(tile, value_range=value_range, nbins=_LI_FLOAT_BINS, mask=mask)


def _li_fit_stats(
    total: NDArray, *, value_range: tuple[float, float], dtype: np.dtype, tol: float | None = None,
    polarity: Polarity = "bright", **_: Any,
) -> dict[str, Any]:
    """Li's threshold from summed level counts: scikit-image's iteration for integer images, step for step.

    Integer images give exactly :func:`_li_fit`'s threshold. Float images are
    iterated on a histogram of ``_LI_FLOAT_BINS`` bins (default tolerance half
    a bin), so the threshold differs slightly from the untiled one (by under
    2e-3 of the value range over 300 random images).
    """
    t = stats_fallback(total, value_range, dtype)
    if t is None:
        counts, centers = stats_histogram(total, value_range=value_range, dtype=dtype, nbins=_LI_FLOAT_BINS)
        integer = per_level(dtype, value_range)
        step = 1.0 if integer else float(centers[1] - centers[0])
        t = _li_iterate(counts, centers, tol or (0.5 if integer else step / 2), integer)
    return binary_state(t, polarity, above_in_stats(total, t, value_range=value_range, dtype=dtype,
                                                    nbins=_LI_FLOAT_BINS))


def _li_iterate(counts: NDArray, centers: NDArray, tolerance: float, integer: bool) -> float:
    """scikit-image's ``threshold_li`` loop on a histogram (its integer-image branch, the same operations)."""
    low = centers[0]
    values = centers - low
    total = counts.sum()
    t_next = float(int(np.dot(values, counts))) / total if integer else float(np.dot(values, counts) / total)
    hist = counts.astype(np.float32)
    t_curr = -2 * tolerance
    while abs(t_next - t_curr) > tolerance:
        t_curr = t_next
        foreground = values > t_curr
        mean_fore = np.average(values[foreground], weights=hist[foreground])
        mean_back = np.average(values[~foreground], weights=hist[~foreground])
        if mean_back == 0:
            break
        t_next = (mean_back - mean_fore) / (np.log(mean_back) - np.log(mean_fore))
    return float(t_next + low)


@register("li", family="threshold", task="semantic", input="gray", tiling="global", fit=_li_fit, apply=apply_binary,
          stats=_li_stats, fit_stats=_li_fit_stats, renamed=(POLARITY_RENAMED,))
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
    polarity : {"bright", "dark", "auto"}, optional
        Foreground is ``image > threshold`` (bright objects), ``image <= threshold``
        (dark objects, the exact complement), or whichever side holds fewer
        pixels ("auto"; ``meta["polarity"]`` records the choice).
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

        t = float(threshold_triangle(binnable_values(image, mask), nbins=nbins))
    return binary_state(t, polarity, above_in_image(image, t, mask))


def _triangle_level(hist: NDArray, centers: NDArray) -> float:
    """scikit-image's ``threshold_triangle`` after its histogram (at least two occupied bins), step for step."""
    nbins = len(hist)
    arg_peak = int(np.argmax(hist))
    peak_height = hist[arg_peak]
    arg_low, arg_high = np.flatnonzero(hist)[[0, -1]]
    flip = arg_peak - arg_low < arg_high - arg_peak
    if flip:
        hist = hist[::-1]
        arg_low = nbins - arg_high - 1
        arg_peak = nbins - arg_peak - 1
    width = arg_peak - arg_low
    x1 = np.arange(width)
    y1 = hist[x1 + arg_low]
    norm = np.sqrt(peak_height**2 + width**2)
    length = (peak_height / norm) * x1 - (width / norm) * y1
    level = int(np.argmax(length)) + arg_low
    return float(centers[nbins - level - 1 if flip else level])


@register(
    "triangle", family="threshold", task="semantic", input="gray", tiling="global",
    fit=_triangle_fit, apply=apply_binary, stats=histogram_stats, fit_stats=_binary_fit_stats(_triangle_level),
    renamed=(POLARITY_RENAMED,),
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
    return binary_state(t, polarity, above_in_image(image, t, mask))


def _yen_level(counts: NDArray, centers: NDArray) -> float:
    from skimage.filters import threshold_yen

    return float(threshold_yen(hist=(counts, centers)))


@register("yen", family="threshold", task="semantic", input="gray", tiling="global", fit=_yen_fit, apply=apply_binary,
          stats=histogram_stats, fit_stats=_binary_fit_stats(_yen_level), renamed=(POLARITY_RENAMED,))
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
