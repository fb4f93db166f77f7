"""Boundary metrics: BSDS boundary precision/recall/F with a distance tolerance, and Boundary IoU.

Boundary F follows the Berkeley benchmark (``evaluation_bdry_image.m`` and
``correspondPixels``): predicted boundary pixels are thinned to one pixel
width, then matched one-to-one to ground-truth boundary pixels lying within
`tolerance` pixels (Euclidean), by a minimum-cost maximum bipartite matching.
Recall is the fraction of ground-truth boundary pixels matched; precision the
fraction of predicted boundary pixels matched. With several ground truths
(BSDS has 4-9 annotators per image) recall sums over annotators and a
predicted pixel is correct if it matches in *any* annotator.

Boundary IoU (Cheng et al., CVPR 2021) compares the inner boundary bands of two
masks and is sensitive to boundary quality on large objects, where mask IoU is not.

Examples
--------
>>> import numpy as np
>>> t = np.zeros((20, 20), int); t[:, 10:] = 1
>>> p = np.zeros((20, 20), int); p[:, 11:] = 1     # boundary one pixel to the right
>>> boundary_f(t, p, tolerance=2), boundary_f(t, p, tolerance=0.5)
(1.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from ..core.errors import InvalidImageError
from ..core.validate import check_param
from ._labels import label_array, labelled_pixels, same_shape
from .partition import annotation_list

__all__ = [
    "BSDS_MAX_DIST",
    "BoundaryCounts",
    "bsds_tolerance",
    "label_boundaries",
    "correspond_pixels",
    "boundary_counts",
    "boundary_counts_from_maps",
    "boundary_f",
    "boundary_iou",
    "boundary_iou_per_label",
]

#: BSDS default matching distance, as a fraction of the image diagonal.
BSDS_MAX_DIST = 0.0075

_COST_SCALE = 100  # correspondPixels rounds distances to 1/100 pixel
_OUTLIER_COST = 100  # correspondPixels: an unmatched pixel costs 100 x the tolerance


def bsds_tolerance(shape: tuple[int, ...], ratio: float = BSDS_MAX_DIST) -> float:
    """Matching distance in pixels: `ratio` times the image diagonal (BSDS convention).

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` of the image.
    ratio : float, optional
        Fraction of the diagonal; the BSDS benchmark default is 0.0075.

    Returns
    -------
    float
        ``ratio * sqrt(H**2 + W**2)``.

    Examples
    --------
    >>> round(bsds_tolerance((321, 481)), 3)   # a BSDS image
    4.337
    """
    check_param(ratio > 0, "ratio", f"must be > 0; got {ratio}.")
    return ratio * math.hypot(shape[0], shape[1])


def _labels_2d(labels: ArrayLike, name: str) -> NDArray[np.integer]:
    arr = label_array(labels, name=name)
    if arr.ndim != 2:
        raise InvalidImageError(
            f"{name} must be a 2-D (H, W) label image; got shape {arr.shape}. "
            "Pass one image at a time (a list of images for several annotators)."
        )
    return arr


def _map_2d(boundaries: ArrayLike, name: str) -> NDArray[np.bool_]:
    arr = np.asarray(boundaries)
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidImageError(f"{name} must be a non-empty 2-D (H, W) boundary map; got shape {arr.shape}.")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
        raise InvalidImageError(
            f"{name} must be a boolean (or 0/1) boundary map; got dtype {arr.dtype}. "
            "Threshold a soft boundary map first (e.g. pb >= 0.5), or use boundary_counts() on label images."
        )
    return arr != 0


def label_boundaries(labels: ArrayLike, *, ignore_index: int | None = -1) -> NDArray[np.bool_]:
    """Boundary map of a label image, exactly as the BSDS ``seg2bdry(seg, 'imageSize')``.

    A pixel is marked when its lower-right corner touches a label change: the
    BSDS code draws boundaries on the doubled "between pixels" grid and keeps
    the corner points, so a boundary is one pixel thick and lies on the
    upper/left side of each label change (on the last row/column, on the pixel
    itself).

    Parameters
    ----------
    labels : (H, W) ndarray of int, or Segmentation
        Label image.
    ignore_index : int or None, optional
        Label changes next to pixels with this label are not boundaries (void
        borders carry no information). Default -1.

    Returns
    -------
    (H, W) ndarray of bool

    Examples
    --------
    >>> label_boundaries(np.array([[1, 1, 2, 2]] * 3)).astype(int)
    array([[0, 1, 0, 0],
           [0, 1, 0, 0],
           [0, 1, 0, 0]])
    """
    seg = _labels_2d(labels, "labels")
    h, w = seg.shape
    ev = np.zeros((h, w), bool)  # change between (i, j) and (i + 1, j)
    eh = np.zeros((h, w), bool)  # change between (i, j) and (i, j + 1)
    ev[:-1] = seg[:-1] != seg[1:]
    eh[:, :-1] = seg[:, :-1] != seg[:, 1:]
    if ignore_index is not None:
        void = seg == ignore_index
        if void.any():
            ev[:-1] &= ~(void[:-1] | void[1:])
            eh[:, :-1] &= ~(void[:, :-1] | void[:, 1:])
    grid = np.zeros((2 * h + 1, 2 * w + 1), bool)
    grid[2::2, 1::2] = ev
    grid[1::2, 2::2] = eh
    grid[2:-1:2, 2:-1:2] = eh[:-1, :-1] | eh[1:, :-1] | ev[:-1, :-1] | ev[:-1, 1:]
    grid[0, :] = grid[1, :]
    grid[:, 0] = grid[:, 1]
    grid[-1, :] = grid[-2, :]
    grid[:, -1] = grid[:, -2]
    return grid[2::2, 2::2].copy()


def _check_tolerance(tolerance: float) -> None:
    check_param(isinstance(tolerance, (int, float, np.integer, np.floating)) and math.isfinite(tolerance)
                and tolerance > 0, "tolerance", f"must be a finite number of pixels > 0; got {tolerance!r}.")


def _candidate_pairs(
    map1: NDArray[np.bool_], map2: NDArray[np.bool_], tolerance: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.int64], int, int]:
    """Pixel pairs (node of map1, node of map2) within `tolerance`, their integer costs, and n1, n2."""
    h, w = map1.shape
    y1, x1 = np.nonzero(map1)
    node2 = np.full(map2.shape, -1, np.intp)
    y2, x2 = np.nonzero(map2)
    node2[y2, x2] = np.arange(y2.size)
    r = int(math.ceil(min(tolerance, math.hypot(h, w))))  # no pair lies farther apart than the diagonal
    src, dst, cost = [], [], []
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            d2 = dy * dy + dx * dx
            if d2 > tolerance * tolerance:
                continue
            yy, xx = y1 + dy, x1 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            i = np.flatnonzero(inside)
            j = node2[yy[i], xx[i]]
            hit = j >= 0
            src.append(i[hit])
            dst.append(j[hit])
            cost.append(np.full(int(hit.sum()), round(_COST_SCALE * math.sqrt(d2)), np.int64))
    return (np.concatenate(src), np.concatenate(dst), np.concatenate(cost), y1.size, y2.size)


def correspond_pixels(
    boundaries_a: ArrayLike, boundaries_b: ArrayLike, *, tolerance: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """One-to-one matching of boundary pixels within a distance (BSDS ``correspondPixels``).

    Pairs pixels of two boundary maps at Euclidean distance <= `tolerance`
    by a minimum-cost assignment in which every unmatched pixel costs
    ``100 * tolerance`` and a matched pair costs its distance (rounded to
    1/100 pixel), the costs of the Berkeley code. Matching one more pixel
    pair always pays unless it needs an augmenting path of more than ~200
    pairs, so in practice the result is a maximum-cardinality matching of
    minimum total distance. Unlike the Berkeley code, which wires unmatched
    pixels through a randomly drawn sparse outlier graph, the result is
    deterministic (up to ties in cost).

    Parameters
    ----------
    boundaries_a, boundaries_b : (H, W) ndarray of bool
        Boundary maps of the same shape.
    tolerance : float
        Maximum matching distance in pixels (> 0).

    Returns
    -------
    matched_a, matched_b : (H, W) ndarray of bool
        The pixels of each map that found a partner.

    Examples
    --------
    >>> a = np.zeros((3, 5), bool); a[1, :] = True
    >>> b = np.zeros((3, 5), bool); b[2, 1:3] = True
    >>> ma, mb = correspond_pixels(a, b, tolerance=1.5)
    >>> int(ma.sum()), int(mb.sum())
    (2, 2)
    """
    a = _map_2d(boundaries_a, "boundaries_a")
    b = _map_2d(boundaries_b, "boundaries_b")
    if a.shape != b.shape:
        raise InvalidImageError(
            f"boundaries_a has shape {a.shape} but boundaries_b has shape {b.shape}; they must match."
        )
    _check_tolerance(tolerance)
    matched_a = np.zeros(a.shape, bool)
    matched_b = np.zeros(b.shape, bool)
    src, dst, cost, n1, n2 = _candidate_pairs(a, b, tolerance)
    outlier = math.ceil(_OUTLIER_COST * tolerance * _COST_SCALE)
    if src.size == 0:
        return matched_a, matched_b
    pairs = sparse.coo_array((np.ones(src.size), (src, n1 + dst)), shape=(n1 + n2, n1 + n2))
    _, component = connected_components(pairs, directed=False)
    order = np.argsort(component[src], kind="stable")
    src, dst, cost = src[order], dst[order], cost[order]
    bounds = np.flatnonzero(np.diff(component[src])) + 1
    ya, xa = np.nonzero(a)
    yb, xb = np.nonzero(b)
    for s, d, c in zip(np.split(src, bounds), np.split(dst, bounds), np.split(cost, bounds)):
        ia, ib = _min_cost_max_matching(s, d, c, outlier)
        matched_a[ya[ia], xa[ia]] = True
        matched_b[yb[ib], xb[ib]] = True
    return matched_a, matched_b


def _min_cost_max_matching(
    src: NDArray[np.intp], dst: NDArray[np.intp], cost: NDArray[np.int64], outlier: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Matched nodes of a minimum-cost matching of one connected component, `outlier` per unmatched node.

    The bipartite graph (left = `src` nodes, right = `dst` nodes) is completed
    so that a perfect matching always exists: left node i may go to a private
    dummy i' and right node j to a private dummy j' at the outlier cost, and
    dummy j' meets dummy i' whenever (i, j) is an edge, at no cost.
    """
    left, s = np.unique(src, return_inverse=True)
    right, d = np.unique(dst, return_inverse=True)
    n1, n2 = left.size, right.size
    if s.size == 1:
        return left, right
    c = cost.astype(np.float64) + 1.0  # every weight > 0: the shift adds a constant per perfect matching
    n = n1 + n2
    rows = np.concatenate([s, np.arange(n1), n1 + np.arange(n2), n1 + d])
    cols = np.concatenate([d, n2 + np.arange(n1), np.arange(n2), n2 + s])
    weights = np.concatenate([c, np.full(n, outlier + 1.0), np.ones(s.size)])
    graph = sparse.csr_array((weights, (rows, cols)), shape=(n, n))
    row, col = min_weight_full_bipartite_matching(graph)
    match = np.empty(n, np.intp)
    match[row] = col
    real = match[:n1] < n2
    return left[real], right[match[:n1][real]]


@dataclass(frozen=True, slots=True)
class BoundaryCounts:
    """Boundary matching counts: they add across images, reduce with the properties.

    Attributes
    ----------
    matched_true, total_true : int
        Ground-truth boundary pixels matched / in total (summed over annotators);
        the BSDS ``cntR``, ``sumR``.
    matched_pred, total_pred : int
        Predicted (thinned) boundary pixels matched in any annotator / in total;
        the BSDS ``cntP``, ``sumP``.
    """

    matched_true: int
    total_true: int
    matched_pred: int
    total_pred: int

    def __add__(self, other: BoundaryCounts) -> BoundaryCounts:
        return BoundaryCounts(
            self.matched_true + other.matched_true,
            self.total_true + other.total_true,
            self.matched_pred + other.matched_pred,
            self.total_pred + other.total_pred,
        )

    @property
    def recall(self) -> float:
        """``matched_true / total_true``; 0 when there is no true boundary, 1 if neither map has any."""
        if self.total_true == 0:
            return 1.0 if self.total_pred == 0 else 0.0
        return self.matched_true / self.total_true

    @property
    def precision(self) -> float:
        """``matched_pred / total_pred``; 0 when nothing is predicted, 1 if neither map has any."""
        if self.total_pred == 0:
            return 1.0 if self.total_true == 0 else 0.0
        return self.matched_pred / self.total_pred

    @property
    def f(self) -> float:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _thin(boundaries: NDArray[np.bool_]) -> NDArray[np.bool_]:
    from skimage.morphology import thin

    return thin(boundaries)


def boundary_counts_from_maps(
    boundaries_true: ArrayLike | Sequence[ArrayLike],
    boundaries_pred: ArrayLike,
    *,
    tolerance: float | None = None,
    thin: bool = True,
    mask: ArrayLike | None = None,
) -> BoundaryCounts:
    """Match a predicted boundary map against one or several true boundary maps (BSDS rules).

    Parameters
    ----------
    boundaries_true : (H, W) bool ndarray, a sequence of them, or a (K, H, W) stack
        Ground-truth boundary maps, one per annotator. Used as given (not thinned).
    boundaries_pred : (H, W) ndarray of bool
        Predicted boundary map (threshold soft maps first).
    tolerance : float, optional
        Maximum matching distance in pixels; default ``0.0075 * diagonal``
        (:func:`bsds_tolerance`, the BSDS setting, 4.34 px on a 481x321 image).
    thin : bool, optional
        Thin the prediction to one-pixel width first, as BSDS does with MATLAB
        ``bwmorph(..., 'thin', inf)``; ``skimage.morphology.thin`` implements the
        same Guo-Hall algorithm (Lam, Lee & Suen 1992).
    mask : (H, W) ndarray of bool, optional
        Only pixels where `mask` is true are counted (both maps are restricted
        to it after thinning).

    Returns
    -------
    BoundaryCounts

    Examples
    --------
    >>> t = np.zeros((5, 5), bool); t[2, :] = True
    >>> p = np.zeros((5, 5), bool); p[3, :3] = True
    >>> boundary_counts_from_maps([t, t], p, tolerance=1)
    BoundaryCounts(matched_true=6, total_true=10, matched_pred=3, total_pred=3)
    """
    pred = _map_2d(boundaries_pred, "boundaries_pred")
    trues = [_map_2d(b, "boundaries_true") for b in annotation_list(boundaries_true, name="boundaries_true")]
    for t in trues:
        if t.shape != pred.shape:
            raise InvalidImageError(
                f"boundaries_true has shape {t.shape} but boundaries_pred has shape {pred.shape}; "
                "they must match pixel for pixel."
            )
    if tolerance is None:
        tolerance = bsds_tolerance(pred.shape)
    _check_tolerance(tolerance)
    if thin:
        pred = _thin(pred)
    if mask is not None:
        keep = _map_2d(mask, "mask")
        if keep.shape != pred.shape:
            raise InvalidImageError(f"mask has shape {keep.shape}; expected {pred.shape}.")
        pred = pred & keep
        trues = [t & keep for t in trues]
    matched_any = np.zeros(pred.shape, bool)
    matched_true = total_true = 0
    for t in trues:
        m_pred, m_true = correspond_pixels(pred, t, tolerance=tolerance)
        matched_any |= m_pred
        matched_true += int(m_true.sum())
        total_true += int(t.sum())
    return BoundaryCounts(matched_true, total_true, int(matched_any.sum()), int(pred.sum()))


def boundary_counts(
    labels_true: ArrayLike | Sequence[ArrayLike],
    labels_pred: ArrayLike,
    *,
    tolerance: float | None = None,
    thin: bool = True,
    ignore_index: int | None = -1,
) -> BoundaryCounts:
    """Boundary matching counts of two label images (BSDS boundary benchmark on segmentations).

    Boundaries are drawn with :func:`label_boundaries` (BSDS ``seg2bdry``), then
    matched with :func:`boundary_counts_from_maps`.

    Parameters
    ----------
    labels_true : (H, W) ndarray of int, a sequence of them, or a (K, H, W) stack
        Ground-truth label images, one per annotator.
    labels_pred : (H, W) ndarray of int, or Segmentation
        Predicted label image.
    tolerance : float, optional
        Maximum matching distance in pixels; default ``0.0075 * diagonal`` (BSDS).
    thin : bool, optional
        Thin the predicted boundaries first (BSDS does; default True).
    ignore_index : int or None, optional
        True pixels with this label are void: no true boundary is drawn along
        them, and predicted boundary pixels on them are not counted. Default -1.

    Returns
    -------
    BoundaryCounts

    Examples
    --------
    >>> t = np.zeros((10, 10), int); t[:, 5:] = 1
    >>> boundary_counts(t, t, tolerance=1)
    BoundaryCounts(matched_true=10, total_true=10, matched_pred=10, total_pred=10)
    """
    pred = _labels_2d(labels_pred, "labels_pred")
    trues = [_labels_2d(t, "labels_true") for t in annotation_list(labels_true, name="labels_true")]
    mask = np.ones(pred.shape, bool)
    for t in trues:
        same_shape(t, pred)
        if ignore_index is not None:
            mask &= t != ignore_index
    return boundary_counts_from_maps(
        [label_boundaries(t, ignore_index=ignore_index) for t in trues],
        label_boundaries(pred, ignore_index=None),
        tolerance=tolerance,
        thin=thin,
        mask=None if mask.all() else mask,
    )


def boundary_f(
    labels_true: ArrayLike | Sequence[ArrayLike],
    labels_pred: ArrayLike,
    *,
    tolerance: float | None = None,
    thin: bool = True,
    ignore_index: int | None = -1,
) -> float:
    """Boundary F-measure of a label image against one or several ground truths (BSDS style).

    Parameters
    ----------
    labels_true : (H, W) ndarray of int, a sequence of them, or a (K, H, W) stack
        Ground-truth label images, one per annotator.
    labels_pred : (H, W) ndarray of int, or Segmentation
        Predicted label image.
    tolerance : float, optional
        Maximum matching distance in pixels; default ``0.0075 * diagonal`` (BSDS).
    thin : bool, optional
        Thin the predicted boundaries first (default True, as BSDS). The ground
        truth is not thinned, so where label boundaries turn a corner the
        prediction loses the corner pixel and the truth keeps it: a
        segmentation compared with itself scores below 1 (36/40 recall for a
        10x10 square). Use ``thin=False`` to compare two label images exactly.
    ignore_index : int or None, optional
        Void label of the ground truth (see :func:`boundary_counts`). Default -1.

    Returns
    -------
    float
        ``BoundaryCounts.f`` in [0, 1]. Empty case: two images without any
        boundary (one region each) score 1.0; if only one of them has
        boundaries the score is 0.0. (The BSDS code scores 0 in both cases.)

    Examples
    --------
    >>> t = np.zeros((10, 10), int); t[:, 5:] = 1
    >>> boundary_f(t, np.zeros((10, 10), int))
    0.0
    >>> boundary_f(np.zeros((10, 10), int), np.zeros((10, 10), int))
    1.0
    """
    return boundary_counts(labels_true, labels_pred, tolerance=tolerance, thin=thin, ignore_index=ignore_index).f


def _mask_2d(mask: ArrayLike, name: str) -> NDArray[np.bool_]:
    arr = label_array(mask, name=name)
    if arr.ndim != 2:
        raise InvalidImageError(f"{name} must be a 2-D (H, W) mask; got shape {arr.shape}.")
    if not np.isin(arr, (0, 1)).all():
        raise InvalidImageError(
            f"{name} must be a binary mask (bool or 0/1); got values {np.unique(arr)[:5].tolist()}... "
            "For label images use boundary_iou_per_label()."
        )
    return arr != 0


def _inner_band(mask: NDArray[np.bool_], width: int) -> NDArray[np.bool_]:
    """Pixels of `mask` within `width` (chessboard) of its contour or of the image border."""
    import cv2

    padded = np.pad(mask.astype(np.uint8), 1)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=width)[1:-1, 1:-1]
    return mask & (eroded == 0)


def _band_width(shape: tuple[int, ...], dilation_ratio: float) -> int:
    check_param(dilation_ratio > 0, "dilation_ratio", f"must be > 0; got {dilation_ratio}.")
    return max(1, int(round(dilation_ratio * math.hypot(shape[0], shape[1]))))


def _band_iou(band_true: NDArray[np.bool_], band_pred: NDArray[np.bool_]) -> float:
    union = np.count_nonzero(band_true | band_pred)
    return float(np.count_nonzero(band_true & band_pred) / union) if union else 1.0


def boundary_iou(mask_true: ArrayLike, mask_pred: ArrayLike, *, dilation_ratio: float = 0.02) -> float:
    """Boundary IoU of two binary masks (Cheng et al., CVPR 2021).

    Each mask is reduced to its inner boundary band: the mask pixels within
    ``d = round(dilation_ratio * diagonal)`` pixels (at least 1, chessboard
    distance) of the mask's contour; the image border counts as contour, as
    in the reference implementation (``boundary_iou_api``). The score is the
    IoU of the two bands.

    Parameters
    ----------
    mask_true, mask_pred : (H, W) ndarray of bool (or 0/1)
        Binary masks of the same shape.
    dilation_ratio : float, optional
        Band width as a fraction of the image diagonal (default 0.02, the paper's).

    Returns
    -------
    float
        In [0, 1]. Empty case: two empty masks score 1.0; one empty mask 0.0.

    Examples
    --------
    >>> t = np.zeros((10, 10), bool); t[2:6, 2:6] = True
    >>> p = np.zeros((10, 10), bool); p[2:6, 3:7] = True   # shifted right one pixel
    >>> boundary_iou(t, p, dilation_ratio=0.05)   # d = 1: rings of 12 pixels sharing 6
    0.3333333333333333
    """
    t = _mask_2d(mask_true, "mask_true")
    p = _mask_2d(mask_pred, "mask_pred")
    if t.shape != p.shape:
        raise InvalidImageError(f"mask_true has shape {t.shape} but mask_pred has shape {p.shape}; they must match.")
    width = _band_width(t.shape, dilation_ratio)
    return _band_iou(_inner_band(t, width), _inner_band(p, width))


def boundary_iou_per_label(
    labels_true: ArrayLike,
    labels_pred: ArrayLike,
    *,
    dilation_ratio: float = 0.02,
    ignore_index: int | None = -1,
) -> dict[int, float]:
    """Boundary IoU of each positive label, comparing ``labels_true == k`` with ``labels_pred == k``.

    Use it for semantic classes or for instances already matched to share ids
    (label 0 is background and gets no score).

    Parameters
    ----------
    labels_true, labels_pred : (H, W) ndarray of int, or Segmentation
        Label images of the same shape.
    dilation_ratio : float, optional
        Band width as a fraction of the image diagonal (default 0.02).
    ignore_index : int or None, optional
        True pixels with this label are removed from both bands (default -1).

    Returns
    -------
    dict of int to float
        One entry per positive label present in either image; a label present
        in only one image scores 0.0. Empty dict when neither image has a
        positive label.

    Examples
    --------
    >>> t = np.zeros((10, 10), int); t[2:6, 2:6] = 1; t[7:, 7:] = 2
    >>> p = t.copy(); p[p == 2] = 0
    >>> boundary_iou_per_label(t, p)
    {1: 1.0, 2: 0.0}
    """
    t = _labels_2d(labels_true, "labels_true")
    p = _labels_2d(labels_pred, "labels_pred")
    same_shape(t, p)
    width = _band_width(t.shape, dilation_ratio)
    keep = labelled_pixels(t, ignore_index)
    if keep is None:
        keep = np.ones(t.shape, bool)
    ids = np.union1d(np.unique(t), np.unique(p))
    return {
        int(k): _band_iou(_inner_band(t == k, width) & keep, _inner_band(p == k, width) & keep)
        for k in ids[ids > 0]
    }
