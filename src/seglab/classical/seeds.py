"""Helpers shared by the seeded methods (region growing, watershed, split-and-merge).

Point and marker parameter types, point validation against an image,
Immerkaer's noise estimate (for default tolerances) and h-maxima (for
automatic seeds and markers). Nothing here registers a method.

Examples
--------
>>> import numpy as np
>>> parse_points([(0, 1)], (2, 2), "seeds").tolist()
[[0, 1]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidParameterError
from ..core.validate import check_param, float_dtype_for

__all__ = [
    "Points", "MarkerImage", "parse_points", "check_seeds_or_markers", "noise_sigma", "noise_and_span", "h_maxima",
]

Points = Annotated[Sequence[tuple[int, int]] | None, "points"]
MarkerImage = Annotated[ArrayLike | None, "array"]

#: Immerkaer's noise kernel: the difference of two Laplacians; its weights' L2 norm is 6.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(image: NDArray) -> float:
    """Robust estimate of the standard deviation of additive noise, in image units.

    Immerkaer's kernel (a difference of two Laplacians, blind to planes) is
    applied to the image; the noise sigma is the median absolute response
    times 1.4826 / 6 (a MAD estimate, robust to edges). A colour image gives
    the largest of its channels' estimates.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Any real dtype.

    Returns
    -------
    float
        ``0.0`` for images smaller than 3x3 or without measurable noise.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(noise_sigma(100 + rng.normal(0, 5, (256, 256))), 0)
    5.0
    """
    import cv2

    if image.ndim == 3:
        return max(noise_sigma(image[..., c]) for c in range(image.shape[2]))
    if min(image.shape) < 3:
        return 0.0
    ftype = float_dtype_for(image.dtype)
    response = cv2.filter2D(image.astype(ftype, copy=False), -1, _NOISE_KERNEL.astype(ftype))[1:-1, 1:-1]
    step = max(1, int(np.sqrt(response.size / 1_000_000)))  # a 1 Mpx subsample is plenty
    return float(np.median(np.abs(response[::step, ::step])) * 1.4826 / 6.0)


def noise_and_span(image: NDArray, mask: NDArray | None) -> tuple[float, float]:
    """:func:`noise_sigma` of the image and the largest channel range inside `mask` (0, 0 when empty).

    Examples
    --------
    >>> noise_and_span(np.array([[0, 100], [0, 100]], np.uint8), None)
    (0.0, 100.0)
    """
    values = (image if mask is None else image[mask]).reshape(-1, *image.shape[2:3])
    if values.size == 0:
        return 0.0, 0.0
    return noise_sigma(image), float(np.max(np.ptp(values, axis=0)))


def check_seeds_or_markers(params: Mapping[str, Any]) -> None:
    """Parameter check of the seeded methods: `seeds` (points) and `markers` (an image) exclude each other.

    Examples
    --------
    >>> check_seeds_or_markers({"seeds": [(0, 0)], "markers": np.ones((2, 2))})
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: seeds: give seeds (points) or markers (a label image), not both.
    """
    check_param(params.get("seeds") is None or params.get("markers") is None, "seeds",
                "give seeds (points) or markers (a label image), not both.")


#: Up to this many points, a list of plain int pairs is checked in Python (8 us of numpy checks saved a call).
_FEW = 64


def parse_points(points: Sequence[tuple[int, int]], shape: tuple[int, ...], name: str) -> NDArray[np.intp]:
    """Validate (row, col) points against an image shape; return an ``(N, 2)`` array.

    Raises
    ------
    InvalidParameterError
        For an empty list, non-integer coordinates, or a point outside the image
        (the message names the point and the image shape).

    Examples
    --------
    >>> parse_points([(0, 1), (2, 2)], (3, 3), "seeds").tolist()
    [[0, 1], [2, 2]]
    >>> parse_points([(3, 0)], (3, 3), "seeds")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: seeds: point 0, (3, 0), lies outside the image ...
    """
    h, w = shape[:2]
    if isinstance(points, (list, tuple)) and 0 < len(points) <= _FEW and all(
            type(p) in (tuple, list) and len(p) == 2 and type(p[0]) is int and type(p[1]) is int
            and 0 <= p[0] < h and 0 <= p[1] < w for p in points):
        return np.array(points, np.intp)  # a few plain int points inside the image: no numpy checks needed
    try:
        arr = np.asarray(points)
    except ValueError:
        arr = np.asarray(points, dtype=object)
    if arr.size == 0:
        raise InvalidParameterError(
            f"{name} is empty; give at least one (row, col) point, or leave {name}=None for automatic ones."
        )
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.dtype.kind not in "iuf":
        raise InvalidParameterError(
            f"{name} must be a list of (row, col) pairs, e.g. [(10, 20), (30, 5)]; got {points!r:.80}."
        )
    if arr.dtype.kind == "f":
        if not (np.isfinite(arr).all() and np.array_equal(arr, np.round(arr))):
            raise InvalidParameterError(f"{name} must hold integer (row, col) pixel coordinates; got {points!r:.80}.")
    arr = arr.astype(np.intp)
    outside = (arr[:, 0] < 0) | (arr[:, 0] >= h) | (arr[:, 1] < 0) | (arr[:, 1] >= w)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InvalidParameterError(
            f"{name}: point {i}, ({arr[i, 0]}, {arr[i, 1]}), lies outside the image of shape (H, W) = ({h}, {w}); "
            f"rows must be in [0, {h - 1}] and columns in [0, {w - 1}] (points are (row, col), not (x, y))."
        )
    return arr


_CV_DILATE_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def h_maxima(image: ArrayLike, h: float) -> NDArray[np.bool_]:
    """Regional maxima of dynamic >= `h`; equals ``skimage.morphology.h_maxima(image, h) > 0``.

    The reconstruction by dilation of ``image - h`` under `image` is computed
    by repeated 3x3 geodesic dilation (``cv2.dilate`` then ``min``) until it
    is stable; the maxima are the pixels where ``image - reconstruction >= h``.
    Integer images are shifted with clipping at the dtype's minimum and float
    images with scikit-image's rounding margin, so both give scikit-image's result.

    Parameters
    ----------
    image : (H, W) ndarray
        Any real dtype.
    h : float
        Minimal dynamic (height above the highest saddle to a higher maximum), > 0.

    Returns
    -------
    (H, W) ndarray of bool

    Examples
    --------
    >>> f = np.array([[0, 1, 0, 0, 9, 0, 5, 4, 0]], np.float32)
    >>> h_maxima(f, 2).astype(int).tolist()
    [[0, 0, 0, 0, 1, 0, 1, 0, 0]]
    """
    import cv2

    f = np.asarray(image)
    check_param(h > 0, "h", f"must be > 0; got {h}.")
    if f.size == 0 or h > float(np.ptp(f)):
        return np.zeros(f.shape, bool)
    if f.dtype.kind == "f":
        work = f if f.dtype in _CV_DILATE_DTYPES else f.astype(np.float64)
        marker = work - h - 2 * np.finfo(f.dtype).resolution * np.abs(work)
    else:
        if float(h).is_integer():
            hv = int(h)
            info = np.iinfo(f.dtype)
            work = f if f.dtype in _CV_DILATE_DTYPES else f.astype(np.float64)
            marker = np.maximum(f.astype(np.int64) - hv, info.min).astype(work.dtype)
        else:  # a fractional h on integers: scikit-image converts to float
            work = f.astype(np.float64)
            marker = work - h - 2 * np.finfo(np.float64).resolution * np.abs(work)
    marker = np.ascontiguousarray(np.minimum(marker, work), dtype=work.dtype)
    kernel = np.ones((3, 3), np.uint8)
    while True:
        grown = cv2.min(cv2.dilate(marker, kernel, borderType=cv2.BORDER_REPLICATE), work)
        if np.array_equal(grown, marker):
            break
        marker = grown
    return (work - marker) >= h  # in the working dtype, as scikit-image computes it
