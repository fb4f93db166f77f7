"""Input checks shared by the metrics: label arrays in, one clear error out.

Examples
--------
>>> import numpy as np
>>> label_array(np.array([[0, 1]], np.uint8), name="labels_true").dtype
dtype('uint8')
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError

__all__ = ["label_array", "same_shape", "compact_ids", "labelled_pixels"]


def label_array(labels: ArrayLike, *, name: str) -> NDArray[np.integer]:
    """Return `labels` as a non-empty integer ndarray without copying when possible.

    A :class:`~seglab.core.types.Segmentation` gives its ``labels``; booleans
    become ``uint8`` (0/1). Float, complex, string and object arrays are refused:
    a metric never guesses how to round.

    Examples
    --------
    >>> label_array([[True, False]], name="mask").tolist()
    [[1, 0]]
    """
    from ..core.types import Segmentation

    if isinstance(labels, Segmentation):
        labels = labels.labels
    try:
        arr = np.asarray(labels)
    except Exception as exc:  # ragged nested lists and the like
        raise InvalidImageError(f"{name} is not an array: {exc}") from None
    if arr.dtype == bool:
        arr = arr.view(np.uint8)
    elif arr.dtype.kind == "f":
        raise InvalidImageError(
            f"{name} has float dtype {arr.dtype}; label images must hold integers. If it holds class or "
            f"instance ids, convert with {name}.astype(np.int32); if it is a probability map, threshold "
            "or argmax it first."
        )
    elif arr.dtype.kind not in "iu":
        raise InvalidImageError(f"{name} must be an integer label image; got dtype {arr.dtype}.")
    if arr.ndim == 0 or arr.size == 0:
        raise InvalidImageError(f"{name} is empty (shape {arr.shape}); it needs at least one pixel.")
    return arr


def same_shape(labels_true: np.ndarray, labels_pred: np.ndarray) -> None:
    """Raise :class:`InvalidImageError` unless both label images have the same shape.

    Examples
    --------
    >>> same_shape(np.zeros((2, 3)), np.zeros((3, 2)))
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidImageError: labels_true has shape (2, 3) but labels_pred has shape (3, 2); ...
    """
    if labels_true.shape != labels_pred.shape:
        raise InvalidImageError(
            f"labels_true has shape {labels_true.shape} but labels_pred has shape {labels_pred.shape}; "
            "they must match pixel for pixel (resize the prediction with nearest-neighbour "
            "interpolation, or crop both to the same region)."
        )


def labelled_pixels(labels_true: np.ndarray, ignore_index: object) -> NDArray[np.bool_] | None:
    """Pixels of `labels_true` not equal to `ignore_index` (None: all of them, nothing to drop).

    Raises :class:`InvalidParameterError` unless `ignore_index` is an integer or None, and
    :class:`InvalidImageError` when every true pixel is ignored (no score means anything then).

    Examples
    --------
    >>> labelled_pixels(np.array([[0, -1]]), -1).tolist()
    [[True, False]]
    >>> labelled_pixels(np.array([[-1]]), -1)
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidImageError: every pixel of labels_true equals ignore_index=-1, so nothing is left ...
    """
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise InvalidParameterError(f"ignore_index: must be an integer or None; got {ignore_index!r}.")
    keep = labels_true != ignore_index
    if not keep.any():
        raise InvalidImageError(
            f"every pixel of labels_true equals ignore_index={ignore_index}, so nothing is left to "
            "compare; pass a ground truth with at least one labelled pixel (or ignore_index=None)."
        )
    return keep


def compact_ids(flat: NDArray[np.integer]) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.int64]]:
    """Number the positive ids of a flat label array 1..N in increasing order.

    Parameters
    ----------
    flat : (P,) ndarray of int
        Ids; values <= 0 are "no segment".

    Returns
    -------
    index : (P,) ndarray of intp
        0 where ``flat <= 0``, else the rank 1..N of the pixel's id.
    ids : (N,) ndarray of int64
        The original ids, increasing.
    areas : (N,) ndarray of int64
        Pixel count of each id.

    Examples
    --------
    >>> index, ids, areas = compact_ids(np.array([0, 7, 7, 3, -1]))
    >>> index.tolist(), ids.tolist(), areas.tolist()
    ([0, 2, 2, 1, 0], [3, 7], [1, 2])
    """
    top = int(flat.max()) if flat.size else 0  # empty: every pixel was void
    if top <= 0:
        return np.zeros(flat.shape, np.intp), np.zeros(0, np.int64), np.zeros(0, np.int64)
    if top <= 4 * flat.size + 1024:  # dense ids: counting beats sorting
        pos = np.maximum(flat, 0) if flat.dtype.kind == "i" and int(flat.min()) < 0 else flat
        counts = np.bincount(pos.ravel(), minlength=top + 1)
        counts[0] = 0
        ids = np.flatnonzero(counts)
        lut = np.zeros(top + 1, np.intp)
        lut[ids] = np.arange(1, ids.size + 1)
        return lut[pos], ids.astype(np.int64), counts[ids].astype(np.int64)
    uniq, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    first = int(np.searchsorted(uniq, 0, side="right"))  # uniq[first:] are the positive ids
    index = inverse.ravel().astype(np.intp) - first + 1
    index[index < 1] = 0
    return index, uniq[first:].astype(np.int64), counts[first:].astype(np.int64)
