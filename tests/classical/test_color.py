"""hsv_range and color_distance against colorsys, OpenCV and scikit-image on the same pixels."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np
import pytest
from skimage import color as skcolor

from seglab import InvalidImageError, InvalidParameterError
from seglab.classical import color
from seglab.classical.color import HSV_PRESETS, color_distance, hsv_range, rgb_to_hsv, rgb_to_lab


def hue_wheel(step: float = 0.5, offset: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """(1, N, 3) float64 RGB of fully saturated colours at hues offset, offset + step, ... (< 360)."""
    hues = np.arange(offset, 360, step)
    rgb = np.array([colorsys.hsv_to_rgb(h / 360, 1.0, 1.0) for h in hues])[None]
    return rgb, hues


def exact_hsv(rgb: np.ndarray) -> np.ndarray:
    """Reference HSV per pixel with colorsys (hue in degrees), from float RGB in [0, 1]."""
    flat = rgb.reshape(-1, 3).astype(np.float64)
    out = np.array([colorsys.rgb_to_hsv(*p) for p in flat])
    out[:, 0] *= 360
    return out.reshape(rgb.shape)


def in_red(h: np.ndarray) -> np.ndarray:
    return (h >= 340) | (h <= 20)


@pytest.mark.usefixtures("hsv_path")
def test_hue_wraps_around_exactly_for_float_images():
    rgb, hues = hue_wheel()
    seg = hsv_range(rgb, ranges=(340, 20))
    np.testing.assert_array_equal(seg.labels[0] == 1, in_red(hues))
    assert seg.meta["hue_step"] == 0.0


@pytest.mark.usefixtures("hsv_path")
def test_hue_boundaries_are_inclusive_for_float_images():
    hues = np.array([339.9, 340.0, 20.0, 20.1, 0.0])
    rgb = np.array([colorsys.hsv_to_rgb(h / 360, 1.0, 1.0) for h in hues])[None]
    assert exact_hsv(rgb)[0, :, 0] == pytest.approx(hues, abs=1e-9)
    assert hsv_range(rgb, ranges=(340, 20)).labels[0].tolist() == [0, 1, 1, 0, 1]


def test_uint8_hue_agrees_with_colorsys_away_from_the_bounds():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (120, 120, 3)).astype(np.uint8)
    hsv = exact_hsv(img / 255.0)
    got = hsv_range(img, ranges=[{"hue": (340, 20), "saturation": (0.2, 1)}]).labels == 1
    want = in_red(hsv[..., 0]) & (hsv[..., 1] >= 0.2)
    dist_h = np.minimum(np.abs((hsv[..., 0] - 340 + 180) % 360 - 180), np.abs((hsv[..., 0] - 20 + 180) % 360 - 180))
    near = (dist_h <= 0.9) | (np.abs(hsv[..., 1] - 0.2) <= 0.53 / 255)  # the documented quantisation
    assert (got == want)[~near].all()
    assert (got != want).sum() < 0.01 * got.size


@pytest.fixture(params=["compiled", "opencv"])
def hsv_path(request, monkeypatch):
    """hsv_range through the compiled pass or through cv2.inRange (a process's first calls): the same labels."""
    monkeypatch.setattr(color, "_compiled_pass_pays", lambda: request.param == "compiled")


@pytest.fixture(params=["one block", "blocks of 700 px"])
def hsv_blocks(request, monkeypatch):
    """hsv_range in one block, or in blocks of 700 pixels (rows of uneven count) and a shorter last one."""
    if request.param != "one block":
        monkeypatch.setattr(color, "_HSV_WHOLE", 0)
        monkeypatch.setattr(color, "_HSV_BLOCK_MAX", 700)


@pytest.mark.usefixtures("hsv_path")
def test_uint8_selection_is_the_quantised_hue_rule(hsv_blocks):
    """Selected iff OpenCV's 8-bit hue times 360/256 lies on the arc (the documented rule)."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    h8, s8, v8 = np.moveaxis(cv2.cvtColor(img, cv2.COLOR_RGB2HSV_FULL).astype(float), -1, 0)
    q = h8 * 360 / 256
    want = ((q >= 300) | (q <= 45)) & (s8 >= np.ceil(0.25 * 255)) & (v8 <= np.floor(0.9 * 255))
    got = hsv_range(img, ranges=[(300, 45, 0.25, 1, 0, 0.9)]).labels == 1
    np.testing.assert_array_equal(got, want)


@pytest.mark.usefixtures("hsv_path")
def test_uint8_several_overlapping_ranges_first_match_wins(hsv_blocks):
    """Four overlapping ranges (two hue arcs wrap) against the quantised rule applied range by range."""
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (90, 70, 3)).astype(np.uint8)
    img[:10] = img[:10, :, :1]  # achromatic rows: hue 0, saturation 0
    h8, s8, v8 = np.moveaxis(cv2.cvtColor(img, cv2.COLOR_RGB2HSV_FULL).astype(float), -1, 0)
    q = h8 * 360 / 256
    ranges = [(330, 30, 0.3, 1, 0.2, 1), (0, 180, 0, 0.6, 0, 0.7), (200, 10, 0, 1, 0.5, 1), (0, 360, 0, 0.05, 0, 1)]
    want = np.zeros(img.shape[:2], np.int32)
    for index in reversed(range(len(ranges))):
        h0, h1, s0, s1, v0, v1 = ranges[index]
        on_arc = (q >= h0) & (q <= h1) if h0 <= h1 else (q >= h0) | (q <= h1)
        inside = on_arc & (s8 >= np.ceil(255 * s0)) & (s8 <= np.floor(255 * s1)) & (v8 >= np.ceil(255 * v0)) & (
            v8 <= np.floor(255 * v1))
        want[inside] = index + 1
    assert set(np.unique(want)) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(hsv_range(img, ranges=ranges).labels, want)


@pytest.mark.usefixtures("hsv_path")
def test_uint8_hue_arc_between_two_steps_selects_nothing():
    rgb = np.array([colorsys.hsv_to_rgb(10.2 / 360, 1.0, 1.0)])[None]
    assert hsv_range(rgb, ranges=(10, 10.5)).labels.tolist() == [[1]]
    img = np.rint(rgb * 255).astype(np.uint8)
    assert hsv_range(img, ranges=(10, 10.5)).labels.tolist() == [[0]]  # 8-bit hues: 9.84 and 11.25 degrees
    assert hsv_range(img, ranges=[(10, 10.5), (9, 12)]).labels.tolist() == [[2]]


@pytest.mark.usefixtures("hsv_path")
@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_saturation_and_value_bounds_exact(dtype, hsv_blocks):
    rng = np.random.default_rng(2)
    img8 = rng.integers(0, 256, (50, 50, 3)).astype(np.uint8)
    img = img8.astype(np.uint16) * 257 if dtype == np.uint16 else (img8 / 255).astype(np.float32)
    hsv = exact_hsv(img8 / 255.0)
    seg = hsv_range(img, ranges={"saturation": (0.3, 0.7), "value": (0.25, 0.75), "name": "mid"})
    want = (hsv[..., 1] >= 0.3) & (hsv[..., 1] <= 0.7) & (hsv[..., 2] >= 0.25) & (hsv[..., 2] <= 0.75)
    close = (np.abs(hsv[..., 1:] - np.array([0.3, 0.25])).min(-1) < 1e-6) | (
        np.abs(hsv[..., 1:] - np.array([0.7, 0.75])).min(-1) < 1e-6)
    np.testing.assert_array_equal((seg.labels == 1)[~close], want[~close])
    assert seg.classes == ("background", "mid")


@pytest.mark.usefixtures("hsv_path")
def test_several_ranges_first_match_wins_and_presets():
    rgb = np.array([[[0.9, 0.1, 0.1], [0.1, 0.8, 0.2], [0.1, 0.2, 0.9], [0.95, 0.95, 0.95], [0.02, 0.02, 0.02]]])
    seg = hsv_range(rgb, ranges=["red", "green", "blue", "white", "black"])
    assert seg.labels.tolist() == [[1, 2, 3, 4, 5]]
    assert seg.classes == ("background", "red", "green", "blue", "white", "black")
    # the dark pixel is both "black" and (hue 0, s 0) inside a full-hue, any-saturation range: first wins
    seg = hsv_range(rgb, ranges=[{"value": (0, 0.5), "name": "dark"}, "black"])
    assert seg.labels[0, 4] == 1
    assert hsv_range(rgb, ranges=["black", {"value": (0, 0.5), "name": "dark"}]).labels[0, 4] == 1


def test_hue_presets_tile_the_circle():
    arcs = [HSV_PRESETS[n]["hue"] for n in ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta")]
    for (_, hi), (lo, _) in zip(arcs, arcs[1:] + arcs[:1]):
        assert hi == lo
    rgb, hues = hue_wheel(step=7.0, offset=0.5)
    labels = hsv_range(rgb, ranges=["red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta"]).labels
    assert (labels > 0).all()


@pytest.mark.parametrize(
    "ranges, match",
    [
        ((-10, 20), "outside \\[0, 360\\]"),
        ((340, 361), "outside \\[0, 360\\]"),
        ({"saturation": (0.2, 1.5)}, "outside \\[0, 1\\]"),
        ({"value": (0.8, 0.2)}, "greater than max"),
        ("rde", "Did you mean 'red'"),
        ({"hue": (0, 10), "sat": (0, 1)}, "unknown key 'sat'"),
        ((1, 2, 3), "preset name, a dict"),
        ([], "1 to 255 ranges"),
        (["red", "red"], "unique"),
        ({"hue": ("a", 3)}, "pair of numbers"),
        ([{1, 2}], "tuples of numbers"),
    ],
)
def test_bad_ranges_are_rejected_not_clipped(ranges, match):
    with pytest.raises(InvalidParameterError, match=match):
        hsv_range(np.zeros((2, 2, 3), np.uint8), ranges=ranges)


def test_colour_methods_need_known_white_level():
    with pytest.raises(InvalidImageError, match="uint8, uint16 or float"):
        hsv_range(np.zeros((2, 2, 3), np.int32), ranges="red")
    with pytest.raises(InvalidImageError, match="RGB"):
        hsv_range(np.zeros((2, 2), np.uint8), ranges="red")


def test_one_pixel_and_constant_images():
    assert hsv_range(np.array([[[255, 0, 0]]], np.uint8), ranges="red").labels.tolist() == [[1]]
    const = np.full((5, 7, 3), 128, np.uint8)
    assert (hsv_range(const, ranges=["red", "gray"]).labels == 2).all()


# --------------------------------------------------------------------------- conversions


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_rgb_to_lab_and_hsv_match_skimage(dtype):
    img8 = np.random.default_rng(3).integers(0, 256, (30, 40, 3)).astype(np.uint8)
    img = {np.uint8: img8, np.uint16: img8.astype(np.uint16) * 257}.get(dtype, (img8 / 255).astype(dtype))
    ref_lab = skcolor.rgb2lab(img8)
    np.testing.assert_allclose(rgb_to_lab(img), ref_lab, atol=1e-3 if dtype != np.float64 else 1e-9)
    hsv, ref = rgb_to_hsv(img), skcolor.rgb2hsv(img8)
    np.testing.assert_allclose(hsv[..., 1:], ref[..., 1:], atol=1e-5)
    dh = (hsv[..., 0] - ref[..., 0] * 360 + 180) % 360 - 180
    assert np.abs(dh).max() < 1e-2 and hsv[..., 0].max() < 360


# --------------------------------------------------------------------------- color_distance


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_color_distance_matches_skimage_cie76(dtype):
    img8 = np.random.default_rng(4).integers(0, 256, (40, 50, 3)).astype(np.uint8)
    refs8 = np.array([[220, 30, 30], [30, 200, 40], [128, 128, 128]])
    img, refs = (img8, refs8) if dtype == np.uint8 else (img8 / 255.0, refs8 / 255.0)
    seg = color_distance(img, references=refs.tolist(), tolerance=40.0)
    lab = skcolor.rgb2lab(img8)
    want = np.stack([skcolor.deltaE_cie76(lab, skcolor.rgb2lab(r[None, None].astype(np.uint8))) for r in refs8])
    np.testing.assert_allclose(seg.scores, want, atol=2e-3)
    nearest = np.where(want.min(0) <= 40.0, want.argmin(0) + 1, 0)
    clear = (np.abs(want.min(0) - 40.0) > 1e-2) & (np.sort(want, 0)[1] - np.sort(want, 0)[0] > 1e-2)
    np.testing.assert_array_equal(seg.labels[clear], nearest[clear])
    assert 0 < (seg.labels == 0).sum() < seg.labels.size


def test_color_distance_ciede2000_and_lab_references():
    img8 = np.random.default_rng(5).integers(0, 256, (20, 30, 3)).astype(np.uint8)
    ref_lab = [55.0, 40.0, -20.0]
    seg = color_distance(img8, references=ref_lab, reference_space="lab", metric="ciede2000", tolerance=30)
    want = skcolor.deltaE_ciede2000(skcolor.rgb2lab(img8), np.array(ref_lab)[None, None])
    np.testing.assert_allclose(seg.scores[0], want, atol=2e-3)
    np.testing.assert_array_equal(seg.labels == 1, want <= 30)
    assert seg.meta["references_lab"] == [ref_lab]


def test_color_distance_matches_one_exact_colour_with_a_small_tolerance():
    img = np.array([[[10, 200, 30], [11, 200, 30]]], np.uint8)
    seg = color_distance(img, references=[10, 200, 30], tolerance=0.01)
    assert seg.labels.tolist() == [[1, 0]] and seg.scores[0, 0, 0] == pytest.approx(0, abs=1e-3)
    assert seg.scores[0, 0, 1] == pytest.approx(
        skcolor.deltaE_cie76(skcolor.rgb2lab(img[:, :1]), skcolor.rgb2lab(img[:, 1:]))[0, 0], abs=1e-3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"references": [[300, 0, 0]]}, "must lie in \\[0, 255\\]"),
        ({"references": [[1, 2]]}, "one colour"),
        ({"references": []}, "one colour"),
        ({"references": [[float("nan"), 0, 0]]}, "finite"),
        ({"references": [[120, 0, 0]], "reference_space": "lab"}, "L\\* must lie in \\[0, 100\\]"),
        ({"references": [[1, 2, 3]], "tolerance": -1.0}, "tolerance"),
        ({"references": [[1, 2, 3]], "metric": "cie94"}, "metric"),
    ],
)
def test_color_distance_bad_input(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        color_distance(np.zeros((3, 3, 3), np.uint8), **kwargs)


def test_more_than_255_reference_colours_are_refused():
    # each colour is a pass over the image with its distances in memory: 100,000 took 4.8 GB on a 64 x 64 image
    import seglab

    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(seglab.InvalidParameterError, match="references: give 1 to 255 colours; got 256"):
        seglab.segment(img, "color_distance", references=[[0, 0, 0]] * 256, tolerance=10)
    assert seglab.segment(img, "color_distance", references=[[0, 0, 0]] * 255, tolerance=10).labels.all()
