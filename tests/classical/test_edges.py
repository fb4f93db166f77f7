"""Edge-based segmenters against OpenCV / scikit-image / scipy and synthetic ground truth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import feature, filters, morphology

import seglab
from seglab.classical.edge_strength import canny_strength
from seglab.classical.edges import (
    canny,
    canny_edges,
    crossing_slopes,
    gradient_magnitude,
    hysteresis,
    log_zero_crossing,
    log_zero_crossings,
    regions_from_edges,
    scharr,
    sobel,
)
from seglab.core.errors import InvalidImageError, InvalidParameterError

EDGE_METHODS = ["canny", "sobel", "scharr", "log_zero_crossing"]
# Parameters that separate the shapes of `shapes_scene` from its noise, per method.
SCENE_PARAMS = {
    "canny": {"sigma": 1.5, "low_threshold": 100, "high_threshold": 200},
    "sobel": {"sigma": 1.0, "low_threshold": 20, "high_threshold": 40},
    "scharr": {"sigma": 1.0, "low_threshold": 20, "high_threshold": 40},
    "log_zero_crossing": {"sigma": 1.5, "threshold": 2.0},
}


def shapes_scene(seed: int = 0, size: int = 128) -> tuple[np.ndarray, list[np.ndarray]]:
    """Three disks and a square (value 180) on a ground of 50, Gaussian noise sd 6."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    truths = [
        (rr - 30) ** 2 + (cc - 32) ** 2 < 18**2,
        (rr - 34) ** 2 + (cc - 92) ** 2 < 15**2,
        (rr - 92) ** 2 + (cc - 36) ** 2 < 20**2,
    ]
    square = np.zeros((size, size), bool)
    square[75:110, 72:112] = True
    truths.append(square)
    img = np.full((size, size), 50.0)
    for t in truths:
        img[t] = 180
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truths


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return np.count_nonzero(a & b) / np.count_nonzero(a | b)


# ------------------------------------------------------------------ Canny


@pytest.mark.parametrize("sigma", [0.0, 1.0, 2.5])
def test_canny_uint8_edge_map_equals_opencv(sigma):
    img, _ = shapes_scene(1)
    seg = canny(img, sigma=sigma, low_threshold=60, high_threshold=150)
    blurred = cv2.GaussianBlur(img, (0, 0), sigma) if sigma else img
    ref = cv2.Canny(blurred, 60, 150, L2gradient=True) > 0
    np.testing.assert_array_equal(canny_edges(img, sigma=sigma, low_threshold=60, high_threshold=150)[0], ref)
    assert seg.meta["implementation"] == "opencv" and seg.meta["n_edge_pixels"] == ref.sum()
    assert seg.scores is None


@pytest.mark.parametrize("sigma", [0.0, 1.0, 2.5])
@pytest.mark.parametrize("kind", ["scene", "noise", "camera"])
def test_canny_soft_map_is_what_opencv_thresholds(kind, sigma):
    """The hysteresis of the soft map (8-connected) is cv2.Canny's edge map, at any pair of thresholds."""
    from skimage import data

    rng = np.random.default_rng(21)
    img = {"scene": shapes_scene(3)[0], "noise": rng.integers(0, 256, (61, 83), dtype=np.uint8),
           "camera": data.camera()}[kind]
    seg = canny(img, sigma=sigma, low_threshold=20.5, high_threshold=40.5, return_scores=True)
    soft = seg.scores[0]
    assert seg.scores.dtype == np.float32 and soft.min() == 0
    blurred = cv2.GaussianBlur(img, (0, 0), sigma) if sigma else img
    for low, high in ((20.5, 40.5), (60.5, 150.5), (3.5, 300.5)):
        ref = cv2.Canny(blurred, low, high, L2gradient=True) > 0
        np.testing.assert_array_equal(hysteresis(soft, low, high, connectivity=8), ref)
    # The kept values are the L2 norm of the 3x3 Sobel gradient (replicated borders), computed by scipy.
    f = blurred.astype(np.float64)
    mag = np.hypot(ndi.sobel(f, axis=1, mode="nearest"), ndi.sobel(f, axis=0, mode="nearest"))
    kept = soft > 0
    np.testing.assert_allclose(soft[kept], mag[kept], rtol=1e-6)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1 / 255), (np.float32, 1 / 255), (np.uint16, 257)])
def test_canny_other_dtypes_equal_skimage(dtype, scale):
    img, _ = shapes_scene(2)
    data = (img.astype(np.float64) * scale).astype(dtype)
    low, high = 60 * scale, 150 * scale  # the same thresholds, in the data's own units
    seg = canny(data, sigma=1.5, low_threshold=low, high_threshold=high)
    ref = feature.canny(data.astype(np.float64), sigma=1.5, low_threshold=low, high_threshold=high)
    np.testing.assert_array_equal(canny_edges(data, sigma=1.5, low_threshold=low, high_threshold=high)[0], ref)
    assert seg.meta["implementation"] == "scikit-image" and seg.meta["n_edge_pixels"] == ref.sum()


def _otsu_of_levels(mag):
    """Otsu (scikit-image's) on the 256-level quantisation of [0, max], back in magnitude units."""
    top = float(mag.max())
    levels = np.rint(mag.astype(np.float64) * 255 / top).astype(int)
    t = filters.threshold_otsu(hist=(np.bincount(levels.ravel(), minlength=256), np.arange(256)))
    return (t + 0.5) * top / 255


@pytest.mark.parametrize("sigma", [0.0, 1.5])
def test_canny_automatic_thresholds_are_otsu_of_the_gradient(sigma):
    img, _ = shapes_scene(9)
    for data in (img, img.astype(np.float64) / 255):
        seg = canny(data, sigma=sigma)
        if data.dtype == np.uint8:
            f = (cv2.GaussianBlur(data, (0, 0), sigma) if sigma else data).astype(np.float64)
        else:
            f = cv2.GaussianBlur(data, (0, 0), sigma, borderType=cv2.BORDER_REFLECT) if sigma else data
        mag = np.hypot(ndi.sobel(f, axis=1, mode="nearest"), ndi.sobel(f, axis=0, mode="nearest"))
        assert seg.meta["high_threshold"] == pytest.approx(_otsu_of_levels(mag), rel=1e-5)
        assert seg.meta["low_threshold"] == pytest.approx(seg.meta["high_threshold"] / 2)
    half = canny(img, sigma=sigma, low_threshold=1e6)  # a given low above the automatic high lifts it
    assert half.meta["high_threshold"] == half.meta["low_threshold"] == 1e6


def test_canny_automatic_thresholds_follow_an_upscale():
    """seglab 0.1's rule (0.66 / 1.33 x median intensity) gave the same thresholds to an 8x upscale, whose
    slopes are 8x smaller, so it found no edge there; the gradient's Otsu threshold scales with the slopes."""
    img, _ = shapes_scene(10)
    small = canny(img, sigma=1.0)
    upscale = cv2.resize(img, (1024, 1024), interpolation=cv2.INTER_LINEAR)
    big = canny(upscale, sigma=8.0, return_scores=True)
    assert big.meta["high_threshold"] == pytest.approx(small.meta["high_threshold"] / 8, rel=0.25)
    assert big.meta["n_edge_pixels"] > 0 and small.num_segments == 4
    assert big.scores.max() < 1.33 * np.median(upscale)  # the old rule's high threshold: no edge at all


def test_canny_edges_lie_on_a_disk_boundary():
    rr, cc = np.mgrid[:96, :96]
    dist = np.hypot(rr - 47.5, cc - 47.5)
    img = np.where(dist < 30, 200, 40).astype(np.uint8)
    edges, _, _ = canny_edges(img, sigma=1.0, low_threshold=100, high_threshold=300)
    edge_dist = dist[edges]
    assert edge_dist.size > 150  # about the circumference, 188 px
    assert np.abs(edge_dist - 30).max() <= 1.5


# ------------------------------------------------------------ Sobel/Scharr


@pytest.mark.parametrize("operator, reference", [("sobel", filters.sobel), ("scharr", filters.scharr)])
def test_gradient_magnitude_matches_skimage(operator, reference):
    img = np.random.default_rng(4).random((40, 50))
    ours = gradient_magnitude(img, operator=operator)
    # skimage normalises the kernels by 4 (Sobel) / 16 (Scharr) and divides by sqrt(2).
    np.testing.assert_allclose(ours, reference(img) / np.sqrt(2), rtol=1e-10, atol=1e-12)


def test_gradient_magnitude_of_a_ramp_is_its_slope():
    ramp = np.add.outer(np.arange(20.0) * 3, np.arange(30.0) * 4)
    for op in ("sobel", "scharr"):
        np.testing.assert_allclose(gradient_magnitude(ramp, operator=op)[1:-1, 1:-1], 5.0)


def test_hysteresis_equals_skimage_with_4_connectivity():
    values = ndi.gaussian_filter(np.random.default_rng(5).random((80, 90)), 1.5)
    low, high = np.quantile(values, [0.6, 0.9])
    ours = hysteresis(values, low, high, connectivity=4)
    np.testing.assert_array_equal(ours, filters.apply_hysteresis_threshold(values, low, high))


def test_hysteresis_8_connectivity_links_diagonals():
    values = np.array([[3, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    assert hysteresis(values, 0.5, 2, connectivity=8).sum() == 3
    assert hysteresis(values, 0.5, 2, connectivity=4).sum() == 1
    # Reference for 8-connectivity: label the weak mask with a full 3x3 structure.
    field = ndi.gaussian_filter(np.random.default_rng(6).random((60, 60)), 1.0)
    low, high = np.quantile(field, [0.5, 0.95])
    lab, _ = ndi.label(field > low, structure=np.ones((3, 3)))
    ref = np.isin(lab, np.unique(lab[field > high])) & (lab > 0)
    np.testing.assert_array_equal(hysteresis(field, low, high, connectivity=8), ref)


@pytest.mark.parametrize("method", [sobel, scharr])
def test_gradient_methods_edge_map_is_hysteresis_of_the_magnitude(method):
    img, _ = shapes_scene(7)
    seg = method(img, sigma=1.0, low_threshold=15, high_threshold=35, connectivity=4, return_scores=True)
    mag = filters.sobel if method is sobel else filters.scharr
    smoothed = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
    np.testing.assert_allclose(seg.scores[0], mag(smoothed) / np.sqrt(2), rtol=1e-5, atol=1e-4)
    ref = filters.apply_hysteresis_threshold(mag(smoothed) / np.sqrt(2), 15, 35)
    np.testing.assert_array_equal(hysteresis(seg.scores[0], 15, 35, connectivity=4), ref)
    assert seg.meta["n_edge_pixels"] == ref.sum()


def test_sobel_automatic_threshold_is_otsu_of_the_magnitude():
    img, _ = shapes_scene(8)
    seg = sobel(img, sigma=1.0)
    mag = gradient_magnitude(img, sigma=1.0)
    top = float(mag.max())
    assert seg.meta["high_threshold"] == pytest.approx(_otsu_of_levels(mag), rel=1e-6)
    # Close to Otsu on the float magnitude (different bin edges).
    assert seg.meta["high_threshold"] == pytest.approx(float(filters.threshold_otsu(mag)), abs=4 * top / 255)
    assert seg.meta["low_threshold"] == pytest.approx(seg.meta["high_threshold"] / 2)


# ----------------------------------------------------------- Marr-Hildreth


def _reference_zero_crossings(lap, threshold):
    """The documented rule, written with explicit neighbour pairs."""
    edges = np.zeros(lap.shape, bool)
    for a, b in (((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))):
        cross = ((lap[a] > 0) != (lap[b] > 0)) & (np.abs(lap[a] - lap[b]) > threshold)
        nearer_a = np.abs(lap[a]) <= np.abs(lap[b])
        edges[a] |= cross & nearer_a
        edges[b] |= cross & ~nearer_a
    return edges


def test_log_zero_crossings_match_scipy_gaussian_laplace():
    img, _ = shapes_scene(15)
    edges, t = log_zero_crossings(img, sigma=2.0, threshold=1.0)
    ref = _reference_zero_crossings(ndi.gaussian_laplace(img.astype(np.float64), 2.0), 1.0)
    # OpenCV's discrete Laplacian of the blur vs scipy's Gaussian second derivatives: nearly the same crossings.
    assert np.count_nonzero(edges & ref) / np.count_nonzero(edges | ref) > 0.9
    assert t == 1.0


@pytest.mark.parametrize("sigma", [1.5, 2.5])
def test_log_zero_crossings_sit_on_the_disk_edge(sigma):
    rr, cc = np.mgrid[:96, :96]
    dist = np.hypot(rr - 47.3, cc - 48.1)
    img = np.where(dist < 25, 1.0, 0.0)
    edges, t = log_zero_crossings(img, sigma=sigma)
    assert t == pytest.approx(0.75 * np.abs(ndi.gaussian_laplace(img, sigma)).mean(), rel=0.1)
    ring = dist[edges]
    assert ring.size > 140  # about the circumference, 157 px
    assert np.abs(ring - 25).max() <= 1.5


def test_log_soft_map_is_the_slope_of_each_marked_crossing():
    img, _ = shapes_scene(16)
    slope, mean_abs = crossing_slopes(img, sigma=2.0)
    lap = ndi.gaussian_laplace(img.astype(np.float64), 2.0)
    assert mean_abs == pytest.approx(np.abs(lap).mean(), rel=0.1)
    for t in (0.5, 1.0, 3.0):
        np.testing.assert_array_equal(slope > t, log_zero_crossings(img, sigma=2.0, threshold=t)[0])
    seg = log_zero_crossing(img, sigma=2.0, threshold=1.0, return_scores=True)
    np.testing.assert_array_equal(seg.scores[0], slope)
    assert seg.meta["n_edge_pixels"] == (slope > 1.0).sum()


def test_log_slope_threshold_removes_weak_crossings():
    img = np.zeros((64, 64))
    img[8:28, 8:28] = 100  # strong step
    img[36:56, 36:56] = 5  # weak step
    strong_only = log_zero_crossing(img, sigma=1.5, threshold=1.0, min_size=50)
    both = log_zero_crossing(img, sigma=1.5, threshold=0.05, min_size=50)
    assert strong_only.num_segments == 1 and both.num_segments == 2


# ----------------------------------------------------------------- regions


def _reference_regions(edges, close_radius):
    """Enclosed areas with scipy, and chessboard distances from every band pixel to each of them."""
    band = ndi.binary_dilation(edges, morphology.disk(close_radius)) if close_radius else edges
    free = ~band
    lab, _ = ndi.label(free)  # 4-connectivity
    outside = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1], [0]]))
    areas = np.unique(np.where(np.isin(lab, outside), 0, lab), return_inverse=True)[1].reshape(lab.shape)
    d_area = np.stack([ndi.distance_transform_cdt(areas != k, metric="chessboard") for k in range(areas.max() + 1)])
    d_area[0] = ndi.distance_transform_cdt(~(free & (areas == 0)), metric="chessboard")  # the outside
    return areas, band, d_area


def _random_outlines(seed):
    rng = np.random.default_rng(seed)
    edges = np.zeros((100, 100), bool)
    for _ in range(12):  # rectangle outlines with random gaps, plus specks
        r, c = rng.integers(3, 80, 2)
        h, w = rng.integers(4, 18, 2)
        outline = np.zeros_like(edges)
        outline[r : r + h, c : c + w] = True
        outline[r + 1 : r + h - 1, c + 1 : c + w - 1] = False
        outline &= rng.random(edges.shape) > 0.08
        edges |= outline
    edges[rng.integers(0, 100, 30), rng.integers(0, 100, 30)] = True
    return edges


@pytest.mark.parametrize("close_radius", [0, 1, 2])
@pytest.mark.parametrize("seed", [10, 11])
def test_regions_from_edges_matches_scipy_reference(close_radius, seed):
    edges = _random_outlines(seed)
    labels = regions_from_edges(edges, close_radius=close_radius, min_size=1)
    ref, band, d_area = _reference_regions(edges, close_radius)
    # The same enclosed areas up to renumbering: a one-to-one map between the ids (off the band).
    pairs = np.unique(np.stack([labels[~band], ref[~band]]), axis=1)
    pairs = pairs[:, (pairs > 0).all(axis=0)]
    assert np.unique(pairs[0]).size == np.unique(pairs[1]).size == pairs.shape[1] == ref.max()
    to_ref = np.zeros(labels.max() + 1, np.int64)
    to_ref[pairs[0]] = pairs[1]
    np.testing.assert_array_equal(to_ref[labels][~band], ref[~band])
    # Band pixels join a nearest area (chessboard steps), or the outside when it is strictly nearer.
    got = to_ref[labels][band]
    d_band = d_area[:, band]
    d_got = np.take_along_axis(d_band, got[None], 0)[0]
    d_areas = d_band[1:].min(axis=0)
    valid = np.where(got > 0, (d_got == d_areas) & (d_areas <= d_band[0]), d_band[0] < d_areas)
    assert valid.all()
    ids = np.unique(labels)
    np.testing.assert_array_equal(ids, np.arange(ids.size))  # sequential 0..N


@pytest.mark.parametrize("close_radius", [0, 1, 2])
@pytest.mark.parametrize("seed", [10, 11, 12])
def test_band_pixels_join_the_last_nearest_area(close_radius, seed):
    """The documented tie rule, exactly: a band pixel joins, among the areas at the least chessboard distance,
    the one whose first pixel comes last in raster order; the outside (beyond the border included) only when
    strictly nearer. Computed from scipy's distance transforms, with outlines touching the border."""
    edges = _random_outlines(seed)
    edges[0, 20:40] = edges[20:45, -1] = True  # band on the border: beyond it lies the outside
    edges[1:6, 20] = edges[1:6, 39] = edges[5, 20:40] = True  # an area closed by the top border is not enclosed
    labels = regions_from_edges(edges, close_radius=close_radius, min_size=1)
    band = ndi.binary_dilation(edges, morphology.disk(close_radius)) if close_radius else edges
    free = np.pad(~band, 1, constant_values=True)  # the frame: the space beyond the border
    lab, n = ndi.label(free)  # 4-connectivity, numbered in raster order of the first pixel
    outer = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    enclosed = [k for k in range(1, n + 1) if k not in outer]
    d_out = ndi.distance_transform_cdt(~np.isin(lab, outer), metric="chessboard")[1:-1, 1:-1][band]
    d = np.stack([ndi.distance_transform_cdt(lab != k, metric="chessboard")[1:-1, 1:-1][band] for k in enclosed])
    nearest = d.min(axis=0)
    last = len(enclosed) - 1 - np.argmax((d == nearest)[::-1], axis=0)  # the last area at that distance
    want = np.where(nearest <= d_out, np.asarray(enclosed)[last], 0)
    ids = lab[1:-1, 1:-1]
    to_ref = np.zeros(labels.max() + 1, np.int64)
    to_ref[labels[~band]] = ids[~band]
    to_ref[0] = 0  # background: the outer areas
    np.testing.assert_array_equal(to_ref[labels][band], want)


@pytest.mark.parametrize("close_radius", [0, 2])
@pytest.mark.parametrize("with_mask", [False, True])
def test_no_edge_pixel_encloses_nothing(close_radius, with_mask):
    """The shortcut for an empty edge map gives what the full pass gives for a lone speck: no region."""
    mask = np.ones((30, 40), bool) if with_mask else None
    empty = regions_from_edges(np.zeros((30, 40), bool), close_radius=close_radius, min_size=0, mask=mask)
    speck = np.zeros((30, 40), bool)
    speck[15, 20] = True  # encloses nothing either, but takes the full pass
    full = regions_from_edges(speck, close_radius=close_radius, min_size=0, mask=mask)
    assert empty.dtype == np.int32 and empty.shape == (30, 40)
    assert not empty.any() and not full.any()


def test_min_size_counts_the_edge_share_and_renumbers():
    edges = _random_outlines(12)
    full = regions_from_edges(edges, close_radius=1, min_size=1)
    sizes = np.bincount(full.ravel())[1:]
    cut = int(np.median(sizes))
    kept = regions_from_edges(edges, close_radius=1, min_size=cut)
    assert kept.max() == np.count_nonzero(sizes >= cut)
    np.testing.assert_array_equal(kept > 0, np.isin(full, 1 + np.flatnonzero(sizes >= cut)))


def test_close_radius_bridges_gaps():
    outline = np.zeros((40, 40), bool)
    outline[5:35, 5:35] = True
    outline[6:34, 6:34] = False
    outline[5, 18:21] = False  # a 3-pixel gap
    assert regions_from_edges(outline, close_radius=1, min_size=1).max() == 0
    filled = regions_from_edges(outline, close_radius=2, min_size=1)
    assert filled.max() == 1
    assert filled[6:34, 6:34].all()  # the inside, and the contour but for its rounded corners
    assert 880 <= np.count_nonzero(filled) <= 900 and not filled[:5].any() and not filled[35:].any()


def test_objects_sharing_an_edge_stay_apart():
    edges = np.zeros((30, 50), bool)
    edges[5, 5:45] = edges[25, 5:45] = True
    edges[5:26, 5] = edges[5:26, 25] = edges[5:26, 44] = True
    labels = regions_from_edges(edges, close_radius=0, min_size=1)
    assert labels.max() == 2
    assert np.count_nonzero(labels == 1) + np.count_nonzero(labels == 2) == 21 * 40


@pytest.mark.parametrize("name", EDGE_METHODS)
def test_shapes_are_recovered_as_instances(name):
    img, truths = shapes_scene(11)
    seg = seglab.segment(img, name, **SCENE_PARAMS[name], return_scores=True)
    assert seg.task == "instance" and seg.labels.dtype == np.int32
    assert seg.num_segments == len(truths)
    np.testing.assert_array_equal(np.unique(seg.labels), np.arange(len(truths) + 1))
    for truth in truths:
        best = max(iou(seg.labels == i, truth) for i in range(1, len(truths) + 1))
        assert best > 0.9, (name, best)
    assert seg.scores.shape == (1, *img.shape) and seg.scores.dtype == np.float32
    assert set(seg.segments) == set(range(1, len(truths) + 1))


@pytest.mark.parametrize("name", EDGE_METHODS)
def test_min_size_drops_small_instances(name):
    img, truths = shapes_scene(12)
    sizes = sorted(t.sum() for t in truths)
    seg = seglab.segment(img, name, **SCENE_PARAMS[name], min_size=int(sizes[1] * 0.95))
    assert seg.num_segments == len(truths) - 1


@pytest.mark.parametrize("name", EDGE_METHODS)
def test_mask_limits_instances_and_edges(name):
    img, _ = shapes_scene(13)
    mask = np.zeros(img.shape, bool)
    mask[:, :64] = True
    seg = seglab.segment(img, name, **SCENE_PARAMS[name], mask=mask, return_scores=True)
    assert not seg.labels[~mask].any() and not seg.scores[0][~mask].any() and seg.scores[0][mask].any()
    ids = np.unique(seg.labels)
    np.testing.assert_array_equal(ids, np.arange(ids.size))
    assert seg.num_segments >= 2  # the two left disks (others are cut and open)


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", EDGE_METHODS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_constant_image_gives_no_edges_and_no_instances(name, dtype):
    seg = seglab.segment(np.full((20, 30), 7, dtype), name, return_scores=True)
    assert seg.num_segments == 0 and not seg.scores.any() and seg.meta["n_edge_pixels"] == 0


@pytest.mark.parametrize("name", EDGE_METHODS)
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (2, 2)])
def test_tiny_images_give_empty_results(name, shape):
    seg = seglab.segment(np.arange(np.prod(shape), dtype=np.uint8).reshape(shape), name)
    assert seg.labels.shape == shape and seg.num_segments == 0


@pytest.mark.parametrize("name", ["canny", "sobel", "scharr"])
def test_low_above_high_is_a_clear_error(name):
    with pytest.raises(InvalidParameterError, match="low_threshold.*high_threshold"):
        seglab.segment(np.zeros((8, 8), np.uint8), name, low_threshold=5, high_threshold=2)


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("canny", {"sigma": -1}, "sigma"),
        ("log_zero_crossing", {"sigma": 0}, "sigma"),
        ("sobel", {"connectivity": 6}, "connectivity"),
        ("scharr", {"close_radius": -2}, "close_radius"),
        ("canny", {"min_size": 2.5}, "min_size"),
    ],
)
def test_bad_parameters_name_the_parameter(name, params, match):
    with pytest.raises(InvalidParameterError, match=match):
        seglab.segment(np.zeros((8, 8), np.uint8), name, **params)


def test_bad_images_are_rejected():
    with pytest.raises(InvalidImageError, match="NaN"):
        canny(np.full((8, 8), np.nan))
    with pytest.raises(InvalidImageError, match="boolean"):
        sobel(np.zeros((8, 8), bool))


def test_rgb_is_converted_to_gray():
    img, truths = shapes_scene(14)
    rgb = np.dstack([img] * 3)
    a = canny(rgb, **SCENE_PARAMS["canny"])
    b = canny(img, **SCENE_PARAMS["canny"])
    np.testing.assert_array_equal(a.labels, b.labels)
    assert "input_conversion" in a.meta
