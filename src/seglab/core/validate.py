"""Shared input checks: every public function validates through these helpers.

Nothing here rescales intensities: values keep the units of the input.

Examples
--------
>>> import numpy as np
>>> as_image(np.zeros((4, 5), np.uint8), kind="gray").shape
(4, 5)
>>> rgb = np.full((2, 2, 3), 200, np.uint8)
>>> to_gray(rgb).dtype, int(to_gray(rgb)[0, 0])
(dtype('uint8'), 200)
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .errors import InvalidImageError, InvalidParameterError

__all__ = [
    "as_image",
    "as_mask",
    "as_labels",
    "to_gray",
    "float_dtype_for",
    "round_off",
    "check_param",
    "LUMA_WEIGHTS",
]

#: ITU-R BT.601 luma weights (R, G, B), the ones OpenCV and Pillow use.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

_MAX_PIXELS = 2**31 - 1  # int32 labels must be able to number every pixel
_INTEGER_DTYPES = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64,
                                                  np.int8, np.int16, np.int32, np.int64))

ImageKind = Literal["gray", "color", "any"]


def _describe(arr: np.ndarray) -> str:
    return f"shape {arr.shape}, dtype {arr.dtype}"


def float_dtype_for(dtype: np.dtype) -> type[np.floating]:
    """Float dtype to compute in: float64 for float64 input and integers of 4 bytes or more, float32 otherwise.

    float32 holds every integer up to 2**24 exactly: enough for 8- and 16-bit
    images, not for 32- and 64-bit ones (a step of 3 on an offset of 2**30
    would vanish).

    Examples
    --------
    >>> float_dtype_for(np.dtype(np.uint8)).__name__, float_dtype_for(np.dtype(np.uint32)).__name__
    ('float32', 'float64')
    """
    dtype = np.dtype(dtype)
    return np.float64 if dtype == np.float64 or (dtype.kind in "iu" and dtype.itemsize >= 4) else np.float32


def round_off(values: NDArray, ulps: float, dtype: DTypeLike | None = None) -> float:
    """`ulps` units in the last place of `dtype` (default: the float type of `values`) at their largest magnitude.

    The margin below which results of float arithmetic on `values` (a window's
    weighted mean, a running mean of a region) count as equal to them, so that
    a flat region is never "above" or "beyond" itself by round-off alone.

    Examples
    --------
    >>> round_off(np.array([0.5, -2.0]), 4) == 4 * 2.0 * float(np.finfo(np.float64).eps)
    True
    """
    eps = np.finfo(dtype if dtype is not None else values.dtype).eps
    return ulps * float(eps) * float(np.abs(values).max(initial=0))


def to_gray(image: ArrayLike) -> NDArray:
    """Convert an RGB image to gray with BT.601 luma weights, keeping its units.

    Integer images stay in their dtype (rounded, as ``cv2.cvtColor`` does);
    float images stay float. A 2-D image is returned unchanged.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray

    Returns
    -------
    (H, W) ndarray

    Examples
    --------
    >>> to_gray(np.array([[[255, 0, 0]]], np.uint8)).tolist()
    [[76]]
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        return arr
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise InvalidImageError(
            f"to_gray expects an (H, W, 3) RGB image; got {_describe(arr)}. "
            "Drop an alpha channel with image[..., :3]."
        )
    if arr.dtype in (np.uint8, np.uint16):
        import cv2

        return cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2GRAY)
    ftype = float_dtype_for(arr.dtype)
    weights = np.asarray(LUMA_WEIGHTS, dtype=ftype)
    gray = arr.astype(ftype, copy=False) @ weights
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        return np.clip(np.rint(gray), info.min, info.max).astype(arr.dtype)
    return gray


def as_image(
    image: ArrayLike,
    *,
    kind: ImageKind = "any",
    name: str = "image",
    method: str = "",
    finite_inside: ArrayLike | None = None,
) -> NDArray:
    """Validate an image and return it as an ndarray (no copy when possible).

    Parameters
    ----------
    image : array_like
        ``(H, W)`` gray or ``(H, W, 3)`` RGB; ``(H, W, 1)`` is squeezed.
        uint8/uint16/other integers or float16/32/64; float colour must lie in [0, 1].
    kind : {"gray", "color", "any"}
        ``"gray"`` converts RGB to gray with :func:`to_gray` (BT.601 luma,
        in the input's units); ``"color"`` requires RGB; ``"any"`` takes both.
    name : str
        Argument name used in error messages.
    method : str
        Method name used in error messages.
    finite_inside : (H, W) array_like of bool, optional
        A mask: only its pixels must be finite. Non-finite values outside it
        are replaced (in a copy) by the median of the finite pixels inside it,
        so that filters see plain numbers there; the result of a method is 0
        outside its mask anyway.

    Returns
    -------
    ndarray
        ``(H, W)`` or ``(H, W, 3)``; float16 becomes float32.

    Raises
    ------
    InvalidImageError
        Wrong shape or dtype, empty, too large, NaN/inf values, float colour outside [0, 1].

    Examples
    --------
    >>> as_image(np.zeros((3, 3, 1)), kind="gray").shape
    (3, 3)
    """
    who = f"{method} " if method else ""
    if type(image) is np.ndarray and image.dtype in _INTEGER_DTYPES:  # the common case, checked for less
        arr = image
    elif isinstance(image, (str, os.PathLike)):
        raise InvalidImageError(
            f"{who}{name} is a path ({os.fspath(image)!r}), not an array; read the file first with "
            "seglab.read_image(path), or run `seglab segment METHOD PATH -o OUTDIR` for files."
        )
    else:
        arr = _numeric_array(image, who, name)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3):
        raise InvalidImageError(
            f"{who}{name} must be (H, W) gray or (H, W, 3) RGB; got {_describe(arr)}. "
            "Pass one 2-D slice or frame at a time (seglab is 2-D for now)."
        )
    if arr.ndim == 3 and arr.shape[2] != 3:
        fix = "Drop the alpha channel with image[..., :3]." if arr.shape[2] == 4 else (
            "Channels must be last: use np.moveaxis(image, 0, -1) for (C, H, W) data."
        )
        raise InvalidImageError(f"{who}{name} must have 1 or 3 channels last; got {_describe(arr)}. {fix}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidImageError(f"{who}{name} is empty ({_describe(arr)}); it needs at least one pixel.")
    if arr.shape[0] * arr.shape[1] > _MAX_PIXELS:
        raise InvalidImageError(
            f"{who}{name} has {arr.shape[0] * arr.shape[1]:,} pixels, more than int32 labels can "
            "number in one piece; split it into tiles."
        )
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            arr = _fill_outside(arr, finite, finite_inside, f"{who}{name}", name)
        if arr.ndim == 3 and (arr.min() < 0 or arr.max() > 1):
            raise InvalidImageError(
                f"{who}float colour {name} must lie in [0, 1]; got range "
                f"[{arr.min():.4g}, {arr.max():.4g}]. Divide by the white level of your data."
            )
    if kind == "gray" and arr.ndim == 3:
        arr = to_gray(arr)
    elif kind == "color" and arr.ndim != 3:
        raise InvalidImageError(
            f"{who}needs an (H, W, 3) RGB {name}; got {_describe(arr)}. "
            f"For gray data use np.dstack([{name}] * 3) or a gray method."
        )
    return arr


def _numeric_array(image: ArrayLike, who: str, name: str) -> NDArray:
    """`image` as an ndarray of a numeric, non-boolean, real dtype (the dtype part of :func:`as_image`)."""
    try:
        arr = np.asarray(image)
    except Exception as exc:  # ragged lists and the like
        raise InvalidImageError(f"{who}{name} is not an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "USVMm":
        raise InvalidImageError(
            f"{who}{name} has dtype {arr.dtype}; expected a numeric array (uint8, uint16, float32, ...)."
        )
    if arr.dtype == bool:
        raise InvalidImageError(
            f"{who}{name} is a boolean array; images must be numeric. Use {name}.astype(np.uint8) "
            "(boolean arrays are accepted as masks only)."
        )
    if arr.dtype.kind == "c":
        raise InvalidImageError(f"{who}{name} is complex; take np.abs({name}) or its real part first.")
    return arr


def _fill_outside(arr: NDArray, finite: NDArray[np.bool_], inside: ArrayLike | None, who: str,
                  name: str) -> NDArray:
    """Refuse non-finite pixels inside `inside` (everywhere when None); fill those outside with a finite median."""
    pixel_ok = finite if finite.ndim == 2 else finite.all(axis=2)
    mask = None if inside is None else np.asarray(inside)
    if mask is not None and mask.shape != pixel_ok.shape:
        mask = None  # the mask's own check reports its shape
    bad = ~pixel_ok if mask is None else ~pixel_ok & (mask != 0)
    if bad.any():
        count = int(np.count_nonzero(bad))
        where = "" if mask is None else " inside the mask"
        what = "all pixels are" if count == pixel_ok.size else f"{count} of {pixel_ok.size} pixels are"
        fix = "or exclude them with mask=" if mask is None else "or widen what the mask leaves out"
        raise InvalidImageError(
            f"{who} has NaN or infinite values{where} ({what} not finite). "
            f"Replace them, e.g. np.nan_to_num({name}), {fix}."
        )
    values = arr[pixel_ok]
    fill = np.median(values, axis=0) if values.size else 0
    out = arr.copy()
    out[~pixel_ok] = fill
    return out


def as_mask(mask: ArrayLike | None, *, like: np.ndarray, name: str = "mask") -> NDArray[np.bool_] | None:
    """Validate an optional mask against an image; return a bool array or ``None``.

    Examples
    --------
    >>> as_mask([[1, 0]], like=np.zeros((1, 2))).tolist()
    [[True, False]]
    """
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.shape != like.shape[:2]:
        raise InvalidImageError(
            f"{name} shape {arr.shape} does not match the image's (H, W) = {like.shape[:2]}."
        )
    if arr.dtype != bool:
        if arr.dtype.kind not in "biuf":
            raise InvalidImageError(f"{name} must be boolean or numeric; got dtype {arr.dtype}.")
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            raise InvalidImageError(
                f"{name} holds NaN, which is neither inside nor outside; give a boolean mask "
                f"(for example np.nan_to_num({name}) != 0)."
            )
        arr = arr != 0
    return arr


def as_labels(labels: ArrayLike, *, name: str = "labels", shape: tuple[int, ...] | None = None) -> NDArray[np.int32]:
    """Validate an integer label image and return it as int32.

    Raises for float labels with fractional parts, values outside int32, and shape mismatches.

    Examples
    --------
    >>> as_labels(np.array([[0, 2]], np.uint16)).dtype
    dtype('int32')
    """
    arr = np.asarray(labels)
    if arr.ndim != 2:
        raise InvalidImageError(f"{name} must be a 2-D label image; got shape {arr.shape}.")
    if shape is not None and arr.shape != tuple(shape):
        raise InvalidImageError(f"{name} shape {arr.shape} does not match the expected {tuple(shape)}.")
    if arr.dtype == bool:
        return arr.astype(np.int32)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or not np.array_equal(arr, np.round(arr)):
            raise InvalidImageError(
                f"{name} is a float image with fractional or non-finite values; label images must hold "
                "integers (did you pass a probability map? threshold or argmax it first)."
            )
    elif arr.dtype.kind not in "iu":
        raise InvalidImageError(f"{name} must be an integer label image; got dtype {arr.dtype}.")
    if arr.size and (arr.min() < -1 or arr.max() > np.iinfo(np.int32).max):
        raise InvalidImageError(
            f"{name} values must lie in [-1, {np.iinfo(np.int32).max}] (-1 = void); "
            f"got [{arr.min()}, {arr.max()}]."
        )
    return arr.astype(np.int32, copy=False)


def check_param(ok: bool, name: str, message: str) -> None:
    """Raise :class:`InvalidParameterError` naming `name` unless `ok`.

    Examples
    --------
    >>> check_param(True, "block_size", "must be odd")
    """
    if not ok:
        raise InvalidParameterError(f"{name}: {message}")
