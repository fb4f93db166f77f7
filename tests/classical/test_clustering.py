"""k-means and fuzzy c-means against OpenCV, scikit-fuzzy, scikit-image and synthetic ground truth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import color as skcolor

from seglab import InvalidImageError, InvalidParameterError
from seglab.classical.clustering import _fcm_apply, _fcm_fit, _kmeans_apply, _kmeans_fit, fuzzy_cmeans, kmeans

COLOURS = np.array([(200, 40, 40), (40, 180, 60), (50, 60, 200)], np.float64)


def three_colours(size: int = 48, noise: float = 6.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 image of three well separated colours with Gaussian noise, and its ground truth 0/1/2."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((size, size), np.int32)
    truth[:, size // 3 :] = 1
    truth[size // 2 :, 2 * size // 3 :] = 2
    img = COLOURS[truth] + rng.normal(0, noise, (size, size, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truth


def assert_same_partition(labels: np.ndarray, truth: np.ndarray) -> None:
    """Each true region is exactly one label and vice versa (accuracy 1 up to renaming)."""
    pairs = np.unique(np.stack([truth.ravel(), labels.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))


# --------------------------------------------------------------------------- k-means


def test_kmeans_recovers_three_colours_and_orders_by_luminance():
    img, truth = three_colours()
    seg = kmeans(img, num_classes=3, rng=1)
    assert_same_partition(seg.labels, truth)
    assert seg.classes == ("background", "cluster1", "cluster2", "cluster3")
    centres = np.array(seg.meta["centres"])
    luma = centres @ [0.299, 0.587, 0.114]
    assert np.all(np.diff(luma) > 0)
    true_means = np.array([img[truth == t].mean(0) for t in range(3)])
    np.testing.assert_allclose(np.sort(centres, 0), np.sort(true_means, 0), atol=1e-3)
    assert sorted(seg.meta["sizes"]) == sorted(np.bincount(truth.ravel()).tolist())


def test_kmeans_inertia_is_the_sum_of_squared_distances():
    img, _ = three_colours(noise=20)
    seg = kmeans(img, num_classes=4, n_init=2, rng=3)
    centres = np.array(seg.meta["centres"])
    by_hand = ((img.reshape(-1, 3) - centres[seg.labels.ravel() - 1]) ** 2).sum()
    assert seg.meta["inertia"] == pytest.approx(by_hand, rel=1e-5)
    assert seg.meta["sizes"] == np.bincount(seg.labels.ravel(), minlength=5)[1:].tolist()


def test_kmeans_equals_cv2_kmeans_with_the_same_seed():
    img, _ = three_colours(noise=30, seed=4)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    cv2.setRNGSeed(7)
    compactness, ref_labels, ref_centres = cv2.kmeans(
        img.reshape(-1, 3).astype(np.float32), 3, None, criteria, 3, cv2.KMEANS_RANDOM_CENTERS
    )
    seg = kmeans(img, num_classes=3, n_init=3, init="random", max_iter=10, tol=1.0, rng=7)
    assert seg.meta["inertia"] == pytest.approx(compactness, rel=1e-9)
    order = np.argsort(ref_centres @ np.array([0.299, 0.587, 0.114], np.float32))
    np.testing.assert_allclose(seg.meta["centres"], ref_centres[order], rtol=1e-6)
    rank = np.empty(3, int)
    rank[order] = [1, 2, 3]
    np.testing.assert_array_equal(seg.labels.ravel(), rank[ref_labels.ravel()])


def test_kmeans_rng_reproducible():
    img, _ = three_colours(noise=40)
    a = kmeans(img, num_classes=5, rng=11, n_init=1, init="random")
    b = kmeans(img, num_classes=5, rng=11, n_init=1, init="random")
    np.testing.assert_array_equal(a.labels, b.labels)
    g1 = kmeans(img, num_classes=5, rng=np.random.default_rng(2), n_init=1)
    g2 = kmeans(img, num_classes=5, rng=np.random.default_rng(2), n_init=1)
    np.testing.assert_array_equal(g1.labels, g2.labels)


def test_kmeans_gray_image():
    img = np.zeros((10, 12), np.uint16)
    img[:, 4:8] = 30000
    img[:, 8:] = 60000
    seg = kmeans(img, num_classes=3, rng=0)
    assert seg.labels[0].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    assert seg.meta["centres"] == [[0.0], [30000.0], [60000.0]]


def test_kmeans_mask_clusters_only_masked_pixels():
    img, truth = three_colours()
    img[:8] = (255, 255, 0)  # a fourth colour, hidden by the mask
    mask = np.ones(truth.shape, bool)
    mask[:8] = False
    seg = kmeans(img, num_classes=3, mask=mask, rng=0)
    assert (seg.labels[~mask] == 0).all()
    assert_same_partition(seg.labels[mask], truth[mask])
    assert all(c[2] < 250 for c in seg.meta["centres"])
    empty = kmeans(img, num_classes=3, mask=np.zeros(truth.shape, bool), rng=0)
    assert (empty.labels == 0).all() and empty.meta["num_classes"] == 0


def test_kmeans_spatial_weight_splits_one_colour_by_position():
    img = np.full((20, 40, 3), 120, np.uint8)
    colour_only = kmeans(img, num_classes=2, rng=0)
    assert colour_only.meta["num_classes"] == 1  # one colour: coinciding clusters merged
    seg = kmeans(img, num_classes=2, spatial_weight=100.0, rng=0)
    assert seg.meta["num_classes"] == 2
    left, right = seg.labels[:, :20], seg.labels[:, 20:]
    assert len(np.unique(left)) == 1 and len(np.unique(right)) == 1 and left[0, 0] != right[0, 0]
    rows_cols = np.array(seg.meta["centre_positions"])
    np.testing.assert_allclose(np.sort(rows_cols[:, 1]), [9.5, 29.5], atol=1e-3)
    np.testing.assert_allclose(rows_cols[:, 0], [9.5, 9.5], atol=1e-3)


def test_kmeans_lab_centres_match_skimage_lab():
    img, truth = three_colours(noise=0)
    seg = kmeans(img, num_classes=3, color_space="lab", rng=0)
    assert_same_partition(seg.labels, truth)
    ref = skcolor.rgb2lab(COLOURS[None].astype(np.uint8))[0]
    got = np.array(seg.meta["centres"])
    np.testing.assert_allclose(got[np.argsort(got[:, 0])], ref[np.argsort(ref[:, 0])], atol=1e-3)


def test_kmeans_hsv_hue_wraps_around():
    # reds at hue 350 and 10 degrees, and a cyan: in HSV the reds are one cluster
    img = np.zeros((6, 6, 3), np.float64)
    img[:, :2] = skcolor.hsv2rgb(np.array([[[350 / 360, 0.9, 0.9]]]))
    img[:, 2:4] = skcolor.hsv2rgb(np.array([[[10 / 360, 0.9, 0.9]]]))
    img[:, 4:] = skcolor.hsv2rgb(np.array([[[180 / 360, 0.9, 0.9]]]))
    seg = kmeans(img, num_classes=2, color_space="hsv", rng=0)
    assert len(np.unique(seg.labels[:, :4])) == 1 and seg.labels[0, 0] != seg.labels[0, 5]
    hues = sorted(c[0] for c in seg.meta["centres"])
    assert hues[0] == pytest.approx(0.0, abs=1e-3) or hues[1] == pytest.approx(360.0, abs=1e-3)
    assert 180.0 in [pytest.approx(h, abs=1e-3) for h in hues]


@pytest.mark.parametrize("image", [np.full((5, 5, 3), 7, np.uint8), np.zeros((1, 1, 3), np.uint8)],
                         ids=["constant", "1x1"])
def test_kmeans_fewer_distinct_colours_than_clusters(image):
    seg = kmeans(image, num_classes=3, rng=0)
    assert seg.meta["num_classes"] == 1 and (seg.labels == 1).all()
    assert seg.meta["centres"] == [[float(image[0, 0, 0])] * 3]
    assert seg.meta["sizes"] == [image.shape[0] * image.shape[1]] and seg.meta["inertia"] == 0


def test_kmeans_two_colours_five_clusters():
    img = np.zeros((4, 4, 3), np.uint8)
    img[:, 2:] = 255
    seg = kmeans(img, num_classes=5, rng=0)
    assert seg.meta["num_classes"] == 2 and seg.labels[0].tolist() == [1, 1, 2, 2]
    assert seg.meta["sizes"] == [8, 8] and seg.meta["centres"] == [[0.0] * 3, [255.0] * 3]


def test_kmeans_bad_input():
    with pytest.raises(InvalidParameterError, match="color_space"):
        kmeans(np.zeros((4, 4), np.uint8), color_space="lab")
    with pytest.raises(InvalidParameterError, match="num_classes"):
        kmeans(np.zeros((4, 4), np.uint8), num_classes=0)
    with pytest.raises(InvalidParameterError, match="rng"):
        kmeans(np.zeros((4, 4), np.uint8), rng=-1)
    with pytest.raises(InvalidImageError):
        kmeans(np.zeros((4, 4, 3), np.int32), color_space="hsv")


def test_kmeans_fit_apply_gives_the_same_labels():
    img, _ = three_colours(noise=10)
    params = {"num_classes": 3, "spatial_weight": 30.0, "rng": 0}
    state = _kmeans_fit(img, **params)
    whole = kmeans(img, **params)
    np.testing.assert_array_equal(_kmeans_apply(img, state).labels, whole.labels)
    tile = _kmeans_apply(img[10:30, 5:40], state, offset=(10, 5))
    np.testing.assert_array_equal(tile.labels, whole.labels[10:30, 5:40])


# --------------------------------------------------------------------------- fuzzy c-means


def skfuzzy_reference(data: np.ndarray, u0: np.ndarray, m: float, maxiter: int):
    skfuzzy = pytest.importorskip("skfuzzy")
    return skfuzzy.cluster.cmeans(data, u0.shape[0], m, error=0.0, maxiter=maxiter, init=u0.copy())


@pytest.mark.parametrize("m", [2.0, 1.6])
def test_fuzzy_cmeans_matches_skfuzzy(m):
    img, _ = three_colours(size=40, noise=25, seed=5)
    rng = np.random.default_rng(0)
    u0 = rng.random((3, img.shape[0] * img.shape[1]))
    u0 /= u0.sum(0)
    cntr, u, _, _, jm, p, _ = skfuzzy_reference(img.reshape(-1, 3).astype(np.float64).T, u0, m, 30)
    init = u0.reshape(3, *img.shape[:2])
    init.flags.writeable = False  # the caller's memberships are not touched
    seg = fuzzy_cmeans(img, num_classes=3, m=m, init=init, tol=0, max_iter=30)
    assert seg.meta["n_iter"] == p == 30
    np.testing.assert_allclose(seg.meta["objective_history"], jm, rtol=1e-4)
    assert seg.meta["objective"] == pytest.approx(jm[-1], rel=1e-4)
    order = np.argsort(cntr @ [0.299, 0.587, 0.114])
    np.testing.assert_allclose(seg.meta["centres"], cntr[order], atol=1e-2)
    np.testing.assert_allclose(seg.scores.reshape(3, -1), u[order], atol=1e-4)


def test_fuzzy_cmeans_float64_matches_skfuzzy_tightly():
    img, _ = three_colours(size=24, noise=25, seed=6)
    img = img / 255.0
    u0 = np.random.default_rng(1).random((4, img.shape[0] * img.shape[1]))
    cntr, _, _, _, jm, _, _ = skfuzzy_reference(img.reshape(-1, 3).T, u0 / u0.sum(0), 2.0, 20)
    seg = fuzzy_cmeans(img, num_classes=4, init=u0.reshape(4, *img.shape[:2]), tol=0, max_iter=20)
    np.testing.assert_allclose(seg.meta["objective_history"], jm, rtol=1e-9)


def test_fuzzy_cmeans_hard_labels_scores_and_convergence():
    img, truth = three_colours()
    seg = fuzzy_cmeans(img, num_classes=3, rng=0)
    assert_same_partition(seg.labels, truth)
    assert seg.scores.dtype == np.float32 and seg.scores.shape == (3, *truth.shape)
    np.testing.assert_allclose(seg.scores.sum(0), 1, atol=1e-5)
    np.testing.assert_array_equal(seg.labels, seg.scores.argmax(0) + 1)
    assert seg.meta["converged"] and seg.meta["n_iter"] < 100
    hist = seg.meta["objective_history"]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(hist, hist[1:]))  # J_m never increases
    once = fuzzy_cmeans(img, num_classes=3, rng=0, max_iter=1)
    assert once.meta["n_iter"] == 1 and not once.meta["converged"]


def test_fuzzy_cmeans_memberships_follow_the_formula():
    """u_ik = 1 / sum_j (d_ik / d_jk)^(2/(m-1)) for the returned centres, by hand."""
    img, _ = three_colours(size=16, noise=30)
    m = 3.0
    seg = fuzzy_cmeans(img.astype(np.float64) / 255, num_classes=3, m=m, rng=2, tol=1e-12, max_iter=500)
    x = img.reshape(-1, 3) / 255
    d = np.linalg.norm(x[:, None] - np.array(seg.meta["centres"])[None], axis=2)
    u = 1 / ((d[:, :, None] / d[:, None, :]) ** (2 / (m - 1))).sum(2)
    np.testing.assert_allclose(seg.scores.reshape(3, -1).T, u, atol=1e-6)


@pytest.mark.parametrize("m", [1.0, 0.5, -2.0])
def test_fuzzy_cmeans_rejects_m_not_above_one(m):
    with pytest.raises(InvalidParameterError, match="m="):
        fuzzy_cmeans(np.zeros((4, 4)), m=m)


def test_fuzzy_cmeans_bad_init():
    img = np.zeros((4, 5))
    with pytest.raises(InvalidParameterError, match="init"):
        fuzzy_cmeans(img, num_classes=2, init=np.ones((3, 4, 5)))
    with pytest.raises(InvalidParameterError, match="init"):
        fuzzy_cmeans(img, num_classes=2, init=-np.ones((2, 4, 5)))
    with pytest.raises(InvalidParameterError, match="init"):
        fuzzy_cmeans(img, num_classes=2, init=np.zeros((2, 4, 5)))


@pytest.mark.parametrize("image", [np.full((6, 6, 3), 0.4), np.ones((1, 1), np.uint8)], ids=["constant", "1x1"])
def test_fuzzy_cmeans_constant_and_tiny_images(image):
    seg = fuzzy_cmeans(image, num_classes=3, rng=0)
    assert (seg.labels == 1).all()
    np.testing.assert_allclose(seg.scores, 1 / 3, atol=1e-6)


def test_fuzzy_cmeans_mask_and_rng():
    img, truth = three_colours()
    mask = truth != 2
    seg = fuzzy_cmeans(img, num_classes=2, mask=mask, rng=4)
    assert (seg.labels[~mask] == 0).all() and (seg.scores[:, ~mask] == 0).all()
    assert_same_partition(seg.labels[mask], truth[mask])
    again = fuzzy_cmeans(img, num_classes=2, mask=mask, rng=4)
    np.testing.assert_array_equal(seg.scores, again.scores)


def test_fuzzy_cmeans_fit_apply_gives_the_same_memberships():
    img, _ = three_colours(noise=15)
    state = _fcm_fit(img, num_classes=3, rng=0, tol=1e-6)
    whole = fuzzy_cmeans(img, num_classes=3, rng=0, tol=1e-6)
    applied = _fcm_apply(img, state)
    np.testing.assert_array_equal(applied.labels, whole.labels)
    np.testing.assert_allclose(applied.scores, whole.scores, atol=1e-5)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("method", ["kmeans", "gabor"])
@pytest.mark.parametrize("scale", [1e20, 1e300])
def test_values_too_large_for_float32_kmeans_are_a_clear_image_error(method, scale):
    # OpenCV squares float32 distances: near 1.8e19 they overflow and cv2.kmeans raises cv2.error.
    import seglab

    image = np.random.default_rng(0).random((24, 32)) * scale
    with pytest.raises(InvalidImageError, match=f"^{method}: (feature|image) values .* scale the image down"):
        seglab.segment(image, method, rng=0)
    assert seglab.segment(image / scale * 1e17, method, rng=0).labels.max() >= 1  # below the limit: works


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kmeans_constant_float_image_is_one_cluster(dtype):
    # OpenCV's cluster sums round differently for clusters of different sizes: 0.3 came back as two centres.
    seg = kmeans(np.full((20, 20), 0.3, dtype), num_classes=2, rng=0)
    assert (seg.labels == seg.labels[0, 0]).all()


@pytest.mark.parametrize("method", [kmeans, fuzzy_cmeans])
def test_more_than_256_clusters_are_refused(method):
    # cost grows as pixels x clusters: 10,000 k-means clusters of a 512 x 512 image ran past a minute
    with pytest.raises(InvalidParameterError, match="num_classes=257 is out of range"):
        method(np.zeros((8, 8), np.uint8), num_classes=257, rng=0)
