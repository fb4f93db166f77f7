"""Partition metrics: compare two label images as clusterings of the pixels.

Every function here is invariant to renaming labels: only which pixels share a
label matters, not the label values. Label 0 is an ordinary cluster (background
is a region like any other); pixels whose *true* label equals `ignore_index`
(``-1``, void, by default) are left out of the comparison entirely, in both
images. The counts come from a sparse contingency table built in
``O(N log N)`` (a sort of pixel label pairs), never from the ``O(N**2)`` pixel
pairs.

Conventions for degenerate inputs are documented per function; an empty image,
or one whose true pixels are all void, raises :class:`InvalidImageError`.

Examples
--------
>>> import numpy as np
>>> t = np.array([[1, 1, 2, 2]])
>>> p = np.array([[5, 5, 5, 7]])
>>> round(rand_index(t, p), 4)
0.5
>>> round(segmentation_covering(t, p), 4)
0.5833
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError
from ._labels import label_array, labelled_pixels, same_shape

__all__ = [
    "Contingency",
    "contingency",
    "cluster_index",
    "contingency_from_clusters",
    "annotation_list",
    "AdaptedRandError",
    "VariationOfInformation",
    "adapted_rand_error",
    "variation_of_information",
    "rand_index",
    "probabilistic_rand_index",
    "segmentation_covering",
]


class AdaptedRandError(NamedTuple):
    """Adapted Rand error with its pair precision and recall (all in [0, 1])."""

    error: float
    precision: float
    recall: float


class VariationOfInformation(NamedTuple):
    """Variation of information split into its two conditional entropies, in bits.

    ``split`` is H(pred | true), the over-segmentation part (true regions cut
    into several predicted ones); ``merge`` is H(true | pred), the
    under-segmentation part. The order equals ``skimage.metrics.variation_of_information``.
    """

    split: float
    merge: float

    @property
    def total(self) -> float:
        """The variation of information, ``split + merge``."""
        return self.split + self.merge


@dataclass(frozen=True, slots=True)
class Contingency:
    """Sparse contingency table of two label images (only non-zero cells are stored).

    ``counts[k]`` pixels have true cluster ``rows[k]`` and predicted cluster
    ``cols[k]``; clusters are numbered ``0..len(sizes_true)-1`` and
    ``0..len(sizes_pred)-1`` in increasing label order.
    """

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    counts: NDArray[np.int64]
    sizes_true: NDArray[np.int64]
    sizes_pred: NDArray[np.int64]

    @property
    def n(self) -> int:
        """Number of pixels compared."""
        return int(self.sizes_true.sum())

    def rand_index(self) -> float:
        """Fraction of pixel pairs on which the two partitions agree (1.0 below two pixels)."""
        n = self.n
        if n < 2:
            return 1.0
        disagree = 0.5 * _sum_squares(self.sizes_true) + 0.5 * _sum_squares(self.sizes_pred)
        disagree -= _sum_squares(self.counts)
        return 1.0 - disagree / (n * (n - 1) / 2)

    def variation_of_information(self) -> VariationOfInformation:
        """Split H(pred|true) and merge H(true|pred), in bits."""
        p = self.counts / self.n
        split = float(np.sum(p * np.log2(self.sizes_true[self.rows] / self.counts)))
        merge = float(np.sum(p * np.log2(self.sizes_pred[self.cols] / self.counts)))
        return VariationOfInformation(split=split, merge=merge)

    def best_iou(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Best IoU of each true cluster with any predicted one, and vice versa."""
        iou = self.counts / (self.sizes_true[self.rows] + self.sizes_pred[self.cols] - self.counts)
        best_true = np.zeros(self.sizes_true.size)
        best_pred = np.zeros(self.sizes_pred.size)
        np.maximum.at(best_true, self.rows, iou)
        np.maximum.at(best_pred, self.cols, iou)
        return best_true, best_pred


def contingency(
    labels_true: ArrayLike, labels_pred: ArrayLike, *, ignore_index: int | None = -1
) -> Contingency:
    """Build the sparse contingency table of two label images.

    Parameters
    ----------
    labels_true, labels_pred : ndarray of int, or Segmentation
        Label images of the same shape (any dimensionality).
    ignore_index : int or None, optional
        Pixels whose *true* label equals this value are dropped from both
        images. ``None`` keeps every pixel.

    Returns
    -------
    Contingency

    Raises
    ------
    InvalidImageError
        Shape mismatch, float labels, empty images, or every true pixel ignored.

    Examples
    --------
    >>> table = contingency(np.array([[1, 1, 2]]), np.array([[0, 3, 3]]))
    >>> table.counts.tolist(), table.sizes_true.tolist(), table.sizes_pred.tolist()
    ([1, 1, 1], [2, 1], [1, 2])
    """
    t = label_array(labels_true, name="labels_true")
    p = label_array(labels_pred, name="labels_pred")
    same_shape(t, p)
    t, p = t.ravel(), p.ravel()
    keep = labelled_pixels(t, ignore_index)
    if keep is not None and not keep.all():
        t, p = t[keep], p[keep]
    return contingency_from_clusters(cluster_index(t), cluster_index(p))


def cluster_index(labels: NDArray[np.integer]) -> tuple[NDArray[np.int64], int]:
    """Number the distinct values of a flat label array ``0..K-1`` in increasing order.

    Returns the per-pixel cluster index and K. Computing it once lets several
    contingency tables share one image (the BSDS protocol compares each
    segmentation with every annotator).

    Examples
    --------
    >>> index, k = cluster_index(np.array([7, -1, 7, 3]))
    >>> index.tolist(), k
    ([2, 0, 2, 1], 3)
    """
    flat = np.asarray(labels).ravel()
    low, high = int(flat.min()), int(flat.max())
    if high - low <= 4 * flat.size + 1024:  # dense label range: counting beats sorting
        present = np.bincount(flat - low, minlength=high - low + 1) > 0
        lut = np.cumsum(present) - 1
        return lut[flat - low].astype(np.int64), int(present.sum())
    uniq, inverse = np.unique(flat, return_inverse=True)
    return inverse.ravel().astype(np.int64), int(uniq.size)


def contingency_from_clusters(
    true: tuple[NDArray[np.int64], int], pred: tuple[NDArray[np.int64], int]
) -> Contingency:
    """Contingency table of two :func:`cluster_index` results of the same pixels.

    Examples
    --------
    >>> t = cluster_index(np.array([1, 1, 2]))
    >>> p = cluster_index(np.array([0, 3, 3]))
    >>> contingency_from_clusters(t, p).counts.tolist()
    [1, 1, 1]
    """
    (ti, n_true), (pi, n_pred) = true, pred
    code = ti * n_pred + pi
    if n_true * n_pred <= 4 * code.size + 1024:
        dense = np.bincount(code, minlength=n_true * n_pred)
        cells = np.flatnonzero(dense)
        counts = dense[cells]
    else:
        cells, counts = np.unique(code, return_counts=True)
    return Contingency(
        rows=cells // n_pred,
        cols=cells % n_pred,
        counts=counts.astype(np.int64),
        sizes_true=np.bincount(ti, minlength=n_true).astype(np.int64),
        sizes_pred=np.bincount(pi, minlength=n_pred).astype(np.int64),
    )


def _sum_squares(x: NDArray[np.int64]) -> float:
    return float(np.dot(x.astype(np.float64), x.astype(np.float64)))


def _ratio(num: float, den: float) -> float:
    # A pair ratio with no pairs to count is vacuously perfect.
    return num / den if den > 0 else 1.0


def adapted_rand_error(
    labels_true: ArrayLike, labels_pred: ArrayLike, *, ignore_index: int | None = -1
) -> AdaptedRandError:
    """Adapted Rand error (SNEMI3D): 1 - F-score of pixel pairs that share a label.

    Precision is the fraction of pixel pairs sharing a predicted label that
    also share a true label; recall is the fraction of pairs sharing a true
    label that also share a predicted label; the error is ``1 - 2PR/(P+R)``.

    Parameters
    ----------
    labels_true : ndarray of int, or Segmentation
        Ground-truth labels (any label values; 0 is an ordinary cluster).
    labels_pred : ndarray of int, or Segmentation
        Predicted labels, same shape.
    ignore_index : int or None, optional
        Pixels with this true label are left out (default -1, void). Note that
        ``skimage.metrics.adapted_rand_error`` ignores true label 0 by default;
        pass ``ignore_index=0`` to reproduce that.

    Returns
    -------
    AdaptedRandError
        ``(error, precision, recall)``. The error equals scikit-image's;
        scikit-image returns precision and recall swapped with respect to its own
        documentation (scikit-image#6485): here they follow the definitions above.

    Notes
    -----
    Empty case: when no two pixels share a predicted (true) label, precision
    (recall) is 1.0, so a single-pixel image or two all-singleton images score
    error 0.

    Examples
    --------
    >>> t = np.array([[1, 1, 2, 2]])
    >>> adapted_rand_error(t, t)
    AdaptedRandError(error=0.0, precision=1.0, recall=1.0)
    >>> r = adapted_rand_error(t, np.array([[1, 1, 1, 1]]))
    >>> round(r.error, 4), round(r.precision, 4), r.recall
    (0.5, 0.3333, 1.0)
    """
    table = contingency(labels_true, labels_pred, ignore_index=ignore_index)
    n = table.n
    both = _sum_squares(table.counts) - n
    precision = _ratio(both, _sum_squares(table.sizes_pred) - n)
    recall = _ratio(both, _sum_squares(table.sizes_true) - n)
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return AdaptedRandError(error=1.0 - f, precision=precision, recall=recall)


def variation_of_information(
    labels_true: ArrayLike, labels_pred: ArrayLike, *, ignore_index: int | None = -1
) -> VariationOfInformation:
    """Variation of information (Meila 2007) as its split and merge parts, in bits.

    Parameters
    ----------
    labels_true : ndarray of int, or Segmentation
        Ground-truth labels.
    labels_pred : ndarray of int, or Segmentation
        Predicted labels, same shape.
    ignore_index : int or None, optional
        Pixels with this true label are left out (default -1, void).

    Returns
    -------
    VariationOfInformation
        ``(split, merge)`` = (H(pred|true), H(true|pred)) in bits (log base 2,
        as the BSDS benchmark and ``skimage.metrics.variation_of_information``);
        ``.total`` is the VI. Both are 0 for identical partitions.

    Examples
    --------
    >>> t = np.array([[1, 1, 2, 2]])
    >>> variation_of_information(t, np.array([[1, 2, 3, 4]]))
    VariationOfInformation(split=1.0, merge=0.0)
    >>> variation_of_information(t, np.array([[0, 0, 0, 0]])).total
    1.0
    """
    return contingency(labels_true, labels_pred, ignore_index=ignore_index).variation_of_information()


def rand_index(labels_true: ArrayLike, labels_pred: ArrayLike, *, ignore_index: int | None = -1) -> float:
    """Rand index: fraction of pixel pairs on which both label images agree.

    A pair agrees when both images put its two pixels in the same cluster, or
    both put them in different clusters.

    Parameters
    ----------
    labels_true : ndarray of int, or Segmentation
        Ground-truth labels.
    labels_pred : ndarray of int, or Segmentation
        Predicted labels, same shape.
    ignore_index : int or None, optional
        Pixels with this true label are left out (default -1, void).

    Returns
    -------
    float
        In [0, 1]; 1.0 for a single pixel (no pairs).

    Examples
    --------
    >>> rand_index(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 4, 4]]))
    1.0
    >>> round(rand_index(np.array([[1, 1, 2, 2]]), np.array([[1, 2, 1, 2]])), 4)
    0.3333
    """
    return contingency(labels_true, labels_pred, ignore_index=ignore_index).rand_index()


def annotation_list(values: ArrayLike | Sequence[ArrayLike], *, name: str) -> list[ArrayLike]:
    """Split one or several ground truths into a list of 2-D images.

    A list or tuple whose items are 2-D arrays is a list of annotations; a
    ``(K, H, W)`` array is K annotations; anything else (a 2-D array, nested
    lists of numbers) is one annotation.

    Examples
    --------
    >>> len(annotation_list([[1, 2], [3, 4]], name="t")), len(annotation_list(np.zeros((3, 2, 2)), name="t"))
    (1, 3)
    >>> len(annotation_list([np.zeros((2, 2)), np.ones((2, 2))], name="t"))
    2
    """
    if isinstance(values, (list, tuple)):
        if not values:
            raise InvalidImageError(f"{name} is an empty list; pass at least one ground-truth image.")
        if all(np.ndim(v) >= 2 for v in values):
            return list(values)
    arr = np.asarray(values)
    return list(arr) if arr.ndim == 3 else [arr]


def probabilistic_rand_index(
    labels_true: ArrayLike | Sequence[ArrayLike],
    labels_pred: ArrayLike,
    *,
    ignore_index: int | None = -1,
) -> float:
    """Probabilistic Rand index: the Rand index averaged over several ground truths.

    This is the BSDS benchmark's PRI (``match_segmentations2.m``): the mean of
    :func:`rand_index` over the human annotations of one image.

    Parameters
    ----------
    labels_true : sequence of (H, W) ndarrays of int, or a (K, H, W) ndarray
        The K ground-truth label images (one 2-D image is taken as K = 1).
    labels_pred : (H, W) ndarray of int, or Segmentation
        Predicted labels.
    ignore_index : int or None, optional
        In each annotation, pixels with this label are left out of that
        annotation's Rand index (default -1, void).

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> gts = [np.array([[1, 1, 2, 2]]), np.array([[1, 1, 1, 1]])]
    >>> round(probabilistic_rand_index(gts, np.array([[1, 1, 2, 2]])), 4)
    0.6667
    """
    annotations = annotation_list(labels_true, name="labels_true")
    return float(np.mean([rand_index(t, labels_pred, ignore_index=ignore_index) for t in annotations]))


def segmentation_covering(
    labels_true: ArrayLike, labels_pred: ArrayLike, *, ignore_index: int | None = -1
) -> float:
    """Covering of the ground truth by the prediction (BSDS segmentation covering).

    ``C = (1/N) * sum over true regions R of |R| * max over predicted regions S of IoU(R, S)``,
    the definition of ``evaluation_reg_image.m`` (its reported "covering" is
    the ground truth covered by the machine segmentation). Regions are the
    label values (every value, 0 included, is one region; BSDS ground truths
    number regions from 1, so this is their definition). Not symmetric: swap
    the arguments for the prediction covered by the ground truth.

    Parameters
    ----------
    labels_true : ndarray of int, or Segmentation
        Ground-truth labels.
    labels_pred : ndarray of int, or Segmentation
        Predicted labels, same shape.
    ignore_index : int or None, optional
        Pixels with this true label are left out (default -1, void).

    Returns
    -------
    float
        In (0, 1]; 1.0 when the predicted regions equal the true ones.

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 2]])
    >>> segmentation_covering(t, t)
    1.0
    >>> segmentation_covering(t, np.array([[0, 0, 0, 0]]))   # (3 * 3/4 + 1 * 1/4) / 4
    0.625
    """
    table = contingency(labels_true, labels_pred, ignore_index=ignore_index)
    best_true, _ = table.best_iou()
    return float(np.dot(table.sizes_true, best_true) / table.n)
