"""Label-format readers against independent references (pycocotools, hand-built arrays)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io

from seglab.core.errors import InvalidImageError
from seglab.evaluation.formats import Instances, read_mat
from seglab.evaluation.pairing import collect, pair
from seglab.io import write_labels


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


def test_collect_reads_our_own_outputs_as_segment_names_them(tmp_path):
    """Labels are the prediction; the sidecar, COCO, panoptic files and overlay of that stem say nothing more."""
    write_labels(tmp_path / "a.labels.png", np.array([[0, 1]]))
    from PIL import Image

    Image.fromarray(np.zeros((1, 2, 3), np.uint8)).save(tmp_path / "a.overlay.png")
    Image.fromarray(np.zeros((1, 2, 3), np.uint8)).save(tmp_path / "a.panoptic.png")
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": 1, "width": 2}], "annotations": []}
    (tmp_path / "a.coco.json").write_text(json.dumps(doc))
    (tmp_path / "a.json").write_text(json.dumps({"seglab_version": "0.1.0", "method": "otsu", "params": {}}))
    (tmp_path / "other.json").write_text(json.dumps({"method": "mine"}))
    found = collect(tmp_path)
    assert list(found.entries) == ["a"] and found.entries["a"].kind == "labels"
    assert found.notes == [] and found.problems == [] and found.other_json == [str(tmp_path / "other.json")]


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
