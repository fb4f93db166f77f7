"""The Berkeley (BSDS300/500) benchmark protocol: ground-truth loading, per-image sweeps, ODS/OIS.

A Python port of the BSDS500 benchmark (``evaluation_bdry_image.m``,
``evaluation_reg_image.m``, ``collect_eval_bdry.m``, ``collect_eval_reg.m``).
A method is evaluated over a sweep of T settings per image, given as one of:

- ``ucm2``: an ultrametric contour map on the doubled grid ``(2H+1, 2W+1)``,
  cut at T thresholds ``linspace(1/(T+1), 1 - 1/(T+1), T)``; boundaries are
  ``ucm2[2::2, 2::2] >= t``, regions the 8-connected components of ``ucm2 <= t``
  (MATLAB ``bwlabel``) sampled at the pixel centres ``[1::2, 1::2]``, so
  contours must be closed on the doubled grid, junctions and frame included,
  as gPb-owt-ucm's are;
- ``boundary_map``: a soft boundary map in [0, 1], thresholded the same way
  (boundary benchmark only);
- ``segs``: T label images, e.g. one per value of a method's parameter
  (thresholds are then ``1..T``).

For each image and setting it records boundary counts (see
:func:`~seglab.metrics.boundary.boundary_counts_from_maps`), segmentation
covering counts, probabilistic Rand index and variation of information against
all annotators; :func:`summarize_bsds` reduces them as the official code does:

- **ODS** (optimal dataset scale): one setting for the whole data set. Boundary
  F uses counts summed over images and is maximised along the PR curve with
  linear interpolation between neighbouring thresholds (100 steps, as
  ``collect_eval_bdry.m``); covering, PRI and VoI take the best sampled setting.
- **OIS** (optimal image scale): the best setting per image, then aggregated
  (boundary and covering from summed counts, PRI and VoI averaged).
- **AP**: area under the interpolated PR curve on ``recall = 0:0.01:1``.
- **covering best**: each ground-truth region takes its best IoU over all settings.

Examples
--------
>>> import numpy as np
>>> gt = BsdsGroundTruth.from_labels(np.repeat([[1, 1, 2, 2]], 4, axis=0))
>>> segs = [np.ones((4, 4), int), np.repeat([[1, 1, 2, 2]], 4, axis=0)]
>>> result = evaluate_bsds_image([gt], segs=segs)
>>> summary = summarize_bsds([result])
>>> summary.covering.ods, summary.pri.ods, summary.boundary.ods_f
(1.0, 1.0, 1.0)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage as ndi

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.validate import check_param
from ._labels import label_array
from .boundary import BSDS_MAX_DIST, boundary_counts_from_maps, label_boundaries
from .partition import cluster_index, contingency_from_clusters

__all__ = [
    "BsdsGroundTruth",
    "BsdsImageResult",
    "BsdsBoundarySummary",
    "BsdsCoveringSummary",
    "BsdsRandVoiSummary",
    "BsdsSummary",
    "bsds_thresholds",
    "evaluate_bsds_image",
    "summarize_bsds",
    "evaluate_bsds",
]

PathLike = str | os.PathLike


class BsdsGroundTruth(NamedTuple):
    """One human annotation: region labels (1..R) and its boundary map."""

    segmentation: NDArray[np.int32]
    boundaries: NDArray[np.bool_]

    @classmethod
    def from_labels(cls, segmentation: ArrayLike) -> BsdsGroundTruth:
        """Annotation from a label image, boundaries drawn as BSDS ``seg2bdry`` does.

        Examples
        --------
        >>> BsdsGroundTruth.from_labels([[1, 2]]).boundaries.tolist()
        [[True, False]]
        """
        seg = label_array(segmentation, name="segmentation").astype(np.int32)
        return cls(seg, label_boundaries(seg, ignore_index=None))


def bsds_thresholds(nthresh: int) -> NDArray[np.float64]:
    """The benchmark's thresholds: ``linspace(1/(n+1), 1 - 1/(n+1), n)``.

    Examples
    --------
    >>> bsds_thresholds(3).tolist()
    [0.25, 0.5, 0.75]
    """
    check_param(isinstance(nthresh, int) and nthresh >= 1, "nthresh", f"must be an int >= 1; got {nthresh!r}.")
    return np.linspace(1 / (nthresh + 1), 1 - 1 / (nthresh + 1), nthresh)


@dataclass(frozen=True)
class BsdsImageResult:
    """Per-image, per-setting counts of the BSDS protocol (what the ``_ev*.txt`` files hold).

    Attributes
    ----------
    thresholds : (T,) ndarray of float
        Threshold (``ucm2``/``boundary_map``) or 1-based setting index (``segs``).
    boundary : (T, 4) ndarray of int64 or None
        ``cntR, sumR, cntP, sumP`` per setting (``_ev1.txt``).
    covering : (T, 4) ndarray of float or None
        Covering counts ``cntR, sumR, cntP, sumP`` per setting (``_ev2.txt``): ground truth covered
        by the segmentation (R) and segmentation covered by the ground truth (P).
    covering_best : float or None
        ``cntR_best``: ground-truth area times the best IoU over all settings (``_ev3.txt``).
    rand_index, voi : (T,) ndarray of float or None
        PRI and VoI (bits) per setting, averaged over annotators (``_ev4.txt``).
    """

    thresholds: NDArray[np.float64]
    boundary: NDArray[np.int64] | None = None
    covering: NDArray[np.float64] | None = None
    covering_best: float | None = None
    rand_index: NDArray[np.float64] | None = None
    voi: NDArray[np.float64] | None = None


def _soft_map(values: ArrayLike, shape: tuple[int, int] | None, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiu" or arr.ndim != 2:
        raise InvalidImageError(f"{name} must be a 2-D real array; got {arr.dtype} {arr.shape}.")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise InvalidImageError(
            f"{name} must hold finite values in [0, 1]; got range [{arr.min():.4g}, {arr.max():.4g}]. "
            "Divide an 8-bit map by 255 (seglab.io.bsds.load_bsds_boundary_png does)."
        )
    if shape is not None and arr.shape != shape:
        raise InvalidImageError(f"{name} has shape {arr.shape}; expected {shape} from the ground truth.")
    return arr


def _sweep(
    shape: tuple[int, int],
    ucm2: ArrayLike | None,
    boundary_map: ArrayLike | None,
    segs: Sequence[ArrayLike] | None,
    nthresh: int,
) -> tuple[NDArray[np.float64], list[tuple[Any, Any]]]:
    """Thresholds and, per setting, a lazy (boundary map, label image) pair."""
    given = [name for name, v in (("ucm2", ucm2), ("boundary_map", boundary_map), ("segs", segs)) if v is not None]
    if len(given) != 1:
        raise InvalidParameterError(
            f"pass exactly one of ucm2=, boundary_map= or segs=; got {given or 'none'}."
        )
    h, w = shape
    if segs is not None:
        labels = [label_array(s, name="segs") for s in segs]
        if not labels:
            raise InvalidParameterError("segs is empty; pass one label image per setting of the sweep.")
        for s in labels:
            if s.shape != shape:
                raise InvalidImageError(f"a segmentation in segs has shape {s.shape}; expected {shape}.")
        steps = [(lambda s=s: label_boundaries(s, ignore_index=None), lambda s=s: s) for s in labels]
        return np.arange(1, len(labels) + 1, dtype=np.float64), steps
    thresholds = bsds_thresholds(nthresh)
    if ucm2 is not None:
        ucm = _soft_map(ucm2, (2 * h + 1, 2 * w + 1), "ucm2")
        pb = ucm[2::2, 2::2]
        eight = np.ones((3, 3), bool)
        steps = [
            (lambda t=t: pb >= t, lambda t=t: ndi.label(ucm <= t, structure=eight)[0][1::2, 1::2])
            for t in thresholds
        ]
    else:
        pb = _soft_map(boundary_map, shape, "boundary_map")
        steps = [(lambda t=t: pb >= t, None) for t in thresholds]
    return thresholds, steps


def evaluate_bsds_image(
    groundtruth: Sequence[BsdsGroundTruth],
    *,
    ucm2: ArrayLike | None = None,
    boundary_map: ArrayLike | None = None,
    segs: Sequence[ArrayLike] | None = None,
    nthresh: int = 99,
    max_dist: float = BSDS_MAX_DIST,
    thin: bool = True,
    boundary: bool = True,
    regions: bool = True,
) -> BsdsImageResult:
    """Run the BSDS boundary and region benchmarks on one image over a sweep of settings.

    Parameters
    ----------
    groundtruth : sequence of BsdsGroundTruth
        The annotations of the image (:func:`seglab.io.bsds.load_bsds_groundtruth`).
    ucm2 : (2H+1, 2W+1) ndarray of float in [0, 1], optional
        Ultrametric contour map on the doubled grid.
    boundary_map : (H, W) ndarray of float in [0, 1], optional
        Soft boundary map (boundary benchmark only).
    segs : sequence of (H, W) label images, optional
        One segmentation per setting of a parameter sweep. Label 0 is an
        ordinary region here (the official code drops label 0 from covering;
        BSDS results number regions from 1, where both agree).
    nthresh : int, optional
        Number of thresholds for `ucm2`/`boundary_map` (99 in the benchmark).
    max_dist : float, optional
        Boundary matching distance as a fraction of the image diagonal (0.0075).
    thin : bool, optional
        Thin thresholded boundaries before matching (the benchmark does).
    boundary, regions : bool, optional
        Which benchmarks to run. ``regions`` needs `ucm2` or `segs`.

    Returns
    -------
    BsdsImageResult

    Raises
    ------
    InvalidParameterError
        Not exactly one prediction given, or regions asked of a boundary map.
    InvalidImageError
        Shapes that do not match the ground truth, values outside [0, 1].

    Examples
    --------
    >>> gt = [BsdsGroundTruth.from_labels(np.repeat([[1, 1, 2, 2]], 4, axis=0))]
    >>> r = evaluate_bsds_image(gt, segs=[np.ones((4, 4), int)], boundary=False)
    >>> r.rand_index.tolist(), r.voi.tolist()
    ([0.4666666666666667], [1.0])
    """
    annotations = list(groundtruth)
    if not annotations:
        raise InvalidImageError("groundtruth is empty; the BSDS protocol needs at least one annotation.")
    shape = annotations[0].segmentation.shape
    for g in annotations:
        if g.segmentation.shape != shape or g.boundaries.shape != shape:
            raise InvalidImageError("all annotations of one image must share one (H, W) shape.")
    check_param(max_dist > 0, "max_dist", f"must be > 0 (a fraction of the diagonal); got {max_dist}.")
    thresholds, steps = _sweep(shape, ucm2, boundary_map, segs, nthresh)
    if regions and boundary_map is not None:
        raise InvalidParameterError(
            "regions=True needs segmentations (ucm2= or segs=); a boundary_map supports boundary=True only."
        )
    check_param(boundary or regions, "boundary", "at least one of boundary= and regions= must be True.")
    result: dict[str, Any] = {"thresholds": thresholds}
    if boundary:
        tolerance = max_dist * math.hypot(*shape)
        truths = [g.boundaries for g in annotations]
        rows = []
        for to_boundaries, _ in steps:
            c = boundary_counts_from_maps(truths, to_boundaries(), tolerance=tolerance, thin=thin)
            rows.append((c.matched_true, c.total_true, c.matched_pred, c.total_pred))
        result["boundary"] = np.array(rows, np.int64).reshape(-1, 4)
    if regions:
        result.update(_region_sweep(annotations, [to_labels for _, to_labels in steps]))
    return BsdsImageResult(**result)


def _region_sweep(annotations: list[BsdsGroundTruth], to_labels: list[Any]) -> dict[str, Any]:
    truths = [cluster_index(g.segmentation) for g in annotations]
    best_true = [np.zeros(n) for _, n in truths]
    covering, ri, voi = [], [], []
    for make in to_labels:
        seg = cluster_index(make())
        cnt_r = sum_r = 0.0
        best_pred = np.zeros(seg[1])
        ris, vois = [], []
        for k, truth in enumerate(truths):
            table = contingency_from_clusters(truth, seg)
            b_true, b_pred = table.best_iou()
            cnt_r += float(np.dot(table.sizes_true, b_true))
            sum_r += table.n
            best_pred = np.maximum(best_pred, b_pred)
            best_true[k] = np.maximum(best_true[k], b_true)
            ris.append(table.rand_index())
            vois.append(table.variation_of_information().total)
        sizes_pred = np.bincount(seg[0], minlength=seg[1])
        covering.append((cnt_r, sum_r, float(np.dot(sizes_pred, best_pred)), float(sizes_pred.sum())))
        ri.append(np.mean(ris))
        voi.append(np.mean(vois))
    best = sum(float(np.dot(np.bincount(t, minlength=n), b)) for (t, n), b in zip(truths, best_true))
    return {
        "covering": np.array(covering, np.float64),
        "covering_best": best,
        "rand_index": np.array(ri, np.float64),
        "voi": np.array(voi, np.float64),
    }


# --------------------------------------------------------------------------------------
# Aggregation over a data set (collect_eval_bdry.m, collect_eval_reg.m)
# --------------------------------------------------------------------------------------


def _ratio(cnt: NDArray, total: NDArray) -> NDArray[np.float64]:
    return cnt / (total + (total == 0))  # the benchmark's x ./ (y + (y == 0)): 0 when y == 0


def _fmeasure(r: NDArray | float, p: NDArray | float) -> NDArray | float:
    return 2 * p * r / (p + r + ((p + r) == 0))


def _max_f(thresholds: NDArray, r: NDArray, p: NDArray) -> tuple[float, float, float, float]:
    """Best (threshold, R, P, F) along the PR curve, linearly interpolated (collect_eval_bdry maxF)."""
    d = np.linspace(0, 1, 100)[None, :]
    ts = np.concatenate([thresholds[:1], (thresholds[1:, None] * d + thresholds[:-1, None] * (1 - d)).ravel()])
    rs = np.concatenate([r[:1], (r[1:, None] * d + r[:-1, None] * (1 - d)).ravel()])
    ps = np.concatenate([p[:1], (p[1:, None] * d + p[:-1, None] * (1 - d)).ravel()])
    fs = _fmeasure(rs, ps)
    i = int(np.argmax(fs))  # first maximum, as the strict ">" of the MATLAB loop
    return float(ts[i]), float(rs[i]), float(ps[i]), float(fs[i])


@dataclass(frozen=True)
class BsdsBoundarySummary:
    """Boundary benchmark over a data set (``eval_bdry*.txt``)."""

    ods_threshold: float
    ods_recall: float
    ods_precision: float
    ods_f: float
    ois_recall: float
    ois_precision: float
    ois_f: float
    ap: float
    per_threshold: NDArray[np.float64]  # (T, 4): threshold, R, P, F
    per_image: NDArray[np.float64]  # (n, 4): best threshold, R, P, F (interpolated)


@dataclass(frozen=True)
class BsdsCoveringSummary:
    """Segmentation covering over a data set (``eval_cover*.txt``)."""

    ods_threshold: float
    ods: float
    ois: float
    best: float
    per_threshold: NDArray[np.float64]  # (T, 2): threshold, covering
    per_image: NDArray[np.float64]  # (n, 3): best threshold, covering GT->seg, covering seg->GT


@dataclass(frozen=True)
class BsdsRandVoiSummary:
    """Probabilistic Rand index or variation of information over a data set (``eval_RI_VOI*.txt``)."""

    ods_threshold: float
    ods: float
    ois: float
    per_threshold: NDArray[np.float64]  # (T, 2): threshold, mean over images


@dataclass(frozen=True)
class BsdsSummary:
    """All BSDS figures of a data set; a part is None when its benchmark was not run."""

    n_images: int
    boundary: BsdsBoundarySummary | None
    covering: BsdsCoveringSummary | None
    pri: BsdsRandVoiSummary | None
    voi: BsdsRandVoiSummary | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (arrays become nested lists).

        Examples
        --------
        >>> gt = [BsdsGroundTruth.from_labels(np.ones((3, 3), int))]
        >>> s = summarize_bsds([evaluate_bsds_image(gt, segs=[np.ones((3, 3), int)], boundary=False)])
        >>> s.to_dict()["covering"]["ods"]
        1.0
        """

        def plain(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, np.ndarray):
                return value.tolist()
            return value

        return plain(asdict(self))


def _boundary_summary(results: Sequence[BsdsImageResult]) -> BsdsBoundarySummary:
    thresholds = results[0].thresholds
    counts = np.stack([r.boundary for r in results]).astype(np.float64)  # (n, T, 4)
    per_image, ois = [], np.zeros(4)
    for c in counts:
        r, p = _ratio(c[:, 0], c[:, 1]), _ratio(c[:, 2], c[:, 3])
        per_image.append(_max_f(thresholds, r, p))
        ois += c[int(np.argmax(_fmeasure(r, p)))]
    total = counts.sum(axis=0)
    r, p = _ratio(total[:, 0], total[:, 1]), _ratio(total[:, 2], total[:, 3])
    f = _fmeasure(r, p)
    best_t, best_r, best_p, best_f = _max_f(thresholds, r, p)
    ois_r, ois_p = float(_ratio(ois[0], ois[1])), float(_ratio(ois[2], ois[3]))
    # AP: MATLAB [Ru, indR] = unique(R) (legacy: index of the last duplicate), interp1, NaN -> 0.
    ru, first_of_reversed = np.unique(r[::-1], return_index=True)
    pu = p[::-1][first_of_reversed]
    if ru.size > 1:
        ap = float(np.interp(np.linspace(0, 1, 101), ru, pu, left=0.0, right=0.0).sum() * 0.01)
    else:
        ap = 0.0
    return BsdsBoundarySummary(
        ods_threshold=best_t,
        ods_recall=best_r,
        ods_precision=best_p,
        ods_f=best_f,
        ois_recall=ois_r,
        ois_precision=ois_p,
        ois_f=float(_fmeasure(ois_r, ois_p)),
        ap=ap,
        per_threshold=np.column_stack([thresholds, r, p, f]),
        per_image=np.array(per_image),
    )


def _covering_summary(results: Sequence[BsdsImageResult]) -> BsdsCoveringSummary:
    thresholds = results[0].thresholds
    counts = np.stack([r.covering for r in results])  # (n, T, 4)
    per_image, ois = [], np.zeros(2)
    for c in counts:
        r, p = _ratio(c[:, 0], c[:, 1]), _ratio(c[:, 2], c[:, 3])
        first = int(np.argmax(r))
        last = len(r) - 1 - int(np.argmax(r[::-1]))  # collect_eval_reg: ff(end)
        per_image.append((thresholds[first], r[first], p[first]))
        ois += c[last, :2]
    total = counts.sum(axis=0)
    r = _ratio(total[:, 0], total[:, 1])
    i = int(np.argmax(r))
    return BsdsCoveringSummary(
        ods_threshold=float(thresholds[i]),
        ods=float(r[i]),
        ois=float(_ratio(ois[0], ois[1])),
        best=float(sum(res.covering_best for res in results) / total[0, 1]),
        per_threshold=np.column_stack([thresholds, r]),
        per_image=np.array(per_image),
    )


def _rand_voi_summary(thresholds: NDArray, values: NDArray, *, higher_is_better: bool) -> BsdsRandVoiSummary:
    mean = values.mean(axis=0)
    i = int(np.argmax(mean) if higher_is_better else np.argmin(mean))
    ois = values.max(axis=1) if higher_is_better else values.min(axis=1)
    return BsdsRandVoiSummary(
        ods_threshold=float(thresholds[i]),
        ods=float(mean[i]),
        ois=float(ois.mean()),
        per_threshold=np.column_stack([thresholds, mean]),
    )


def summarize_bsds(results: Sequence[BsdsImageResult]) -> BsdsSummary:
    """Reduce per-image sweeps to the data-set figures (ODS, OIS, AP, best covering).

    Parameters
    ----------
    results : sequence of BsdsImageResult
        One per image, all with the same number of settings.

    Returns
    -------
    BsdsSummary

    Raises
    ------
    InvalidParameterError
        No results, or results with different sweeps or benchmarks.

    Notes
    -----
    As in the official code, a ratio with a zero denominator is 0 (an image
    or threshold without any true or predicted boundary pixel), ties go to
    the first setting (boundary, covering ODS, PRI/VoI ODS) or to the last
    (covering OIS counts), and AP keeps the last of equal recall values
    (MATLAB ``unique`` before R2013a, contemporary with the benchmark).

    Examples
    --------
    >>> gt = [BsdsGroundTruth.from_labels(np.repeat([[1, 1, 2, 2]], 4, axis=0))]
    >>> r = evaluate_bsds_image(gt, segs=[np.ones((4, 4), int), np.eye(4, dtype=int)], boundary=False)
    >>> s = summarize_bsds([r])
    >>> s.covering.ods_threshold, round(s.covering.ods, 4), s.voi.ods_threshold
    (1.0, 0.5, 1.0)
    """
    results = list(results)
    if not results:
        raise InvalidParameterError("results is empty; evaluate at least one image first.")
    first = results[0]
    for r in results:
        if r.thresholds.shape != first.thresholds.shape or (r.boundary is None) != (first.boundary is None) or (
            r.covering is None
        ) != (first.covering is None):
            raise InvalidParameterError(
                "every image must be evaluated with the same sweep length and the same benchmarks "
                f"(got {r.thresholds.size} vs {first.thresholds.size} settings)."
            )
    thresholds = first.thresholds
    regions = first.covering is not None
    return BsdsSummary(
        n_images=len(results),
        boundary=_boundary_summary(results) if first.boundary is not None else None,
        covering=_covering_summary(results) if regions else None,
        pri=_rand_voi_summary(thresholds, np.stack([r.rand_index for r in results]), higher_is_better=True)
        if regions
        else None,
        voi=_rand_voi_summary(thresholds, np.stack([r.voi for r in results]), higher_is_better=False)
        if regions
        else None,
    )


def evaluate_bsds(
    groundtruths: Sequence[Sequence[BsdsGroundTruth]],
    *,
    ucm2: Sequence[ArrayLike] | None = None,
    boundary_maps: Sequence[ArrayLike] | None = None,
    segs: Sequence[Sequence[ArrayLike]] | None = None,
    nthresh: int = 99,
    max_dist: float = BSDS_MAX_DIST,
    thin: bool = True,
    boundary: bool = True,
    regions: bool = True,
) -> BsdsSummary:
    """Run the BSDS protocol on a data set: :func:`evaluate_bsds_image` per image, then :func:`summarize_bsds`.

    Parameters
    ----------
    groundtruths : sequence of sequences of BsdsGroundTruth
        Per image, its annotations.
    ucm2, boundary_maps, segs : sequence, optional
        Per image, its prediction (exactly one of the three kinds, see
        :func:`evaluate_bsds_image`), in the order of `groundtruths`.
    nthresh, max_dist, thin, boundary, regions
        As in :func:`evaluate_bsds_image`.

    Returns
    -------
    BsdsSummary

    Examples
    --------
    >>> gt = [BsdsGroundTruth.from_labels(np.repeat([[1, 1, 2, 2]], 4, axis=0))]
    >>> s = evaluate_bsds([gt], segs=[[np.repeat([[1, 1, 2, 2]], 4, axis=0)]], regions=False)
    >>> s.boundary.ods_f, s.covering
    (1.0, None)
    """
    predictions = {"ucm2": ucm2, "boundary_map": boundary_maps, "segs": segs}
    given = {k: v for k, v in predictions.items() if v is not None}
    if len(given) != 1:
        raise InvalidParameterError(f"pass exactly one of ucm2=, boundary_maps= or segs=; got {list(given) or 'none'}.")
    (kind, values), = given.items()
    values = list(values)
    if len(values) != len(groundtruths):
        raise InvalidParameterError(
            f"{len(groundtruths)} ground truths but {len(values)} predictions; pass one prediction per image."
        )
    results = [
        evaluate_bsds_image(
            gt, **{kind: v}, nthresh=nthresh, max_dist=max_dist, thin=thin, boundary=boundary, regions=regions
        )
        for gt, v in zip(groundtruths, values)
    ]
    return summarize_bsds(results)
