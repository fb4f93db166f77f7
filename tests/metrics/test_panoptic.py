"""Panoptic quality: hand-computed cases, and a port of panopticapi's pq_compute on random cases."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.core.types import Segment, Segmentation
from seglab.metrics import panoptic_counts, panoptic_quality, panoptic_scores

# ----------------------------------------------------------------------------- reference
# Written from the published definition (Kirillov et al., "Panoptic Segmentation", CVPR 2019) and
# the structure of panopticapi's pq_compute: a dict of pair intersections, VOID = 0, crowd regions
# per category, IoU > 0.5, predictions mostly on void/crowd ignored, class average over n > 0.

VOID = 0


def reference_counts(pan_gt, gt_segments, pan_pred, pred_segments):
    """gt_segments: {id: {"category_id", "iscrowd"}}, pred_segments: {id: {"category_id"}}."""
    stat = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "iou": 0.0})
    gt_area = {i: int(np.sum(pan_gt == i)) for i in gt_segments}
    pred_area = {i: int(np.sum(pan_pred == i)) for i in pred_segments}
    inter = defaultdict(int)
    for g, p in zip(pan_gt.ravel().tolist(), pan_pred.ravel().tolist()):
        inter[(g, p)] += 1
    gt_matched, pred_matched = set(), set()
    for (g, p), n in inter.items():
        if g not in gt_segments or p not in pred_segments:
            continue
        if gt_segments[g]["iscrowd"] == 1:
            continue
        if gt_segments[g]["category_id"] != pred_segments[p]["category_id"]:
            continue
        union = pred_area[p] + gt_area[g] - n - inter.get((VOID, p), 0)
        iou = n / union
        if iou > 0.5:
            cat = gt_segments[g]["category_id"]
            stat[cat]["tp"] += 1
            stat[cat]["iou"] += iou
            gt_matched.add(g)
            pred_matched.add(p)
    crowd_by_cat = {}
    for g, info in gt_segments.items():
        if g in gt_matched:
            continue
        if info["iscrowd"] == 1:
            crowd_by_cat[info["category_id"]] = g
            continue
        stat[info["category_id"]]["fn"] += 1
    for p, info in pred_segments.items():
        if p in pred_matched:
            continue
        n = inter.get((VOID, p), 0)
        if info["category_id"] in crowd_by_cat:
            n += inter.get((crowd_by_cat[info["category_id"]], p), 0)
        if n / pred_area[p] > 0.5:
            continue
        stat[info["category_id"]]["fp"] += 1
    return stat


def reference_average(stat, categories, isthing=None):
    pq = sq = rq = 0.0
    n = 0
    per_class = {}
    for cat, thing in categories.items():
        if isthing is not None and thing != isthing:
            continue
        s = stat.get(cat, {"tp": 0, "fp": 0, "fn": 0, "iou": 0.0})
        tp, fp, fn, iou = s["tp"], s["fp"], s["fn"], s["iou"]
        if tp + fp + fn == 0:
            per_class[cat] = None
            continue
        n += 1
        den = tp + 0.5 * fp + 0.5 * fn
        per_class[cat] = (iou / den, iou / tp if tp else 0.0, tp / den)
        pq, sq, rq = pq + per_class[cat][0], sq + per_class[cat][1], rq + per_class[cat][2]
    if n == 0:
        return (math.nan, math.nan, math.nan, 0), per_class
    return (pq / n, sq / n, rq / n, n), per_class


# ----------------------------------------------------------------------------- random cases

CATEGORIES = {1: False, 2: False, 3: True, 4: True, 5: True}  # 1, 2 stuff; 3-5 things


def random_panoptic(rng: np.random.Generator):
    h, w = int(rng.integers(16, 48)), int(rng.integers(16, 48))
    gt = np.where(np.arange(w)[None, :] < w // 2, 1, 2) * np.ones((h, 1), int)  # two stuff regions
    gt_cats = {1: 1, 2: 2}
    rr, cc = np.mgrid[:h, :w]
    crowd_cats = set()
    for sid in range(3, 3 + int(rng.integers(0, 8))):
        cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(2, 8)
        gt[(rr - cy) ** 2 + (cc - cx) ** 2 <= r * r] = sid
        gt_cats[sid] = int(rng.integers(3, 6))
    gt[rng.random((h, w)) < 0.05] = 0  # void pixels
    if rng.random() < 0.5:
        gt[:, int(rng.integers(0, w))] = 0  # a void line
    present = [int(i) for i in np.unique(gt) if i > 0]
    gt_segments = {}
    for sid in present:
        cat = gt_cats[sid]
        crowd = int(CATEGORIES[cat] and cat not in crowd_cats and rng.random() < 0.25)  # <= 1 crowd per category
        crowd_cats |= {cat} if crowd else set()
        gt_segments[sid] = {"category_id": cat, "iscrowd": crowd}
    # prediction: shifted truth, some segments merged or relabelled, random large ids
    pred = np.roll(gt, tuple(rng.integers(-2, 3, size=2)), axis=(0, 1))
    if rng.random() < 0.5:
        cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(3, 10)
        pred[(rr - cy) ** 2 + (cc - cx) ** 2 <= r * r] = 99  # a spurious or covering segment
        gt_cats[99] = int(rng.integers(1, 6))
    pred[rng.random((h, w)) < 0.03] = 0
    ids = [int(i) for i in np.unique(pred) if i > 0]
    new_ids = rng.choice(np.arange(1, 10**6), size=len(ids), replace=False)
    lut = dict(zip(ids, new_ids.tolist()))
    pred_mapped = np.zeros_like(pred)
    pred_segments = {}
    for old, new in lut.items():
        pred_mapped[pred == old] = new
        cat = gt_cats[old] if rng.random() < 0.85 else int(rng.integers(1, 6))
        pred_segments[new] = {"category_id": cat}
    return gt, gt_segments, pred_mapped, pred_segments


def _isthing(segments):
    return {i: {**s, "isthing": CATEGORIES[s["category_id"]]} for i, s in segments.items()}


@pytest.mark.parametrize("seed", range(8))
def test_equals_reference_on_random_data_sets(seed):
    rng = np.random.default_rng(seed)
    images = [random_panoptic(rng) for _ in range(int(rng.integers(1, 5)))]
    stat = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "iou": 0.0})
    for gt, gs, pred, ps in images:
        for cat, s in reference_counts(gt, gs, pred, ps).items():
            for key in s:
                stat[cat][key] += s[key]
    counts = sum(panoptic_counts(gt, pred, segments_true=gs, segments_pred=ps, categories=CATEGORIES)
                 for gt, gs, pred, ps in images)
    ours = panoptic_scores(counts)
    for isthing, summary in ((None, ours.all), (True, ours.things), (False, ours.stuff)):
        (pq, sq, rq, n), per_class = reference_average(stat, CATEGORIES, isthing)
        assert summary.n == n
        np.testing.assert_allclose([summary.pq, summary.sq, summary.rq], [pq, sq, rq], atol=1e-12)
        for cat, ref in per_class.items():
            got = ours.per_class[cat]
            if ref is None:
                assert got.n == 0 and math.isnan(got.pq)
            else:
                np.testing.assert_allclose([got.pq, got.sq, got.rq], ref, atol=1e-12)


def test_isthing_from_segments_equals_categories_argument():
    rng = np.random.default_rng(3)
    gt, gs, pred, ps = random_panoptic(rng)
    a = panoptic_counts(gt, pred, segments_true=_isthing(gs), segments_pred=_isthing(ps))
    b = panoptic_counts(gt, pred, segments_true=gs, segments_pred=ps, categories=CATEGORIES)
    present = [b.category_ids.index(c) for c in a.category_ids]
    for field_a, field_b in ((a.tp, b.tp), (a.fp, b.fp), (a.fn, b.fn), (a.iou_sum, b.iou_sum)):
        np.testing.assert_array_equal(field_a, field_b[present])


# ----------------------------------------------------------------------------- hand-computed


def _things(ids):
    return {i: {"category_id": 1, "isthing": True} for i in ids}


def test_void_is_removed_from_the_union():
    t = np.array([[1, 1, 1, 1, 0, 0]])
    p = np.array([[2, 2, 2, 0, 2, 2]])
    # inter 3, |p| 5, |t| 4, p on void 2: IoU = 3 / (5 + 4 - 3 - 2) = 0.75 (0.5 without the void rule)
    r = panoptic_quality(t, p, segments_true=_things([1]), segments_pred=_things([2]))
    assert (r.pq, r.sq, r.rq) == (0.75, 0.75, 1.0)


def test_iou_of_exactly_one_half_does_not_match():
    t = np.array([[1, 1, 1, 1]])
    p = np.array([[2, 2, 0, 0]])
    c = panoptic_counts(t, p, segments_true=_things([1]), segments_pred=_things([2]))
    assert (int(c.tp[0]), int(c.fp[0]), int(c.fn[0])) == (0, 1, 1)


def test_crowd_is_never_fn_and_absorbs_predictions():
    t = np.array([[1, 1, 1, 2, 2, 2, 2, 2]])  # 2 is a crowd region
    p = np.array([[5, 5, 5, 6, 6, 6, 7, 7]])
    segs_t = {1: {"category_id": 1, "iscrowd": 0}, 2: {"category_id": 1, "iscrowd": 1}}
    segs_p = {5: {"category_id": 1}, 6: {"category_id": 1}, 7: {"category_id": 2}}
    c = panoptic_counts(t, p, segments_true=segs_t, segments_pred=segs_p, categories={1: True, 2: True})
    # 5 matches 1; 6 lies on the crowd of its category: ignored; 7 lies on a crowd of another category: FP
    assert c.tp.tolist() == [1, 0] and c.fn.tolist() == [0, 0] and c.fp.tolist() == [0, 1]


def test_all_crowd_regions_of_a_category_count():
    t = np.array([[1, 1, 2, 2, 0]])  # two crowd segments of category 1
    p = np.array([[5, 5, 5, 5, 5]])
    segs_t = {1: {"category_id": 1, "iscrowd": 1}, 2: {"category_id": 1, "iscrowd": 1}}
    c = panoptic_counts(t, p, segments_true=segs_t, segments_pred={5: {"category_id": 1}}, categories={1: True})
    assert int(c.fp[0]) == 0  # 4/5 of it on crowd (panopticapi, keeping one crowd, would see 2/5 + 1/5)


def test_seglab_void_minus_one_and_segmentation_inputs():
    lab = np.array([[1, 1, 1, -1], [2, 2, 0, -1]], np.int32)
    truth = Segmentation(lab, "panoptic", segments={1: Segment(3, None, True), 2: Segment(0, None, False)})
    pred_lab = np.array([[4, 4, 4, 4], [8, 8, 8, 8]], np.int32)
    pred = Segmentation(pred_lab, "panoptic", segments={4: Segment(3, 0.9, True), 8: Segment(0, None, False)})
    r = panoptic_quality(truth, pred)
    # thing: inter 3, IoU 3/(4+3-3-1) = 1; stuff: inter 2, |p| 4, |t| 2, void 2 -> 2/(4+2-2-2) = 1
    assert r.things.pq == 1.0 and r.stuff.pq == 1.0 and r.all.n == 2


def test_sq_is_zero_without_tp_and_empty_averages_are_nan():
    t = np.array([[1, 1]])
    p = np.array([[0, 0]])
    r = panoptic_quality(t, p, segments_true=_things([1]), segments_pred={})
    assert (r.pq, r.sq, r.rq) == (0.0, 0.0, 0.0)
    assert math.isnan(r.stuff.pq) and r.stuff.n == 0


def test_counts_add_like_one_big_image():
    t = np.array([[1, 1, 0, 2, 2, 2]])
    p = np.array([[3, 3, 3, 4, 4, 0]])
    segs_t, segs_p = _things([1, 2]), _things([3, 4])
    whole = panoptic_counts(t, p, segments_true=segs_t, segments_pred=segs_p)
    halves = panoptic_counts(t[:, :3], p[:, :3], segments_true=_things([1]), segments_pred=_things([3])) + \
        panoptic_counts(t[:, 3:], p[:, 3:], segments_true=_things([2]), segments_pred=_things([4]))
    assert whole.tp.tolist() == halves.tp.tolist() and whole.iou_sum.tolist() == halves.iou_sum.tolist()


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"labels_pred": np.ones((2, 3), int)}, InvalidImageError, "shape"),
        ({"labels_true": np.ones((2, 2))}, InvalidImageError, "float"),
        ({"labels_true": np.full((2, 2), 9)}, InvalidImageError, r"id\(s\) \[9\]"),
        ({"segments_pred": {1: {"category_id": 1}, 2: {"category_id": 1}}}, InvalidImageError, "no pixel"),
        ({"segments_pred": None}, InvalidParameterError, "required"),
        ({"categories": {2: True}}, InvalidParameterError, "not listed"),
        ({"segments_pred": {1: {"category_id": 1, "iscrowd": 1}}}, InvalidParameterError, "crowd"),
    ],
)
def test_bad_input(kwargs, err, match):
    args = {"labels_true": np.ones((2, 2), int), "labels_pred": np.ones((2, 2), int),
            "segments_true": {1: {"category_id": 1}}, "segments_pred": {1: {"category_id": 1}},
            "categories": {1: True}}
    args.update(kwargs)
    with pytest.raises(err, match=match):
        panoptic_counts(args.pop("labels_true"), args.pop("labels_pred"), **args)


def test_unknown_thing_or_stuff_is_an_error():
    with pytest.raises(InvalidParameterError, match="thing or stuff is unknown"):
        panoptic_counts(np.ones((2, 2), int), np.ones((2, 2), int), segments_true={1: {"category_id": 1}},
                        segments_pred={1: {"category_id": 1}})
