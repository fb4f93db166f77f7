"""Label image files (:mod:`seglab.io.labels`): PNG 8/16-bit or int32 TIFF, never a silent overflow."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tifffile
from PIL import Image

from seglab import InvalidImageError, InvalidParameterError
from seglab.io import (
    label_suffix,
    read_labels,
    write_labels,
)


@pytest.mark.parametrize(("top", "mode"), [(255, "L"), (256, "I;16"), (65535, "I;16")])
def test_png_labels_use_8_or_16_bits(tmp_path, top, mode):
    labels = np.array([[0, 1], [top // 2, top]])
    path = write_labels(tmp_path / "l.png", labels)
    with Image.open(path) as im:
        assert im.mode == mode
        assert np.array_equal(np.asarray(im), labels)
    assert np.array_equal(read_labels(path), labels)


@pytest.mark.parametrize("labels", [np.array([[0, -1]]), np.array([[0, 65536]])])
def test_png_refuses_labels_it_cannot_hold(tmp_path, labels):
    with pytest.raises(InvalidParameterError, match=r"write a \.tif \(int32\) instead"):
        write_labels(tmp_path / "l.png", labels)
    assert label_suffix(labels) == ".tif"
    assert os.listdir(tmp_path) == []  # nothing, not even a temporary file


def test_tiff_labels_hold_void_and_large_ids(tmp_path):
    labels = np.array([[-1, 0, 1], [70000, 2**31 - 1, 5]], np.int64)
    path = write_labels(tmp_path / "l.tif", labels)
    back = tifffile.imread(path)
    assert back.dtype == np.int32 and np.array_equal(back, labels)


def test_unknown_label_format_and_bad_labels(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"cannot write labels as '\.jpg'"):
        write_labels(tmp_path / "l.jpg", np.zeros((2, 2), np.int32))
    with pytest.raises(InvalidImageError, match="fractional"):
        write_labels(tmp_path / "l.png", np.array([[0.5]]))
    for suffix in (".png", ".tif"):  # PNG raised an OpenCV assertion; TIFF wrote a file that could not be read
        with pytest.raises(InvalidImageError, match=r"labels are empty \(shape \(0, 3\)\)"):
            write_labels(tmp_path / f"empty{suffix}", np.zeros((0, 3), np.int32))
        assert not (tmp_path / f"empty{suffix}").exists()
