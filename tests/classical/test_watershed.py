"""watershed against the OpenCV tutorial, scikit-image, hand-placed coin centres and synthetic scenes."""

from __future__ import annotations

from collections import Counter

import cv2
import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import data
from skimage.morphology import h_maxima as sk_h_maxima
from skimage.segmentation import watershed as sk_watershed

from seglab import InvalidParameterError, segment
from seglab.classical.seeds import h_maxima
from seglab.classical.watershed import fill_holes_binary, watershed

#: Centres (row, col) of the 24 coins of skimage.data.coins(), placed by hand on the image (independent of any
#: segmentation). Radii are 18-30 px, so areas lie between about 1000 and 2900 px.
COIN_CENTRES = [
    (55, 44), (56, 100), (51, 155), (51, 215), (52, 275), (43, 335),
    (124, 45), (125, 103), (127, 154), (124, 206), (119, 270), (124, 337),
    (197, 44), (195, 103), (197, 155), (193, 213), (194, 273), (187, 347),
    (260, 46), (266, 114), (262, 172), (264, 244), (263, 300), (268, 358),
]


def coins_separated(labels: np.ndarray) -> int:
    """Coins whose centre lies in an instance holding no other centre, with a coin-like area (900-4000 px)."""
    ids = [int(labels[r, c]) for r, c in COIN_CENTRES]
    per_instance = Counter(i for i in ids if i > 0)
    areas = np.bincount(labels.ravel())
    return sum(1 for i in ids if i > 0 and per_instance[i] == 1 and 900 <= areas[i] <= 4000)


def opencv_tutorial(gray: np.ndarray) -> np.ndarray:
    """The OpenCV-Python watershed tutorial (bright objects), as published; returns its markers."""
    img = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    _, thresh = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = np.ones((3, 3), np.uint8)
    opening = cv2.morphologyEx(thresh, cv2.MORPH_OPEN, kernel, iterations=2)
    sure_bg = cv2.dilate(opening, kernel, iterations=3)
    dist = cv2.distanceTransform(opening, cv2.DIST_L2, 5)
    _, sure_fg = cv2.threshold(dist, 0.7 * dist.max(), 255, 0)
    sure_fg = np.uint8(sure_fg)
    unknown = cv2.subtract(sure_bg, sure_fg)
    _, markers = cv2.connectedComponents(sure_fg)
    markers = markers + 1
    markers[unknown == 255] = 0
    return cv2.watershed(img, markers)


def two_disks(gap: int = 19, radius: int = 12, size=(40, 60)):
    rr, cc = np.mgrid[: size[0], : size[1]]
    left = (rr - 20) ** 2 + (cc - 20) ** 2 < radius**2
    right = (rr - 20) ** 2 + (cc - 20 - gap) ** 2 < radius**2
    img = np.where(left | right, 200, 20).astype(np.uint8)
    return img, left, right


# --- building blocks against scikit-image / scipy ----------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.uint16, np.int32])
def test_h_maxima_equals_skimage(dtype):
    rng = np.random.default_rng(0)
    for _ in range(5):
        f = cv2.GaussianBlur(rng.normal(0, 10, (40, 50)).astype(np.float32), (0, 0), 2)
        x = f.astype(dtype) if dtype in (np.float32, np.float64) else np.clip(f * 5 + 100, 0, 255).astype(dtype)
        for h in (1, 3, 8):
            np.testing.assert_array_equal(h_maxima(x, h), sk_h_maxima(x, h) > 0)


def test_h_maxima_on_a_distance_map_and_constant_image():
    _, left, right = two_disks()
    dist = cv2.distanceTransform((left | right).view(np.uint8), cv2.DIST_L2, 5)
    np.testing.assert_array_equal(h_maxima(dist, 2.0), sk_h_maxima(dist, 2.0) > 0)
    assert not h_maxima(np.full((5, 5), 3.0), 1.0).any()


def test_fill_holes_equals_scipy():
    rng = np.random.default_rng(1)
    for p in (0.3, 0.5, 0.7):
        b = (rng.random((50, 60)) < p).astype(np.uint8)
        np.testing.assert_array_equal(fill_holes_binary(b).astype(bool), ndi.binary_fill_holes(b))


# --- automatic pipeline -------------------------------------------------------------------------


def test_tutorial_parameters_reproduce_the_opencv_tutorial_on_coins():
    coins = data.coins()
    ref = opencv_tutorial(coins)
    ref = np.where(ref > 1, ref - 1, 0)  # background marker 1 and lines -1 -> 0; objects 1..N
    seg = watershed(coins, threshold_method="otsu", sigma=0, fg_fraction=0.7, relief="gradient", fill_holes=False,
                    watershed_line=True)
    assert seg.meta["engine"] == "opencv" and seg.num_segments == ref.max()
    # cv2.watershed turns the image's outer frame into a barrier; seglab pads instead, so the border may differ
    differ = np.argwhere(seg.labels != ref)
    rows, cols = coins.shape
    near_border = np.minimum.reduce([differ[:, 0], differ[:, 1], rows - 1 - differ[:, 0], cols - 1 - differ[:, 1]])
    assert (near_border < 8).all()
    assert len(differ) < 0.01 * coins.size


@pytest.mark.parametrize("relief", ["gradient", "distance"])
def test_default_pipeline_separates_the_24_coins(relief):
    seg = segment(data.coins(), "watershed", relief=relief)
    assert coins_separated(seg.labels) == 24
    assert seg.num_segments <= 28  # a few bright background corners at most


@pytest.mark.parametrize(("invert", "expected"), [(False, "bright"), (True, "dark")])
def test_auto_polarity_finds_the_24_coins_bright_or_inverted(invert, expected):
    coins = 255 - data.coins() if invert else data.coins()
    seg = segment(coins, "watershed", polarity="auto")
    assert seg.meta["polarity"] == expected and coins_separated(seg.labels) == 24


def test_hmaxima_variant_on_coins():
    seg = watershed(data.coins(), auto_markers="hmaxima", h=3)
    assert coins_separated(seg.labels) >= 22


@pytest.mark.parametrize("kwargs", [
    {"auto_markers": "hmaxima"},
    {"fg_fraction": 0.7},
    {"threshold_method": "otsu", "auto_markers": "hmaxima", "relief": "distance"},
    {"auto_markers": "hmaxima", "relief": "distance", "compactness": 0.1, "watershed_line": True},
])
def test_two_overlapping_disks_become_two_instances(kwargs):
    img, left, right = two_disks()
    seg = watershed(img, **kwargs)
    assert seg.num_segments == 2
    for disk in (left, right):
        ids, counts = np.unique(seg.labels[disk], return_counts=True)
        assert counts.max() / disk.sum() > 0.85 and ids[np.argmax(counts)] > 0
    assert (seg.labels[~(left | right)] == 0).mean() > 0.97


def test_dark_objects_and_colour_input():
    img, left, right = two_disks(gap=30)
    dark = watershed(255 - img, polarity="dark", threshold_method="otsu")
    bright = watershed(img, threshold_method="otsu")
    assert dark.num_segments == bright.num_segments == 2
    rgb = np.dstack([img, img // 2, 255 - img])
    assert watershed(rgb, threshold_method="otsu").num_segments == 2


def test_constant_and_one_pixel_images_have_no_automatic_marker():
    for img in (np.full((20, 20), 7, np.uint8), np.array([[3.0]])):
        seg = watershed(img)
        assert seg.num_segments == 0 and seg.meta["n_markers"] == 0


# --- user markers -------------------------------------------------------------------------------


def blocks_image(dtype=np.uint8):
    img = np.zeros((30, 40), np.uint8)
    img[:, 13:27] = 120
    img[:, 27:] = 240
    return img.astype(dtype)


@pytest.mark.parametrize("watershed_line", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_user_markers_give_exactly_the_marker_count(dtype, watershed_line):
    img = blocks_image(dtype)
    markers = np.zeros(img.shape, np.int32)
    markers[15, 5], markers[15, 20], markers[3:6, 33:36] = 4, 9, 2
    seg = watershed(img, markers=markers, sigma=0, watershed_line=watershed_line)
    assert seg.num_segments == 3
    assert (seg.labels[4, 34], seg.labels[15, 5], seg.labels[15, 20]) == (1, 2, 3)  # ids 2, 4, 9 in order
    # the flood stops at the intensity edges
    assert len(np.unique(seg.labels[:, 2:11])) == 1 and len(np.unique(seg.labels[:, 29:])) == 1
    if not watershed_line:
        assert seg.labels.min() == 1
    pts = watershed(img, seeds=[(15, 5), (15, 20), (4, 34)], sigma=0, watershed_line=watershed_line)
    assert pts.num_segments == 3 and pts.labels[15, 5] == 1 and pts.labels[4, 34] == 3


def test_skimage_engine_equals_skimage_watershed():
    """The interior-skipping flood gives scikit-image's own result on the same relief and markers."""
    rng = np.random.default_rng(3)
    img = cv2.GaussianBlur(rng.normal(100, 30, (60, 70)).astype(np.float32), (0, 0), 2)
    markers = np.zeros(img.shape, np.int32)
    for k, (r, c) in enumerate(rng.integers(5, 55, (6, 2)), start=1):
        markers[r - 2 : r + 3, c - 2 : c + 3] = k
    relief = np.sqrt(cv2.Sobel(img, -1, 1, 0) ** 2 + cv2.Sobel(img, -1, 0, 1) ** 2)
    for kw in ({}, {"compactness": 0.01}, {"watershed_line": True}, {"connectivity": 8}):
        ours = watershed(img, markers=markers, sigma=0, **kw).labels
        ref = sk_watershed(relief, markers, connectivity=2 if kw.get("connectivity") == 8 else 1,
                           compactness=kw.get("compactness", 0.0), watershed_line=kw.get("watershed_line", False))
        np.testing.assert_array_equal(ours, ref)


def test_distance_relief_with_user_markers_and_min_size():
    img, left, right = two_disks()
    seg = watershed(img, seeds=[(20, 20), (20, 39)], relief="distance", threshold_method="otsu")
    assert seg.num_segments == 2 and (seg.labels[~(left | right)] == 0).mean() > 0.97
    speck = img.copy()
    speck[2:4, 55:57] = 200
    assert watershed(speck, auto_markers="hmaxima", threshold_method="otsu", min_size=20).num_segments == 2


def test_mask_limits_the_flood():
    img = blocks_image()
    mask = np.zeros(img.shape, bool)
    mask[:, :20] = True
    seg = watershed(img, seeds=[(15, 5), (15, 18)], sigma=0, mask=mask)
    assert seg.meta["engine"] == "skimage" and (seg.labels[:, 20:] == 0).all() and seg.num_segments == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seeds": [(30, 0)]}, r"\(30, 0\).*outside the image.*\(30, 40\)"),
        ({"seeds": []}, "empty"),
        ({"seeds": [(1, 1)], "markers": np.ones((30, 40), int)}, "not both"),
        ({"markers": np.zeros((30, 40), int)}, "no positive marker"),
        ({"markers": np.ones((2, 2), int)}, "shape"),
        ({"window_size": 10}, "odd"),
        ({"fg_fraction": 1.0}, "out of range"),
        ({"relief": "sobel"}, "relief"),
    ],
)
def test_bad_input_gives_one_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        segment(blocks_image(), "watershed", **kwargs)


def test_marker_errors_are_invalid_parameter_errors():
    with pytest.raises(InvalidParameterError):
        watershed(blocks_image(), seeds=[(-1, 3)])


def test_clear_border_drops_what_touches_the_frame_like_skimage():
    """Issue 14 #8: the README's coins gave 26 objects, two of them bright background corners."""
    from importlib.resources import files

    from skimage.segmentation import clear_border

    from seglab import read_image

    coins = read_image(files("seglab") / "samples" / "coins.png")
    full = segment(coins, "watershed")
    cleared = segment(coins, "watershed", clear_border=True)
    reference = clear_border(full.labels)
    assert cleared.num_segments == 24 == int(np.count_nonzero(np.unique(reference)))
    np.testing.assert_array_equal(cleared.labels > 0, reference > 0)


# --- compiled pieces against plain numpy / OpenCV references ---------------------------------------


def _resolve_lines_reference(labels, image):
    """Each line pixel (-1) takes the 4-neighbour label of smallest step (max channel difference; ties: the smaller
    label), all of a round reading the labels before it; lines no round reaches become 0."""
    h, w = labels.shape
    pix = image.reshape(h, w, -1).astype(np.int64)
    while True:
        rows, cols = np.nonzero(labels < 0)
        if rows.size == 0:
            return
        found = []
        for r, c in zip(rows, cols):
            options = [(int(np.abs(pix[r, c] - pix[rr, cc]).max()), int(labels[rr, cc]))
                       for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                       if 0 <= rr < h and 0 <= cc < w and labels[rr, cc] > 0]
            found.append(min(options)[1] if options else 0)
        if not any(found):
            labels[rows, cols] = 0
            return
        for r, c, lab in zip(rows, cols, found):
            if lab:
                labels[r, c] = lab


@pytest.mark.parametrize("seed", range(6))
def test_line_pixels_take_the_closest_neighbour_as_the_python_reference(seed):
    from seglab.classical.watershed import _resolve_lines

    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(3, 20, 2))
    labels = rng.integers(0, 5, shape).astype(np.int32)
    labels[rng.random(shape) < 0.45] = -1
    for channels in (1, 3):
        image = rng.integers(0, 256, (*shape, channels), dtype=np.uint8)
        got, ref = labels.copy(), labels.copy()
        _resolve_lines(got, image)
        _resolve_lines_reference(ref, image)
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("strips", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_local_mean_threshold_is_exact_on_integer_images(dtype, strips, monkeypatch):
    from seglab.classical import watershed as module
    from seglab.classical.watershed import _above_local_mean

    if strips:  # the route of 4 MP and more, in strips of 4 rows here
        monkeypatch.setattr(module, "_STRIPS_FROM", 0)
        monkeypatch.setattr(module, "_STRIP_PIXELS", 4 * 53)  # strips of 4 rows

    rng = np.random.default_rng(7)
    image = (rng.integers(0, 40, (37, 53)) * (257 if dtype == np.uint16 else 5)).astype(dtype)
    image[5:15, 5:20] = image[5, 5]  # a flat patch: never above its own mean
    for window, offset in ((3, 0.0), (9, 2.5), (31, -3.0), (75, 0.0)):
        sums = cv2.boxFilter(image.astype(np.float64), -1, (window, window), normalize=False,
                             borderType=cv2.BORDER_REPLICATE)  # exact integer sums in float64
        n = window * window
        bright = (image.astype(np.float64) - offset) * n > sums
        dark = (image.astype(np.float64) + offset) * n < sums
        np.testing.assert_array_equal(_above_local_mean(image, window, offset, True).view(bool), bright)
        np.testing.assert_array_equal(_above_local_mean(image, window, offset, False).view(bool), dark)


def test_flood_of_the_padded_picture_packs_the_labels_as_a_padded_copy_would():
    from seglab.classical.watershed import _cv2_flood, _padded_picture

    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 256, (41, 57), dtype=np.uint8), (0, 0), 2)
    markers = np.zeros(image.shape, np.int32)
    markers[rng.integers(0, 41, 9), rng.integers(0, 57, 9)] = np.arange(1, 10)
    for line, shift in ((False, 0), (True, 0), (False, 1)):
        padded = np.zeros((43, 59), np.int32)
        padded[1:-1, 1:-1] = markers
        got = _cv2_flood(_padded_picture(image, 0.0), padded, line, shift)
        ref = cv2.copyMakeBorder(markers, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        cv2.watershed(cv2.cvtColor(cv2.copyMakeBorder(image, 1, 1, 1, 1, cv2.BORDER_REPLICATE), cv2.COLOR_GRAY2BGR),
                      ref)
        ref = ref[1:-1, 1:-1].copy()
        if not line:
            _resolve_lines_reference(ref, image)
        np.testing.assert_array_equal(got, np.maximum(ref - shift, 0))
        assert got.flags.c_contiguous and got.dtype == np.int32


@pytest.mark.parametrize("sigma", [0.0, 1.0, 2.5, 40.0])
@pytest.mark.parametrize("channels", [1, 3])
def test_padded_picture_in_stripes_equals_smoothing_the_whole_image(sigma, channels, monkeypatch):
    from seglab.classical import watershed as module

    monkeypatch.setattr(module, "_PICTURE_STRIPE", 64)  # stripes of a few rows, each with its halo
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, (90, 23) if channels == 1 else (90, 23, 3), dtype=np.uint8)
    whole = image
    if sigma > 0:  # OpenCV's own kernel size for uint8 (capped at 2 max(H, W) + 1), the whole image at once
        k = min(int(round(sigma * 6 + 1)) | 1, 2 * 90 + 1)
        whole = cv2.GaussianBlur(image, (k, k), sigma, borderType=cv2.BORDER_REFLECT)
    bgr = cv2.cvtColor(whole, cv2.COLOR_GRAY2BGR) if channels == 1 else whole
    expected = cv2.copyMakeBorder(bgr, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    np.testing.assert_array_equal(module._padded_picture(image, sigma), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value", [0.3, 1000.0])
def test_constant_float_image_has_no_foreground(dtype, value):
    # The smoothing before the local threshold rounds in float32: a margin of 1e-9 of the value was below one
    # float32 ulp, and 80 of 400 pixels of a constant 1000.0 came out as an object.
    img = np.full((20, 20), value, dtype)
    assert (segment(img, "watershed").labels == 0).all()
    assert (segment(np.full((20, 20), 77, np.uint8), "watershed").labels == 0).all()  # as integers do
