"""COCO mask AP/AR: the evaluation of pycocotools' ``COCOeval(iouType="segm")``, from label images or masks.

It reproduces COCOeval step by step (same IoU thresholds 0.50:0.05:0.95,
101-point interpolated precision, ``maxDets`` 1/10/100, small/medium/large area
ranges, crowd regions, greedy matching in score order with stable ties), but
computes IoUs straight from pixels and vectorises the matching.

Examples
--------
>>> import numpy as np
>>> gt = np.zeros((8, 8), np.int32); gt[:4, :4] = 1; gt[5:, 5:] = 2
>>> pred = {"labels": gt, "scores": [0.9, 0.8]}
>>> coco_mask_ap([gt], [pred]).ap
1.0
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.validate import check_param
from ._labels import compact_ids, label_array

__all__ = ["CocoMaskAP", "coco_mask_ap", "COCO_IOU_THRESHOLDS", "COCO_RECALL_THRESHOLDS", "COCO_AREA_RANGES"]

#: IoU thresholds 0.50:0.05:0.95, computed exactly as pycocotools does.
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
#: Recall points 0:0.01:1 of the 101-point interpolated precision.
COCO_RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
#: Area ranges in pixels: all, small (< 32^2), medium, large (> 96^2); bounds inclusive.
COCO_AREA_RANGES: dict[str, tuple[float, float]] = {
    "all": (0, 1e5**2),
    "small": (0, 32**2),
    "medium": (32**2, 96**2),
    "large": (96**2, 1e5**2),
}

_KEYS = ("labels", "masks", "category_ids", "scores", "iscrowd")


@dataclass(frozen=True, eq=False)
class _Instances:
    """The instances of one image, normalised."""

    shape: tuple[int, int]
    layers: list[NDArray[np.intp]]  # flat (H*W,) maps of 1-based instance index; instances do not overlap in a layer
    pixels: list[NDArray[np.intp]] | None  # flat pixel indices per instance (predicted masks only)
    area: NDArray[np.int64]
    category: NDArray[np.int64]
    score: NDArray[np.float64]
    iscrowd: NDArray[np.bool_]


# ----------------------------------------------------------------------------- input parsing


def _per_instance(value: Any, ids: NDArray[np.int64] | None, n: int, what: str, name: str) -> list[Any]:
    """One value per instance: a sequence of length n, or (label images) a mapping id -> value."""
    if isinstance(value, Mapping):
        if ids is None:
            raise InvalidParameterError(
                f"{name}: {what} is a mapping, but instances given as masks are matched by position; "
                "pass a sequence with one value per mask."
            )
        missing = [int(i) for i in ids if int(i) not in value]
        if missing:
            raise InvalidParameterError(f"{name}: {what} has no entry for instance id(s) {missing[:10]}.")
        return [value[int(i)] for i in ids]
    seq = list(np.asarray(value).ravel()) if not isinstance(value, Sequence) else list(value)
    if len(seq) != n:
        order = "one per positive label id, in increasing id order" if ids is not None else "one per mask"
        raise InvalidParameterError(f"{name}: {what} has {len(seq)} values for {n} instances ({order}).")
    return seq


def _numbers(values: list[Any], kind: str, what: str, name: str) -> NDArray:
    try:
        arr = np.asarray(values, dtype=np.float64) if values else np.zeros(0)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name}: {what} must be numbers.") from None
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name}: {what} must be finite.")
    if kind == "int":
        if not np.array_equal(arr, np.round(arr)):
            raise InvalidParameterError(f"{name}: {what} must be integers.")
        return arr.astype(np.int64)
    if kind == "bool":
        return arr != 0
    return arr


def _layer_masks(pixels: list[NDArray[np.intp]], size: int) -> list[NDArray[np.intp]]:
    """Pack possibly overlapping masks into as few non-overlapping index maps as needed."""
    layers: list[NDArray[np.intp]] = []
    for i, pix in enumerate(pixels, start=1):
        for layer in layers:
            if not layer[pix].any():
                layer[pix] = i
                break
        else:
            layer = np.zeros(size, np.intp)
            layer[pix] = i
            layers.append(layer)
    return layers


def _parse(item: Any, *, role: str, name: str) -> _Instances:
    from ..core.types import Segmentation

    pred = role == "pred"
    if isinstance(item, Segmentation):
        if item.task == "semantic":
            raise InvalidImageError(
                f"{name} is a semantic Segmentation; COCO mask AP needs instance or panoptic results."
            )
        flat = item.labels.ravel()
        index, ids, area = compact_ids(flat)
        missing = [int(i) for i in ids if int(i) not in item.segments]
        if missing:
            raise InvalidParameterError(f"{name}: label id(s) {missing[:10]} have no entry in segments.")
        segs = [item.segments[int(i)] for i in ids]
        keep = np.array([s.is_thing or item.task == "instance" for s in segs], bool)  # stuff is no instance
        if pred and any(s.score is None for s, k in zip(segs, keep) if k):
            raise InvalidParameterError(f"{name}: every predicted segment needs a score for COCO AP.")
        lut = np.zeros(ids.size + 1, np.intp)
        lut[1:][keep] = np.arange(1, int(keep.sum()) + 1)
        segs = [s for s, k in zip(segs, keep) if k]
        return _Instances(
            shape=item.labels.shape,
            layers=[lut[index]],
            pixels=None,
            area=area[keep],
            category=np.array([s.class_id for s in segs], np.int64),
            score=np.array([s.score if pred else 0.0 for s in segs], np.float64),
            iscrowd=np.zeros(len(segs), bool),
        )
    if isinstance(item, Mapping):
        unknown = sorted(set(item) - set(_KEYS))
        if unknown:
            raise InvalidParameterError(f"{name}: unknown key(s) {unknown}; expected some of {list(_KEYS)}.")
        if ("labels" in item) == ("masks" in item):
            raise InvalidParameterError(f"{name}: give exactly one of 'labels' ((H, W) ids) or 'masks' ((N, H, W)).")
        if pred and "iscrowd" in item:
            raise InvalidParameterError(f"{name}: 'iscrowd' belongs to the ground truth, not to predictions.")
        if not pred and "scores" in item:
            raise InvalidParameterError(f"{name}: 'scores' belong to predictions, not to the ground truth.")
        if pred and "scores" not in item:
            raise InvalidParameterError(f"{name}: predictions need 'scores' (one per instance).")
        fields = item
    else:
        if pred:
            raise InvalidParameterError(
                f"{name}: predictions need scores; pass {{'labels': ids, 'scores': [...]}}, "
                "{'masks': (N, H, W), 'scores': [...]} or a Segmentation whose segments carry scores."
            )
        fields = {"labels": item}

    if "labels" in fields:
        lab = label_array(fields["labels"], name=f"{name}['labels']")
        if lab.ndim != 2:
            raise InvalidImageError(f"{name}: 'labels' must be an (H, W) instance id image; got shape {lab.shape}.")
        index, ids, area = compact_ids(lab.ravel())
        shape, n, layers, pixels = lab.shape, ids.size, [index], None
    else:
        masks = np.asarray(fields["masks"])
        if masks.ndim != 3 or masks.dtype.kind not in "biu":
            raise InvalidImageError(
                f"{name}: 'masks' must be an (N, H, W) boolean array; got shape {masks.shape}, dtype {masks.dtype}."
            )
        if masks.shape[1] == 0 or masks.shape[2] == 0:
            raise InvalidImageError(f"{name}: 'masks' are empty images (shape {masks.shape}).")
        flat = masks.reshape(masks.shape[0], masks.shape[1] * masks.shape[2])
        pixels = [np.flatnonzero(m) for m in flat]
        shape, n, ids = masks.shape[1:], masks.shape[0], None
        area = np.array([p.size for p in pixels], np.int64)
        layers = [] if pred else _layer_masks(pixels, flat.shape[1])
        pixels = pixels if pred else None

    def values(key: str, kind: str, default: float) -> NDArray:
        if key not in fields:
            return np.full(n, default, dtype={"int": np.int64, "bool": bool, "float": np.float64}[kind])
        return _numbers(_per_instance(fields[key], ids, n, repr(key), name), kind, repr(key), name)

    return _Instances(
        shape=tuple(shape),
        layers=layers,
        pixels=pixels,
        area=area,
        category=values("category_ids", "int", 0),
        score=values("scores", "float", 0.0),
        iscrowd=values("iscrowd", "bool", False),
    )


# ----------------------------------------------------------------------------- IoU


def _intersections(det: _Instances, gt: _Instances) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.int64]]:
    """(det index, gt index, shared pixels) for every overlapping pair, 0-based."""
    rows, cols, inter = [], [], []
    width = gt.area.size + 1
    for g_layer in gt.layers:
        if det.pixels is not None:
            for d, pix in enumerate(det.pixels):
                hit = g_layer[pix]
                counts = np.bincount(hit[hit > 0], minlength=width)
                nz = np.flatnonzero(counts)
                rows.append(np.full(nz.size, d, np.intp))
                cols.append(nz - 1)
                inter.append(counts[nz])
            continue
        for d_layer in det.layers:
            both = (d_layer > 0) & (g_layer > 0)
            key = d_layer[both] * width + g_layer[both]
            key, counts = np.unique(key, return_counts=True)
            rows.append(key // width - 1)
            cols.append(key % width - 1)
            inter.append(counts)
    if not rows:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(inter).astype(np.int64)


def _iou_table(det: _Instances, gt: _Instances) -> NDArray[np.float64]:
    """Dense (D, G) IoU as pycocotools computes it: crowd ground truth uses inter / area(det)."""
    iou = np.zeros((det.area.size, gt.area.size))
    rows, cols, inter = _intersections(det, gt)
    union = np.where(gt.iscrowd[cols], det.area[rows], det.area[rows] + gt.area[cols] - inter)
    iou[rows, cols] = inter / union
    return iou


# ----------------------------------------------------------------------------- evaluation


def _match_image(
    iou: NDArray[np.float64], gt_ignore: NDArray[np.bool_], crowd: NDArray[np.bool_], thresholds: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Greedy COCO matching of score-sorted detections; returns (matched, matched-to-ignored), each (T, D).

    `iou`, `gt_ignore` and `crowd` are already in pycocotools' ground-truth order
    (not-ignored first). A detection takes, among the ground truths still free (or
    crowd) with IoU >= t, the last one of maximal IoU among the not-ignored ones,
    or failing that among the ignored ones -- exactly COCOeval.evaluateImg's loop.
    """
    n_t, (n_d, n_g) = thresholds.size, iou.shape
    matched = np.zeros((n_t, n_d), bool)
    on_ignored = np.zeros((n_t, n_d), bool)
    if n_d == 0 or n_g == 0:
        return matched, on_ignored
    taken = np.zeros((n_t, n_g), bool)
    lowest = thresholds.min()
    t_index = np.arange(n_t)
    for d in range(n_d):
        cand = np.flatnonzero(iou[d] >= lowest)
        if cand.size == 0:
            continue
        value = iou[d, cand]
        ok = (~taken[:, cand] | crowd[cand]) & (value >= thresholds[:, None])
        choice = np.full(n_t, -1)
        for group in (~gt_ignore[cand], gt_ignore[cand]):
            sel = ok & group & (choice < 0)[:, None]
            rows = sel.any(1)
            if not rows.any():
                continue
            masked = np.where(sel, value, -np.inf)
            best = masked == masked.max(1, keepdims=True)
            last = cand.size - 1 - np.argmax(best[:, ::-1], axis=1)
            choice[rows] = last[rows]
        hit = choice >= 0
        if hit.any():
            g = cand[choice[hit]]
            matched[hit, d] = True
            on_ignored[hit, d] = gt_ignore[g]
            taken[t_index[hit], g] = True
    return matched, on_ignored


@dataclass(frozen=True, eq=False)
class CocoMaskAP:
    """Result of :func:`coco_mask_ap`; the fields mirror ``COCOeval.eval`` and ``COCOeval.stats``.

    Attributes
    ----------
    stats : (12,) ndarray of float64
        AP, AP50, AP75, AP small/medium/large, AR at each of the three
        `max_dets`, AR small/medium/large -- COCOeval.stats, in its order.
        -1 marks a value that is undefined (no ground truth in its range).
    precision : (T, R, K, A, M) ndarray of float64
        Interpolated precision per IoU threshold, recall point, category, area
        range and max-detections setting; -1 where undefined.
    recall : (T, K, A, M) ndarray of float64
        Final recall; -1 where undefined.
    category_ids : tuple of int
        The K categories, in the order of the K axis.
    max_dets : tuple of int
        The M max-detections settings.
    """

    stats: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    category_ids: tuple[int, ...]
    max_dets: tuple[int, int, int]

    @property
    def ap(self) -> float:
        """AP averaged over IoU 0.50:0.95 (COCO's primary metric)."""
        return float(self.stats[0])

    @property
    def ap50(self) -> float:
        """AP at IoU 0.50."""
        return float(self.stats[1])

    @property
    def ap75(self) -> float:
        """AP at IoU 0.75."""
        return float(self.stats[2])

    def per_category_ap(self) -> dict[int, float]:
        """AP (IoU 0.50:0.95, all areas, largest max_dets) of each category; -1 when undefined.

        Examples
        --------
        >>> gt = np.zeros((4, 4), int); gt[:2, :2] = 1
        >>> coco_mask_ap([gt], [{"labels": gt, "scores": [1.0]}]).per_category_ap()
        {0: 1.0}
        """
        out = {}
        for k, cat in enumerate(self.category_ids):
            s = self.precision[:, :, k, 0, -1]
            s = s[s > -1]
            out[cat] = float(s.mean()) if s.size else -1.0
        return out

    def to_dict(self) -> dict[str, float]:
        """The 12 summary numbers under COCO's names (``AP``, ``AP50``, ..., ``AR@100``, ``ARl``).

        Examples
        --------
        >>> gt = np.zeros((4, 4), int); gt[:2, :2] = 1
        >>> coco_mask_ap([gt], [{"labels": gt, "scores": [1.0]}]).to_dict()["AR@100"]
        1.0
        """
        names = ["AP", "AP50", "AP75", "APs", "APm", "APl", *(f"AR@{m}" for m in self.max_dets), "ARs", "ARm", "ARl"]
        return {n: float(v) for n, v in zip(names, self.stats)}


def _summarize(precision: NDArray, recall: NDArray) -> NDArray[np.float64]:
    def mean(s: NDArray) -> float:
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    t50 = np.where(COCO_IOU_THRESHOLDS == 0.5)[0]
    t75 = np.where(COCO_IOU_THRESHOLDS == 0.75)[0]
    return np.array([
        mean(precision[:, :, :, 0, 2]),
        mean(precision[t50][:, :, :, 0, 2]),
        mean(precision[t75][:, :, :, 0, 2]),
        mean(precision[:, :, :, 1, 2]),
        mean(precision[:, :, :, 2, 2]),
        mean(precision[:, :, :, 3, 2]),
        mean(recall[:, :, 0, 0]),
        mean(recall[:, :, 0, 1]),
        mean(recall[:, :, 0, 2]),
        mean(recall[:, :, 1, 2]),
        mean(recall[:, :, 2, 2]),
        mean(recall[:, :, 3, 2]),
    ])


def _accumulate(
    per_image: list[tuple[NDArray, NDArray, NDArray, int]], max_dets: tuple[int, ...], precision: NDArray,
    recall: NDArray, k: int, a: int,
) -> None:
    """COCOeval.accumulate for one (category, area range); fills precision/recall in place."""
    n_gt = sum(e[3] for e in per_image)
    if n_gt == 0:
        return
    for m, max_det in enumerate(max_dets):
        scores = np.concatenate([e[0][:max_det] for e in per_image])
        order = np.argsort(-scores, kind="mergesort")
        matched = np.concatenate([e[1][:, :max_det] for e in per_image], axis=1)[:, order]
        ignored = np.concatenate([e[2][:, :max_det] for e in per_image], axis=1)[:, order]
        tp = np.cumsum(matched & ~ignored, axis=1).astype(float)
        fp = np.cumsum(~matched & ~ignored, axis=1).astype(float)
        n_det = tp.shape[1]
        rc = tp / n_gt
        pr = tp / (fp + tp + np.spacing(1))
        recall[:, k, a, m] = rc[:, -1] if n_det else 0
        pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # precision envelope
        for t in range(tp.shape[0]):
            idx = np.searchsorted(rc[t], COCO_RECALL_THRESHOLDS, side="left")
            q = np.zeros(COCO_RECALL_THRESHOLDS.size)
            inside = idx < n_det
            q[inside] = pr[t, idx[inside]]
            precision[t, :, k, a, m] = q


def _groups(
    gt_cat: NDArray[np.int64], det_cat: NDArray[np.int64], cat_pos: dict[int, int], class_agnostic: bool
) -> list[tuple[int, NDArray[np.intp], NDArray[np.intp]]]:
    """(category index, gt indices, det indices) of one image, each in pycocotools' order."""
    if class_agnostic:  # COCO's useCats=0 pools the categories in increasing id order
        g_sel = [i for i in np.argsort(gt_cat, kind="stable") if int(gt_cat[i]) in cat_pos]
        d_sel = [i for i in np.argsort(det_cat, kind="stable") if int(det_cat[i]) in cat_pos]
        return [(0, np.asarray(g_sel, np.intp), np.asarray(d_sel, np.intp))]
    out = []
    for c in np.unique(np.concatenate([gt_cat, det_cat])):
        if int(c) in cat_pos:
            out.append((cat_pos[int(c)], np.flatnonzero(gt_cat == c), np.flatnonzero(det_cat == c)))
    return out


def coco_mask_ap(
    gt: Sequence[Any],
    predictions: Sequence[Any],
    *,
    category_ids: Sequence[int] | None = None,
    class_agnostic: bool = False,
    max_dets: tuple[int, int, int] = (1, 10, 100),
) -> CocoMaskAP:
    """COCO mask AP and AR over a set of images, identical to pycocotools' ``COCOeval(iouType="segm")``.

    Parameters
    ----------
    gt : sequence
        One entry per image, each one of:

        - an ``(H, W)`` instance id image (0 = background; every positive id is
          one instance of category 0, none crowd);
        - a mapping with ``"labels"`` (an ``(H, W)`` id image) or ``"masks"``
          (``(N, H, W)`` booleans, which may overlap), plus optional
          ``"category_ids"`` and ``"iscrowd"``: one value per instance (for
          ``"labels"``: a sequence in increasing id order, or a mapping id -> value);
        - a :class:`~seglab.core.types.Segmentation` (instance or panoptic; the
          category is ``segments[id].class_id``; panoptic stuff segments are skipped).
    predictions : sequence
        One entry per image, in the same order and with the same (H, W): a mapping
        as above with ``"scores"`` instead of ``"iscrowd"``, or a Segmentation
        whose segments carry a ``score``. Overlapping predicted masks are fine.
    category_ids : sequence of int, optional
        Categories to evaluate (COCO's ``params.catIds``); predictions and ground
        truth of other categories are left out. Default: every category seen in
        either input.
    class_agnostic : bool, optional
        Ignore categories: every prediction may match every ground truth
        (COCO's ``useCats=0``, which pools an image's instances in increasing
        category order; that order breaks score ties). The result then has one
        category axis entry, reported as category id -1.
    max_dets : tuple of 3 int, optional
        Increasing limits on detections per image and category (COCO's
        ``maxDets``, default (1, 10, 100)). AP uses the largest.

    Returns
    -------
    CocoMaskAP
        ``.ap``, ``.ap50``, ``.ap75``, ``.stats`` (the 12 COCO numbers, with -1
        where undefined), ``.per_category_ap()``, ``.to_dict()`` and the full
        precision/recall arrays.

    Raises
    ------
    InvalidImageError
        A prediction's shape differs from its ground truth, or a label image is
        empty, float or not 2-D.
    InvalidParameterError
        Lengths differ, there is no image, a prediction has no score, or a
        per-instance list does not match the instances.

    Notes
    -----
    Follows COCOeval exactly, with the same conventions:

    - A ground truth with ``iscrowd`` is an *ignore* region: its IoU with a
      detection is ``intersection / area(detection)``; it may absorb any number
      of detections, which are then neither TP nor FP, and it is never a FN.
    - Detections are matched greedily in decreasing score order; equal scores
      keep their input order (within an image, then image order), as
      pycocotools' stable mergesort does. A match needs IoU >= threshold.
    - Areas are pixel counts; a detection outside an area range that matches
      nothing is ignored in that range.
    - Empty cases: an image with no ground truth still contributes its
      detections as false positives; a category with no (non-crowd) ground
      truth anywhere is undefined (-1) and left out of the means; a statistic
      with nothing defined is -1, as in pycocotools.

    One deviation: pycocotools' ``summarize`` always looks up ``maxDets == 100``
    for AP, so with other `max_dets` it prints -1; here AP uses the largest
    ``max_dets`` entry.

    Examples
    --------
    >>> gt = np.zeros((10, 10), np.int32); gt[:5, :5] = 1; gt[6:, 6:] = 2
    >>> found = np.zeros((2, 10, 10), bool)
    >>> found[0, :5, :4] = True       # IoU 0.8 with instance 1
    >>> found[1, 0, 9] = True         # a false positive, scored higher
    >>> r = coco_mask_ap([gt], [{"masks": found, "scores": [0.6, 0.9]}])
    >>> round(r.ap50, 4), round(r.ap, 4)      # recall 1/2 at precision 1/2, for 7 of the 10 thresholds
    (0.2525, 0.1767)
    """
    check_param(
        isinstance(gt, Sequence) and isinstance(predictions, Sequence) and not isinstance(gt, str),
        "gt", "gt and predictions must be sequences with one entry per image (e.g. lists).",
    )
    check_param(
        len(gt) == len(predictions), "predictions",
        f"got {len(predictions)} entries for {len(gt)} ground-truth images; give one per image, in the same order.",
    )
    check_param(len(gt) > 0, "gt", "no image to evaluate.")
    check_param(
        len(max_dets) == 3 and all(isinstance(m, numbers.Integral) and m >= 1 for m in max_dets)
        and list(max_dets) == sorted(set(max_dets)),
        "max_dets", f"must be three increasing positive integers like (1, 10, 100); got {max_dets!r}.",
    )
    max_dets = tuple(int(m) for m in max_dets)
    images = []
    for i, (g, p) in enumerate(zip(gt, predictions)):
        gi = _parse(g, role="gt", name=f"gt[{i}]")
        pi = _parse(p, role="pred", name=f"predictions[{i}]")
        if gi.shape != pi.shape:
            raise InvalidImageError(
                f"predictions[{i}] has image shape {pi.shape} but gt[{i}] has {gi.shape}; they must match."
            )
        images.append((gi, pi))
    if category_ids is None:
        cats = sorted({int(c) for g, p in images for c in (*g.category, *p.category)})
    else:
        cats = sorted({int(c) for c in category_ids})
    thresholds = np.minimum(COCO_IOU_THRESHOLDS, 1 - 1e-10)
    ranges = list(COCO_AREA_RANGES.values())
    n_t, n_r, n_a, n_m = thresholds.size, COCO_RECALL_THRESHOLDS.size, len(ranges), 3
    n_k = 1 if class_agnostic else len(cats)
    precision = -np.ones((n_t, n_r, n_k, n_a, n_m))
    recall = -np.ones((n_t, n_k, n_a, n_m))
    # per (category, area range): the evaluated images, in image order
    results: list[list[list[tuple]]] = [[[] for _ in ranges] for _ in cats]
    cat_pos = {c: k for k, c in enumerate(cats)}
    for gi, pi in images:
        if not gi.area.size and not pi.area.size:
            continue
        iou_all = _iou_table(pi, gi)
        for k, g_sel, d_sel in _groups(gi.category, pi.category, cat_pos, class_agnostic):
            d_sel = d_sel[np.argsort(-pi.score[d_sel], kind="mergesort")][: max_dets[-1]]
            iou = iou_all[np.ix_(d_sel, g_sel)]
            crowd, g_area, d_area, scores = gi.iscrowd[g_sel], gi.area[g_sel], pi.area[d_sel], pi.score[d_sel]
            for a, (lo, hi) in enumerate(ranges):
                ignore = crowd | (g_area < lo) | (g_area > hi)
                order = np.argsort(ignore, kind="mergesort")
                matched, on_ignored = _match_image(iou[:, order], ignore[order], crowd[order], thresholds)
                outside = (d_area < lo) | (d_area > hi)
                on_ignored |= ~matched & outside[None, :]
                results[k][a].append((scores, matched, on_ignored, int(np.count_nonzero(~ignore))))
    for k in range(n_k):
        for a in range(n_a):
            if results[k][a]:
                _accumulate(results[k][a], max_dets, precision, recall, k, a)
    return CocoMaskAP(
        stats=_summarize(precision, recall),
        precision=precision,
        recall=recall,
        category_ids=(-1,) if class_agnostic else tuple(cats),
        max_dets=max_dets,
    )
