"""Edge-based segmentation: Canny, Sobel/Scharr with hysteresis, Marr-Hildreth zero crossings.

Every method first finds a boolean edge map, then turns it into instances the
same way (:func:`regions_from_edges`): the edges are closed with a disk of
radius `close_radius` (dilated, so gaps up to ``2 * close_radius`` pixels are
bridged), every region they enclose becomes one instance, edge pixels join the
nearest enclosed region (splitting edge bands along their middle, which
undoes the dilation), and instances under `min_size` pixels are dropped. Ids
run 1..N; 0 is background. Regions that reach the image border (or leave
`mask`) are not enclosed.

With ``return_scores=True`` a result also holds its soft edge map in
``Segmentation.scores`` as a ``(1, H, W)`` float32 array: the edge strength
its thresholds cut (Canny: the non-maximum-suppressed gradient magnitude;
Sobel/Scharr: the gradient magnitude; Marr-Hildreth: the slope across each
zero crossing), 0 elsewhere and outside `mask`. (Until seglab 0.2 ``scores``
always held the binary edge map.) Thresholds are in the image's own units
(no rescaling); the ones actually used are reported in ``meta``.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.edges import canny
>>> img = np.zeros((40, 40), np.uint8); img[10:30, 10:30] = 200
>>> seg = canny(img, sigma=0, low_threshold=50, high_threshold=100, return_scores=True)
>>> seg.num_segments, seg.scores.shape, float(seg.scores[0, 20].max())  # a step of 200: Sobel 4 x 200
(1, (1, 40, 40), 800.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval
from ..core.registry import register
from ..core.types import Segmentation, instance_segmentation
from ..core.validate import check_param, float_dtype_for
from .edge_regions import enclosed_regions, regions_from_edges
from .edge_strength import canny_gradient, canny_strength, is_flat, otsu_of_magnitude
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
    "crossing_slopes",
    "regions_from_edges",
]

REGION_CLASSES = ("background", "region")
_BORDER = cv2.BORDER_REFLECT  # 'fedcba|abcdef', scipy.ndimage's mode="reflect"


def _result(
    edges: NDArray[np.bool_],
    mask: NDArray[np.bool_] | None,
    close_radius: int,
    min_size: int,
    meta: Mapping[str, Any],
    strength: NDArray | None,
) -> Segmentation:
    """The instances of an edge map; `strength` (a soft edge map, or None) becomes ``scores[0]``."""
    if mask is not None:
        edges = edges & mask
    labels, n = enclosed_regions(edges, close_radius, min_size, mask)
    scores = None
    if strength is not None:
        scores = strength.astype(np.float32, copy=False)[None]
        if mask is not None:
            scores = np.where(mask, scores, np.float32(0))
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
    mask: NDArray[np.bool_] | None = None,
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
        Hysteresis thresholds. ``None``: `high_threshold` is Otsu's
        threshold of that gradient magnitude (256 bins on [0, max], over
        `mask`), `low_threshold` half of `high_threshold`; both follow the
        slopes, so an image and its upscale find the same edges.
    mask : (H, W) ndarray of bool, optional
        Pixels the automatic thresholds are measured on.

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
    if is_flat(image):  # flat: no gradient (a float blur's round-off would fake one)
        low = 0.0 if low_threshold is None else float(low_threshold)
        return np.zeros(image.shape, bool), low, max(low, 0.0 if high_threshold is None else float(high_threshold))
    if low_threshold is None or high_threshold is None:
        dx, dy = canny_gradient(image, sigma)
        ftype = np.float64 if dx.dtype == np.float64 else np.float32
        mag = cv2.magnitude(dx.astype(ftype, copy=False), dy.astype(ftype, copy=False))
        auto = otsu_of_magnitude(mag if mask is None else mag[mask])
        high_threshold = auto if high_threshold is None else high_threshold
        high_threshold = max(high_threshold, low_threshold or 0.0)
        low_threshold = 0.5 * high_threshold if low_threshold is None else low_threshold
    low, high = float(low_threshold), float(high_threshold)
    if image.dtype == np.uint8:
        smoothed = gaussian_blur(image, sigma) if sigma > 0 else image
        edges = cv2.Canny(smoothed, low, high, L2gradient=True)  # 0 or 255
        cv2.threshold(edges, 0, 1, cv2.THRESH_BINARY, dst=edges)  # 0 or 1 in place (np.minimum: 25x slower)
        return edges.view(bool), low, high
    from skimage.feature import canny as sk_canny

    values = image.astype(float_dtype_for(image.dtype), copy=False)
    return sk_canny(values, sigma=sigma, low_threshold=low, high_threshold=high), low, high


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
    return_scores: bool = False,
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
        uint8 and float input). ``None``: half of `high_threshold`.
    high_threshold : float or None, optional
        Upper hysteresis threshold, same units. ``None``: Otsu's threshold of
        the gradient magnitude (256 bins on [0, max], inside `mask`).
    close_radius : int, optional
        Radius of the disk the edges are closed with before the enclosed
        regions are found; bridges gaps up to ``2 * close_radius`` pixels.
    min_size : int, optional
        Instances with fewer pixels are dropped.
    return_scores : bool, optional
        Also return the soft edge map, :func:`~seglab.classical.edge_strength.canny_strength`:
        the non-maximum-suppressed gradient magnitude, in the thresholds'
        units (0 off the ridges and outside `mask`), as ``scores[0]``.
    mask : (H, W) ndarray of bool, optional
        Edges and instances only inside `mask`.

    Returns
    -------
    Segmentation
        Instances 1..N enclosed by the closed edges, ``classes=("background",
        "region")``; ``scores`` is None, or ``(1, H, W)`` float32 with
        `return_scores`; ``meta`` holds ``low_threshold``, ``high_threshold``,
        ``implementation`` and ``n_edge_pixels``.

    Notes
    -----
    The automatic thresholds follow the gradient, so they scale with the
    image's slopes (an upscale by ``k`` divides every slope by ``k``; a rule
    on intensities, such as seglab 0.1's ``0.66 / 1.33 * median(|image|)``,
    does not). They depend on the whole image, so tiles of an image agree
    with the whole only when both thresholds are given. For uint8 images the
    8-connected hysteresis of ``scores[0]`` at the two thresholds is the edge
    map; for other dtypes scikit-image's smoothing and interpolated
    suppression can put an edge a pixel off the soft map's ridge.

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
        image, sigma=sigma, low_threshold=low_threshold, high_threshold=high_threshold, mask=mask
    )
    impl = "opencv" if image.dtype == np.uint8 else "scikit-image"
    meta = {"low_threshold": low, "high_threshold": high, "implementation": impl}
    strength = canny_strength(image, sigma=sigma) if return_scores else None
    return _result(edges, mask, close_radius, min_size, meta, strength)


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


def _gradient_method(
    image: NDArray,
    operator: Literal["sobel", "scharr"],
    sigma: float,
    low_threshold: float | None,
    high_threshold: float | None,
    connectivity: int,
    close_radius: int,
    min_size: int,
    return_scores: bool,
    mask: NDArray[np.bool_] | None,
) -> Segmentation:
    _check_thresholds(low_threshold, high_threshold)
    mag = gradient_magnitude(image, operator=operator, sigma=sigma)
    high = otsu_of_magnitude(mag if mask is None else mag[mask]) if high_threshold is None else high_threshold
    low = 0.5 * high if low_threshold is None else low_threshold
    check_param(
        low <= high, "low_threshold",
        f"{low} exceeds the automatic high_threshold {high}; give high_threshold too.",
    )
    edges = hysteresis(mag, low, high, connectivity=connectivity)
    meta = {"low_threshold": float(low), "high_threshold": float(high)}
    return _result(edges, mask, close_radius, min_size, meta, mag if return_scores else None)


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
    return_scores : bool, optional
        Also return the soft edge map: the gradient magnitude (thick, no
        non-maximum suppression; 0 outside `mask`), as ``scores[0]``.
    mask : (H, W) ndarray of bool, optional
        Edges and instances only inside `mask`.

    Returns
    -------
    Segmentation
        Instances 1..N enclosed by the closed edges, ``classes=("background",
        "region")``; ``scores`` is None, or ``(1, H, W)`` float32 with
        `return_scores`; ``meta`` holds the thresholds used.

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
    return_scores: bool = False,
    mask: ArrayLike | None = None,
) -> Segmentation:
    return _gradient_method(
        image, "sobel", sigma, low_threshold, high_threshold, connectivity, close_radius, min_size, return_scores,
        mask,
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
    return_scores: bool = False,
    mask: ArrayLike | None = None,
) -> Segmentation:
    return _gradient_method(
        image, "scharr", sigma, low_threshold, high_threshold, connectivity, close_radius, min_size, return_scores,
        mask,
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
    slope, mean_abs = crossing_slopes(image, sigma=sigma)
    used = 0.75 * mean_abs if threshold is None else threshold
    return slope > used, float(used)


def crossing_slopes(image: NDArray, *, sigma: float = 2.0) -> tuple[NDArray[np.floating], float]:
    """The soft edge map of :func:`log_zero_crossings`, and ``mean(|LoG|)``.

    Each pixel that :func:`log_zero_crossings` would mark at some threshold
    holds the largest slope ``|L(p) - L(q)|`` of the crossings it is marked
    for; every other pixel is 0. So ``slope > t`` is the edge map at
    threshold ``t``.

    Examples
    --------
    >>> img = np.zeros((12, 12), np.float32); img[:, 6:] = 1
    >>> slope, _ = crossing_slopes(img, sigma=1.0)
    >>> np.flatnonzero(slope[6] > 0.01).tolist()  # (round-off crossings far from the step are tiny)
    [5]
    """
    check_param(sigma > 0, "sigma", f"must be > 0; got {sigma}.")
    f = image.astype(float_dtype_for(image.dtype), copy=False)
    lap = cv2.Laplacian(gaussian_blur(f, sigma, border=_BORDER), -1, ksize=1, borderType=_BORDER)
    mag = np.abs(lap)
    pos = lap > 0
    slope = np.zeros(lap.shape, lap.dtype)
    for axis in (0, 1):
        a = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        b = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        step = np.where(pos[a] != pos[b], mag[a] + mag[b], 0)  # opposite signs: |L(p) - L(q)| = |L(p)| + |L(q)|
        first = mag[a] <= mag[b]  # the pixel of the pair nearer to zero is marked
        np.maximum(slope[a], np.where(first, step, 0), out=slope[a])
        np.maximum(slope[b], np.where(first, 0, step), out=slope[b])
    return slope, float(mag.mean())


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
    return_scores: bool = False,
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
    return_scores : bool, optional
        Also return the soft edge map, :func:`crossing_slopes` (0 outside
        `mask`), as ``scores[0]``.
    mask : (H, W) ndarray of bool, optional
        Edges and instances only inside `mask`.

    Returns
    -------
    Segmentation
        Instances 1..N enclosed by the zero-crossing contours,
        ``classes=("background", "region")``; ``scores`` is None, or
        ``(1, H, W)`` float32 with `return_scores`; ``meta["threshold"]`` is
        the slope threshold used.

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
    if is_flat(image):  # flat: the LoG is zero everywhere, no crossing
        slope, used = np.zeros(image.shape, np.float32), 0.0 if threshold is None else float(threshold)
    else:
        slope, mean_abs = crossing_slopes(image, sigma=sigma)
        used = 0.75 * mean_abs if threshold is None else float(threshold)
    return _result(slope > used, mask, close_radius, min_size, {"threshold": used},
                   slope if return_scores else None)
