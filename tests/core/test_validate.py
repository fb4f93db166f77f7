"""Input validation (:mod:`seglab.core.validate`)."""

from __future__ import annotations

import numpy as np
import pytest

import seglab
from seglab.core.errors import (
    InvalidImageError,
)
from seglab.core.validate import as_image, as_labels, to_gray


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((0, 4)), "empty"),
        (np.zeros((2, 2, 2, 2)), r"\(H, W\) gray"),
        (np.full((3, 3), np.nan), "NaN"),
        (np.zeros((3, 3, 4), np.uint8), "alpha"),
        (np.zeros((3, 3), bool), "boolean"),
        (np.full((3, 3, 3), 2.0), r"\[0, 1\]"),
        (np.array([["a"]]), "dtype"),
    ],
)
def test_bad_images(bad, match):
    with pytest.raises(InvalidImageError, match=match):
        as_image(bad)


def test_to_gray_matches_bt601_by_hand():
    rgb = np.array([[[100, 50, 200]]], np.uint8)
    assert to_gray(rgb)[0, 0] == round(0.299 * 100 + 0.587 * 50 + 0.114 * 200)
    f = rgb / 255.0
    assert to_gray(f)[0, 0] == pytest.approx((0.299 * 100 + 0.587 * 50 + 0.114 * 200) / 255)


def test_as_labels_rejects_fractional():
    with pytest.raises(InvalidImageError, match="fractional"):
        as_labels(np.array([[0.5, 1.0]]))
    assert as_labels(np.array([[1.0, 2.0]])).dtype == np.int32


def test_nan_outside_the_mask_is_allowed_and_inside_it_is_not():
    """Issue 14 #6: a mask that covers exactly the NaN pixels used to be refused; only masked pixels count."""
    img = np.zeros((20, 20), np.float32)
    img[5:15, 5:15] = 1.0
    img[:, :3] = np.nan
    mask = np.ones(img.shape, bool)
    mask[:, :3] = False
    seg = seglab.segment(img, "otsu", mask=mask)
    expected = seglab.segment(np.nan_to_num(img), "otsu", mask=mask)
    np.testing.assert_array_equal(seg.labels, expected.labels)
    assert seg.labels[:, :3].max() == 0 and seg.labels[5:15, 5:15].all()
    local = seglab.segment(img, "sauvola", mask=mask, polarity="bright")  # filters see no NaN near the mask
    assert local.labels[5:15, 5:15].any()
    mask[0, 0] = True
    with pytest.raises(InvalidImageError, match="NaN or infinite values inside the mask .1 of 400 pixels"):
        seglab.segment(img, "otsu", mask=mask)
    with pytest.raises(InvalidImageError, match="exclude them with mask="):
        seglab.segment(img, "otsu")


def test_a_path_instead_of_an_image_says_to_read_it(tmp_path):
    with pytest.raises(InvalidImageError, match=r"is a path .* seglab.read_image\(path\)"):
        seglab.segment(str(tmp_path / "coins.png"), "otsu")


def test_a_mask_holding_nan_is_refused_not_read_as_inside():
    img = np.zeros((6, 6), np.uint8)
    img[2:4, 2:4] = 200
    with pytest.raises(InvalidImageError, match="mask holds NaN"):
        seglab.segment(img, "otsu", mask=np.full((6, 6), np.nan))
    assert seglab.segment(img, "otsu", mask=np.ones((6, 6))).labels.sum() == 4


@pytest.mark.parametrize("method", ["sobel", "canny", "log_zero_crossing", "watershed", "adaptive", "otsu",
                                    "split_merge", "fuzzy_cmeans", "kmeans"])
def test_32_bit_images_keep_small_steps_on_a_large_offset(method):
    # Translation invariance as the property: float32 holds integers exactly only up to 2**24, so a step of 3
    # on an offset of 2**30 vanished when 32-bit images were computed in float32.
    step = np.zeros((20, 20), np.uint32)
    step[5:15, 5:15] = 3
    params = {"rng": 0} if method in ("fuzzy_cmeans", "kmeans") else {}
    near = seglab.segment(step, method, **params).labels
    far = seglab.segment(step + np.uint32(2**30), method, **params).labels
    assert len(np.unique(near)) > 1
    np.testing.assert_array_equal(far, near)
