"""Registry, parameter schema, errors and validation helpers."""

from __future__ import annotations

import numpy as np
import pytest

import seglab
from seglab.core.errors import (
    InvalidImageError,
    InvalidParameterError,
    MissingDependencyError,
    UnknownMethodError,
    UnknownParameterError,
)
from seglab.core.optional import require
from seglab.core.validate import as_image, as_labels, to_gray


def test_unknown_method_suggests():
    with pytest.raises(UnknownMethodError, match="Did you mean 'otsu'"):
        seglab.get_method("otsuu")
    assert issubclass(UnknownMethodError, LookupError)


def test_unknown_parameter_is_type_and_value_error():
    img = np.zeros((4, 4), np.uint8)
    with pytest.raises(TypeError, match="nbins"):
        seglab.segment(img, "otsu", nbin=3)
    with pytest.raises(UnknownParameterError):
        seglab.segment(img, "otsu", nbin=3)


@pytest.mark.parametrize("value", [1, 70000, 2.5, "x", True])
def test_out_of_range_parameters(value):
    with pytest.raises(InvalidParameterError, match="nbins"):
        seglab.segment(np.zeros((4, 4)), "otsu", nbins=value)


def test_missing_dependency_names_extra():
    with pytest.raises(MissingDependencyError, match=r'pip install "seglab\[torch\]"'):
        require("a_module_that_is_not_there_xyz", extra="torch")
    assert issubclass(MissingDependencyError, ImportError)


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


def test_mask_shape_mismatch():
    with pytest.raises(InvalidImageError, match="mask shape"):
        seglab.segment(np.zeros((4, 4)), "otsu", mask=np.ones((3, 3), bool))


def test_segmentation_is_frozen():
    seg = seglab.segment(np.eye(4), "otsu")
    with pytest.raises(AttributeError):
        seg.task = "instance"
    with pytest.raises(TypeError):
        seglab.Segmentation(labels=np.zeros((2, 2)), task="semantic")


def test_params_recorded_and_meta_notes_gray_conversion():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[:2] = 255
    seg = seglab.segment(rgb, "otsu")
    assert seg.params == {"nbins": 256, "polarity": "bright"}
    assert "BT.601" in seg.meta["input_conversion"]
