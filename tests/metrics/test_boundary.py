"""Boundary F (BSDS matching) and Boundary IoU on hand-computed cases and independent references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage as ndi
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_bipartite_matching

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.metrics import (
    BoundaryCounts,
    boundary_counts,
    boundary_counts_from_maps,
    boundary_f,
    boundary_iou,
    boundary_iou_per_label,
    bsds_tolerance,
    correspond_pixels,
    label_boundaries,
)


def split_at(col: int, shape=(20, 20)) -> np.ndarray:
    labels = np.zeros(shape, int)
    labels[:, col:] = 1
    return labels


def test_label_boundaries_follow_bsds_seg2bdry():
    # Boundaries sit on the upper/left side of a label change (the corner of the
    # doubled grid); the last row/column copies the edge next to it.
    seg = np.array([[1, 1, 2], [1, 1, 2], [3, 3, 3]])
    expected = np.array([[0, 1, 0], [1, 1, 1], [0, 0, 0]], bool)
    assert np.array_equal(label_boundaries(seg), expected)
    assert not label_boundaries(np.ones((4, 4), int)).any()


def test_label_boundaries_skip_void_borders():
    seg = np.array([[1, 1, -1, -1]] * 3)
    assert not label_boundaries(seg).any()
    assert label_boundaries(seg, ignore_index=None)[:, 1].all()


def test_shifted_boundary_within_and_beyond_tolerance():
    t, p = split_at(10), split_at(11)  # vertical boundary moved one pixel
    assert boundary_f(t, p, tolerance=2) == 1.0
    assert boundary_f(t, p, tolerance=1) == 1.0
    assert boundary_f(t, p, tolerance=0.5) == 0.0
    assert boundary_f(t, split_at(13), tolerance=2) == 0.0  # three pixels away


def test_thinning_removes_corners_of_the_prediction_only():
    # A 10x10 square: its seg2bdry boundary is an 11x11 ring of 40 pixels. BSDS
    # thins the prediction (the ring loses its 4 corners) but not the ground truth,
    # so with one-to-one matching recall is 36/40 even for a perfect segmentation.
    sq = np.zeros((20, 20), int)
    sq[5:15, 5:15] = 1
    assert label_boundaries(sq).sum() == 40
    c = boundary_counts(sq, sq, tolerance=2)
    assert c == BoundaryCounts(matched_true=36, total_true=40, matched_pred=36, total_pred=36)
    assert c.f == pytest.approx(2 * 0.9 / 1.9)
    assert boundary_f(sq, sq, tolerance=2, thin=False) == 1.0


def test_default_tolerance_is_bsds_fraction_of_diagonal():
    assert bsds_tolerance((321, 481)) == pytest.approx(0.0075 * np.hypot(321, 481))
    t = split_at(100, (321, 481))
    # 4 px away: within 4.34 px (the default) ; 5 px away: not
    assert boundary_f(t, split_at(104, (321, 481))) == 1.0
    assert boundary_f(t, split_at(105, (321, 481))) == 0.0


def test_matching_is_one_to_one_and_prefers_the_closest_pixel():
    truth = np.zeros((1, 5), bool)
    truth[0, 0] = True
    pred = np.zeros((1, 5), bool)
    pred[0, 1] = pred[0, 2] = True  # at distance 1 and 2
    m_pred, m_true = correspond_pixels(pred, truth, tolerance=2.5)
    assert m_true.sum() == 1 and m_pred.sum() == 1
    assert m_pred[0, 1]  # minimum total distance among maximum matchings


def test_matching_maximises_cardinality_over_greedy():
    # Truth X (0,0) reaches pred A (0,1) and B (1,0), both at distance 1; truth Y (0,3)
    # reaches only A (distance 2). Pairing X-A would strand Y; the maximum matching is X-B, Y-A.
    truth = np.zeros((2, 4), bool)
    truth[0, 0] = truth[0, 3] = True
    pred = np.zeros((2, 4), bool)
    pred[0, 1] = pred[1, 0] = True
    m_pred, m_true = correspond_pixels(pred, truth, tolerance=2)
    assert m_true.sum() == 2 and m_pred.sum() == 2


def _max_matching_size(a: np.ndarray, b: np.ndarray, tol: float) -> int:
    """Hopcroft-Karp maximum matching on all pairs within tol (independent reference)."""
    pa, pb = np.argwhere(a), np.argwhere(b)
    if len(pa) == 0 or len(pb) == 0:
        return 0
    d = np.hypot(*(pa[:, None, :] - pb[None, :, :]).transpose(2, 0, 1))
    graph = csr_array((d <= tol).astype(np.int8))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


@settings(max_examples=40, deadline=None)
@given(
    arrays(bool, (8, 9), elements=st.booleans()),
    arrays(bool, (8, 9), elements=st.booleans()),
    st.sampled_from([1.0, 1.5, 2.3]),
)
def test_matching_cardinality_equals_hopcroft_karp(a, b, tol):
    m_a, m_b = correspond_pixels(a, b, tolerance=tol)
    assert m_a.sum() == m_b.sum() == _max_matching_size(a, b, tol)
    assert not (m_a & ~a).any() and not (m_b & ~b).any()


def test_several_annotators_recall_sums_precision_takes_any():
    pred = np.zeros((10, 10), bool)
    pred[:, 5] = True
    top, bottom = pred.copy(), pred.copy()
    top[5:] = False
    bottom[:5] = False
    c = boundary_counts_from_maps([top, bottom], pred, tolerance=0.5, thin=False)
    # each annotator matches its own half; every predicted pixel matches someone
    assert c == BoundaryCounts(matched_true=10, total_true=10, matched_pred=10, total_pred=10)
    c2 = boundary_counts_from_maps(np.stack([top, top]), pred, tolerance=0.5, thin=False)
    assert c2 == BoundaryCounts(matched_true=10, total_true=10, matched_pred=5, total_pred=10)


def test_nested_lists_are_one_annotation():
    rows = [[1, 1, 2, 2]] * 3
    assert boundary_f(rows, rows) == 1.0
    assert boundary_counts([rows, rows], rows).total_true == 6


def test_boundary_counts_add_and_empty_conventions():
    a, b = BoundaryCounts(1, 2, 3, 4), BoundaryCounts(1, 0, 0, 1)
    assert a + b == BoundaryCounts(2, 2, 3, 5)
    none = BoundaryCounts(0, 0, 0, 0)
    assert (none.precision, none.recall, none.f) == (1.0, 1.0, 1.0)
    only_pred = BoundaryCounts(0, 0, 0, 5)
    assert (only_pred.precision, only_pred.recall, only_pred.f) == (0.0, 0.0, 0.0)
    assert boundary_f(np.ones((5, 5), int), np.ones((5, 5), int)) == 1.0
    assert boundary_f(split_at(2, (5, 5)), np.ones((5, 5), int)) == 0.0


def test_void_pixels_are_not_counted():
    t = split_at(10)
    t[:, 15:] = -1
    p = split_at(10)
    p[:, 17] = 2  # extra predicted boundaries inside the void area
    c = boundary_counts(t, p, tolerance=1)
    assert c == BoundaryCounts(matched_true=20, total_true=20, matched_pred=20, total_pred=20)


def test_boundary_iou_two_squares_offset_by_one_pixel():
    t = np.zeros((10, 10), bool)
    t[2:6, 2:6] = True
    p = np.zeros((10, 10), bool)
    p[2:6, 3:7] = True
    # d = round(0.05 * 14.14) = 1: each band is the 12-pixel ring; the rings share 6 pixels
    assert boundary_iou(t, p, dilation_ratio=0.05) == pytest.approx(6 / 18)
    # d = 2 swallows the whole 4x4 squares: IoU of the squares, 12 / 20
    assert boundary_iou(t, p, dilation_ratio=0.15) == pytest.approx(12 / 20)


def test_boundary_iou_image_border_counts_as_contour():
    full = np.ones((10, 10), bool)
    ring = np.zeros((10, 10), bool)
    ring[0, :] = ring[-1, :] = ring[:, 0] = ring[:, -1] = True
    assert boundary_iou(full, ring, dilation_ratio=0.05) == 1.0


def test_boundary_iou_empty_masks():
    empty, some = np.zeros((6, 6), bool), np.eye(6, dtype=bool)
    assert boundary_iou(empty, empty) == 1.0
    assert boundary_iou(empty, some) == 0.0


def _reference_band(mask: np.ndarray, d: int) -> np.ndarray:
    eroded = ndi.binary_erosion(mask, structure=np.ones((3, 3)), iterations=d, border_value=0)
    return mask & ~eroded


@settings(max_examples=40, deadline=None)
@given(arrays(bool, (12, 15), elements=st.booleans()), arrays(bool, (12, 15), elements=st.booleans()))
def test_boundary_iou_equals_scipy_reference(t, p):
    d = max(1, round(0.1 * np.hypot(12, 15)))
    bt, bp = _reference_band(t, d), _reference_band(p, d)
    union = (bt | bp).sum()
    expected = (bt & bp).sum() / union if union else 1.0
    assert boundary_iou(t, p, dilation_ratio=0.1) == pytest.approx(expected)
    assert boundary_iou(t, p, dilation_ratio=0.1) == pytest.approx(boundary_iou(p, t, dilation_ratio=0.1))


def test_boundary_iou_per_label():
    t = np.zeros((10, 10), int)
    t[2:6, 2:6] = 1
    t[7:, 7:] = 2
    p = t.copy()
    p[p == 2] = 0
    p[0, 0] = 3
    assert boundary_iou_per_label(t, p) == {1: 1.0, 2: 0.0, 3: 0.0}
    assert boundary_iou_per_label(np.zeros((3, 3), int), np.zeros((3, 3), int)) == {}


def test_bad_input_gives_one_clear_error():
    with pytest.raises(InvalidImageError, match="shape"):
        boundary_f(np.zeros((3, 4), int), np.zeros((4, 3), int))
    with pytest.raises(InvalidImageError, match="float"):
        boundary_f(np.zeros((3, 3)) + 0.5, np.zeros((3, 3), int))
    with pytest.raises(InvalidImageError, match="2-D"):
        boundary_f(np.zeros((2, 3, 3), int), np.zeros((2, 3, 3), int))
    with pytest.raises(InvalidImageError, match="empty"):
        boundary_f(np.zeros((0, 3), int), np.zeros((0, 3), int))
    with pytest.raises(InvalidImageError, match="at least one"):
        boundary_f([], np.zeros((3, 3), int))
    with pytest.raises(InvalidParameterError, match="tolerance"):
        boundary_f(np.zeros((3, 3), int), np.zeros((3, 3), int), tolerance=0)
    with pytest.raises(InvalidImageError, match="boolean"):
        boundary_counts_from_maps(np.zeros((3, 3)) + 0.3, np.zeros((3, 3), bool))
    with pytest.raises(InvalidImageError, match="binary mask"):
        boundary_iou(np.full((3, 3), 2), np.zeros((3, 3), bool))
    with pytest.raises(InvalidParameterError, match="dilation_ratio"):
        boundary_iou(np.zeros((3, 3), bool), np.zeros((3, 3), bool), dilation_ratio=0)


def test_boundary_iou_per_label_refuses_an_all_void_truth_like_the_partition_metrics():
    pred = np.zeros((6, 6), np.int32)
    pred[1:4, 1:4] = 1
    with pytest.raises(InvalidImageError, match="every pixel of labels_true equals ignore_index=-1"):
        boundary_iou_per_label(-np.ones((6, 6), np.int32), pred)
    with pytest.raises(InvalidParameterError, match="ignore_index: must be an integer or None"):
        boundary_iou_per_label(pred, pred, ignore_index="x")


@pytest.mark.parametrize("tolerance", [float("inf"), float("nan"), 0, -1, "2"])
def test_boundary_f_tolerance_must_be_a_finite_positive_number(tolerance):
    t = split_at(10)
    with pytest.raises(InvalidParameterError, match="tolerance: must be a finite number of pixels > 0"):
        boundary_f(t, t, tolerance=tolerance)


def test_a_tolerance_beyond_the_diagonal_scores_like_the_diagonal():
    t, p = split_at(10), split_at(14)
    assert boundary_f(t, p, tolerance=1e9) == boundary_f(t, p, tolerance=float(np.hypot(20, 20)))
