"""Label-format readers against independent references (pycocotools, hand-built arrays)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
from pycocotools import mask as coco_mask

from seglab.core.errors import InvalidImageError
from seglab.io import annotation_mask, json_kind, panoptic_ids, polygon_mask, rle_decode
from seglab.evaluation.formats import Instances, read_mat
from seglab.io.naming import stem_of
from seglab.evaluation.pairing import collect, pair
from seglab.io import write_labels


@pytest.mark.parametrize("seed", range(5))
def test_rle_decode_matches_pycocotools(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((13, 17)) < rng.uniform(0.05, 0.95)
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    ours = rle_decode({"size": rle["size"], "counts": rle["counts"].decode("ascii")})
    assert np.array_equal(ours, coco_mask.decode(rle).astype(bool))
    assert np.array_equal(ours, mask)


def test_uncompressed_rle_and_bad_counts():
    assert rle_decode({"size": [2, 2], "counts": [1, 2, 1]}).astype(int).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(InvalidImageError, match="add up to 3 pixels"):
        rle_decode({"size": [2, 2], "counts": [1, 2]})


@pytest.mark.parametrize("box", [(1, 1, 5, 4), (0, 0, 9, 7), (2.2, 1.7, 6.4, 6.6)])
def test_polygon_fill_matches_pycocotools_on_rectangles(box):
    x0, y0, x1, y1 = box
    poly = [x0, y0, x1, y0, x1, y1, x0, y1]
    expected = coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects([poly], 8, 10))).astype(bool)
    assert np.array_equal(polygon_mask([poly], (8, 10)), expected)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools on numpy 2
@pytest.mark.parametrize("seed", range(4))
def test_polygon_fill_matches_pycocotools_on_random_slanted_polygons(seed):
    # Slanted edges, vertices outside the image, self-intersections and several polygons per annotation:
    # a point-in-polygon fill differs from the COCO API here; the port of rleFrPoly must not.
    rng = np.random.default_rng(seed)
    for trial in range(100):
        h, w = (int(n) for n in rng.integers(1, 50, 2))
        points = [int(n) for n in rng.integers(3, 12, int(rng.integers(1, 4)))]
        if trial % 2:
            polys = [rng.uniform(-4, max(h, w) + 4, 2 * k).tolist() for k in points]
        else:
            polys = [np.round(rng.uniform(0, max(h, w), 2 * k), 1).tolist() for k in points]
        expected = coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects(polys, h, w))).astype(bool)
        assert np.array_equal(polygon_mask(polys, (h, w)), expected), (h, w, polys)


def test_annotation_mask_rejects_wrong_size():
    with pytest.raises(InvalidImageError, match="size"):
        annotation_mask({"size": [2, 3], "counts": [6]}, (3, 2))


def test_panoptic_ids_formula():
    rgb = np.array([[[0, 0, 0], [5, 1, 0], [0, 0, 2]]], np.uint8)
    assert panoptic_ids(rgb).tolist() == [[0, 5 + 256, 2 * 65536]]


def test_instances_paint_by_score_and_crowd_is_void():
    masks = np.zeros((3, 1, 4), bool)
    masks[0, 0, :3] = True   # low score
    masks[1, 0, 1:] = True   # high score, on top
    masks[2, 0, 3] = True    # crowd
    inst = Instances(masks, np.zeros(3, np.int64), np.array([0.2, 0.9, 1.0]), np.array([False, False, True]))
    assert inst.to_labels().tolist() == [[1, 2, 2, 2]]
    gt = Instances(masks, np.zeros(3, np.int64), None, np.array([False, False, True]))
    assert gt.to_labels().tolist() == [[1, 2, 2, 2]]
    gt_crowd_only = Instances(masks[2:], np.zeros(1, np.int64), None, np.array([True]))
    assert gt_crowd_only.to_labels().tolist() == [[0, 0, 0, -1]]


def _gt_cell(*segmentations):
    cell = np.empty((1, len(segmentations)), object)
    for k, seg in enumerate(segmentations):
        cell[0, k] = {"Segmentation": np.asarray(seg, np.uint16), "Boundaries": np.zeros(np.shape(seg), np.uint8)}
    return cell


def test_read_mat_kinds(tmp_path):
    scipy.io.savemat(tmp_path / "g.mat", {"groundTruth": _gt_cell(np.ones((3, 4)), np.eye(3, 4) + 1)})
    scipy.io.savemat(tmp_path / "u.mat", {"ucm2": np.zeros((7, 9))})
    scipy.io.savemat(tmp_path / "x.mat", {"other": np.zeros(2)})
    g = read_mat(tmp_path / "g.mat")
    assert g.kind == "bsds" and len(g.annotations) == 2 and g.shape == (3, 4)
    assert read_mat(tmp_path / "u.mat").shape == (3, 4)
    with pytest.raises(InvalidImageError, match="groundTruth"):
        read_mat(tmp_path / "x.mat")


def test_json_kinds():
    assert json_kind({"images": [], "annotations": [{"segmentation": []}]}) == "instance"
    assert json_kind({"task": "instance", "method": "otsu"}) is None  # a seglab sidecar
    assert json_kind([{"image_id": 1, "segmentation": {}, "score": 1}]) == "results"


def test_stem_of_strips_labels_suffix():
    assert stem_of("x/a.b.labels.tif") == "a.b"


def test_collect_prefers_label_image_over_coco_json_and_skips_sidecars(tmp_path):
    write_labels(tmp_path / "a.labels.png", np.array([[0, 1]]))
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": 1, "width": 2}], "annotations": []}
    (tmp_path / "a.coco.json").write_text(json.dumps(doc))
    (tmp_path / "a.json").write_text(json.dumps({"method": "otsu", "task": "semantic"}))
    found = collect(tmp_path)
    assert list(found.entries) == ["a"] and found.entries["a"].kind == "labels"
    assert any("a.coco.json" in n for n in found.notes) and found.other_json == [str(tmp_path / "a.json")]


def test_two_label_files_with_one_stem_is_a_problem(tmp_path):
    write_labels(tmp_path / "a.png", np.zeros((2, 2), int))
    write_labels(tmp_path / "a.labels.png", np.zeros((2, 2), int))
    found = collect(tmp_path)
    assert len(found.entries) == 1 and len(found.problems) == 1 and "same stem" in found.problems[0][1]


def test_files_given_directly_pair_whatever_their_stems(tmp_path):
    write_labels(tmp_path / "x.png", np.zeros((2, 2), int))
    write_labels(tmp_path / "y.png", np.zeros((2, 2), int))
    result = pair(collect(tmp_path / "x.png"), collect(tmp_path / "y.png"))
    assert len(result.pairs) == 1 and not result.only_gt and not result.only_pred
