"""COCO panoptic id PNGs (:mod:`seglab.io.panoptic`)."""

from __future__ import annotations

import numpy as np
import pytest

from seglab import InvalidParameterError, Segment, Segmentation
from seglab.io import panoptic_ids


def test_panoptic_png_encodes_ids_in_three_bytes_and_refuses_more(tmp_path):
    from seglab.io import panoptic_png, write_panoptic

    labels = np.array([[0, 1, 256], [65536 + 2, -1, 16777215]], np.int32)
    rgb = panoptic_png(labels)
    assert rgb.dtype == np.uint8 and rgb[0, 2].tolist() == [0, 1, 0] and rgb[1, 0].tolist() == [2, 0, 1]
    assert rgb[1, 1].tolist() == [0, 0, 0] and rgb[1, 2].tolist() == [255, 255, 255]  # void -> 0
    with pytest.raises(InvalidParameterError, match="does not fit a COCO panoptic PNG"):
        panoptic_png(np.array([[16777216]], np.int32))
    semantic = Segmentation(np.zeros((2, 2), np.int32), "semantic", classes=("bg", "a"))
    with pytest.raises(InvalidParameterError, match=r"--as panoptic"):
        write_panoptic(tmp_path / "s.panoptic.png", semantic)
    seg = Segmentation(np.array([[1, 2]], np.int32), "panoptic", classes=("bg", "a"),
                       segments={1: Segment(1), 2: Segment(1, None, False)})
    png, js = write_panoptic(tmp_path / "p.panoptic.png", seg)
    with pytest.raises(FileExistsError):
        write_panoptic(png, seg)


def test_panoptic_ids_formula():
    rgb = np.array([[[0, 0, 0], [5, 1, 0], [0, 0, 2]]], np.uint8)
    assert panoptic_ids(rgb).tolist() == [[0, 5 + 256, 2 * 65536]]


def test_an_image_without_objects_still_declares_its_thing_categories():
    # a category's isthing comes from the result, not from whether this image holds one of its objects:
    # otherwise a folder mixing empty and non-empty images is "a thing in one image and stuff in another"
    import seglab
    from seglab.io.panoptic import panoptic_document

    empty = np.zeros((6, 7), np.uint8)
    sem = seglab.segment(empty, "threshold", value=100)
    for seg in (seglab.to_panoptic(sem, things=["foreground"]), seglab.to_instance(sem)):
        doc = panoptic_document(seg, png_name="e.png")
        assert doc["annotations"][0]["segments_info"] == []
        assert [(c["name"], c["isthing"]) for c in doc["categories"]] == [("foreground", True)]
    stuff = panoptic_document(seglab.to_panoptic(sem), png_name="s.png")  # no things declared: stuff
    assert [(c["name"], c["isthing"]) for c in stuff["categories"]] == [("foreground", False)]
