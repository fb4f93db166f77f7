"""Edge-based segmentation: Canny, Sobel/Scharr with hysteresis, Marr-Hildreth zero crossings.

Every method first finds a boolean edge map, then turns it into instances the
same way (:func:`regions_from_edges`): the edges are closed with a disk of
radius `close_radius` (dilated, so gaps up to ``2 * close_radius`` pixels are
bridged), every region they enclose becomes one instance, edge pixels join the
nearest enclosed region (splitting edge bands along their middle, which
undoes the dilation), and instances under `min_size` pixels are dropped. Ids
run 1..N; 0 is background. Regions that reach the image border (or leave
`mask`) are not enclosed.

Every result keeps its edge map in ``Segmentation.scores`` as a ``(1, H, W)``
float32 array, 1.0 on edge pixels and 0.0 elsewhere (zero outside `mask`).
Thresholds are in the image's own units (no rescaling); the ones actually used
are reported in ``meta``.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.edges import canny
>>> img = np.zeros((40, 40), np.uint8); img[10:30, 10:30] = 200
>>> seg = canny(img, low_threshold=50, high_threshold=100)
>>> seg.num_segments, seg.scores.shape
(1, (1, 40, 40))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.jit import jit
from ..core.params import Interval
from ..core.registry import register
from ..core.types import Segmentation, instance_segmentation
from ..core.validate import check_param, float_dtype_for
from .smoothing import gaussian_blur

__all__ = [
    "canny",
    "sobel",
    "scharr",
    "log_zero_crossing",
    "canny_edges",
    "gradient_magnitude",
    "hysteresis",
    "log_zero_crossings",
    "regions_from_edges",
]

REGION_CLASSES = ("background", "region")
_BORDER = cv2.BORDER_REFLECT  # 'fedcba|abcdef', scipy.ndimage's mode="reflect"


# --------------------------------------------------------------------- regions


@lru_cache(maxsize=16)
def _disk(radius: int) -> NDArray[np.uint8]:
    """``skimage.morphology.disk(radius)`` as a uint8 OpenCV kernel."""
    r = np.arange(-radius, radius + 1)
    return ((r[:, None] ** 2 + r[None, :] ** 2) <= radius * radius).astype(np.uint8)


def regions_from_edges(
    edges: ArrayLike,
    *,
    close_radius: int = 2,
    min_size: int = 16,
    mask: ArrayLike | None = None,
) -> NDArray[np.int32]:
    """Instances enclosed by an edge map: close, fill, label, drop small ones.

    Parameters
    ----------
    edges : (H, W) ndarray of bool
        Edge map; nonzero = edge.
    close_radius : int, optional
        Radius ``r`` of the disk that closes the edges (``0``: none): the edges
        are dilated by the disk, which bridges gaps of up to ``2 r`` pixels,
        and the regions they enclose grow back into the band (see Notes).
    min_size : int, optional
        Instances with fewer pixels (edge share included) are dropped (set to 0).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` are background, like the space beyond the image
        border: a region that reaches them is not enclosed.

    Returns
    -------
    (H, W) ndarray of int32
        Instance ids 1..N, 0 = background.

    Notes
    -----
    The closing is done in two halves: the edge map is dilated by the disk,
    and the erosion that would undo the dilation is replaced by growing the
    enclosed regions back into the dilated band, so boundaries return to the
    middle of the band while the bridged gaps stay closed.

    After the dilation, the background is flood-filled from outside the
    image with 4-connectivity (edges are 8-connected curves, so it cannot
    leak through them); every 4-connected non-edge area it cannot reach is
    enclosed and becomes an instance (``scipy.ndimage.binary_fill_holes``
    semantics). With `mask`, an area that reaches a pixel outside `mask` is
    background too. The enclosed areas and the background then grow into
    the edge band together, one 8-neighbour step at a time, and each edge
    pixel joins whichever reaches it first (on a tie an area beats the
    background, and the larger id beats the smaller):
    a one-pixel contour belongs to the object it encloses, a thick band is
    split along its middle, and two objects sharing one edge stay apart. An
    open curve encloses nothing and yields no instance.

    Examples
    --------
    >>> ring = np.zeros((7, 7), bool); ring[1:6, 1:6] = True; ring[2:5, 2:5] = False
    >>> regions_from_edges(ring, close_radius=0, min_size=1).sum()  # the contour and its inside
    np.int64(25)
    >>> line = np.zeros((7, 7), bool); line[3, :] = True
    >>> int(regions_from_edges(line, close_radius=0, min_size=1).max())  # encloses nothing
    0
    """
    return _regions(edges, close_radius, min_size, mask)[0]


def _regions(edges: ArrayLike, close_radius: int, min_size: int,
             mask: ArrayLike | None) -> tuple[NDArray[np.int32], int]:
    """:func:`regions_from_edges` and the number N of its regions."""
    check_param(close_radius >= 0, "close_radius", f"must be >= 0; got {close_radius}.")
    check_param(min_size >= 0, "min_size", f"must be >= 0; got {min_size}.")
    band = np.ascontiguousarray(np.asarray(edges) != 0).view(np.uint8)
    if close_radius > 0:
        band = cv2.dilate(band, _disk(int(close_radius)))
    # A free ring around the image joins every area that touches the border into one: the outside.
    canvas = cv2.copyMakeBorder(band, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    n, lab = cv2.connectedComponents(np.equal(canvas, 0).view(np.uint8), connectivity=4, ltype=cv2.CV_32S)
    if lab[0, 0] != 1:  # OpenCV numbers the component of the first pixel 1; make sure of it
        swap = np.arange(n, dtype=np.int32)
        swap[[1, lab[0, 0]]] = swap[[lab[0, 0], 1]]
        lab = np.take(swap, lab)
    _grow_into_band(lab, canvas)
    drop = np.zeros(n, bool)
    drop[:2] = True  # 0: nothing (every band pixel is claimed); 1: the outside
    if mask is not None:
        outside_mask = ~np.asarray(mask, bool)
        drop[lab[1:-1, 1:-1][outside_mask]] = True
    labels, kept = _keep_regions(lab, drop, min_size)
    if mask is not None:
        labels[outside_mask] = 0
    return labels, kept


@jit
def _keep_regions(lab, drop, min_size):  # pragma: no cover - compiled
    """Unpad `lab`, dropping the ids marked in `drop` and those under `min_size` pixels; ids 1..N left, and N."""
    h, w = lab.shape[0] - 2, lab.shape[1] - 2
    if min_size > 1:
        counts = np.zeros(drop.size, np.int64)
        for r in range(h + 2):
            for c in range(w + 2):
                counts[lab[r, c]] += 1
        for i in range(drop.size):
            if counts[i] < min_size:
                drop[i] = True
    lut = np.zeros(drop.size, np.int32)
    kept = 0
    for i in range(drop.size):
        if not drop[i]:
            kept += 1
            lut[i] = kept
    out = np.empty((h, w), np.int32)
    for r in range(h):
        for c in range(w):
            out[r, c] = lut[lab[r + 1, c + 1]]
    return out, kept


def _grow_into_band(lab: NDArray[np.int32], canvas: NDArray[np.uint8]) -> None:
    """Grow the areas (ids >= 2) and the outside (1) together into the band (``canvas == 1``), in place.

    Breadth-first growth in 8-neighbour steps reaches a band pixel at step
    ``d``, its chessboard distance to the nearest non-band pixel (the
    shortest king's path to it runs through the band). So the band pixels
    are visited layer by layer in order of that distance, and each takes the
    largest label among its 8 neighbours, all of which lie in earlier layers
    or are still 0: an area id beats the outside's 1. `lab` is padded, so
    every band pixel has 8 in-bounds neighbours.
    """
    idx = np.flatnonzero(canvas)
    if not idx.size:
        return
    layer = cv2.distanceTransform(canvas, cv2.DIST_C, 3).ravel()[idx].astype(np.uint16)
    order = np.argsort(layer, kind="stable")  # radix sort for uint16 keys
    idx, layer = idx[order], layer[order]
    _fill_layers(lab.ravel(), idx, layer, lab.shape[1])


@jit
def _fill_layers(flat, idx, layer, stride):  # pragma: no cover - compiled
    """Each pixel of `idx` (sorted by `layer`) takes the largest of its 8 neighbours, one layer at a time."""
    owner = np.empty(idx.size, flat.dtype)
    start = 0
    while start < idx.size:
        end = start
        while end < idx.size and layer[end] == layer[start]:
            end += 1
        for k in range(start, end):  # the whole layer reads the state before it ...
            p = idx[k]
            best = flat[p - stride - 1]
            for q in (p - stride, p - stride + 1, p - 1, p + 1, p + stride - 1, p + stride, p + stride + 1):
                best = max(best, flat[q])
            owner[k] = best
        for k in range(start, end):  # ... then is written
            flat[idx[k]] = owner[k]
        start = end


def _result(
    edges: NDArray[np.bool_],
    mask: NDArray[np.bool_] | None,
    close_radius: int,
    min_size: int,
    meta: Mapping[str, Any],
) -> Segmentation:
    if mask is not None:
        edges = edges & mask
    labels, n = _regions(edges, close_radius, min_size, mask)
    scores = edges.view(np.uint8).astype(np.float32)[None]
    return instance_segmentation(labels, class_name=REGION_CLASSES[1], scores=scores, num_segments=n,
                                 meta={**meta, "n_edge_pixels": int(np.count_nonzero(edges))})


def _check_thresholds(low: float | None, high: float | None) -> None:
    if low is not None and high is not None:
        check_param(
            low <= high, "low_threshold",
            f"must not exceed high_threshold; got low_threshold={low} > high_threshold={high}. Swap them.",
        )


def _check_params(params: Mapping[str, Any]) -> None:
    _check_thresholds(params["low_threshold"], params["high_threshold"])


def _halo(sigma_default: float, extra: int) -> Any:
    def halo(p: Mapping[str, Any]) -> int:
        return math.ceil(4 * p.get("sigma", sigma_default)) + extra + p.get("close_radius", 2)

    return halo


# ----------------------------------------------------------------------- Canny


def canny_edges(
    image: NDArray,
    *,
    sigma: float = 1.0,
    low_threshold: float | None = None,
    high_threshold: float | None = None,
) -> tuple[NDArray[np.bool_], float, float]:
    """Canny edge map of a validated gray image, and the thresholds used.

    uint8 images run through OpenCV: the result equals
    ``cv2.Canny(cv2.GaussianBlur(image, (0, 0), sigma), low, high,
    L2gradient=True) > 0`` (no blur when ``sigma == 0``). Every other dtype
    runs through scikit-image on a float copy: the result equals
    ``skimage.feature.canny(image.astype(float), sigma, low, high)``.
    Both compare the thresholds with the L2 norm of the unnormalised 3x3 Sobel
    gradient (``[1, 2, 1] x [-1, 0, 1]``) of the smoothed image, in the image's
    units: a ramp of slope ``s`` per pixel has magnitude ``8 s``.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype.
    sigma : float, optional
        Gaussian smoothing before the gradient, in pixels.
    low_threshold, high_threshold : float or None, optional
        Hysteresis thresholds; ``None`` takes the classic median rule
        ``0.66 * m`` (low) and ``1.33 * m`` (high), ``m`` = median of ``|image|``.

    Returns
    -------
    edges : (H, W) ndarray of bool
    low_threshold, high_threshold : float
        The thresholds used.

    Examples
    --------
    >>> img = np.zeros((9, 9), np.uint8); img[:, 4:] = 100
    >>> e, lo, hi = canny_edges(img, sigma=0, low_threshold=50, high_threshold=100)
    >>> np.flatnonzero(e[4]).tolist(), (lo, hi)  # one pixel beside the step
    ([3], (50.0, 100.0))
    """
    check_param(sigma >= 0, "sigma", f"must be >= 0; got {sigma}.")
    _check_thresholds(low_threshold, high_threshold)
    if low_threshold is None or high_threshold is None:
        m = _abs_median(image)
        low_threshold = 0.66 * m if low_threshold is None else low_threshold
        high_threshold = 1.33 * m if high_threshold is None else high_threshold
        high_threshold = max(high_threshold, low_threshold)
    low, high = float(low_threshold), float(high_threshold)
    if image.dtype == np.uint8:
        smoothed = gaussian_blur(image, sigma) if sigma > 0 else image
        edges = cv2.Canny(smoothed, low, high, L2gradient=True)  # 0 or 255
        return np.minimum(edges, 1, out=edges).view(bool), low, high
    from skimage.feature import canny as sk_canny

    values = image.astype(float_dtype_for(image.dtype), copy=False)
    return sk_canny(values, sigma=sigma, low_threshold=low, high_threshold=high), low, high


def _abs_median(image: NDArray) -> float:
    if image.dtype == np.uint8:
        hist = cv2.calcHist([image], [0], None, [256], [0, 256]).ravel()
        cum = np.cumsum(hist)
        half = cum[-1] / 2
        lo = int(np.searchsorted(cum, half, side="left"))
        if cum[lo] == half:  # even count split exactly between two levels, as np.median
            return (lo + int(np.searchsorted(cum, half, side="right"))) / 2
        return float(lo)
    return float(np.median(np.abs(image)))


@register(
    "canny", family="edge", task="instance", input="gray", tiling="instance", halo=_halo(1.0, 2),
    check=_check_params,
)
def canny(
    image: ArrayLike,
    /,
    *,
    sigma: Annotated[float, Interval(0, None)] = 1.0,
    low_threshold: Annotated[float, Interval(0, None)] | None = None,
    high_threshold: Annotated[float, Interval(0, None)] | None = None,
    close_radius: Annotated[int, Interval(0, 256)] = 2,
    min_size: Annotated[int, Interval(0, None)] = 16,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Canny edges, closed and filled into instances.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype; RGB is converted to gray (BT.601 luma).
        uint8 runs through OpenCV (``GaussianBlur`` + ``Canny``, fast), other
        dtypes through ``skimage.feature.canny`` on a float copy.
    sigma : float, optional
        Gaussian smoothing before the gradient, in pixels (0: none).
    low_threshold : float or None, optional
        Lower hysteresis threshold on the L2 norm of the unnormalised 3x3
        Sobel gradient, in the image's units (a ramp of slope ``s`` per pixel
        has magnitude ``8 s``; OpenCV's and scikit-image's convention for
        uint8 and float input). ``None``: ``0.66 * median(|image|)``.
    high_threshold : float or None, optional
        Upper hysteresis threshold, same units. ``None``: ``1.33 * median(|image|)``
        (the classic automatic-Canny rule).
    close_radius : int, optional
        Radius of the disk the edges are closed with before the enclosed
        regions are found; bridges gaps up to ``2 * close_radius`` pixels.
    min_size : int, optional
        Instances with fewer pixels are dropped.
    mask : (H, W) ndarray of bool, optional
        Edges and instances only inside `mask`.

    Returns
    -------
    Segmentation
        Instances 1..N enclosed by the closed edges, ``classes=("background",
        "region")``; ``scores[0]`` is the edge map (1.0 on edges, before closing);
        ``meta`` holds ``low_threshold``, ``high_threshold``, ``implementation``
        and ``n_edge_pixels``.

    Notes
    -----
    The automatic thresholds depend on the whole image's median, so tiles of
    an image agree with the whole only when both thresholds are given.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((40, 40), np.uint8); img[5:15, 5:15] = 200; img[22:35, 20:36] = 200
    >>> seg = canny(img, low_threshold=50, high_threshold=100)
    >>> areas = np.bincount(seg.labels.ravel())[1:]  # true areas 100 and 208, edges hug the border
    >>> seg.num_segments, np.abs(areas - [100, 208]).max() <= 15
    (2, np.True_)
    """
    edges, low, high = canny_edges(
        image, sigma=sigma, low_threshold=low_threshold, high_threshold=high_threshold
    )
    impl = "opencv" if image.dtype == np.uint8 else "scikit-image"
    meta = {"low_threshold": low, "high_threshold": high, "implementation": impl}
    return _result(edges, mask, close_radius, min_size, meta)


# ---------------------------------------------------------------- Sobel/Scharr


def gradient_magnitude(
    image: NDArray, *, operator: Literal["sobel", "scharr"] = "sobel", sigma: float = 0.0
) -> NDArray[np.floating]:
    """Gradient magnitude with a 3x3 Sobel or Scharr operator, in image units per pixel.

    The kernels are normalised so that the magnitude estimates ``|grad I|``:
    Sobel divided by 8, Scharr by 32, so a ramp of slope ``s`` gives ``s``
    (``skimage.filters.sobel`` equals this times ``sqrt(2)``). Borders are
    mirrored (``'reflect'``). Computed in float32 (float64 for float64 input).

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype.
    operator : {"sobel", "scharr"}, optional
        Derivative kernel.
    sigma : float, optional
        Gaussian pre-smoothing in pixels (0: none).

    Returns
    -------
    (H, W) ndarray of float32 or float64

    Examples
    --------
    >>> ramp = np.tile(np.arange(6, dtype=np.float32) * 3, (4, 1))
    >>> gradient_magnitude(ramp)[1, 1:5].tolist()
    [3.0, 3.0, 3.0, 3.0]
    """
    check_param(sigma >= 0, "sigma", f"must be >= 0; got {sigma}.")
    check_param(operator in ("sobel", "scharr"), "operator", f"must be 'sobel' or 'scharr'; got {operator!r}.")
    f = image.astype(float_dtype_for(image.dtype), copy=False)
    if sigma > 0:
        f = gaussian_blur(f, sigma, border=_BORDER)
    if operator == "sobel":
        gx = cv2.Sobel(f, -1, 1, 0, ksize=3, scale=1 / 8, borderType=_BORDER)
        gy = cv2.Sobel(f, -1, 0, 1, ksize=3, scale=1 / 8, borderType=_BORDER)
    else:
        gx = cv2.Scharr(f, -1, 1, 0, scale=1 / 32, borderType=_BORDER)
        gy = cv2.Scharr(f, -1, 0, 1, scale=1 / 32, borderType=_BORDER)
    return cv2.magnitude(gx, gy)


def hysteresis(
    values: NDArray, low: float, high: float, *, connectivity: int = 8
) -> NDArray[np.bool_]:
    """Hysteresis threshold: pixels ``> low`` connected to a pixel ``> high``.

    Same semantics as ``skimage.filters.apply_hysteresis_threshold`` (which
    uses 4-connectivity), computed with OpenCV's connected components.

    Parameters
    ----------
    values : (H, W) ndarray
        E.g. a gradient magnitude.
    low, high : float
        Thresholds, ``low <= high``.
    connectivity : {4, 8}, optional
        Neighbourhood that links pixels above `low`.

    Returns
    -------
    (H, W) ndarray of bool

    Examples
    --------
    >>> hysteresis(np.array([[1, 2, 3, 2, 1, 2, 1, 3, 2]]), 1.5, 2.5).astype(int).tolist()
    [[0, 1, 1, 1, 0, 0, 0, 1, 1]]
    """
    check_param(connectivity in (4, 8), "connectivity", f"must be 4 or 8; got {connectivity}.")
    _check_thresholds(low, high)
    weak = np.greater(values, low)
    n, lab = cv2.connectedComponents(weak.view(np.uint8), connectivity=connectivity, ltype=cv2.CV_32S)
    if n <= 1:
        return weak
    keep = np.zeros(n, bool)
    keep[lab[np.greater(values, high)]] = True
    keep[0] = False
    return keep[lab]


def _auto_high(magnitude: NDArray) -> float:
    """Otsu's threshold of a magnitude, from a 256-bin histogram on [0, max]."""
    top = float(magnitude.max()) if magnitude.size else 0.0  # an empty mask selects nothing
    if top <= 0:
        return 0.0
    levels = cv2.convertScaleAbs(magnitude, alpha=255.0 / top)  # rounds to 0..255
    t, _ = cv2.threshold(levels, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return (t + 0.5) * top / 255.0


def _gradient_method(
    image: NDArray,
    operator: Literal["sobel", "scharr"],
    sigma: float,
    low_threshold: float | None,
    high_threshold: float | None,
    connectivity: int,
    close_radius: int,
    min_size: int,
    mask: NDArray[np.bool_] | None,
) -> Segmentation:
    _check_thresholds(low_threshold, high_threshold)
    mag = gradient_magnitude(image, operator=operator, sigma=sigma)
    high = _auto_high(mag if mask is None else mag[mask]) if high_threshold is None else high_threshold
    low = 0.5 * high if low_threshold is None else low_threshold
    check_param(
        low <= high, "low_threshold",
        f"{low} exceeds the automatic high_threshold {high}; give high_threshold too.",
    )
    edges = hysteresis(mag, low, high, connectivity=connectivity)
    meta = {"low_threshold": float(low), "high_threshold": float(high)}
    return _result(edges, mask, close_radius, min_size, meta)


_GRADIENT_DOC = """{title} gradient magnitude with hysteresis, closed and filled into instances.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype; RGB is converted to gray (BT.601 luma).
    sigma : float, optional
        Gaussian pre-smoothing in pixels (0: none).
    low_threshold : float or None, optional
        Lower hysteresis threshold on the gradient magnitude, in image units
        per pixel (the {title} kernel is divided by {norm}, so a ramp of slope
        ``s`` has magnitude ``s``). ``None``: half of `high_threshold`.
    high_threshold : float or None, optional
        Upper hysteresis threshold, same units. ``None``: Otsu's threshold of
        the magnitude (256 bins between 0 and its maximum, inside `mask`).
    connectivity : {{4, 8}}, optional
        Neighbourhood that links edge pixels in the hysteresis search
        (``skimage.filters.apply_hysteresis_threshold`` uses 4).
    close_radius : int, optional
        Radius of the disk the edges are closed with before the enclosed
        regions are found; bridges gaps up to ``2 * close_radius`` pixels.
    min_size : int, optional
        Instances with fewer pixels are dropped.
    mask : (H, W) ndarray of bool, optional
        Edges and instances only inside `mask`.

    Returns
    -------
    Segmentation
        Instances 1..N enclosed by the closed edges, ``classes=("background",
        "region")``; ``scores[0]`` is the hysteresis edge map (thick, no
        non-maximum suppression); ``meta`` holds the thresholds used.

    Notes
    -----
    Pixels with magnitude ``> low_threshold`` that are connected to a pixel
    ``> high_threshold`` are edges; the search labels the weak mask with
    OpenCV's connected components and keeps the components holding a strong
    pixel. Automatic thresholds depend on the whole image.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((40, 40), np.uint8); img[10:30, 10:30] = 200
    >>> seg = {name}(img, low_threshold=20, high_threshold=40)
    >>> seg.num_segments, seg.meta["high_threshold"]
    (1, 40.0)
    """


def _gradient_doc(title: str, norm: int, name: str) -> Any:
    def decorate(fn: Any) -> Any:
        fn.__doc__ = _GRADIENT_DOC.format(title=title, norm=norm, name=name)
        return fn

    return decorate


@register(
    "sobel", family="edge", task="instance", input="gray", tiling="instance", halo=_halo(0.0, 1),
    check=_check_params,
)
@_gradient_doc("Sobel", 8, "sobel")
def sobel(
    image: ArrayLike,
    /,
    *,
    sigma: Annotated[float, Interval(0, None)] = 0.0,
    low_threshold: Annotated[float, Interval(0, None)] | None = None,
    high_threshold: Annotated[float, Interval(0, None)] | None = None,
    connectivity: Literal[4, 8] = 8,
    close_radius: Annotated[int, Interval(0, 256)] = 2,
    min_size: Annotated[int, Interval(0, None)] = 16,
    mask: ArrayLike | None = None,
) -> Segmentation:
    return _gradient_method(
        image, "sobel", sigma, low_threshold, high_threshold, connectivity, close_radius, min_size, mask
    )


@register(
    "scharr", family="edge", task="instance", input="gray", tiling="instance", halo=_halo(0.0, 1),
    check=_check_params,
)
@_gradient_doc("Scharr", 32, "scharr")
def scharr(
    image: ArrayLike,
    /,
    *,
    sigma: Annotated[float, Interval(0, None)] = 0.0,
    low_threshold: Annotated[float, Interval(0, None)] | None = None,
    high_threshold: Annotated[float, Interval(0, None)] | None = None,
    connectivity: Literal[4, 8] = 8,
    close_radius: Annotated[int, Interval(0, 256)] = 2,
    min_size: Annotated[int, Interval(0, None)] = 16,
    mask: ArrayLike | None = None,
) -> Segmentation:
    return _gradient_method(
        image, "scharr", sigma, low_threshold, high_threshold, connectivity, close_radius, min_size, mask
    )


# ------------------------------------------------------------- Marr-Hildreth


def log_zero_crossings(
    image: NDArray, *, sigma: float = 2.0, threshold: float | None = None
) -> tuple[NDArray[np.bool_], float]:
    """Zero crossings of the Laplacian of Gaussian whose slope exceeds a threshold.

    The LoG is ``cv2.Laplacian`` (``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``) of
    ``cv2.GaussianBlur`` at `sigma` (mirrored borders), in float32 (float64
    for float64 input), in image units per pixel squared. A horizontal or
    vertical neighbour pair is a crossing when exactly one of the two is
    positive and ``|L(p) - L(q)| > threshold``; the pixel of the pair nearer
    to zero (smaller ``|L|``) is marked, as MATLAB's ``edge(I, 'log')`` does.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype.
    sigma : float, optional
        Scale of the Gaussian in pixels (> 0).
    threshold : float or None, optional
        Minimum slope; ``None``: ``0.75 * mean(|LoG|)`` (MATLAB's default).

    Returns
    -------
    edges : (H, W) ndarray of bool
    threshold : float
        The threshold used.

    Examples
    --------
    >>> img = np.zeros((12, 12), np.float32); img[:, 6:] = 1
    >>> e, t = log_zero_crossings(img, sigma=1.0, threshold=0.01)
    >>> np.flatnonzero(e[6]).tolist()
    [5]
    """
    check_param(sigma > 0, "sigma", f"must be > 0; got {sigma}.")
    f = image.astype(float_dtype_for(image.dtype), copy=False)
    lap = cv2.Laplacian(gaussian_blur(f, sigma, border=_BORDER), -1, ksize=1, borderType=_BORDER)
    mag = np.abs(lap)
    if threshold is None:
        threshold = 0.75 * float(mag.mean())
    pos = lap > 0
    edges = np.zeros(lap.shape, bool)
    for axis in (0, 1):
        a = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        b = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        cross = pos[a] != pos[b]
        cross &= (mag[a] + mag[b]) > threshold  # opposite signs: |L(p) - L(q)| = |L(p)| + |L(q)|
        first = mag[a] <= mag[b]
        edges[a] |= cross & first
        edges[b] |= cross & ~first
    return edges, float(threshold)


@register(
    "log_zero_crossing", family="edge", task="instance", input="gray", tiling="instance",
    halo=_halo(2.0, 2),
)
def log_zero_crossing(
    image: ArrayLike,
    /,
    *,
    sigma: Annotated[float, Interval(0, None, lo_open=True)] = 2.0,
    threshold: Annotated[float, Interval(0, None)] | None = None,
    close_radius: Annotated[int, Interval(0, 256)] = 1,
    min_size: Annotated[int, Interval(0, None)] = 16,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Marr-Hildreth edges (zero crossings of the Laplacian of Gaussian), filled into instances.

    Parameters
    ----------
    image : (H, W) ndarray
        Gray image, any real dtype; RGB is converted to gray (BT.601 luma).
    sigma : float, optional
        Scale of the Laplacian of Gaussian, in pixels.
    threshold : float or None, optional
        Minimum slope across a zero crossing, ``|L(p) - L(q)|`` for the two
        neighbours of opposite sign, in image units per pixel squared.
        ``None``: ``0.75 * mean(|LoG|)`` (MATLAB's default for ``edge(I, 'log')``).
    close_radius : int, optional
        Radius of the disk the edges are closed with before the enclosed
        regions are found; bridges gaps up to ``2 * close_radius`` pixels.
    min_size : int, optional
        Instances with fewer pixels are dropped.
    mask : (H, W) ndarray of bool, optional
        Edges and instances only inside `mask`.

    Returns
    -------
    Segmentation
        Instances 1..N enclosed by the zero-crossing contours,
        ``classes=("background", "region")``; ``scores[0]`` is the edge map;
        ``meta["threshold"]`` is the slope threshold used.

    Notes
    -----
    Zero crossings of a smooth function form closed contours, except where
    the image border cuts them. A bright blob on a dark ground has a negative
    LoG inside its edge and a positive one outside. The automatic threshold
    depends on the whole image.

    Examples
    --------
    >>> import numpy as np
    >>> rr, cc = np.mgrid[:48, :48]
    >>> img = (((rr - 24) ** 2 + (cc - 24) ** 2) < 12 ** 2).astype(np.float32)
    >>> seg = log_zero_crossing(img, sigma=2.0)
    >>> seg.num_segments, abs(int((seg.labels == 1).sum()) - 452) < 60
    (1, True)
    """
    if image.min() == image.max():  # flat: the LoG is zero everywhere, no crossing
        edges, used = np.zeros(image.shape, bool), 0.0 if threshold is None else float(threshold)
    else:
        edges, used = log_zero_crossings(image, sigma=sigma, threshold=threshold)
    return _result(edges, mask, close_radius, min_size, {"threshold": used})
