"""Input validation (:mod:`seglab.core.validate`)."""

from __future__ import annotations

import numpy as np
import pytest

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
