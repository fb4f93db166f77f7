"""Instance matching and the DSB2018 score: hand-computed cases, a dense reference, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.core.types import Segment, Segmentation
from seglab.metrics import dsb_score, match_instances


def dense_iou(t, p):
    """IoU of every (true id, predicted id) pair with explicit boolean masks."""
    t_ids = [i for i in np.unique(t) if i > 0]
    p_ids = [i for i in np.unique(p) if i > 0]
    iou = np.zeros((len(t_ids), len(p_ids)))
    for a, i in enumerate(t_ids):
        for b, j in enumerate(p_ids):
            inter = np.count_nonzero((t == i) & (p == j))
            iou[a, b] = inter / np.count_nonzero((t == i) | (p == j))
    return iou


def reference_dsb(t, p):
    """Kaggle DSB2018 per-image score from a dense IoU matrix (matches are unique above 0.5)."""
    iou = dense_iou(t, p)
    n_t, n_p = iou.shape
    if n_t == 0 and n_p == 0:
        return 1.0
    scores = []
    for thr in np.arange(0.5, 1.0, 0.05):
        thr = round(thr, 2)
        tp = int(np.count_nonzero(iou > thr))
        scores.append(tp / (n_t + n_p - tp))
    return float(np.mean(scores))


def test_hand_computed_match():
    t = np.array([[1, 1, 1, 1, 0, 2, 2, 2, 0, 3]])
    p = np.array([[7, 7, 7, 0, 0, 9, 9, 9, 9, 0]])
    m = match_instances(t, p)
    # 1-7: 3/4; 2-9: 3/4; 3 unmatched
    assert (m.tp, m.fp, m.fn, m.n_true, m.n_pred) == (2, 0, 1, 3, 2)
    assert m.pairs.tolist() == [[1, 7], [2, 9]]
    np.testing.assert_allclose(m.ious, [0.75, 0.75])
    assert m.precision == 1.0 and m.recall == pytest.approx(2 / 3) and m.f1 == pytest.approx(0.8)
    assert m.accuracy == pytest.approx(2 / 3) and m.mean_matched_iou == 0.75
    assert match_instances(t, p, iou_threshold=0.75).tp == 0  # strictly above the threshold


def test_low_threshold_maximises_the_number_of_matches():
    t = np.array([[1] * 10 + [2] * 10])
    p = np.array([[5] * 4 + [6] * 10 + [0] * 6])
    # IoU: (1,5) 0.4, (1,6) 6/14 = 0.43, (2,6) 4/16 = 0.25. Greedy by IoU takes (1,6) and stops at
    # one match; the maximum matching is (1,5) + (2,6).
    m = match_instances(t, p, iou_threshold=0.2)
    assert m.tp == 2 and m.pairs.tolist() == [[1, 5], [2, 6]]
    np.testing.assert_allclose(m.ious, [0.4, 0.25])
    # with equal counts the larger total IoU wins
    m = match_instances(t, p, iou_threshold=0.3)
    assert m.pairs.tolist() == [[1, 6]]


def test_ignore_index_removes_void_from_both_images():
    t = np.array([[1, 1, -1, -1]])
    p = np.array([[4, 4, 4, 4]])
    assert match_instances(t, p).ious.tolist() == [1.0]
    p2 = np.array([[4, 4, -1, 0]])
    assert match_instances(np.array([[1, 1, 0, 0]]), p2).ious.tolist() == [1.0]  # -1 in pred = no object


def test_empty_cases():
    z = np.zeros((3, 3), int)
    one = np.zeros((3, 3), int)
    one[0, 0] = 1
    both = match_instances(z, z)
    assert both.f1 == 1.0 and both.accuracy == 1.0
    assert math.isnan(both.precision) and math.isnan(both.recall) and math.isnan(both.mean_matched_iou)
    no_pred = match_instances(one, z)
    assert no_pred.recall == 0.0 and math.isnan(no_pred.precision) and no_pred.f1 == 0.0
    no_true = match_instances(z, one)
    assert no_true.precision == 0.0 and math.isnan(no_true.recall)
    assert dsb_score(z, z) == 1.0 and dsb_score(one, z) == 0.0 and dsb_score(z, one) == 0.0
    void = np.full((3, 3), -1)  # every pixel ignored: nothing to match (was a numpy reduction error)
    assert match_instances(void, one).tp == match_instances(void, one).n_pred == 0 and dsb_score(void, one) == 1.0


def test_dsb_hand_computed():
    t = np.zeros((10, 10), int)
    t[:, :5] = 1
    t[:, 6:] = 2
    p = np.zeros((10, 10), int)
    p[:, :4] = 3  # IoU 0.8 with 1: matched at 0.50..0.75 (6 thresholds)
    p[0, 9] = 4  # a false positive
    # per threshold: 6 x 1 / (1 + 1 + 1), then 4 x 0 / (0 + 2 + 2)
    assert dsb_score(t, p) == pytest.approx(6 * (1 / 3) / 10)


@pytest.mark.parametrize("seed", range(6))
def test_dsb_and_matching_equal_dense_reference(seed):
    rng = np.random.default_rng(seed)
    t = np.zeros((40, 40), int)
    rr, cc = np.mgrid[:40, :40]
    for i in range(1, 12):
        cy, cx, r = rng.integers(0, 40, size=2).tolist() + [int(rng.integers(2, 8))]
        t[(rr - cy) ** 2 + (cc - cx) ** 2 <= r * r] = i
    p = np.roll(t, tuple(rng.integers(-3, 4, size=2)), axis=(0, 1)) * 3 + 100 * (t > 0)  # other ids
    p[rng.random(p.shape) < 0.1] = 0
    assert dsb_score(t, p) == pytest.approx(reference_dsb(t, p), abs=1e-12)
    iou = dense_iou(t, p)
    for thr in (0.5, 0.7, 0.9):
        m = match_instances(t, p, iou_threshold=thr)
        assert m.tp == np.count_nonzero(iou > thr)
        np.testing.assert_allclose(np.sort(m.ious), np.sort(iou[iou > thr]))


def test_huge_ids_and_segmentation_inputs():
    t = np.array([[2**30, 2**30, 0, 5]], np.int64)
    p = Segmentation(np.array([[1, 1, 0, 2]], np.int32), "instance", segments={1: Segment(), 2: Segment()})
    m = match_instances(t, p)
    assert m.pairs.tolist() == [[5, 2], [2**30, 1]]  # sorted by true id
    assert m.tp == 2


def test_to_dict_is_json_ready():
    d = match_instances([[1, 0]], [[1, 1]], iou_threshold=0.4).to_dict()
    assert d["tp"] == 1 and d["mean_matched_iou"] == 0.5 and set(d) >= {"precision", "recall", "f1"}


@pytest.mark.parametrize(
    "t, p, kwargs, err, match",
    [
        (np.zeros((2, 2), int), np.zeros((3, 2), int), {}, InvalidImageError, "shape"),
        (np.zeros((2, 2)), np.zeros((2, 2), int), {}, InvalidImageError, "float"),
        (np.full((2, 2), -3), np.zeros((2, 2), int), {}, InvalidImageError, "negative"),
        (np.zeros((2, 2), int), np.full((2, 2), -3), {}, InvalidImageError, "negative"),
        (np.full((2, 2), -1), np.zeros((2, 2), int), {"ignore_index": None}, InvalidImageError, "negative"),
        (np.zeros((2, 0), int), np.zeros((2, 0), int), {}, InvalidImageError, "empty"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), {"iou_threshold": 1.0}, InvalidParameterError, "iou_thr"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), {"iou_threshold": "0.5"}, InvalidParameterError, "iou_thr"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), {"ignore_index": 0}, InvalidParameterError, "negative"),
    ],
)
def test_bad_input(t, p, kwargs, err, match):
    with pytest.raises(err, match=match):
        match_instances(t, p, **kwargs)


def test_dsb_bad_input():
    with pytest.raises(InvalidImageError, match="shape"):
        dsb_score(np.zeros((2, 2), int), np.zeros((2, 3), int))


def test_instance_matching_and_the_dsb_score_work_on_3d_volumes_by_voxel_iou():
    """Stitched volumes (seglab.segment_stack(..., stitch=...)) are scored as 3-D objects; by hand."""
    truth = np.zeros((3, 6, 6), np.int32)
    truth[:, 1:4, 1:4] = 1  # 27 voxels
    truth[1:, 4:6, 4:6] = 2  # 8 voxels
    pred = truth.copy()
    pred[2, 1:4, 1:4] = 3  # the prediction cuts object 1 at its last slice: 18 + 9 voxels
    match = match_instances(truth, pred, iou_threshold=0.5)
    assert (match.tp, match.fp, match.fn) == (2, 1, 0)
    assert match.pairs.tolist() == [[1, 1], [2, 2]] and match.ious.tolist() == pytest.approx([18 / 27, 1.0])
    # thresholds 0.50-0.65: TP 2, FP 1 -> 2/3; 0.70-0.95: TP 1, FP 2, FN 1 -> 1/4
    assert dsb_score(truth, pred) == pytest.approx((4 * 2 / 3 + 6 * 1 / 4) / 10)
