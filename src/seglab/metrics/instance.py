"""Instance matching at an IoU threshold, and the DSB2018 score built on it.

Both label images hold instance ids (0 = background). The IoU of every
overlapping (true, predicted) pair comes from one count of id pairs, so
hundreds of instances cost one pass over the pixels.

Examples
--------
>>> import numpy as np
>>> t = np.array([[1, 1, 0, 2, 2]])
>>> p = np.array([[1, 1, 0, 0, 2]])
>>> m = match_instances(t, p, iou_threshold=0.5)
>>> m.tp, m.fp, m.fn, float(m.mean_matched_iou)
(1, 1, 1, 1.0)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError
from ..core.validate import check_param
from ._labels import compact_ids, label_array, same_shape

__all__ = ["InstanceMatch", "match_instances", "dsb_score", "DSB_THRESHOLDS"]

#: IoU thresholds of the 2018 Data Science Bowl score: 0.50, 0.55, ..., 0.95.
DSB_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


@dataclass(frozen=True, eq=False)
class _Overlaps:
    """Sparse IoU table: one entry per (true, predicted) pair that shares pixels."""

    true_ids: NDArray[np.int64]  # (T,) ids of the true instances
    pred_ids: NDArray[np.int64]  # (P,) ids of the predicted instances
    rows: NDArray[np.intp]  # (E,) index into true_ids
    cols: NDArray[np.intp]  # (E,) index into pred_ids
    iou: NDArray[np.float64]  # (E,)


def _check_ids(flat: np.ndarray, name: str, ignore_index: int | None) -> None:
    if flat.dtype.kind == "i" and flat.size and int(flat.min()) < 0:
        bad = flat < 0 if ignore_index is None else (flat < 0) & (flat != ignore_index)
        if bad.any():
            raise InvalidImageError(
                f"{name} has negative instance ids (min {int(flat[bad].min())}); ids must be >= 0 "
                f"(0 = background){'' if ignore_index is None else f', or ignore_index={ignore_index}'}."
            )


def _overlaps(labels_true: ArrayLike, labels_pred: ArrayLike, ignore_index: int | None) -> _Overlaps:
    check_param(
        ignore_index is None or (isinstance(ignore_index, numbers.Integral) and not isinstance(ignore_index, bool)
                                 and ignore_index < 0),
        "ignore_index",
        f"must be a negative integer (default -1) or None; got {ignore_index!r} (0 is background and "
        "positive values are instance ids).",
    )
    t = label_array(labels_true, name="labels_true")
    p = label_array(labels_pred, name="labels_pred")
    same_shape(t, p)
    t, p = t.ravel(), p.ravel()
    _check_ids(t, "labels_true", ignore_index)
    _check_ids(p, "labels_pred", ignore_index)
    if ignore_index is not None and t.dtype.kind == "i":
        keep = t != ignore_index
        if not keep.all():
            t, p = t[keep], p[keep]
    t_index, true_ids, true_area = compact_ids(t)
    p_index, pred_ids, pred_area = compact_ids(p)
    both = (t_index > 0) & (p_index > 0)
    width = pred_ids.size + 1
    key = t_index[both] * width + p_index[both]
    if (true_ids.size + 1) * width <= max(4 * key.size, 1 << 20):
        counts = np.bincount(key, minlength=(true_ids.size + 1) * width)
        key = np.flatnonzero(counts)
        inter = counts[key]
    else:
        key, inter = np.unique(key, return_counts=True)
    rows, cols = key // width - 1, key % width - 1
    union = true_area[rows] + pred_area[cols] - inter
    return _Overlaps(true_ids, pred_ids, rows, cols, inter / union)


def _match(ov: _Overlaps, threshold: float) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """One-to-one pairs with IoU > threshold: (rows, cols, iou) of the matches."""
    cand = ov.iou > threshold
    rows, cols, iou = ov.rows[cand], ov.cols[cand], ov.iou[cand]
    if np.unique(rows).size == rows.size and np.unique(cols).size == cols.size:
        return rows, cols, iou  # already one-to-one: always the case for threshold >= 0.5
    from scipy.optimize import linear_sum_assignment

    r_ids, r_inv = np.unique(rows, return_inverse=True)
    c_ids, c_inv = np.unique(cols, return_inverse=True)
    # Most matches first, then the largest total IoU: a match is worth more than any IoU sum.
    weight = np.zeros((r_ids.size, c_ids.size))
    weight[r_inv, c_inv] = min(r_ids.size, c_ids.size) + 1 + iou
    sel_r, sel_c = linear_sum_assignment(weight, maximize=True)
    keep = weight[sel_r, sel_c] > 0
    sel_r, sel_c = sel_r[keep], sel_c[keep]
    return r_ids[sel_r], c_ids[sel_c], weight[sel_r, sel_c] - (min(r_ids.size, c_ids.size) + 1)


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


@dataclass(frozen=True, eq=False)
class InstanceMatch:
    """Result of :func:`match_instances`.

    Attributes
    ----------
    iou_threshold : float
        Pairs match when their IoU is strictly above it.
    tp, fp, fn : int
        Matched pairs, unmatched predictions, unmatched true instances.
    n_true, n_pred : int
        Number of true and predicted instances.
    pairs : (TP, 2) ndarray of int64
        ``(true_id, pred_id)`` of each match, in the ids of the inputs, sorted by true id.
    ious : (TP,) ndarray of float64
        IoU of each matched pair.
    """

    iou_threshold: float
    tp: int
    fp: int
    fn: int
    n_true: int
    n_pred: int
    pairs: NDArray[np.int64]
    ious: NDArray[np.float64]

    @property
    def precision(self) -> float:
        """``TP / (TP + FP)``; NaN when there is no prediction."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """``TP / (TP + FN)``; NaN when there is no true instance."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        """``2 TP / (2 TP + FP + FN)``; 1.0 when both images have no instance."""
        den = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / den if den else 1.0

    @property
    def accuracy(self) -> float:
        """``TP / (TP + FP + FN)`` (the DSB2018 per-threshold score); 1.0 when both are empty."""
        den = self.tp + self.fp + self.fn
        return self.tp / den if den else 1.0

    @property
    def mean_matched_iou(self) -> float:
        """Mean IoU of the matched pairs; NaN when nothing matched."""
        return float(self.ious.mean()) if self.ious.size else float("nan")

    def to_dict(self) -> dict[str, float | int]:
        """Scalars as a JSON-able dict (no pairs).

        Examples
        --------
        >>> match_instances([[1, 0]], [[1, 0]]).to_dict()["f1"]
        1.0
        """
        keys = ("iou_threshold", "tp", "fp", "fn", "n_true", "n_pred",
                "precision", "recall", "f1", "accuracy", "mean_matched_iou")
        return {k: getattr(self, k) for k in keys}


def _check_threshold(iou_threshold: float) -> float:
    check_param(
        isinstance(iou_threshold, numbers.Real) and not isinstance(iou_threshold, bool)
        and 0 <= iou_threshold < 1,
        "iou_threshold",
        f"must be a number in [0, 1); got {iou_threshold!r}.",
    )
    return float(iou_threshold)


def match_instances(
    labels_true: ArrayLike,
    labels_pred: ArrayLike,
    *,
    iou_threshold: float = 0.5,
    ignore_index: int | None = -1,
) -> InstanceMatch:
    """Match true and predicted instances one-to-one by IoU.

    Parameters
    ----------
    labels_true : (H, W) ndarray of int, or Segmentation
        True instance ids; 0 = background. Pixels equal to `ignore_index` are
        removed from both images before any area or IoU is computed.
    labels_pred : (H, W) ndarray of int, or Segmentation
        Predicted instance ids, same shape; 0 (and `ignore_index`) = no instance.
    iou_threshold : float, optional
        A pair can match when its IoU is strictly greater than this (default 0.5).
    ignore_index : int or None, optional
        Void value (negative, default -1); ``None`` disables it.

    Returns
    -------
    InstanceMatch
        TP, FP, FN, precision, recall, F1, accuracy, mean matched IoU and the
        matched pairs.

    Raises
    ------
    InvalidImageError
        Shapes differ, empty or float input, or negative ids other than `ignore_index`.
    InvalidParameterError
        `iou_threshold` outside [0, 1), or `ignore_index` not negative.

    Notes
    -----
    For ``iou_threshold >= 0.5`` a pair with IoU above the threshold is unique
    on both sides, so the matching is simply every such pair. Below 0.5 an
    instance may overlap several candidates; the matching is then the one with
    the most pairs and, among those, the largest total IoU (Hungarian algorithm,
    :func:`scipy.optimize.linear_sum_assignment`).

    Empty cases: with no prediction, precision is NaN; with no true instance,
    recall is NaN; with neither, F1 and accuracy are 1.0 (nothing to find,
    nothing found). The mean matched IoU is NaN when nothing matched.

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 1, 0, 2, 2]])
    >>> p = np.array([[3, 3, 3, 0, 0, 0, 5]])
    >>> m = match_instances(t, p)
    >>> m.tp, m.fp, m.fn, m.pairs.tolist(), m.ious.tolist()
    (1, 1, 1, [[1, 3]], [0.75])
    >>> match_instances(t, p, iou_threshold=0.4).tp
    2
    """
    threshold = _check_threshold(iou_threshold)
    ov = _overlaps(labels_true, labels_pred, ignore_index)
    rows, cols, ious = _match(ov, threshold)
    order = np.argsort(rows, kind="stable")
    pairs = np.stack([ov.true_ids[rows[order]], ov.pred_ids[cols[order]]], axis=1).reshape(-1, 2)
    tp = int(rows.size)
    return InstanceMatch(
        iou_threshold=threshold,
        tp=tp,
        fp=int(ov.pred_ids.size) - tp,
        fn=int(ov.true_ids.size) - tp,
        n_true=int(ov.true_ids.size),
        n_pred=int(ov.pred_ids.size),
        pairs=pairs.astype(np.int64),
        ious=ious[order].astype(np.float64),
    )


def dsb_score(labels_true: ArrayLike, labels_pred: ArrayLike, *, ignore_index: int | None = -1) -> float:
    """Score of the 2018 Data Science Bowl (Kaggle) for one image.

    The mean over the thresholds t = 0.50, 0.55, ..., 0.95 of
    ``TP(t) / (TP(t) + FP(t) + FN(t))``, where a predicted and a true instance
    match when their IoU is strictly greater than t.

    Parameters
    ----------
    labels_true, labels_pred : (H, W) ndarray of int, or Segmentation
        Instance id images as in :func:`match_instances` (0 = background).
    ignore_index : int or None, optional
        Void value of `labels_true` (default -1), removed before matching.

    Returns
    -------
    float
        In [0, 1]. Empty cases: no true instance and no prediction gives 1.0
        (the convention of Kaggle's segmentation competitions, e.g. TGS Salt);
        predictions on an image without true instances give 0.0, and so does
        no prediction on an image with true instances. A data-set score is the
        mean of the per-image scores.

    Examples
    --------
    >>> t = np.zeros((10, 10), int); t[:, :5] = 1
    >>> p = np.zeros((10, 10), int); p[:, :4] = 1      # IoU 0.8
    >>> round(dsb_score(t, p), 2)                       # matched for t < 0.8: 6 of 10 thresholds
    0.6
    >>> dsb_score(np.zeros((4, 4), int), np.zeros((4, 4), int))
    1.0
    """
    ov = _overlaps(labels_true, labels_pred, ignore_index)
    n_true, n_pred = ov.true_ids.size, ov.pred_ids.size
    if n_true == 0 and n_pred == 0:
        return 1.0
    scores = []
    for threshold in DSB_THRESHOLDS:
        tp = _match(ov, threshold)[0].size
        scores.append(tp / (n_true + n_pred - tp))
    return float(np.mean(scores))
