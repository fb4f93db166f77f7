"""Panoptic quality (PQ = SQ x RQ) per class and overall, things and stuff, as COCO's panopticapi defines it.

Counts first (:func:`panoptic_counts`, additive across images with ``+`` or
``sum``), scores afterwards (:func:`panoptic_scores`); :func:`panoptic_quality`
does both for one image.

A panoptic result is an id map plus a segment table. Ids <= 0 are unlabelled:
in the ground truth they are *void* (0 as in COCO, or seglab's -1), in the
prediction they are simply not predicted.

Examples
--------
>>> import numpy as np
>>> ids = np.array([[1, 1, 2, 2]])
>>> table = {1: {"category_id": 7, "isthing": True}, 2: {"category_id": 9, "isthing": False}}
>>> r = panoptic_quality(ids, ids, segments_true=table, segments_pred=table)
>>> r.pq, r.things.pq, r.stuff.pq
(1.0, 1.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ._labels import compact_ids, label_array, same_shape

__all__ = ["PanopticCounts", "PanopticQuality", "PQScores", "panoptic_counts", "panoptic_scores", "panoptic_quality"]


# ----------------------------------------------------------------------------- counts


@dataclass(frozen=True, eq=False)
class PanopticCounts:
    """Per-category panoptic counts; add them across images with ``+`` or ``sum(...)``.

    Attributes
    ----------
    category_ids : tuple of int
        The K categories, increasing.
    isthing : (K,) ndarray of bool
        Thing (countable) or stuff, per category.
    tp, fp, fn : (K,) ndarray of int64
        Matched pairs, unmatched predicted segments (not ignored), unmatched
        non-crowd true segments.
    iou_sum : (K,) ndarray of float64
        Sum of the IoUs of the matched pairs.

    Examples
    --------
    >>> table = {1: {"category_id": 3, "isthing": True}}
    >>> one = panoptic_counts(np.ones((2, 2), int), np.ones((2, 2), int), segments_true=table,
    ...                       segments_pred=table)
    >>> total = sum([one, one])
    >>> total.category_ids, total.tp.tolist(), total.iou_sum.tolist()
    ((3,), [2], [2.0])
    """

    category_ids: tuple[int, ...]
    isthing: NDArray[np.bool_]
    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    iou_sum: NDArray[np.float64]

    def __add__(self, other: PanopticCounts) -> PanopticCounts:
        if not isinstance(other, PanopticCounts):
            return NotImplemented
        cats = sorted(set(self.category_ids) | set(other.category_ids))
        pos = {c: k for k, c in enumerate(cats)}
        isthing = np.zeros(len(cats), bool)
        arrays = [np.zeros(len(cats), np.int64) for _ in range(3)] + [np.zeros(len(cats))]
        for part in (self, other):
            idx = np.array([pos[c] for c in part.category_ids], np.intp)
            for total, values in zip(arrays, (part.tp, part.fp, part.fn, part.iou_sum)):
                total[idx] += values
        for c, thing in zip(other.category_ids, other.isthing):
            if c in self.category_ids and bool(self.isthing[self.category_ids.index(c)]) != bool(thing):
                raise InvalidParameterError(f"category {c} is a thing in one image and stuff in another.")
        for part in (self, other):
            isthing[[pos[c] for c in part.category_ids]] = part.isthing
        return PanopticCounts(tuple(cats), isthing, *arrays)

    def __radd__(self, other: Any) -> PanopticCounts:
        if isinstance(other, int) and other == 0:  # sum() starts from 0
            return self
        return NotImplemented


def _table(segments: Any, *, name: str, truth: bool) -> dict[int, tuple[int, bool, bool | None]]:
    """{id: (category, iscrowd, isthing or None)} from Segments or COCO-style dicts."""
    from ..core.types import Segment

    if not isinstance(segments, Mapping):
        if isinstance(segments, Sequence) and all(isinstance(s, Mapping) and "id" in s for s in segments):
            segments = {s["id"]: s for s in segments}  # COCO's segments_info list
        else:
            raise InvalidParameterError(
                f"{name} must map segment id -> Segment or {{'category_id', 'iscrowd', 'isthing'}}, "
                "or be a COCO segments_info list of dicts with an 'id'."
            )
    out = {}
    for sid, seg in segments.items():
        if isinstance(seg, Segment):
            cat, crowd, thing = seg.class_id, False, seg.is_thing
        elif isinstance(seg, Mapping):
            cat = seg.get("category_id", seg.get("class_id"))
            if cat is None:
                raise InvalidParameterError(f"{name}[{sid}] has no 'category_id'.")
            crowd = bool(seg.get("iscrowd", 0))
            thing = seg.get("isthing", seg.get("is_thing"))
            thing = None if thing is None else bool(thing)
        else:
            raise InvalidParameterError(f"{name}[{sid}] must be a Segment or a mapping; got {type(seg).__name__}.")
        if crowd and not truth:
            raise InvalidParameterError(f"{name}[{sid}] has iscrowd=1; crowd regions belong to the ground truth.")
        if int(sid) <= 0:
            raise InvalidParameterError(f"{name} has segment id {sid}; segment ids must be > 0 (0 and -1 are void).")
        out[int(sid)] = (int(cat), crowd, thing)
    return out


def _side(labels: Any, segments: Any, *, name: str, truth: bool) -> tuple[np.ndarray, dict]:
    from ..core.types import Segmentation

    if isinstance(labels, Segmentation):
        if segments is not None:
            raise InvalidParameterError(f"segments_{name[7:]}: a Segmentation carries its own segments; leave it None.")
        if labels.task == "semantic":
            raise InvalidImageError(f"{name} is a semantic Segmentation; panoptic quality needs segment ids.")
        segments, labels = labels.segments, labels.labels
    elif segments is None:
        raise InvalidParameterError(f"segments_{name[7:]} is required with a raw id map (id -> category).")
    return label_array(labels, name=name), _table(segments, name=f"segments_{name[7:]}", truth=truth)


def _categories(categories: Any) -> dict[int, bool]:
    if isinstance(categories, Mapping):
        return {int(c): bool(v["isthing"] if isinstance(v, Mapping) else v) for c, v in categories.items()}
    if isinstance(categories, Sequence) and all(isinstance(c, Mapping) for c in categories):
        return {int(c["id"]): bool(c["isthing"]) for c in categories}
    raise InvalidParameterError(
        "categories must map category id -> isthing (bool), or be a COCO list of {'id', 'isthing'} dicts."
    )


def panoptic_counts(
    labels_true: ArrayLike,
    labels_pred: ArrayLike,
    *,
    segments_true: Any = None,
    segments_pred: Any = None,
    categories: Any = None,
) -> PanopticCounts:
    """Match the segments of one image and count TP, FP, FN and the IoU sum per category.

    Parameters
    ----------
    labels_true : (H, W) ndarray of int, or Segmentation
        True segment ids. Pixels with id <= 0 (0 or -1) are void. A panoptic
        :class:`~seglab.core.types.Segmentation` brings its own segments
        (category ``class_id``, thing/stuff ``is_thing``, never crowd).
    labels_pred : (H, W) ndarray of int, or Segmentation
        Predicted segment ids, same shape; ids <= 0 are "not predicted".
    segments_true, segments_pred : mapping, optional
        Required with raw id maps: id -> :class:`~seglab.core.types.Segment`
        or a dict with ``"category_id"`` (or ``"class_id"``), optional
        ``"iscrowd"`` (ground truth only) and ``"isthing"`` (or ``"is_thing"``).
        A COCO ``segments_info`` list (dicts with ``"id"``) works too.
    categories : mapping or sequence, optional
        Category id -> isthing (or COCO's list of ``{"id", "isthing"}``). When
        given it is authoritative and every segment's category must be in it;
        otherwise thing/stuff comes from the segments and the categories are
        those seen.

    Returns
    -------
    PanopticCounts
        Additive counts; reduce with :func:`panoptic_scores`.

    Raises
    ------
    InvalidImageError
        Shapes differ, float or empty id maps, an id in a map has no segment,
        or a predicted segment of the table has no pixel (as panopticapi).
    InvalidParameterError
        Malformed tables, unknown categories, or thing/stuff unknown or
        inconsistent for a category.

    Notes
    -----
    The COCO panoptic definition (Kirillov et al. 2019, panopticapi ``pq_compute``):

    - A true and a predicted segment of the same category match when
      ``IoU > 0.5``, with the prediction's pixels on void removed from the
      union: ``IoU = inter / (area_pred + area_true - inter - pred_on_void)``.
      Matches are then unique. Crowd segments never match.
    - A true segment (not crowd) left unmatched is a FN; every segment of the
      true table counts, even one with no pixel (panopticapi's convention).
    - An unmatched predicted segment is a FP unless more than half of it lies
      on void or on crowd regions of its category; then it is ignored.
      panopticapi keeps only the last crowd segment of a category per image;
      here all crowd segments of the category count (identical when there is
      at most one, as in COCO's annotations).

    Examples
    --------
    >>> t = np.array([[1, 1, 1, 0]])          # 0: void
    >>> p = np.array([[5, 5, 0, 5]])
    >>> c = panoptic_counts(t, p, segments_true={1: {"category_id": 1, "isthing": True}},
    ...                     segments_pred={5: {"category_id": 1, "isthing": True}})
    >>> int(c.tp[0]), float(c.iou_sum[0])     # IoU = 2 / (3 + 3 - 2 - 1)
    (1, 0.6666666666666666)
    """
    t, seg_t = _side(labels_true, segments_true, name="labels_true", truth=True)
    p, seg_p = _side(labels_pred, segments_pred, name="labels_pred", truth=False)
    same_shape(t, p)
    t_index, t_ids, t_area_px = compact_ids(t.ravel())
    p_index, p_ids, p_area = compact_ids(p.ravel())
    for ids, table, name in ((t_ids, seg_t, "labels_true"), (p_ids, seg_p, "labels_pred")):
        missing = [int(i) for i in ids if int(i) not in table]
        if missing:
            raise InvalidImageError(
                f"{name} has segment id(s) {missing[:10]} that are not in segments_{name[7:]}; every positive "
                "id needs an entry (ids <= 0 are void)."
            )
    absent = sorted(set(seg_p) - {int(i) for i in p_ids})
    if absent:
        raise InvalidImageError(
            f"segments_pred lists id(s) {absent[:10]} that have no pixel in labels_pred; drop them from the table."
        )
    # category thing/stuff
    if categories is not None:
        cat_thing = _categories(categories)
        unknown = sorted({c for c, _, _ in (*seg_t.values(), *seg_p.values())} - set(cat_thing))
        if unknown:
            raise InvalidParameterError(f"categories: segments use category id(s) {unknown[:10]} not listed there.")
    else:
        cat_thing = {}
        for cat, _, thing in (*seg_t.values(), *seg_p.values()):
            if thing is None:
                raise InvalidParameterError(
                    f"thing or stuff is unknown for category {cat}; give 'isthing' in the segments or pass "
                    "categories={category_id: isthing, ...}."
                )
            if cat_thing.setdefault(cat, thing) != thing:
                raise InvalidParameterError(f"category {cat} is marked both thing and stuff; pass categories=.")
    cats = sorted(cat_thing)
    pos = {c: k for k, c in enumerate(cats)}

    # every segment of the true table, in id order: those without pixels have area 0
    all_t = np.array(sorted(seg_t), np.int64)
    t_area = np.zeros(all_t.size, np.int64)
    t_area[np.searchsorted(all_t, t_ids)] = t_area_px
    remap = np.zeros(t_ids.size + 1, np.intp)
    remap[1:] = np.searchsorted(all_t, t_ids) + 1
    t_index = remap[t_index]
    t_cat = np.array([seg_t[int(i)][0] for i in all_t], np.int64)
    t_crowd = np.array([seg_t[int(i)][1] for i in all_t], bool)
    p_cat = np.array([seg_p[int(i)][0] for i in p_ids], np.int64)

    # overlaps of every predicted segment with every true segment and with void (true index 0)
    width = p_ids.size + 1
    hit = p_index > 0
    key = t_index[hit] * width + p_index[hit]
    if (all_t.size + 1) * width <= max(4 * key.size, 1 << 20):
        counts = np.bincount(key, minlength=(all_t.size + 1) * width)
        key = np.flatnonzero(counts)
        inter = counts[key]
    else:
        key, inter = np.unique(key, return_counts=True)
    rows, cols = key // width - 1, key % width - 1  # rows == -1: void
    on_void = np.zeros(p_ids.size, np.int64)
    on_void[cols[rows < 0]] = inter[rows < 0]
    seg = rows >= 0
    rows, cols, inter = rows[seg], cols[seg], inter[seg]

    same = t_cat[rows] == p_cat[cols]
    pair = same & ~t_crowd[rows]
    union = p_area[cols] + t_area[rows] - inter - on_void[cols]
    iou = np.zeros(rows.size)
    np.divide(inter, union, out=iou, where=pair)
    match = pair & (iou > 0.5)
    # ignored predictions: more than half on void + crowd of their own category
    crowd_hit = np.bincount(cols[same & t_crowd[rows]], weights=inter[same & t_crowd[rows]], minlength=p_ids.size)
    t_matched = np.zeros(all_t.size, bool)
    t_matched[rows[match]] = True
    p_matched = np.zeros(p_ids.size, bool)
    p_matched[cols[match]] = True
    ignored = (on_void + crowd_hit) / np.maximum(p_area, 1) > 0.5

    k = len(cats)
    t_k = np.array([pos[c] for c in t_cat], np.intp)
    p_k = np.array([pos[c] for c in p_cat], np.intp)
    tp = np.bincount(t_k[rows[match]], minlength=k).astype(np.int64)
    iou_sum = np.zeros(k)
    np.add.at(iou_sum, t_k[rows[match]], iou[match])
    fn = np.bincount(t_k[~t_matched & ~t_crowd], minlength=k).astype(np.int64)
    fp = np.bincount(p_k[~p_matched & ~ignored], minlength=k).astype(np.int64)
    return PanopticCounts(tuple(cats), np.array([cat_thing[c] for c in cats], bool), tp, fp, fn, iou_sum)


# ----------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class PQScores:
    """PQ, SQ and RQ of one class or one average.

    Attributes
    ----------
    pq, sq, rq : float
        Panoptic, segmentation and recognition quality; NaN when undefined.
    n : int
        Classes averaged (for a single class: 1 if it has any TP, FP or FN, else 0).
    """

    pq: float
    sq: float
    rq: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        """JSON-able dict.

        Examples
        --------
        >>> PQScores(0.5, 0.8, 0.625, 2).to_dict()
        {'pq': 0.5, 'sq': 0.8, 'rq': 0.625, 'n': 2}
        """
        return {"pq": self.pq, "sq": self.sq, "rq": self.rq, "n": self.n}


@dataclass(frozen=True, eq=False)
class PanopticQuality:
    """Result of :func:`panoptic_scores`.

    Attributes
    ----------
    all, things, stuff : PQScores
        Averages over the classes with any TP, FP or FN (all, thing, stuff classes).
    per_class : dict of int to PQScores
        Every category; NaN scores (``n == 0``) for a class with no TP, FP or FN.
    counts : PanopticCounts
        The counts reduced.
    """

    all: PQScores
    things: PQScores
    stuff: PQScores
    per_class: dict[int, PQScores] = field(default_factory=dict)
    counts: PanopticCounts | None = None

    @property
    def pq(self) -> float:
        """PQ averaged over all present classes."""
        return self.all.pq

    @property
    def sq(self) -> float:
        """SQ averaged over all present classes."""
        return self.all.sq

    @property
    def rq(self) -> float:
        """RQ averaged over all present classes."""
        return self.all.rq

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict: ``{"all": ..., "things": ..., "stuff": ..., "per_class": {id: ...}}``.

        NaN (undefined) values stay ``float("nan")``; ``json.dumps`` writes them as ``NaN``.

        Examples
        --------
        >>> table = {1: {"category_id": 3, "isthing": True}}
        >>> r = panoptic_quality(np.ones((2, 2), int), np.ones((2, 2), int), segments_true=table,
        ...                      segments_pred=table)
        >>> r.to_dict()["per_class"]["3"]
        {'pq': 1.0, 'sq': 1.0, 'rq': 1.0, 'n': 1}
        """
        return {
            "all": self.all.to_dict(),
            "things": self.things.to_dict(),
            "stuff": self.stuff.to_dict(),
            "per_class": {str(c): s.to_dict() for c, s in self.per_class.items()},
        }


def _average(scores: list[PQScores]) -> PQScores:
    present = [s for s in scores if s.n]
    if not present:
        return PQScores(math.nan, math.nan, math.nan, 0)
    n = len(present)
    return PQScores(
        sum(s.pq for s in present) / n, sum(s.sq for s in present) / n, sum(s.rq for s in present) / n, n
    )


def panoptic_scores(counts: PanopticCounts) -> PanopticQuality:
    """Reduce panoptic counts to PQ, SQ and RQ per class and averaged (all, things, stuff).

    Parameters
    ----------
    counts : PanopticCounts
        From :func:`panoptic_counts`, summed over images as needed.

    Returns
    -------
    PanopticQuality

    Notes
    -----
    Per class: ``PQ = iou_sum / (TP + FP/2 + FN/2)``, ``SQ = iou_sum / TP``
    (0 when TP = 0, as panopticapi), ``RQ = TP / (TP + FP/2 + FN/2)``.
    Averages are plain means over the classes with TP + FP + FN > 0; classes
    with none are left out (panopticapi's rule) and reported as NaN (panopticapi
    prints 0 for them). An average over no class is NaN.

    Examples
    --------
    >>> c = PanopticCounts((1, 2), np.array([True, False]), np.array([2, 0]), np.array([0, 1]),
    ...                    np.array([2, 0]), np.array([1.6, 0.0]))
    >>> r = panoptic_scores(c)
    >>> round(r.things.pq, 4), r.stuff.pq, round(r.pq, 4)
    (0.5333, 0.0, 0.2667)
    """
    if not isinstance(counts, PanopticCounts):
        raise InvalidParameterError(
            f"counts must be PanopticCounts (from panoptic_counts); got {type(counts).__name__}."
        )
    per_class = {}
    for k, cat in enumerate(counts.category_ids):
        tp, fp, fn, iou = int(counts.tp[k]), int(counts.fp[k]), int(counts.fn[k]), float(counts.iou_sum[k])
        if tp + fp + fn == 0:
            per_class[cat] = PQScores(math.nan, math.nan, math.nan, 0)
            continue
        den = tp + 0.5 * fp + 0.5 * fn
        per_class[cat] = PQScores(iou / den, iou / tp if tp else 0.0, tp / den, 1)
    things = [per_class[c] for c, t in zip(counts.category_ids, counts.isthing) if t]
    stuff = [per_class[c] for c, t in zip(counts.category_ids, counts.isthing) if not t]
    return PanopticQuality(
        all=_average(list(per_class.values())),
        things=_average(things),
        stuff=_average(stuff),
        per_class=per_class,
        counts=counts,
    )


def panoptic_quality(
    labels_true: ArrayLike,
    labels_pred: ArrayLike,
    *,
    segments_true: Any = None,
    segments_pred: Any = None,
    categories: Any = None,
) -> PanopticQuality:
    """PQ, SQ and RQ of one image: :func:`panoptic_scores` of :func:`panoptic_counts`.

    For a data set, sum the counts of every image first, then reduce once:
    ``panoptic_scores(sum(panoptic_counts(t, p, ...) for t, p in pairs))``.
    Parameters, conventions and errors are those of :func:`panoptic_counts`.

    Examples
    --------
    >>> from seglab.core.types import Segment, Segmentation
    >>> lab = np.array([[1, 1, 2, 2], [1, 1, 3, 3]], np.int32)
    >>> truth = Segmentation(lab, "panoptic", segments={1: Segment(0, None, False), 2: Segment(1),
    ...                                                 3: Segment(1)})
    >>> merged = np.where(lab == 3, 2, lab).astype(np.int32)      # two things predicted as one
    >>> pred = Segmentation(merged, "panoptic", segments={1: Segment(0, None, False), 2: Segment(1)})
    >>> r = panoptic_quality(truth, pred)
    >>> r.stuff.pq, r.things.pq, r.things.rq                      # IoU 0.5 is not > 0.5
    (1.0, 0.0, 0.0)
    """
    return panoptic_scores(
        panoptic_counts(
            labels_true, labels_pred, segments_true=segments_true, segments_pred=segments_pred,
            categories=categories,
        )
    )
