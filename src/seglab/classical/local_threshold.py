"""Local (adaptive) thresholding: OpenCV's adaptive mean/Gaussian, Sauvola and Niblack.

Each pixel is compared with a threshold computed from its own neighbourhood,
which copes with uneven illumination (documents, microscopy). The family's
conventions hold (see :mod:`seglab.classical.threshold`): values in the
image's own units, foreground where ``image > local threshold``, and
``polarity="dark"`` for the exact complement (``"auto"``: the side with fewer
pixels, e.g. the ink of a document). Borders replicate the edge
pixel (``adaptive``, as OpenCV) or reflect it (``sauvola``/``niblack``, as
scikit-image). `mask` only zeroes labels outside it: the local statistics see
every pixel. All three tile exactly with a halo of half the window.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.local_threshold import adaptive
>>> ramp = np.tile(np.arange(0, 240, 8, dtype=np.uint8), (30, 1))
>>> img = ramp.copy(); img[10:20, 10:20] += 15         # a faint square on a ramp
>>> int(adaptive(img, window_size=31, offset=5).labels[10:20, 10:20].mean() > 0.9)
1
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation
from ..core.validate import check_param, round_off
from .histograms import BINARY_CLASSES, POLARITY_RENAMED, Polarity

__all__ = ["adaptive", "sauvola", "niblack", "gaussian_sigma_for", "check_odd_window", "check_window_fits"]


def check_odd_window(params: Mapping[str, Any]) -> None:
    """The parameter check of the local thresholds: ``window_size`` must be odd (a centred window)."""
    size = params["window_size"]
    check_param(
        size is None or size % 2 == 1,
        "window_size",
        f"must be odd so that the window is centred on the pixel; got {size}, use {size + 1} (or {size - 1}).",
    )


#: A window up to this side is accepted on any image, however small (defaults, settings shared by a batch).
_ANY_IMAGE_WINDOW = 1025


def check_window_fits(window_size: int, shape: tuple[int, ...]) -> None:
    """Refuse a window far larger than the image (one clear error instead of gigabytes of padding).

    Beyond ``2 * max(H, W) + 1`` a window only adds more copies of
    the image's padded border, at a cost that grows with its area; up to 1025
    is always fine.

    Examples
    --------
    >>> check_window_fits(35, (3, 3))
    >>> check_window_fits(8001, (20, 20))
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: window_size: 8001 is far larger than the image (20 x 20); ...
    """
    limit = max(2 * max(shape[:2]) + 1, _ANY_IMAGE_WINDOW)
    check_param(window_size <= limit, "window_size",
                f"{window_size} is far larger than the image ({shape[0]} x {shape[1]}); give at most {limit} "
                "(a wider window only adds more of the padded border).")


def gaussian_sigma_for(window_size: int) -> float:
    """The Gaussian sigma OpenCV derives from a kernel size: ``0.3 * ((size - 1) / 2 - 1) + 0.8``.

    OpenCV uses fixed binomial-like kernels for sizes 3, 5 and 7 instead.

    Examples
    --------
    >>> round(gaussian_sigma_for(35), 4)
    5.6
    """
    return 0.3 * ((window_size - 1) * 0.5 - 1) + 0.8


def _labels(fg: NDArray[np.bool_], meta: dict[str, Any]) -> Segmentation:
    return Segmentation(labels=fg.view(np.uint8).astype(np.int32), task="semantic", classes=BINARY_CLASSES, meta=meta)


def _above(image: NDArray, thresh: NDArray[np.float64]) -> NDArray[np.bool_]:
    """``image > thresh`` beyond the round-off of scikit-image's local standard deviation.

    That deviation is ``sqrt(E[x^2] - E[x]^2)`` over the window: on a flat
    region it comes out near ``sqrt(eps) * |x|`` instead of 0 and moves the
    threshold off the value, which split constant images at random. Pixels
    within ``4 sqrt(eps) * max|image|`` of the threshold count as not above.

    >>> img = np.full((2, 3), 0.3)
    >>> _above(img, img - 1e-10).any(), _above(img, img - 1e-3).all()
    (np.False_, np.True_)
    """
    margin = 4 * np.sqrt(np.finfo(np.float64).eps) * float(np.abs(image).max())
    return image > thresh + margin


def _oriented(bright: NDArray[np.bool_], polarity: Polarity, mask: NDArray[np.bool_] | None,
              meta: dict[str, Any]) -> NDArray[np.bool_]:
    """The foreground for `polarity`: the bright side, its exact complement, or ("auto") the side with fewer pixels."""
    if polarity == "auto":
        inside = bright if mask is None else bright[mask]
        polarity = "dark" if 2 * np.count_nonzero(inside) > inside.size else "bright"
        meta["polarity"] = polarity
    return ~bright if polarity == "dark" else bright


@register(
    "adaptive", family="threshold", task="semantic", input="gray", tiling="local",
    halo=lambda p: int(p.get("window_size", 35)) // 2, check=check_odd_window,
    renamed=(Renamed("block_size", "window_size"), POLARITY_RENAMED),
)
def adaptive(
    image: ArrayLike,
    /,
    *,
    method: Literal["gaussian", "mean"] = "gaussian",
    window_size: Annotated[int, Interval(3, None)] = 35,
    offset: float = 0.0,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Adaptive threshold with OpenCV's semantics: foreground where ``pixel > local mean - offset``.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    method : {"gaussian", "mean"}, optional
        Local mean: Gaussian-weighted (sigma derived from `window_size` as OpenCV
        does, see :func:`gaussian_sigma_for`) or a plain box average.
    window_size : int, optional
        Odd window side in pixels, at least 3.
    offset : float, optional
        OpenCV's ``C``, in image units: subtracted from the local mean.
    polarity : {"bright", "dark", "auto"}, optional
        Foreground where ``pixel > local mean - offset`` (bright objects), the
        exact complement (dark objects), or whichever side holds fewer pixels
        ("auto", e.g. ink on a page; ``meta["polarity"]`` records the choice).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0.

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``; ``meta`` holds
        ``sigma`` (Gaussian only; sizes 3, 5 and 7 use OpenCV's fixed kernels
        instead) and ``offset`` as applied.

    Notes
    -----
    uint8 images go to ``cv2.adaptiveThreshold`` and equal it exactly: OpenCV
    rounds the local mean to an integer and `offset` up to an integer
    (``meta["offset"]``). Other dtypes compute the mean in float
    (``cv2.boxFilter`` / ``cv2.GaussianBlur``, replicated borders) and compare
    without rounding.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[10, 10, 10], [10, 50, 10], [10, 10, 10]], np.uint8)
    >>> adaptive(img, method="mean", window_size=3).labels.tolist()
    [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    """
    import cv2

    check_window_fits(window_size, image.shape)
    meta: dict[str, Any] = {"sigma": gaussian_sigma_for(window_size)} if method == "gaussian" else {}
    cv_method = cv2.ADAPTIVE_THRESH_GAUSSIAN_C if method == "gaussian" else cv2.ADAPTIVE_THRESH_MEAN_C
    if image.dtype == np.uint8:
        applied = float(math.ceil(min(max(offset, -256.0), 256.0)))  # beyond +-255 nothing changes
        out = cv2.adaptiveThreshold(image, 1, cv_method, cv2.THRESH_BINARY, window_size, applied)
        return _labels(_oriented(out.view(bool), polarity, mask, meta), dict(meta, offset=applied))
    # float32 for float32 and <= 16-bit integers (exact), float64 for float64 and wider integers
    ftype = np.float32 if image.dtype == np.float32 or image.dtype.itemsize <= 2 else np.float64
    data = np.ascontiguousarray(image, dtype=ftype)
    border = cv2.BORDER_REPLICATE | cv2.BORDER_ISOLATED
    if method == "gaussian":
        local = cv2.GaussianBlur(data, (window_size, window_size), 0, borderType=border)
    else:
        local = cv2.boxFilter(data, -1, (window_size, window_size), normalize=True, borderType=border)
    # the window's weights do not sum to exactly 1 in floating point: a flat region's local mean lands an ulp or
    # two below its value, so "above" means above by more than a few ulps (a constant image stays background)
    local -= offset - round_off(data, 16)
    return _labels(_oriented(data > local, polarity, mask, meta), dict(meta, offset=float(offset)))


@register(
    "sauvola", family="threshold", task="semantic", input="gray", tiling="local",
    halo=lambda p: int(p.get("window_size", 15)) // 2, check=check_odd_window, renamed=(POLARITY_RENAMED,),
)
def sauvola(
    image: ArrayLike,
    /,
    *,
    window_size: Annotated[int, Interval(3, None)] = 15,
    k: Annotated[float, Interval(0, None)] = 0.2,
    r: Annotated[float, Interval(0, None, lo_open=True)] | None = None,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Sauvola's document binarisation: ``T = m * (1 + k * (s / r - 1))`` per window.

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    window_size : int, optional
        Odd window side in pixels, at least 3.
    k : float, optional
        Weight of the local standard deviation `s`.
    r : float, optional
        Dynamic range of the standard deviation, in image units. Default: half
        the dtype's range, as scikit-image (127.5 for uint8, 32767.5 for uint16, 1.0 for float).
    polarity : {"bright", "dark", "auto"}, optional
        ``"bright"``: foreground is ``image > T``; ``"dark"``: dark ink, ``image <= T``
        (the exact complement); ``"auto"``: whichever side holds fewer pixels (ink on
        paper; ``meta["polarity"]`` records the choice).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 (the windows still see them).

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``;
        ``meta["r"]`` is the range used. ``T`` equals ``skimage.filters.threshold_sauvola``.

    Examples
    --------
    >>> import numpy as np
    >>> page = np.full((9, 9), 200, np.uint8); page[4, 2:7] = 30   # a dark stroke
    >>> sauvola(page, window_size=5, polarity="dark").labels[4].tolist()
    [0, 0, 1, 1, 1, 1, 1, 0, 0]
    """
    from skimage.filters import threshold_sauvola
    from skimage.util import dtype_limits

    if r is None:
        lo, hi = dtype_limits(image, clip_negative=False)
        r = 0.5 * (hi - lo)
    check_window_fits(window_size, image.shape)
    thresh = threshold_sauvola(image, window_size=window_size, k=k, r=r)
    meta: dict[str, Any] = {"r": float(r)}
    return _labels(_oriented(_above(image, thresh), polarity, mask, meta), meta)


@register(
    "niblack", family="threshold", task="semantic", input="gray", tiling="local",
    halo=lambda p: int(p.get("window_size", 15)) // 2, check=check_odd_window, renamed=(POLARITY_RENAMED,),
)
def niblack(
    image: ArrayLike,
    /,
    *,
    window_size: Annotated[int, Interval(3, None)] = 15,
    k: float = 0.2,
    polarity: Polarity = "bright",
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Niblack's local threshold: ``T = m - k * s`` (local mean and standard deviation).

    Parameters
    ----------
    image : (H, W) ndarray
        Grayscale image, any real dtype, in its own units; RGB is converted to gray (BT.601 luma).
    window_size : int, optional
        Odd window side in pixels, at least 3.
    k : float, optional
        Weight of the local standard deviation (scikit-image's sign convention).
    polarity : {"bright", "dark", "auto"}, optional
        ``"bright"``: foreground is ``image > T``; ``"dark"``: dark ink, ``image <= T``
        (the exact complement); ``"auto"``: whichever side holds fewer pixels (ink on
        paper; ``meta["polarity"]`` records the choice).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` get label 0 (the windows still see them).

    Returns
    -------
    Segmentation
        Semantic labels, ``classes=("background", "foreground")``; ``T`` equals
        ``skimage.filters.threshold_niblack``.

    Notes
    -----
    In flat regions ``s = 0``, so pixels sit exactly at ``T = m``; with
    ``polarity="dark"`` they count as foreground (Niblack's known noise on
    blank paper). `sauvola` lowers ``T`` there and avoids it.

    Examples
    --------
    >>> import numpy as np
    >>> page = np.full((9, 9), 200, np.uint8); page[4, 2:7] = 30   # a dark stroke
    >>> niblack(page, window_size=5, polarity="dark").labels[4].tolist()
    [0, 0, 1, 1, 1, 1, 1, 0, 0]
    """
    from skimage.filters import threshold_niblack

    check_window_fits(window_size, image.shape)
    thresh = threshold_niblack(image, window_size=window_size, k=k)
    meta: dict[str, Any] = {}
    return _labels(_oriented(_above(image, thresh), polarity, mask, meta), meta)
