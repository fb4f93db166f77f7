"""Overlays (:mod:`seglab.io.overlay`)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from seglab import InvalidImageError, Segment, Segmentation
from seglab.io import (
    overlay,
    write_overlay,
)


def _instances() -> Segmentation:
    labels = np.zeros((20, 30), np.int32)
    labels[2:8, 3:10] = 1
    labels[10:18, 12:14] = 2
    labels[12, 20:29] = 3
    labels[0, 0] = -1
    return Segmentation(
        labels=labels, task="instance", classes=("background", "cell", "debris"),
        segments={1: Segment(1, 0.9), 2: Segment(2, 0.5), 3: Segment(1, None)}, method="demo",
    )


def test_overlay_png_tints_segments_and_draws_boundaries(tmp_path):
    from skimage.segmentation import find_boundaries

    seg = _instances()
    image = np.full(seg.labels.shape, 90, np.uint8)
    path = write_overlay(tmp_path / "o.png", image, seg)
    with Image.open(path) as im:
        assert im.mode == "RGB"
        rgb = np.asarray(im)
    edges = find_boundaries(seg.labels, mode="inner") & (seg.labels > 0)
    assert (rgb[edges] == (255, 255, 0)).all()
    outside = seg.labels <= 0
    assert (rgb[outside] == 90).all()  # background and void are shown as they are
    inner = (seg.labels > 0) & ~edges
    assert (np.abs(rgb[inner].astype(int) - 90).max(axis=1) > 20).all()  # tinted
    # different labels get different tints
    assert not np.array_equal(rgb[4, 5], rgb[13, 12])


def test_overlay_stretches_16_bit_and_float_for_display_only():
    image = np.zeros((4, 4), np.uint16)
    image[:, 2:] = 60000
    out = overlay(image, np.zeros((4, 4), np.int32))
    assert out[0, 0].tolist() == [0, 0, 0] and out[0, 3].tolist() == [255, 255, 255]
    out = overlay(image.astype(np.float32) - 5.0, np.zeros((4, 4), np.int32))
    assert out[0, 3].tolist() == [255, 255, 255]
    with pytest.raises(InvalidImageError, match="does not match"):
        overlay(image, np.zeros((3, 4), np.int32))


def test_colours_and_tint_equal_a_float_reference():
    """The uint8 OpenCV path equals the float computation it replaced, within rounding."""
    import colorsys

    from skimage.segmentation import find_boundaries

    from seglab.io.overlay import label_colors

    ids = np.arange(1, 300)
    reference = np.array([colorsys.hsv_to_rgb((i * 0.618033988749895) % 1.0, 0.85, 1.0) for i in ids])
    assert np.abs(label_colors(ids).astype(float) - np.round(reference * 255)).max() <= 1
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    before = image.copy()
    labels = np.repeat(np.repeat(rng.integers(-1, 6, (8, 10)), 5, axis=0), 5, axis=1).astype(np.int32)
    got = overlay(image, labels, alpha=0.3).astype(float)
    expected = image.astype(float)
    inside = labels > 0
    expected[inside] = 0.7 * image[inside] + 0.3 * label_colors(labels[inside])
    edges = find_boundaries(labels, mode="inner") & inside
    expected[edges] = (255, 255, 0)
    assert np.abs(got - expected).max() <= 1
    assert np.array_equal(image, before)


def test_contour_style_and_the_input_stays_untouched():
    seg = _instances()
    image = np.full((20, 30, 3), 90, np.uint8)
    out = overlay(image, seg, style="contour")
    edges = out.any(axis=2) & (out != 90).any(axis=2)
    assert (out[~edges] == 90).all() and (out[edges] == (255, 255, 0)).all()
    assert (image == 90).all()  # never drawn on the caller's array
    with pytest.raises(Exception, match="style must be 'fill' or 'contour'"):
        overlay(image, seg, style="outline")


def test_semantic_overlay_has_a_legend_of_the_classes_present():
    labels = np.zeros((200, 300), np.int32)
    labels[100:, :150] = 1
    labels[100:, 150:] = 2
    seg = Segmentation(labels=labels, task="semantic", classes=("background", "road", "car", "sky"))
    with_legend = overlay(np.full((200, 300), 128, np.uint8), seg)
    without = overlay(np.full((200, 300), 128, np.uint8), seg, legend=False)
    corner = np.abs(with_legend[:60, :150].astype(int) - without[:60, :150]).sum(axis=2) > 0
    assert corner.sum() > 200  # a panel with two swatches and their names
    assert np.array_equal(with_legend[120:], without[120:])  # nothing drawn elsewhere


@pytest.mark.parametrize("rows", [1, 7, 8, 64])
def test_boundaries_made_in_stripes_equal_find_boundaries(rows):
    import importlib

    from skimage.segmentation import find_boundaries

    overlay_module = importlib.import_module("seglab.io.overlay")  # the module, not the function of that name
    labels = np.random.default_rng(rows).integers(0, 4, (53, 41)).astype(np.int32)
    labels[labels == 3] = -1
    expected = find_boundaries(labels, mode="inner") & (labels > 0)
    for small in (True, False):  # OpenCV's morphology on uint8 ids, and numpy's comparisons
        stripes = []
        for top in range(0, 53, rows):
            above, bottom = max(0, top - 1), min(53, top + rows)
            part = labels[above : bottom + 1]
            small_part = overlay_module._small(part, -1, 2) if small else None
            stripes.append(overlay_module._inner_boundaries(part, small_part, slice(top - above, bottom - above)))
        np.testing.assert_array_equal(np.concatenate(stripes), expected)


@pytest.mark.parametrize("style", ["fill", "contour"])
def test_an_overlay_finished_in_stripes_equals_one_finished_whole(style, monkeypatch):
    import importlib

    overlay_module = importlib.import_module("seglab.io.overlay")
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (53, 41, 3), dtype=np.uint8)
    labels = rng.integers(0, 5, (53, 41)).astype(np.int32)
    whole = overlay(image, labels, style=style)
    monkeypatch.setattr(overlay_module, "_STRIPE_ROWS", 6)
    np.testing.assert_array_equal(overlay(image, labels, style=style), whole)
