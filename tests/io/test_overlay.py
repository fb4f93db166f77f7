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
