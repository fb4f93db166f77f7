"""Writers: a write-then-read round trip for every format, read back by another library.

PNG/TIFF labels are read with Pillow and tifffile, COCO with pycocotools, the
CSV with the csv module against numpy computations, the overlay with Pillow.
"""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

import seglab
from seglab import InvalidImageError, InvalidParameterError, Segment, Segmentation
from seglab.io import (
    label_suffix,
    overlay,
    read_labels,
    rle_encode,
    write_coco,
    write_json,
    write_labels,
    write_overlay,
    write_regions_csv,
)

# pycocotools (a test dependency) still passes copy=False to numpy 2
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


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


# --- label images ------------------------------------------------------------------------------

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


# --- never overwrite without asking, never leave a partial file ---------------------------------

def test_existing_files_need_overwrite(tmp_path):
    path = write_labels(tmp_path / "l.png", np.zeros((2, 2), np.int32))
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        write_labels(path, np.ones((2, 2), np.int32))
    assert path.read_bytes() == before
    write_labels(path, np.ones((2, 2), np.int32), overwrite=True)
    assert read_labels(path).tolist() == [[1, 1], [1, 1]]


def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "l.png"
    path.write_bytes(b"old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_labels(path, np.zeros((2, 2), np.int32), overwrite=True)
    assert os.listdir(tmp_path) == ["l.png"] and path.read_bytes() == b"old"


def test_missing_output_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        write_labels(tmp_path / "nope" / "l.png", np.zeros((2, 2), np.int32))


# --- JSON sidecar --------------------------------------------------------------------------------

def test_json_sidecar_round_trip_and_unjsonable_meta(tmp_path):
    seg = _instances()
    seg = Segmentation(
        labels=seg.labels, task=seg.task, classes=seg.classes, segments=seg.segments, method="demo",
        params={"sigma": 1.5},
        meta={"edges": np.ones((50, 50), np.float32), "t": np.float32(0.25), "bad": float("nan"),
              "where": tmp_path, "small": np.array([1, 2, 3]), "obj": object()},
    )
    path = write_json(tmp_path / "s.json", seg, input_file="in/a.png", page=2, notes=["alpha dropped"])

    def no_nan(token):
        raise AssertionError(f"non-standard JSON token {token}")

    doc = json.loads(path.read_text(), parse_constant=no_nan)
    assert doc["seglab_version"] == seglab.__version__
    assert (doc["input_file"], doc["page"], doc["method"], doc["task"]) == ("in/a.png", 2, "demo", "instance")
    assert doc["params"] == {"sigma": 1.5} and doc["classes"] == ["background", "cell", "debris"]
    assert doc["segments"]["2"] == {"class_id": 2, "score": 0.5, "is_thing": True}
    assert doc["meta"]["edges"] == {"shape": [50, 50], "dtype": "float32", "min": 1.0, "max": 1.0}
    assert doc["meta"]["t"] == 0.25 and doc["meta"]["bad"] is None and doc["meta"]["small"] == [1, 2, 3]
    assert doc["meta"]["where"] == str(tmp_path) and doc["meta"]["obj"].startswith("<object object")
    assert doc["shape"] == [20, 30] and doc["num_segments"] == 3 and doc["notes"] == ["alpha dropped"]


# --- COCO RLE ------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 12))))
def test_rle_matches_pycocotools(mask):
    mask_api = pytest.importorskip("pycocotools.mask")
    ours = rle_encode(mask)
    ref = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert ours["counts"] == ref["counts"].decode() and ours["size"] == list(ref["size"])
    decoded = mask_api.decode({"size": ours["size"], "counts": ours["counts"].encode()})
    assert np.array_equal(decoded.astype(bool), mask)


def test_coco_file_loads_in_pycocotools(tmp_path):
    mask_api = pytest.importorskip("pycocotools.mask")
    from pycocotools.coco import COCO

    seg = _instances()
    path = write_coco(tmp_path / "c.json", seg, image_id=7, file_name="a.png")
    coco = COCO(str(path))
    assert coco.imgs[7] == {"id": 7, "file_name": "a.png", "height": 20, "width": 30}
    assert {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())} == {0: "background", 1: "cell", 2: "debris"}
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[7]))
    assert [a["seglab_label"] for a in anns] == [1, 2, 3]
    for ann in anns:
        truth = seg.labels == ann["seglab_label"]
        assert np.array_equal(coco.annToMask(ann).astype(bool), truth)
        rows, cols = np.nonzero(truth)
        rle = {"size": ann["segmentation"]["size"], "counts": ann["segmentation"]["counts"].encode()}
        assert ann["area"] == truth.sum() == mask_api.area(rle)
        assert ann["bbox"] == [cols.min(), rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1]
        assert ann["category_id"] == seg.segments[ann["seglab_label"]].class_id
    assert [a.get("score") for a in anns] == [0.9, 0.5, None]


def test_coco_refuses_semantic_results(tmp_path):
    seg = seglab.segment(np.array([[0, 9], [9, 9]], np.uint8), "otsu")
    with pytest.raises(InvalidParameterError, match="otsu result is semantic"):
        write_coco(tmp_path / "c.json", seg)
    assert os.listdir(tmp_path) == []


# --- region table --------------------------------------------------------------------------------

@pytest.mark.parametrize("colour", [False, True])
def test_regions_csv_matches_numpy(tmp_path, colour):
    seg = _instances()
    rng = np.random.default_rng(3)
    image = rng.integers(0, 4000, seg.labels.shape + ((3,) if colour else ())).astype(np.uint16)
    path = write_regions_csv(tmp_path / "r.csv", seg, image)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["label"]) for r in rows] == [1, 2, 3]  # no row for background or void
    names = {1: "cell", 2: "debris", 3: "cell"}
    for row in rows:
        label = int(row["label"])
        inside = seg.labels == label
        rr, cc = np.nonzero(inside)
        assert row["class"] == names[label]
        assert int(row["area"]) == inside.sum()
        assert [int(row[k]) for k in ("bbox_min_row", "bbox_min_col", "bbox_max_row", "bbox_max_col")] == [
            rr.min(), cc.min(), rr.max() + 1, cc.max() + 1]
        assert float(row["centroid_row"]) == pytest.approx(rr.mean())
        assert float(row["centroid_col"]) == pytest.approx(cc.mean())
        if colour:
            means = [float(row[k]) for k in ("mean_r", "mean_g", "mean_b")]
            assert means == pytest.approx(image[inside].mean(axis=0))
        else:
            assert float(row["mean_intensity"]) == pytest.approx(image[inside].mean())  # image units, no rescale


def test_regions_csv_semantic_rows_are_classes(tmp_path):
    image = np.zeros((6, 6), np.uint8)
    image[1:3, 1:3] = 200
    image[4:, 4:] = 200
    seg = seglab.segment(image, "threshold", value=100)
    rows = list(csv.DictReader(open(write_regions_csv(tmp_path / "r.csv", seg, image))))
    assert [(r["label"], r["class"], r["area"], r["mean_intensity"]) for r in rows] == [("1", "foreground", "8", "200.0")]


def test_regions_csv_shape_mismatch(tmp_path):
    with pytest.raises(InvalidImageError, match="does not match the labels"):
        write_regions_csv(tmp_path / "r.csv", _instances(), np.zeros((5, 5)))


# --- overlay -------------------------------------------------------------------------------------

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


def test_panoptic_png_encodes_ids_in_three_bytes_and_refuses_more(tmp_path):
    from seglab import InvalidParameterError, Segment, Segmentation
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
