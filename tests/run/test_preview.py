"""The run service's preview PNGs and run_image, against independent references."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import seglab
from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.io import write_labels
from seglab.io.overlay import display_rgb
from seglab.run import image_preview, labels_preview, prepare, preview_size, read_input, run_file, run_image


def _decode(png: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1]


@pytest.mark.parametrize(("shape", "side", "expected"), [
    ((3000, 4000), 1024, (768, 1024)), ((4000, 3000, 3), 1000, (1000, 750)), ((7, 5), 1024, (7, 5)), ((1, 5000), 64, (1, 64)),
])
def test_preview_size_keeps_the_aspect_and_never_enlarges(shape, side, expected):
    assert preview_size(shape, side) == expected


def test_preview_size_refuses_a_non_positive_side():
    with pytest.raises(InvalidParameterError, match="max_side must be a positive"):
        preview_size((4, 4), 0)


def test_labels_preview_decodes_to_the_nearest_sampled_ids():
    rng = np.random.default_rng(0)
    labels = rng.integers(-1, 70_000, (90, 120)).astype(np.int32)
    ids = _decode(labels_preview(labels, 40)).astype(np.int64)
    assert ids.shape == (30, 40, 3)
    decoded = ids[..., 0] + 256 * ids[..., 1] + 65536 * ids[..., 2]
    # each preview pixel covers a 3 x 3 block; its centre pixel is the nearest one
    assert np.array_equal(decoded, np.maximum(labels[1::3, 1::3], 0))


def test_labels_preview_at_full_size_is_lossless():
    labels = np.arange(12, dtype=np.int32).reshape(3, 4) * 5000
    ids = _decode(labels_preview(labels, 10)).astype(np.int64)
    assert np.array_equal(ids[..., 0] + 256 * ids[..., 1] + 65536 * ids[..., 2], labels)


def test_image_preview_of_uint8_is_the_area_average():
    image = np.random.default_rng(1).integers(0, 256, (64, 96, 3)).astype(np.uint8)
    rgb = _decode(image_preview(image, 48))
    expected = image.reshape(32, 2, 48, 2, 3).mean(axis=(1, 3))
    assert rgb.shape == (32, 48, 3) and np.abs(rgb - expected).max() <= 1


def test_image_preview_stretches_16_bit_gray_like_the_overlay():
    image = np.linspace(0, 4000, 50 * 50).reshape(50, 50).astype(np.uint16)
    rgb = _decode(image_preview(image, 50))
    expected = display_rgb(image)
    assert rgb.shape == (50, 50, 3) and np.abs(rgb.astype(float) - expected).max() <= 1


def test_run_image_equals_segment_and_keeps_warnings_as_notes():
    image = np.zeros((8, 8, 3), np.uint8)
    image[2:6, 2:6] = 200
    outcome = run_image(prepare("otsu"), image, source="x.png", notes=("read note",))
    assert np.array_equal(outcome.seg.labels, seglab.segment(image, "otsu").labels)
    assert outcome.notes == ("read note",) and outcome.file_name == "x.png" and outcome.seconds >= 0


def test_run_file_and_read_input_pass_max_pixels(tmp_path):
    write_labels(tmp_path / "a.png", np.zeros((10, 10), np.uint8))
    with pytest.raises(InvalidImageError, match="more than the limit of 99 pixels"):
        read_input(tmp_path / "a.png", max_pixels=99)
    with pytest.raises(InvalidImageError, match="more than the limit of 99 pixels"):
        run_file(prepare("otsu"), tmp_path / "a.png", max_pixels=99)
    assert run_file(prepare("otsu"), tmp_path / "a.png", max_pixels=100).seg.labels.shape == (10, 10)
