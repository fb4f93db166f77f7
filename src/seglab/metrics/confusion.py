"""Confusion matrix of two semantic label images: the counts every semantic metric reduces.

Counts add up: the matrix of a whole image equals the sum of the matrices of its
tiles, and a data set's matrix is the sum over its images. Compute counts first,
reduce afterwards (:mod:`seglab.metrics.semantic`).

Examples
--------
>>> import numpy as np
>>> t = np.array([[0, 0, 1], [1, 1, -1]])
>>> p = np.array([[0, 1, 1], [1, 0, 0]])
>>> confusion(t, p, num_classes=2).tolist()
[[1, 1], [1, 2]]
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError
from ..core.validate import check_param
from ._labels import label_array, same_shape

__all__ = ["confusion"]


def _check_range(values: np.ndarray, low: int, high: int, num_classes: int, name: str, hint: str) -> None:
    if low < 0 or high >= num_classes:
        bad = int(np.count_nonzero((values < 0) | (values >= num_classes)))
        raise InvalidImageError(
            f"{name} has {bad} evaluated pixel(s) with values outside [0, {num_classes}) "
            f"(range [{low}, {high}]). {hint}"
        )


def confusion(
    labels_true: ArrayLike,
    labels_pred: ArrayLike,
    *,
    num_classes: int,
    ignore_index: int | None = -1,
) -> NDArray[np.int64]:
    """Count pixels per (true class, predicted class) pair.

    Parameters
    ----------
    labels_true : (H, W) ndarray of int, or Segmentation
        Ground-truth class ids in ``[0, num_classes)``; pixels equal to
        `ignore_index` are left out of every count. Any shape works (for example a
        ``(N, H, W)`` batch) as long as both inputs agree.
    labels_pred : (H, W) ndarray of int, or Segmentation
        Predicted class ids, same shape. Every pixel that is evaluated (not
        ignored in `labels_true`) must hold a class id in ``[0, num_classes)``.
    num_classes : int
        Number of classes K (>= 1).
    ignore_index : int or None, optional
        Ground-truth value to leave out (default -1, seglab's void). It must not
        be a class id. ``None`` evaluates every pixel.

    Returns
    -------
    (K, K) ndarray of int64
        ``matrix[i, j]`` = number of pixels of true class ``i`` predicted as ``j``.
        Rows are the truth, columns the prediction. Matrices of tiles or images
        add up to the matrix of the whole.

    Raises
    ------
    InvalidImageError
        Shapes differ, an input is empty or not integer (float label images are
        refused), or an evaluated pixel holds a value outside ``[0, num_classes)``.
    InvalidParameterError
        `num_classes` < 1, or `ignore_index` is a valid class id.

    Notes
    -----
    Empty cases: an image whose pixels are all ignored gives the zero matrix
    (it adds nothing to a sum). One :func:`numpy.bincount` of
    ``true * K + pred``; for ``K <= 256`` the index is formed in ``uint16``.

    Examples
    --------
    >>> confusion([[0, 1, 2]], [[0, 2, 2]], num_classes=3)
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 1]])
    """
    check_param(
        isinstance(num_classes, numbers.Integral) and not isinstance(num_classes, bool) and num_classes >= 1,
        "num_classes",
        f"must be an integer >= 1; got {num_classes!r}.",
    )
    k = int(num_classes)
    check_param(
        ignore_index is None or (isinstance(ignore_index, numbers.Integral) and not isinstance(ignore_index, bool)),
        "ignore_index",
        f"must be an integer or None; got {ignore_index!r}.",
    )
    check_param(
        ignore_index is None or not 0 <= ignore_index < k,
        "ignore_index",
        f"{ignore_index} is a class id in [0, {k}); choose a value outside the class range (default -1).",
    )
    t = label_array(labels_true, name="labels_true")
    p = label_array(labels_pred, name="labels_pred")
    same_shape(t, p)
    t, p = t.ravel(), p.ravel()
    t_low, t_high = int(t.min()), int(t.max())
    if ignore_index is not None and t_low <= ignore_index <= t_high:
        keep = t != ignore_index
        t, p = t[keep], p[keep]
        if t.size == 0:
            return np.zeros((k, k), np.int64)
        t_low, t_high = int(t.min()), int(t.max())
    ign = "" if ignore_index is None else f" (ignore_index={ignore_index})"
    _check_range(
        t, t_low, t_high, k, "labels_true",
        f"Class ids must be < num_classes={k}; mark pixels to skip with ignore_index{ign}.",
    )
    _check_range(
        p, int(p.min()), int(p.max()), k, "labels_pred",
        f"Every pixel evaluated in labels_true needs a predicted class id < num_classes={k} "
        "(void or unassigned predictions are not allowed there).",
    )
    if k <= 256:
        index = t.astype(np.uint16) * np.uint16(k) + p.astype(np.uint16)
    else:
        index = t.astype(np.int64) * k + p.astype(np.int64)
    return np.bincount(index, minlength=k * k).reshape(k, k).astype(np.int64, copy=False)
