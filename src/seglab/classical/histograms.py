"""Helpers shared by the thresholding family (and the watershed's automatic foreground).

Polarity, histograms equal to scikit-image's, OpenCV's Otsu level, and the
binary result every two-class threshold returns. Nothing here registers a
method; :mod:`.threshold`, :mod:`.histogram_threshold`, :mod:`.local_threshold`
and :mod:`.watershed` import it, never each other's internals.

Examples
--------
>>> import numpy as np
>>> binary_labels(np.array([[1, 5]], np.uint8), 3.0, "dark").tolist()
[[1, 0]]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Renamed
from ..core.types import Segmentation

__all__ = [
    "int32_from_uint8", "Polarity", "POLARITY_RENAMED", "BINARY_CLASSES", "binary_state", "above_in_image", "above_in_stats", "binary_labels", "binary_result", "apply_binary", "pixel_values", "histogram",
    "level_counts", "otsu_level", "otsu_threshold", "no_split", "fallback_threshold", "histogram_stats",
    "stats_histogram", "stats_fallback", "otsu_threshold_stats",
]

#: Whether the objects (label 1) are brighter or darker than the background; "auto": the minority side.
Polarity = Literal["bright", "dark", "auto"]

#: ``dark_foreground`` (a bool) became ``polarity``; accepted with a DeprecationWarning until 0.3.
POLARITY_RENAMED = Renamed("dark_foreground", "polarity", convert=lambda dark: "dark" if dark else "bright",
                           kind="bool")

BINARY_CLASSES = ("background", "foreground")
_CV_EXACT = 2**24  # cv2.calcHist counts in float32: exact up to 2**24 per call
#: Integer images whose values span more levels than this are binned like float images (`nbins` equal bins
#: over [min, max]): one bin per level, scikit-image's rule for integers, would take gigabytes on int32 data.
EXACT_LEVELS = 2**16
_FLT_EPSILON = float(np.finfo(np.float32).eps)


#: From this many pixels on, a uint8 result is widened to int32 inside the int32 array itself.
_WIDEN_IN_PLACE = 1 << 22


def int32_from_uint8(shape: tuple[int, ...], fill: Callable[[NDArray[np.uint8]], Any]) -> tuple[NDArray[np.int32], Any]:
    """An int32 array equal to the uint8 array that ``fill(out)`` writes into `out`, and what `fill` returned.

    Large arrays get no uint8 temporary: `out` is the first quarter of the
    int32 array's own memory, and its values are spread out to int32 from the
    end, in blocks that never overlap what they have yet to read (about
    log4(n) block copies).

    Examples
    --------
    >>> labels, _ = int32_from_uint8((2, 3), lambda out: out.fill(7))
    >>> labels.tolist()
    [[7, 7, 7], [7, 7, 7]]
    """
    n = math.prod(shape)
    if n < _WIDEN_IN_PLACE:
        small = np.empty(shape, np.uint8)
        result = fill(small)
        return small.astype(np.int32), result
    out = np.empty(shape, np.int32)
    flat = out.reshape(-1)
    small = flat.view(np.uint8)[:n]
    result = fill(small.reshape(shape))
    end = n
    while end > 4:  # int32 items [start, end) take bytes [4 start, 4 end), past the bytes [start, end) they read
        start = (end + 3) // 4
        np.copyto(flat[start:end], small[start:end])
        end = start
    flat[:end] = small[:end].copy()
    return out, result


@functools.lru_cache(maxsize=64)
def _binary_table(t: float, dark: bool) -> NDArray[np.int32]:
    """The int32 labels of the 256 uint8 values for threshold `t` (read-only; shared between calls)."""
    values = np.arange(256)
    table = (values <= t if dark else values > t).astype(np.int32)
    table.setflags(write=False)
    return table


def binary_labels(image: NDArray, t: float, polarity: Polarity = "bright") -> NDArray[np.int32]:
    """int32 labels: 1 where ``image > t`` (``image <= t`` for dark objects), else 0.

    Examples
    --------
    >>> binary_labels(np.array([[1, 5]], np.uint16), 3.0).tolist()
    [[0, 1]]
    """
    if image.dtype == np.uint8:
        import cv2

        # One pass from uint8 to int32 through a 256-entry table: at 512² 0.8x the time of cv2.threshold
        # followed by astype (the floor of issue 13), at 4096² 0.75x.
        return cv2.LUT(image, _binary_table(float(t), polarity == "dark"))
    out = np.empty(image.shape, np.int32)
    (np.less_equal if polarity == "dark" else np.greater)(image, t, out=out)
    return out


def binary_result(labels: NDArray[np.int32], t: float) -> Segmentation:
    """A semantic two-class result with ``meta["threshold"]``."""
    return Segmentation(labels=labels, task="semantic", classes=BINARY_CLASSES, meta={"threshold": float(t)})


def apply_binary(image: NDArray, state: Mapping[str, Any], **_: Any) -> Segmentation:
    """The ``apply`` of the two-class thresholds: labels from ``state["threshold"]`` and ``state["polarity"]``."""
    t = state["threshold"]
    seg = binary_result(binary_labels(image, t, state.get("polarity", "bright")), t)
    if "chosen_polarity" in state:
        seg.meta["polarity"] = state["chosen_polarity"]  # type: ignore[index]
    return seg


def binary_state(t: float, polarity: Polarity, above: Callable[[], tuple[int, int]]) -> dict[str, Any]:
    """The fitted state of a two-class threshold; ``"auto"`` polarity resolved to the minority side.

    `above` returns (pixels above `t`, pixels counted); it is only called for
    ``"auto"``: when more than half the pixels are above the threshold, the
    objects are the dark side.

    Examples
    --------
    >>> binary_state(5.0, "auto", lambda: (9, 10))
    {'threshold': 5.0, 'polarity': 'dark', 'chosen_polarity': 'dark'}
    """
    if polarity != "auto":
        return {"threshold": float(t), "polarity": polarity}
    count, total = above()
    chosen = "dark" if 2 * count > total else "bright"
    return {"threshold": float(t), "polarity": chosen, "chosen_polarity": chosen}


def above_in_image(image: NDArray, t: float, mask: NDArray | None) -> Callable[[], tuple[int, int]]:
    """For :func:`binary_state`: the pixels of `image` (inside `mask`) above `t`, and how many were counted."""
    return lambda: (int(np.count_nonzero(pixel_values(image, mask) > t)), int(pixel_values(image, mask).size))


def above_in_stats(total: NDArray[np.int64], t: float, *, value_range: tuple[float, float], dtype: np.dtype,
                   nbins: int = 256) -> Callable[[], tuple[int, int]]:
    """For :func:`binary_state`: the pixels above `t` counted from summed :func:`histogram_stats`."""
    def count() -> tuple[int, int]:
        counts, centers = stats_histogram(total, value_range=value_range, dtype=dtype, nbins=nbins)
        return int(counts[centers > t].sum()), int(counts.sum())

    return count


def pixel_values(image: NDArray, mask: NDArray | None) -> NDArray:
    """The pixels inside `mask` (all pixels when None), flat."""
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
        counts = level_counts(image, mask)
        nonzero = np.flatnonzero(counts)
        if nonzero.size == 0:  # nothing counted (empty mask)
            return counts[:0], np.arange(0)
        lo, hi = int(nonzero[0]), int(nonzero[-1])
        return counts[lo : hi + 1], np.arange(lo, hi + 1)
    from skimage.exposure import histogram as sk_histogram

    return sk_histogram(binnable_values(image, mask), nbins, source_range="image")


def per_level(dtype: np.dtype, value_range: tuple[float, float]) -> bool:
    """Whether an image of `dtype` spanning `value_range` is counted one bin per integer level.

    >>> per_level(np.dtype(np.uint16), (0, 65535)), per_level(np.dtype(np.int32), (0, 2**20)), per_level(np.dtype(float), (0, 1))
    (True, False, False)
    """
    return np.dtype(dtype).kind in "iu" and int(value_range[1]) - int(value_range[0]) < EXACT_LEVELS


def binnable_values(image: NDArray, mask: NDArray | None) -> NDArray:
    """The pixels inside `mask`, as float64 when they are integers spanning more than :data:`EXACT_LEVELS` levels.

    scikit-image's histogram-based thresholds give such values `nbins` bins instead of one per level.

    >>> binnable_values(np.array([[0, 2**20]], np.int32), None).dtype
    dtype('float64')
    """
    values = pixel_values(image, mask)
    wide = values.dtype.kind in "iu" and values.dtype.itemsize > 2  # 8 and 16 bits always fit: no min/max pass
    if values.size and wide and not per_level(values.dtype, (values.min(), values.max())):
        return values.astype(np.float64)
    return values


def level_counts(image: NDArray, mask: NDArray | None) -> NDArray[np.int64]:
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


def no_split(image: NDArray, mask: NDArray | None) -> bool:
    """True when there is nothing to split: no pixel in `mask`, or a single value."""
    values = pixel_values(image, mask)
    return values.size == 0 or values.min() == values.max()


def fallback_threshold(image: NDArray, mask: NDArray | None) -> float:
    """The family's threshold when nothing splits: the maximum of the counted pixels (all background)."""
    values = pixel_values(image, mask)
    return float((values if values.size else image).max())


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
        counts = level_counts(image, mask)
        return _otsu_uint8(counts) if counts.any() else float(image.max())  # nothing in the mask: the maximum
    if no_split(image, mask):
        return fallback_threshold(image, mask)
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(hist=histogram(image, nbins=nbins, mask=mask)))


def _otsu_uint8(counts: NDArray[np.int64]) -> float:
    """Otsu's threshold from the 256 level counts of a uint8 image (some pixel counted)."""
    levels = np.flatnonzero(counts)
    t = otsu_level(counts) if levels.size > 1 else 0
    # level 0 with no pixel at 0: OpenCV found no split; use the family's rule (the maximum)
    return float(t) if t > 0 or counts[0] > 0 else float(levels[-1])


def otsu_threshold_stats(total: NDArray[np.int64], *, value_range: tuple[float, float], dtype: np.dtype,
                         nbins: int = 256) -> float:
    """:func:`otsu_threshold` of the whole image from its summed :func:`histogram_stats` (the same value).

    Examples
    --------
    >>> img = np.array([[10, 10], [200, 200]], np.uint8)
    >>> otsu_threshold_stats(histogram_stats(img, value_range=(0, 255)), value_range=(0, 255), dtype=img.dtype)
    10.0
    """
    if np.dtype(dtype) == np.uint8:
        return _otsu_uint8(total) if total.any() else float(value_range[1])
    fallback = stats_fallback(total, value_range, dtype)
    if fallback is not None:
        return fallback
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(hist=stats_histogram(total, value_range=value_range, dtype=dtype, nbins=nbins)))


def histogram_stats(tile: NDArray, *, value_range: tuple[float, float], nbins: int = 256,
                    mask: NDArray | None = None, **_: Any) -> NDArray[np.int64]:
    """Counts of a tile's pixels on the bins of the whole image's histogram; they add up over tiles.

    The bins are those :func:`histogram` uses for the whole image: one per
    integer level from ``value_range[0]`` to ``value_range[1]`` for integer
    images, `nbins` equal bins over `value_range` (the whole image's minimum
    and maximum) for float images, exactly as ``np.histogram`` places them.
    :func:`stats_histogram` turns the sum back into :func:`histogram`'s output.

    Examples
    --------
    >>> a, b = np.array([[3, 3]], np.uint8), np.array([[5, 200]], np.uint8)
    >>> total = histogram_stats(a, value_range=(0, 255)) + histogram_stats(b, value_range=(0, 255))
    >>> [c.tolist()[:3] for c in stats_histogram(total, value_range=(0, 255), dtype=np.uint8)]
    [[2, 0, 1], [3, 4, 5]]
    """
    if per_level(tile.dtype, value_range):
        lo, hi = int(value_range[0]), int(value_range[1])
        if tile.dtype in (np.uint8, np.uint16) and (lo, hi) == (0, np.iinfo(tile.dtype).max):
            return level_counts(tile, mask)
        return np.bincount((pixel_values(tile, mask).astype(np.int64) - lo).ravel(), minlength=hi - lo + 1)
    lo, hi = np.asarray(value_range, dtype=np.float64 if tile.dtype.kind in "iu" else tile.dtype)
    return np.histogram(pixel_values(tile, mask), bins=nbins, range=(lo, hi))[0].astype(np.int64)


def stats_histogram(total: NDArray[np.int64], *, value_range: tuple[float, float], dtype: np.dtype,
                    nbins: int = 256) -> tuple[NDArray, NDArray]:
    """``(counts, centres)`` from summed :func:`histogram_stats`: what :func:`histogram` gives on the whole image.

    Integer levels are trimmed to the occupied range, as scikit-image trims
    them to [min, max]; float bins are kept as ``np.histogram`` made them.
    """
    if per_level(dtype, value_range):
        nonzero = np.flatnonzero(total)
        if nonzero.size == 0:
            return total[:0], np.arange(0)
        first, last = int(nonzero[0]), int(nonzero[-1])
        return total[first : last + 1], np.arange(int(value_range[0]) + first, int(value_range[0]) + last + 1)
    lo, hi = np.asarray(value_range, dtype=np.float64 if np.dtype(dtype).kind in "iu" else dtype)
    edges = np.histogram(np.zeros(0, dtype), bins=nbins, range=(lo, hi))[1]
    return total, (edges[:-1] + edges[1:]) / 2.0


def stats_fallback(total: NDArray[np.int64], value_range: tuple[float, float], dtype: np.dtype) -> float | None:
    """The family's threshold when nothing splits (see :func:`fallback_threshold`), from summed statistics.

    Returns None when the counted pixels hold more than one value. With no
    pixel counted (an empty mask), the top of `value_range`.
    """
    occupied = np.flatnonzero(total)
    if occupied.size == 0:
        return float(value_range[1])
    if per_level(dtype, value_range):
        return float(int(value_range[0]) + int(occupied[-1])) if occupied.size == 1 else None
    return float(value_range[1]) if value_range[0] == value_range[1] else None
