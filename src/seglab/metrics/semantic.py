"""Semantic segmentation scores, each a reduction of a confusion matrix.

Build the matrix with :func:`seglab.metrics.confusion` (summing over tiles or
images as needed), then reduce it here. Rows are the truth, columns the prediction.

Empty-case rules, the same in every function:

- A class that appears in neither the truth nor the prediction (its row and
  column are all zero) is *absent*: its per-class score is NaN and the mean
  leaves it out, instead of counting it as 0 or 1.
- A class present in only one of the two scores 0.
- A matrix with no pixel at all gives NaN for every score.

Examples
--------
>>> import numpy as np
>>> from seglab.metrics import confusion
>>> cm = confusion([[0, 0, 1, 1]], [[0, 1, 1, 1]], num_classes=3)
>>> iou_per_class(cm)
array([0.5       , 0.66666667,        nan])
>>> float(mean_iou(cm))
0.5833333333333333
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidParameterError

__all__ = [
    "pixel_accuracy",
    "iou_per_class",
    "mean_iou",
    "dice_per_class",
    "mean_dice",
    "frequency_weighted_iou",
]


def _matrix(matrix: ArrayLike) -> NDArray[np.float64]:
    """Validate a (K, K) confusion matrix of non-negative counts; return it as float64."""
    cm = np.asarray(matrix)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise InvalidParameterError(
            f"matrix: expected a square (K, K) confusion matrix with K >= 1; got shape {cm.shape}. "
            "Build one with seglab.metrics.confusion(labels_true, labels_pred, num_classes=K)."
        )
    if cm.dtype.kind not in "biuf":
        raise InvalidParameterError(f"matrix: expected numeric counts; got dtype {cm.dtype}.")
    cm = cm.astype(np.float64)
    if not np.isfinite(cm).all() or (cm < 0).any():
        raise InvalidParameterError("matrix: counts must be finite and >= 0.")
    return cm


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _nanmean(values: NDArray[np.float64]) -> float:
    present = values[~np.isnan(values)]
    return float(present.mean()) if present.size else float("nan")


def pixel_accuracy(matrix: ArrayLike) -> float:
    """Fraction of evaluated pixels whose predicted class is right.

    Parameters
    ----------
    matrix : (K, K) array_like
        Confusion matrix (rows truth, columns prediction).

    Returns
    -------
    float
        ``trace / total``; NaN when the matrix counts no pixel.

    Examples
    --------
    >>> float(pixel_accuracy([[3, 1], [0, 4]]))
    0.875
    """
    cm = _matrix(matrix)
    total = cm.sum()
    return float(np.trace(cm) / total) if total > 0 else float("nan")


def iou_per_class(matrix: ArrayLike) -> NDArray[np.float64]:
    """Intersection over union (Jaccard index) of each class.

    Parameters
    ----------
    matrix : (K, K) array_like
        Confusion matrix (rows truth, columns prediction).

    Returns
    -------
    (K,) ndarray of float64
        ``TP / (TP + FP + FN)`` per class; NaN for a class absent from both the
        truth and the prediction.

    Examples
    --------
    >>> iou_per_class([[2, 1, 0], [0, 1, 0], [0, 0, 0]])
    array([0.66666667, 0.5       ,        nan])
    """
    cm = _matrix(matrix)
    tp = np.diag(cm)
    return _ratio(tp, cm.sum(0) + cm.sum(1) - tp)


def mean_iou(matrix: ArrayLike) -> float:
    """Mean of :func:`iou_per_class` over the classes present (mIoU).

    Returns
    -------
    float
        Mean over classes present in the truth or the prediction; absent classes
        are left out. NaN when no class is present.

    Examples
    --------
    >>> float(mean_iou([[2, 1, 0], [0, 1, 0], [0, 0, 0]]))
    0.5833333333333333
    """
    return _nanmean(iou_per_class(matrix))


def dice_per_class(matrix: ArrayLike) -> NDArray[np.float64]:
    """Dice coefficient (pixel F1 score) of each class.

    Parameters
    ----------
    matrix : (K, K) array_like
        Confusion matrix (rows truth, columns prediction).

    Returns
    -------
    (K,) ndarray of float64
        ``2 TP / (2 TP + FP + FN)`` per class; NaN for a class absent from both.

    Examples
    --------
    >>> dice_per_class([[2, 1], [0, 1]])
    array([0.8       , 0.66666667])
    """
    cm = _matrix(matrix)
    tp = np.diag(cm)
    return _ratio(2 * tp, cm.sum(0) + cm.sum(1))


def mean_dice(matrix: ArrayLike) -> float:
    """Mean of :func:`dice_per_class` over the classes present.

    Returns
    -------
    float
        NaN when no class is present.

    Examples
    --------
    >>> round(mean_dice([[2, 1], [0, 1]]), 4)
    0.7333
    """
    return _nanmean(dice_per_class(matrix))


def frequency_weighted_iou(matrix: ArrayLike) -> float:
    """IoU of each class weighted by its share of the true pixels (FWIoU).

    Returns
    -------
    float
        ``sum_c (true pixels of c / all pixels) * IoU_c``. Classes with no true
        pixel weigh 0; NaN when the matrix counts no pixel.

    Examples
    --------
    >>> float(frequency_weighted_iou([[2, 1], [0, 1]]))
    0.625
    """
    cm = _matrix(matrix)
    total = cm.sum()
    if total == 0:
        return float("nan")
    freq = cm.sum(1) / total
    iou = iou_per_class(cm)
    seen = freq > 0
    return float(np.sum(freq[seen] * iou[seen]))
