"""Property tests (hypothesis) of the metrics: additivity, symmetry, invariance, perfect scores."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seglab.metrics import (
    coco_mask_ap,
    confusion,
    dice_per_class,
    dsb_score,
    iou_per_class,
    match_instances,
    mean_iou,
    panoptic_quality,
)

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def label_pairs(draw, max_value: int = 4, void: bool = True, void_pred: bool = True):
    """Two label images of one shape, values in [0, max_value], plus -1 (void) if asked."""
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    elems_t = st.integers(-1 if void else 0, max_value)
    elems_p = st.integers(-1 if void and void_pred else 0, max_value)
    return draw(arrays(np.int32, (h, w), elements=elems_t)), draw(arrays(np.int32, (h, w), elements=elems_p))


# ----------------------------------------------------------------------------- semantic


@SETTINGS
@given(label_pairs(void_pred=False), st.data())
def test_confusion_adds_over_tiles(pair, data):
    t, p = pair
    r = data.draw(st.integers(0, t.shape[0]))
    c = data.draw(st.integers(0, t.shape[1]))
    whole = confusion(t, p, num_classes=5)
    tiles = [(slice(None, r), slice(None, c)), (slice(None, r), slice(c, None)),
             (slice(r, None), slice(None, c)), (slice(r, None), slice(c, None))]
    total = sum(confusion(t[s], p[s], num_classes=5) for s in tiles if t[s].size)
    np.testing.assert_array_equal(whole, total)
    assert whole.sum() == np.count_nonzero(t != -1)


@SETTINGS
@given(label_pairs(void=False))
def test_confusion_transposes_when_swapped_and_scores_are_symmetric(pair):
    t, p = pair
    a, b = confusion(t, p, num_classes=5), confusion(p, t, num_classes=5)
    np.testing.assert_array_equal(a, b.T)
    np.testing.assert_array_equal(iou_per_class(a), iou_per_class(b))
    np.testing.assert_allclose(dice_per_class(a), 2 * iou_per_class(a) / (1 + iou_per_class(a)))


@SETTINGS
@given(label_pairs(void=False))
def test_perfect_prediction_scores_one_and_absent_classes_are_nan(pair):
    t, _ = pair
    iou = iou_per_class(confusion(t, t, num_classes=6))
    present = np.isin(np.arange(6), t)
    assert (iou[present] == 1).all() and np.isnan(iou[~present]).all()
    assert mean_iou(confusion(t, t, num_classes=6)) == 1.0


@SETTINGS
@given(label_pairs(void=False), st.permutations(range(5)))
def test_mean_iou_invariant_to_renaming_classes(pair, perm):
    t, p = pair
    lut = np.array(perm)
    a = mean_iou(confusion(t, p, num_classes=5))
    b = mean_iou(confusion(lut[t], lut[p], num_classes=5))
    assert a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-12


# ----------------------------------------------------------------------------- instance


@SETTINGS
@given(label_pairs(max_value=6, void=False), st.sampled_from([0.1, 0.3, 0.5, 0.7]))
def test_matching_is_symmetric(pair, thr):
    t, p = pair
    a, b = match_instances(t, p, iou_threshold=thr), match_instances(p, t, iou_threshold=thr)
    assert (a.tp, a.fp, a.fn) == (b.tp, b.fn, b.fp)
    np.testing.assert_allclose(np.sort(a.ious), np.sort(b.ious))
    assert all(i > thr for i in a.ious)
    assert len(set(a.pairs[:, 0])) == a.tp and len(set(a.pairs[:, 1])) == a.tp  # one-to-one


@SETTINGS
@given(label_pairs(max_value=6, void=False), st.permutations(range(1, 7)))
def test_matching_ignores_id_values(pair, perm):
    t, p = pair
    lut = np.array([0, *perm]) * 1000  # renumber the predicted ids
    a, b = match_instances(t, p), match_instances(t, lut[p])
    assert (a.tp, a.fp, a.fn) == (b.tp, b.fp, b.fn)
    np.testing.assert_allclose(np.sort(a.ious), np.sort(b.ious))
    assert dsb_score(t, p) == dsb_score(t, lut[p])


@SETTINGS
@given(label_pairs(max_value=6, void=False))
def test_identity_is_perfect_and_scores_in_range(pair):
    t, p = pair
    m = match_instances(t, t)
    assert m.fp == m.fn == 0 and m.f1 == 1.0 and dsb_score(t, t) == 1.0
    assert 0.0 <= dsb_score(t, p) <= 1.0
    assert 0.0 <= match_instances(t, p, iou_threshold=0.2).f1 <= 1.0


@settings(max_examples=15, deadline=None)
@given(label_pairs(max_value=5, void=False), st.data())
def test_coco_ap_of_the_truth_itself_is_one(pair, data):
    t, _ = pair
    ids = np.unique(t[t > 0])
    scores = data.draw(st.lists(st.floats(0.01, 1.0), min_size=ids.size, max_size=ids.size))
    r = coco_mask_ap([t], [{"labels": t, "scores": scores}])
    if ids.size:
        assert abs(r.ap - 1.0) < 1e-12 and r.to_dict()["AR@100"] == 1.0
    else:
        assert r.ap == -1.0


# ----------------------------------------------------------------------------- panoptic


@SETTINGS
@given(label_pairs(max_value=6), st.permutations(range(1, 7)))
def test_panoptic_identity_and_renaming(pair, perm):
    t, p = pair
    segs = {i: {"category_id": i % 3, "isthing": i % 3 != 0} for i in range(1, 7)}
    ids_t = {i: s for i, s in segs.items() if (t == i).any()}
    ids_p = {i: s for i, s in segs.items() if (p == i).any()}
    same = panoptic_quality(t, np.where(t < 0, 0, t), segments_true=ids_t, segments_pred=ids_t)
    assert same.pq == 1.0 or (not ids_t and math.isnan(same.pq))
    lut = np.array([0, 0, *perm])  # index -1 -> 0 (not predicted)
    moved = {perm[i - 1]: s for i, s in ids_p.items()}
    a = panoptic_quality(t, p, segments_true=ids_t, segments_pred=ids_p)
    b = panoptic_quality(t, lut[p + 1], segments_true=ids_t, segments_pred=moved)
    assert a.to_dict() == b.to_dict() or (math.isnan(a.pq) and math.isnan(b.pq))
