"""BSDS protocol: .mat loading, per-image sweeps and the ODS/OIS/AP reductions, on hand-made data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from scipy import ndimage as ndi

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.metrics import (
    BsdsGroundTruth,
    BsdsImageResult,
    evaluate_bsds,
    evaluate_bsds_image,
    probabilistic_rand_index,
    segmentation_covering,
    summarize_bsds,
    variation_of_information,
)
from seglab.metrics.bsds import bsds_thresholds

HALVES = np.repeat([[1, 1, 2, 2]], 4, axis=0)  # a 4x4 image cut into two 8-pixel regions


def write_groundtruth(path, annotations):
    """A groundTruth .mat shaped like BSDS500's: a 1xK cell of structs."""
    cell = np.empty((1, len(annotations)), dtype=object)
    for k, (seg, bdry) in enumerate(annotations):
        cell[0, k] = {"Segmentation": seg.astype(np.uint16), "Boundaries": bdry.astype(np.uint8)}
    scipy.io.savemat(path, {"groundTruth": cell})


def test_thresholds_are_the_benchmarks():
    assert bsds_thresholds(5) == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])


def ucm_two_halves(strength: float) -> np.ndarray:
    """ucm2 of HALVES: the contour between pixel columns 1 and 2 lies on doubled-grid column 4."""
    ucm = np.zeros((9, 9))
    ucm[:, 4] = strength
    return ucm


def test_ucm2_sweep_by_hand():
    gt = [BsdsGroundTruth.from_labels(HALVES)]
    r = evaluate_bsds_image(gt, ucm2=ucm_two_halves(0.6), nthresh=3)  # thresholds 0.25, 0.5, 0.75
    # contour kept at 0.25 and 0.5 (4 boundary pixels, all matched), gone at 0.75
    assert r.boundary.tolist() == [[4, 4, 4, 4], [4, 4, 4, 4], [0, 4, 0, 0]]
    # regions: two halves, then one region (covering 8/16 per half, both directions)
    assert r.covering.tolist() == [[16, 16, 16, 16], [16, 16, 16, 16], [8, 16, 8, 16]]
    assert r.covering_best == 16
    assert r.rand_index == pytest.approx([1, 1, 56 / 120])  # 2 * C(8, 2) / C(16, 2) pairs agree
    assert r.voi == pytest.approx([0, 0, 1])


def test_ucm2_regions_use_eight_connectivity_on_the_doubled_grid():
    ucm = np.zeros((5, 5))  # a 2x2 image; contours around pixel (0, 0) only
    ucm[2, 0:3] = ucm[0:3, 2] = 0.9
    ucm[2, 2] = 0.9
    gt = [BsdsGroundTruth.from_labels(np.array([[1, 2], [2, 2]]))]
    r = evaluate_bsds_image(gt, ucm2=ucm, nthresh=1, boundary=False)
    assert r.covering[0].tolist() == [4, 4, 4, 4]  # pixel (0, 0) is cut off: a perfect match


def test_ucm2_equals_its_segmentations_and_its_boundary_map():
    blocks = np.arange(1, 13).reshape(3, 4)
    blocks[0, 1] = blocks[0, 0]  # one L-shaped region among rectangles
    blocks[1, 0] = blocks[0, 0]
    seg = ndi.zoom(blocks, 4, order=0)  # 12x16; every label is one connected region
    gt = [BsdsGroundTruth.from_labels(seg), BsdsGroundTruth.from_labels(np.ones_like(seg))]
    h, w = seg.shape
    ucm = np.zeros((2 * h + 1, 2 * w + 1))
    grid_bdry = np.zeros_like(ucm, bool)  # a strength-0.4 contour between differing neighbours
    grid_bdry[2:-1:2, 1::2] = seg[:-1] != seg[1:]
    grid_bdry[1::2, 2:-1:2] = seg[:, :-1] != seg[:, 1:]
    # junctions (frame included, as in gPb's ucm2) take the strength of their edges, so
    # that the 8-connected components of ucm2 <= t cannot leak around a contour's end
    grid_bdry[::2, ::2] = ndi.maximum_filter(grid_bdry, size=3)[::2, ::2]
    ucm[grid_bdry] = 0.4
    from_ucm = evaluate_bsds_image(gt, ucm2=ucm, nthresh=2)  # thresholds 1/3, 2/3
    one = np.ones_like(seg)
    from_segs = evaluate_bsds_image(gt, segs=[seg, one])
    np.testing.assert_allclose(from_ucm.covering, from_segs.covering)
    np.testing.assert_allclose(from_ucm.rand_index, from_segs.rand_index)
    np.testing.assert_allclose(from_ucm.voi, from_segs.voi)
    from_map = evaluate_bsds_image(gt, boundary_map=ucm[2::2, 2::2], nthresh=2, regions=False)
    assert np.array_equal(from_ucm.boundary, from_map.boundary)


def test_region_figures_agree_with_partition_metrics():
    rng = np.random.default_rng(9)
    gts_labels = [rng.integers(1, 4, (8, 8)) for _ in range(3)]
    gt = [BsdsGroundTruth.from_labels(s) for s in gts_labels]
    segs = [rng.integers(1, 5, (8, 8)) for _ in range(2)]
    r = evaluate_bsds_image(gt, segs=segs, boundary=False)
    for t, s in enumerate(segs):
        assert r.rand_index[t] == pytest.approx(probabilistic_rand_index(gts_labels, s))
        assert r.voi[t] == pytest.approx(np.mean([variation_of_information(g, s).total for g in gts_labels]))
        covering = r.covering[t, 0] / r.covering[t, 1]
        assert covering == pytest.approx(np.mean([segmentation_covering(g, s) for g in gts_labels]))


def test_boundary_ods_interpolates_between_thresholds():
    # Two settings: (R, P) = (1, 0) then (0, 1). Sampled F is 0 at both, but along the
    # segment F = 2 (1 - d) d peaks near d = 1/2; MATLAB samples d on linspace(0, 1, 100).
    r = BsdsImageResult(thresholds=np.array([1.0, 2.0]), boundary=np.array([[10, 10, 0, 10], [0, 10, 10, 10]]))
    s = summarize_bsds([r]).boundary
    assert s.ods_f == pytest.approx(2 * (50 / 99) * (49 / 99))
    assert s.ods_recall + s.ods_precision == pytest.approx(1)
    assert s.ois_f == 0.0  # OIS picks a sampled setting, no interpolation
    # AP: P(R) = 1 - R on recall 0:0.01:1 -> sum(1 - k/100) * 0.01 = 0.505
    assert s.ap == pytest.approx(0.505)


def test_boundary_ods_sums_counts_and_ois_picks_per_image():
    a = BsdsImageResult(thresholds=np.array([1.0, 2.0]), boundary=np.array([[8, 10, 8, 10], [2, 10, 2, 10]]))
    b = BsdsImageResult(thresholds=np.array([1.0, 2.0]), boundary=np.array([[1, 10, 1, 10], [9, 10, 9, 10]]))
    s = summarize_bsds([a, b]).boundary
    assert s.per_threshold[:, 1].tolist() == [0.45, 0.55]  # summed counts
    assert s.ods_f == pytest.approx(0.55) and s.ods_threshold == 2.0
    assert s.ois_f == pytest.approx(17 / 20)  # image a at setting 1, image b at setting 2
    assert s.per_image[:, 3] == pytest.approx([0.8, 0.9])


def test_region_ods_ois_best():
    a = BsdsImageResult(
        thresholds=np.array([1.0, 2.0]),
        covering=np.array([[6.0, 10, 5, 10], [4.0, 10, 5, 10]]),
        covering_best=7.0,
        rand_index=np.array([0.9, 0.5]),
        voi=np.array([1.0, 3.0]),
    )
    b = BsdsImageResult(
        thresholds=np.array([1.0, 2.0]),
        covering=np.array([[2.0, 10, 5, 10], [9.0, 10, 5, 10]]),
        covering_best=9.5,
        rand_index=np.array([0.6, 0.8]),
        voi=np.array([2.0, 0.5]),
    )
    s = summarize_bsds([a, b])
    assert (s.covering.ods, s.covering.ods_threshold) == (pytest.approx(0.65), 2.0)  # (4 + 9) / 20
    assert s.covering.ois == pytest.approx(0.75)  # (6 + 9) / 20
    assert s.covering.best == pytest.approx(16.5 / 20)
    assert (s.pri.ods, s.pri.ods_threshold, s.pri.ois) == (pytest.approx(0.75), 1.0, pytest.approx(0.85))
    assert (s.voi.ods, s.voi.ods_threshold, s.voi.ois) == (pytest.approx(1.5), 1.0, pytest.approx(0.75))
    assert s.boundary is None and s.to_dict()["pri"]["ods"] == pytest.approx(0.75)


def test_evaluate_bsds_over_images():
    gt = [BsdsGroundTruth.from_labels(HALVES)]
    s = evaluate_bsds([gt, gt], ucm2=[ucm_two_halves(0.6), ucm_two_halves(0.3)], nthresh=3)
    # image 2 loses its contour from 0.5 on, so the dataset optimum is the lowest threshold
    assert s.n_images == 2 and s.boundary.ods_f == 1.0 and s.covering.ods == 1.0
    assert s.covering.ods_threshold == 0.25 and s.pri.ois == 1.0


def test_bad_input_gives_one_clear_error():
    gt = [BsdsGroundTruth.from_labels(HALVES)]
    with pytest.raises(InvalidParameterError, match="exactly one"):
        evaluate_bsds_image(gt)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        evaluate_bsds_image(gt, ucm2=ucm_two_halves(0.5), segs=[HALVES])
    with pytest.raises(InvalidParameterError, match="regions"):
        evaluate_bsds_image(gt, boundary_map=np.zeros((4, 4)))
    with pytest.raises(InvalidImageError, match="shape"):
        evaluate_bsds_image(gt, ucm2=np.zeros((4, 4)))
    with pytest.raises(InvalidImageError, match=r"\[0, 1\]"):
        evaluate_bsds_image(gt, boundary_map=np.full((4, 4), 255.0), regions=False)
    with pytest.raises(InvalidImageError, match="shape"):
        evaluate_bsds_image(gt, segs=[np.ones((3, 3), int)])
    with pytest.raises(InvalidImageError, match="float"):
        evaluate_bsds_image(gt, segs=[np.full((4, 4), 0.5)])
    with pytest.raises(InvalidImageError, match="at least one"):
        evaluate_bsds_image([], segs=[HALVES])
    with pytest.raises(InvalidParameterError, match="nthresh"):
        evaluate_bsds_image(gt, ucm2=ucm_two_halves(0.5), nthresh=0)
    with pytest.raises(InvalidParameterError, match="empty"):
        summarize_bsds([])
    short = evaluate_bsds_image(gt, segs=[HALVES], boundary=False)
    long = evaluate_bsds_image(gt, segs=[HALVES, HALVES], boundary=False)
    with pytest.raises(InvalidParameterError, match="same sweep"):
        summarize_bsds([short, long])
    with pytest.raises(InvalidParameterError, match="one prediction per image"):
        evaluate_bsds([gt, gt], segs=[[HALVES]])
