"""Thresholding family: values equal OpenCV's / scikit-image's on the same inputs."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi
from skimage import filters
from skimage.exposure import histogram as sk_histogram

import seglab
from seglab.classical import histograms as thr
from seglab.core.errors import InvalidParameterError, UnknownParameterError
from seglab.core.validate import to_gray

GLOBAL_BINARY = ["otsu", "li", "triangle", "yen"]
SKIMAGE_FN = {
    "otsu": filters.threshold_otsu,
    "li": filters.threshold_li,
    "triangle": filters.threshold_triangle,
    "yen": filters.threshold_yen,
}


def _scene(dtype=np.uint8, size=96, seed=0, lo=40.0, hi=190.0, noise=12.0):
    """Two overlapping Gaussian populations (disk on a ramp), in the units of `dtype`."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    img = lo + 0.3 * cc + rng.normal(0, noise, (size, size))
    img[(rr - size / 2) ** 2 + (cc - size / 2) ** 2 < (size / 4) ** 2] += hi - lo
    if dtype == np.uint8:
        return np.clip(img, 0, 255).astype(np.uint8)
    if dtype == np.uint16:  # 1000..3000-ish: must never be rescaled
        return np.clip(1000 + img * 8, 1000, 3000).astype(np.uint16)
    return (img / 255).astype(dtype)


DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


# --------------------------------------------------------------------- otsu


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dark", [False, True])
def test_otsu_uint8_equals_opencv(seed, dark):
    img = _scene(seed=seed, noise=10 + 10 * seed)
    kind = cv2.THRESH_BINARY_INV if dark else cv2.THRESH_BINARY
    t, ref = cv2.threshold(img, 0, 1, kind | cv2.THRESH_OTSU)
    seg = seglab.segment(img, "otsu", polarity="dark" if dark else "bright")
    assert seg.meta["threshold"] == t
    np.testing.assert_array_equal(seg.labels, ref)
    assert seg.labels.dtype == np.int32


def test_otsu_uint8_mask_equals_opencv_on_masked_pixels():
    img = _scene(seed=3)
    mask = np.zeros(img.shape, bool)
    mask[:, 30:] = True
    t, _ = cv2.threshold(img[mask], 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    seg = seglab.segment(img, "otsu", mask=mask)
    assert seg.meta["threshold"] == t
    np.testing.assert_array_equal(seg.labels, (img > t) & mask)


@settings(max_examples=300, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    lo=st.integers(0, 255), span=st.integers(0, 255), power=st.floats(0.2, 5), seed=st.integers(0, 2**16),
)
def test_otsu_level_is_opencvs_otsu(shape, lo, span, power, seed):
    rng = np.random.default_rng(seed)
    img = np.clip(lo + span * rng.random(shape) ** power, 0, 255).astype(np.uint8)
    # OpenCV's reference C++ code. Its IPP path (on by default in the pip wheels) can pick another level where
    # two levels' between-class variances tie to within rounding: 2 of 20,000 random small images, e.g.
    # [[19, 20, 9, 14, 18, 18, 16, 15, 18]] gives 9 with IPP and 15 without (a hypothesis find in CI).
    cv2.setUseOptimized(False)
    try:
        t_cv, _ = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    finally:
        cv2.setUseOptimized(True)
    assert thr.otsu_level(np.bincount(img.ravel(), minlength=256)) == t_cv


def test_otsu_fit_apply_path_agrees_with_opencv():
    spec = seglab.get_method("otsu")
    for seed in range(3):
        img = _scene(size=80, seed=seed, noise=25)
        t, ref = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        state = spec.fit(img)  # calcHist + otsu_level, the path of masked and tiled calls
        assert state["threshold"] == t
        np.testing.assert_array_equal(spec.apply(img, state).labels, ref)


def test_otsu_non_contiguous_view_matches_copy():
    img = _scene(size=128)
    view = img[::2, ::-1]
    np.testing.assert_array_equal(seglab.segment(view, "otsu").labels, seglab.segment(view.copy(), "otsu").labels)


# ------------------------------------------ li / triangle / yen / otsu vs skimage


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", GLOBAL_BINARY)
def test_global_threshold_equals_skimage(name, dtype):
    img = _scene(dtype)
    seg = seglab.segment(img, name)
    if name == "otsu" and dtype == np.uint8:
        expected = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
    else:
        expected = SKIMAGE_FN[name](img)
    assert seg.meta["threshold"] == float(expected)
    np.testing.assert_array_equal(seg.labels, img > expected)
    np.testing.assert_array_equal(seglab.segment(img, name, polarity="dark").labels, img <= expected)


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int64, np.uint64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", GLOBAL_BINARY)
def test_wide_integer_images_are_binned_like_float(name, dtype):
    # One bin per level (scikit-image's integer rule) would take gigabytes here (2**26 levels and up):
    # integers spanning more than 65536 levels get nbins bins, i.e. scikit-image's result on the float64 copy.
    top = np.iinfo(dtype).max // 2
    img = (_scene(np.uint8, size=48).astype(np.float64) / 255 * top).astype(dtype)
    expected = SKIMAGE_FN[name](img.astype(np.float64))
    seg = seglab.segment(img, name)
    assert seg.meta["threshold"] == float(expected)
    np.testing.assert_array_equal(seg.labels, img > expected)


@pytest.mark.parametrize("name", GLOBAL_BINARY)
def test_global_threshold_with_mask_uses_only_masked_pixels(name):
    img = _scene(np.uint16, seed=5)
    mask = np.zeros(img.shape, bool)
    mask[10:80, 5:60] = True
    expected = SKIMAGE_FN[name](img[mask])
    seg = seglab.segment(img, name, mask=mask)
    assert seg.meta["threshold"] == float(expected)
    np.testing.assert_array_equal(seg.labels, (img > expected) & mask)


@pytest.mark.parametrize("name", [*GLOBAL_BINARY, "multiotsu"])
def test_uint16_thresholds_stay_in_image_units(name):
    img = _scene(np.uint16)
    assert 1000 <= img.min() and img.max() <= 3000
    seg = seglab.segment(img, name)
    values = seg.meta["thresholds"] if name == "multiotsu" else [seg.meta["threshold"]]
    assert all(img.min() <= v <= img.max() for v in values), values
    assert all(v > 255 for v in values)  # no silent rescaling to 8 bits or [0, 1]


def test_float_nbins_is_used():
    img = _scene(np.float64)
    for nbins in (16, 1000):
        expected = filters.threshold_otsu(img, nbins=nbins)
        assert seglab.segment(img, "otsu", nbins=nbins).meta["threshold"] == expected
        assert seglab.segment(img, "yen", nbins=nbins).meta["threshold"] == filters.threshold_yen(img, nbins=nbins)


def test_li_tol_is_passed_through():
    img = _scene(np.float32, seed=2)
    expected = filters.threshold_li(img, tolerance=0.05)
    assert seglab.segment(img, "li", tol=0.05).meta["threshold"] == float(expected)


# ---------------------------------------------------------------- multiotsu


@pytest.mark.parametrize("num_classes", [2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=lambda d: np.dtype(d).name)
def test_multiotsu_equals_skimage(num_classes, dtype):
    img = _scene(dtype, size=64, seed=num_classes)
    expected = filters.threshold_multiotsu(img, classes=num_classes)
    seg = seglab.segment(img, "multiotsu", num_classes=num_classes)
    np.testing.assert_array_equal(seg.meta["thresholds"], expected)
    # class k holds t[k-1] < value <= t[k]: the `>` rule of otsu
    np.testing.assert_array_equal(seg.labels, np.digitize(img, expected, right=True))
    assert seg.classes == tuple(f"class{k}" for k in range(num_classes))
    assert set(np.unique(seg.labels)) <= set(range(num_classes))


def test_multiotsu_wide_uint16_bins_like_float():
    img = (_scene(np.uint8, size=64).astype(np.uint16) * 200).astype(np.uint16)  # range ~50000 levels
    expected = filters.threshold_multiotsu(img.astype(np.float64), classes=3, nbins=256)
    seg = seglab.segment(img, "multiotsu", num_classes=3)
    np.testing.assert_array_equal(seg.meta["thresholds"], expected)
    np.testing.assert_array_equal(seg.labels, np.digitize(img, expected, right=True))


def test_multiotsu_narrow_uint16_is_exact_per_value():
    img = _scene(np.uint8, size=64).astype(np.uint16) + 1000  # 1000..1255: fits 256 bins
    expected = filters.threshold_multiotsu(img, classes=3)
    np.testing.assert_array_equal(seglab.segment(img, "multiotsu").meta["thresholds"], expected)


def test_multiotsu_fewer_values_than_classes():
    img = np.array([[10, 10, 200, 200]], np.uint8)
    seg = seglab.segment(img, "multiotsu", num_classes=4)
    assert seg.labels.tolist() == [[0, 0, 1, 1]]
    assert seg.meta["thresholds"] == [10.0, 200.0, 200.0]


def test_multiotsu_refuses_an_exhaustive_search_too_large():
    img = np.arange(256, dtype=np.uint8).reshape(16, 16)
    with pytest.raises(InvalidParameterError, match="num_classes.*nbins"):
        seglab.segment(img, "multiotsu", num_classes=6)
    # fewer bins make it affordable
    assert seglab.segment(img, "multiotsu", num_classes=6, nbins=32).labels.max() == 5


# --------------------------------------------------------------- fixed value


def test_fixed_threshold_hand_computed_and_complement():
    img = np.array([[0, 100, 101, 255]], np.uint8)
    assert seglab.segment(img, "threshold", value=100).labels.tolist() == [[0, 0, 1, 1]]
    assert seglab.segment(img, "threshold", value=100.5).labels.tolist() == [[0, 0, 1, 1]]
    assert seglab.segment(img, "threshold", value=100, polarity="dark").labels.tolist() == [[1, 1, 0, 0]]
    assert seglab.segment(img, "threshold", value=-3).labels.tolist() == [[1, 1, 1, 1]]
    assert seglab.segment(img, "threshold", value=1e12).labels.tolist() == [[0, 0, 0, 0]]
    f = np.array([[0.25, 0.5, 0.75]])
    assert seglab.segment(f, "threshold", value=0.5).labels.tolist() == [[0, 0, 1]]


@pytest.mark.parametrize("name", ["threshold", *GLOBAL_BINARY, "adaptive", "sauvola", "niblack"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_dark_polarity_is_the_exact_complement(name, dtype):
    img = _scene(dtype, size=48)
    kw = {"value": float(np.median(img))} if name == "threshold" else {}
    a = seglab.segment(img, name, polarity="bright", **kw).labels
    b = seglab.segment(img, name, polarity="dark", **kw).labels
    np.testing.assert_array_equal(a + b, np.ones_like(a))


# ------------------------------------------------------- constant / colour


@pytest.mark.parametrize("name", ["otsu", "li", "triangle", "yen", "multiotsu"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_constant_image_is_all_background(name, dtype):
    img = np.full((12, 10), 7, dtype)
    seg = seglab.segment(img, name)
    assert not seg.labels.any()
    values = seg.meta["thresholds"] if name == "multiotsu" else [seg.meta["threshold"]]
    assert values == [7.0] * len(values)


def test_colour_input_is_converted_to_gray_explicitly():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    for name in ("otsu", "yen", "adaptive"):
        seg = seglab.segment(rgb, name)
        np.testing.assert_array_equal(seg.labels, seglab.segment(gray, name).labels)
        assert "BT.601" in seg.meta["input_conversion"]
    np.testing.assert_array_equal(to_gray(rgb), gray)


# -------------------------------------------------------------- histogram


def test_histogram_equals_skimage_also_when_chunked(monkeypatch):
    img = _scene(np.uint16, size=64)
    mask = np.zeros(img.shape, bool)
    mask[5:50, 3:40] = True
    ref_counts, ref_centers = sk_histogram(img[mask], source_range="image")
    monkeypatch.setattr(thr, "_CV_EXACT", 200)  # forces 4-row chunks through cv2.calcHist
    counts, centers = thr.histogram(img, mask=mask)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(centers, ref_centers)


# ----------------------------------------------------------------- adaptive


@pytest.mark.parametrize("method", ["mean", "gaussian"])
@pytest.mark.parametrize("window_size", [3, 5, 7, 11, 35])
@pytest.mark.parametrize("offset", [0, 2, 2.5, -3.2])
def test_adaptive_uint8_equals_opencv(method, window_size, offset):
    img = _scene(size=64, seed=window_size)
    cv_method = cv2.ADAPTIVE_THRESH_MEAN_C if method == "mean" else cv2.ADAPTIVE_THRESH_GAUSSIAN_C
    ref = cv2.adaptiveThreshold(img, 1, cv_method, cv2.THRESH_BINARY, window_size, offset)
    seg = seglab.segment(img, "adaptive", method=method, window_size=window_size, offset=offset)
    np.testing.assert_array_equal(seg.labels, ref)
    if float(offset).is_integer():  # OpenCV's BINARY_INV is the complement for integer C
        inv = cv2.adaptiveThreshold(img, 1, cv_method, cv2.THRESH_BINARY_INV, window_size, offset)
        dark = seglab.segment(img, "adaptive", method=method, window_size=window_size, offset=offset,
                              polarity="dark")
        np.testing.assert_array_equal(dark.labels, inv)


def _gaussian_kernel(size: int) -> np.ndarray:
    """OpenCV's kernel for sigma=0: fixed for sizes 3/5/7, else sampled with its derived sigma."""
    fixed = {3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 7: [1, 3.5, 7, 9, 7, 3.5, 1]}
    if size in fixed:
        k = np.asarray(fixed[size], float)
    else:
        sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8
        x = np.arange(size) - (size - 1) / 2
        k = np.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("method", ["mean", "gaussian"])
@pytest.mark.parametrize("window_size", [5, 7, 21])
def test_adaptive_other_dtypes_match_a_scipy_reference(dtype, method, window_size):
    img = _scene(dtype, size=64, seed=7)
    offset = 0.01 if dtype != np.uint16 else 20.0
    f = img.astype(np.float64)
    if method == "mean":
        local = ndi.uniform_filter(f, window_size, mode="nearest")  # BORDER_REPLICATE
    else:
        k = _gaussian_kernel(window_size)
        local = ndi.correlate1d(ndi.correlate1d(f, k, axis=0, mode="nearest"), k, axis=1, mode="nearest")
    diff = f - (local - offset)
    seg = seglab.segment(img, "adaptive", method=method, window_size=window_size, offset=offset)
    clear = np.abs(diff) > 1e-4 * max(1.0, float(np.abs(f).max()))  # ignore float32 round-off ties
    assert clear.mean() > 0.99
    np.testing.assert_array_equal(seg.labels[clear], (diff > 0)[clear])
    assert seg.meta["offset"] == offset


def test_adaptive_float_on_integer_values_agrees_with_opencv_up_to_its_rounding():
    img = _scene(size=64, seed=11)
    ref = cv2.adaptiveThreshold(img, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 3)
    seg = seglab.segment(img.astype(np.float32), "adaptive", method="mean", window_size=9, offset=3)
    mean = ndi.uniform_filter(img.astype(np.float64), 9, mode="nearest")
    far = np.abs(img - (mean - 3)) > 1  # OpenCV rounds the uint8 mean: only near ties may differ
    np.testing.assert_array_equal(seg.labels[far], ref[far])


@pytest.mark.parametrize("window_size, fix", [(4, "odd"), (34, "odd"), (1, r"\[3, inf")])
def test_adaptive_bad_block_size_gives_one_clear_line(window_size, fix):
    with pytest.raises(InvalidParameterError, match="window_size") as info:
        seglab.segment(_scene(size=16), "adaptive", window_size=window_size)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(fix, message)
    assert isinstance(info.value, ValueError)


def test_adaptive_meta_reports_derived_values():
    img = _scene(size=32)
    seg = seglab.segment(img, "adaptive", window_size=35, offset=2.5)
    assert seg.meta["sigma"] == pytest.approx(5.6)
    assert seg.meta["offset"] == 3.0  # OpenCV rounds C up for uint8
    assert "sigma" not in seglab.segment(img, "adaptive", method="mean").meta


# --------------------------------------------------------- sauvola / niblack


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("window_size", [3, 15, 25])
def test_sauvola_and_niblack_equal_skimage(dtype, window_size):
    img = _scene(dtype, size=64, seed=window_size)
    tie = 1e-7 * float(np.abs(img).max())  # pixels this close to the threshold are round-off ties: not compared
    t_s = filters.threshold_sauvola(img, window_size=window_size, k=0.3)
    clear = np.abs(img - t_s) > tie
    assert clear.mean() > 0.99
    seg = seglab.segment(img, "sauvola", window_size=window_size, k=0.3)
    np.testing.assert_array_equal(seg.labels[clear], (img > t_s)[clear])  # the family's default: bright objects
    seg = seglab.segment(img, "sauvola", window_size=window_size, k=0.3, polarity="dark")
    np.testing.assert_array_equal(seg.labels[clear], (img <= t_s)[clear])
    t_n = filters.threshold_niblack(img, window_size=window_size, k=-0.2)
    clear = np.abs(img - t_n) > tie
    assert clear.mean() > 0.99
    seg = seglab.segment(img, "niblack", window_size=window_size, k=-0.2, polarity="bright")
    np.testing.assert_array_equal(seg.labels[clear], (img > t_n)[clear])


def test_sauvola_r_default_and_explicit():
    img = _scene(np.uint16, size=32)
    assert seglab.segment(img, "sauvola").meta["r"] == 32767.5
    assert seglab.segment(img.astype(np.float32) / 4000, "sauvola").meta["r"] == 1.0
    t = filters.threshold_sauvola(img, window_size=15, r=500.0)
    np.testing.assert_array_equal(seglab.segment(img, "sauvola", r=500.0).labels, img > t)


def test_document_ink_is_foreground_with_auto_polarity():
    page = np.full((40, 60), 220, np.uint8)
    page[18:22, 10:50] = 25  # a dark text line
    page += np.random.default_rng(0).integers(0, 6, page.shape, dtype=np.uint8)
    seg = seglab.segment(page, "sauvola", window_size=15, polarity="auto")
    assert seg.labels[18:22, 10:50].all() and seg.meta["polarity"] == "dark"
    assert seg.labels.sum() == 4 * 40  # the blank paper stays background


@pytest.mark.parametrize("name", ["threshold", *GLOBAL_BINARY, "adaptive", "sauvola", "niblack"])
def test_one_default_polarity_and_auto_takes_the_minority_side(name):
    """Issue 14 #9: sauvola and niblack defaulted to dark while the rest took bright (EM came out inverted)."""
    img = _scene(np.uint8, size=48)  # bright objects on a dark ground: the objects are the minority
    kw = {"value": float(np.median(img))} if name == "threshold" else {}
    bright = seglab.segment(img, name, **kw)
    assert seglab.get_method(name).param("polarity").default == "bright"
    auto = seglab.segment(img, name, polarity="auto", **kw)
    chosen = auto.meta["polarity"]
    np.testing.assert_array_equal(auto.labels, seglab.segment(img, name, polarity=chosen, **kw).labels)
    assert 2 * auto.labels.sum() <= auto.labels.size  # the minority side
    assert bright.labels.sum() > 0
    if name in GLOBAL_BINARY:  # one threshold for the image: the inverse image flips the choice
        assert chosen == "bright" and seglab.segment(255 - img, name, polarity="auto").meta["polarity"] == "dark"


@pytest.mark.parametrize("name", ["sauvola", "niblack"])
def test_even_window_size_gives_one_clear_line(name):
    with pytest.raises(InvalidParameterError, match=r"window_size: must be odd.*got 16, use 17") as info:
        seglab.segment(_scene(size=16), name, window_size=16)
    assert "\n" not in str(info.value)


# ------------------------------------------------------ tiling declarations


@pytest.mark.parametrize("name, params", [("adaptive", {"window_size": 21}), ("adaptive", {"window_size": 9,
                         "method": "mean"}), ("sauvola", {"window_size": 11}), ("niblack", {"window_size": 11})])
def test_local_methods_tile_exactly_with_their_halo(name, params):
    spec = seglab.get_method(name)
    assert spec.tiling == "local"
    img = _scene(size=96, seed=4)
    whole = spec.fn(img, **params).labels
    h = spec.halo(params)
    r0, r1, c0, c1 = 30, 61, 25, 70  # an interior tile, odd sizes
    tile = spec.fn(img[r0 - h : r1 + h, c0 - h : c1 + h], **params).labels[h:-h, h:-h]
    np.testing.assert_array_equal(tile, whole[r0:r1, c0:c1])


@pytest.mark.parametrize("name", ["threshold", *GLOBAL_BINARY, "multiotsu"])
def test_global_methods_fit_on_whole_apply_on_tiles(name):
    spec = seglab.get_method(name)
    assert spec.tiling == "global" and spec.fit and spec.apply
    img = _scene(np.uint16, size=64)
    params = {"value": 1500.0} if name == "threshold" else {}
    whole = spec.fn(img, **params)
    state = spec.fit(img, **params)
    tile = spec.apply(img[10:41, 7:50], state)
    np.testing.assert_array_equal(tile.labels, whole.labels[10:41, 7:50])


# ---------------------------------------------------------------- bad input


def test_bad_parameters_are_named():
    img = _scene(size=16)
    with pytest.raises(InvalidParameterError, match="num_classes"):
        seglab.segment(img, "multiotsu", num_classes=1)
    with pytest.raises(InvalidParameterError, match="polarity"):
        seglab.segment(img, "otsu", polarity="yes")
    with pytest.raises(InvalidParameterError, match="method"):
        seglab.segment(img, "adaptive", method="median")
    with pytest.raises(InvalidParameterError, match="value"):
        seglab.segment(img, "threshold")
    with pytest.raises(UnknownParameterError, match="window_size"):
        seglab.segment(img, "sauvola", window=15)


@pytest.mark.parametrize("shape", [(1, 1), (1, 3), (2, 2), (3, 5), (17, 31), (256, 300)])
def test_uint8_results_widened_inside_the_int32_array_equal_astype(shape, monkeypatch):
    """The route of images of 4 MP and more (no uint8 temporary), forced here on small shapes."""
    from seglab.classical import histograms

    monkeypatch.setattr(histograms, "_WIDEN_IN_PLACE", 0)
    img = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    labels, t = histograms.int32_from_uint8(shape, lambda out: cv2.threshold(img, 0, 1, cv2.THRESH_OTSU, dst=out)[0])
    ref_t, ref = cv2.threshold(img, 0, 1, cv2.THRESH_OTSU)
    assert labels.dtype == np.int32 and t == ref_t
    np.testing.assert_array_equal(labels, ref.astype(np.int32))
    np.testing.assert_array_equal(seglab.segment(img, "threshold", value=99).labels, (img > 99).astype(np.int32))
    if img.min() < img.max():  # (a constant image is all background: the family's rule, not OpenCV's)
        np.testing.assert_array_equal(seglab.segment(img, "otsu").labels, ref.astype(np.int32))


@pytest.mark.parametrize("name", ["adaptive", "sauvola", "niblack", "watershed"])
def test_window_far_larger_than_the_image_is_refused_before_any_allocation(name):
    img = _scene(np.uint8, size=20)
    with pytest.raises(InvalidParameterError, match=r"window_size: 100000001 is far larger than the image \(20 x 20\)"):
        seglab.segment(img, name, window_size=10**8 + 1)
    assert seglab.segment(img, name, window_size=1025).labels.shape == (20, 20)  # any image takes up to 1025


@pytest.mark.parametrize("value", [0.3, 1000.0, 1e-6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("name", "params"), [("adaptive", {"method": "gaussian"}), ("adaptive", {"method": "mean"}),
                                              ("niblack", {}), ("sauvola", {})])
def test_local_thresholds_leave_a_constant_float_image_uniform(name, params, dtype, value):
    # Round-off of the window's weights (adaptive) or of the windowed deviation (niblack, sauvola) put the
    # threshold an ulp off the value and split constant images at random.
    seg = seglab.segment(np.full((20, 20), value, dtype), name, **params)
    assert (seg.labels == seg.labels[0, 0]).all()


def test_multiotsu_refuses_search_tables_larger_than_8192_bins_from_3_classes():
    # scikit-image's tables hold nbins^2 / 2 numbers whatever the image: 31,000 bins took 1.9 GB and 15 s
    img = np.random.default_rng(0).random((16, 16))
    with pytest.raises(InvalidParameterError, match="nbins: 8193 histogram levels need search tables"):
        seglab.segment(img, "multiotsu", num_classes=3, nbins=8193)
    assert seglab.segment(img, "multiotsu", num_classes=2, nbins=8193).labels.shape == (16, 16)
