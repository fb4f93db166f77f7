"""COCO instance JSON (:mod:`seglab.io.coco`), read back by pycocotools."""

from __future__ import annotations

import os

import numpy as np
import pytest

import seglab
from seglab import InvalidParameterError, Segment, Segmentation
from seglab.io import (
    json_kind,
    write_coco,
)

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools on numpy 2


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


def test_coco_file_loads_in_pycocotools(tmp_path):
    mask_api = pytest.importorskip("pycocotools.mask")
    from pycocotools.coco import COCO

    seg = _instances()
    path = write_coco(tmp_path / "c.json", seg, image_id=7, file_name="a.png")
    coco = COCO(str(path))
    assert coco.imgs[7] == {"id": 7, "file_name": "a.png", "height": 20, "width": 30}
    assert {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())} == {1: "cell", 2: "debris"}
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


def test_json_kinds():
    assert json_kind({"images": [], "annotations": [{"image_id": 1, "segmentation": []}]}) == "instance"
    assert json_kind({"task": "instance", "method": "otsu"}) is None  # a seglab sidecar
    assert json_kind([{"image_id": 1, "segmentation": {}, "score": 1}]) == "results"
    assert json_kind([]) == "results"  # nothing detected
    # an annotation without image_id cannot be placed: not an instance file, and coco_defect says why
    assert json_kind({"images": [], "annotations": [{"segmentation": []}]}) is None


def test_coco_categories_leave_background_out():
    """Issue 14 #12: the COCO output listed a 'background' category."""
    from seglab.io import coco_document

    seg = Segmentation(np.array([[1, 0, 2]], np.int32), "instance", classes=("background", "cell"),
                       segments={1: Segment(1), 2: Segment(1)})
    assert coco_document(seg)["categories"] == [{"id": 1, "name": "cell"}]
    bare = Segmentation(np.array([[1, 0]], np.int32), "instance")  # no classes: one "object" category
    assert coco_document(bare)["categories"] == [{"id": 0, "name": "object"}]


def test_eval_names_the_fault_of_a_broken_coco_file_and_scores_an_empty_results_list(tmp_path, capsys):
    import json

    from seglab.cli import main

    gt = {"images": [{"id": 1, "file_name": "a.png", "height": 8, "width": 8}],
          "categories": [{"id": 1, "name": "cell"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                           "segmentation": [[1, 1, 5, 1, 5, 5, 1, 5]], "area": 16, "bbox": [1, 1, 4, 4]}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    broken = {
        "no_image_id.json": dict(gt, annotations=[{k: v for k, v in gt["annotations"][0].items() if k != "image_id"}]),
        "no_annotations.json": {k: v for k, v in gt.items() if k != "annotations"},
        "bbox_only.json": [{"image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "score": 0.9}],
    }
    words = {"no_image_id.json": "annotation 0 (id 1) has no 'image_id'",
             "no_annotations.json": "no 'annotations' list",
             "bbox_only.json": "result 0 has no 'segmentation'"}
    for name, doc in broken.items():
        (tmp_path / name).write_text(json.dumps(doc))
        code = main(["eval", str(tmp_path / name), str(tmp_path / "gt.json"), "--no-plots"])
        err = capsys.readouterr().err
        assert code != 0 and words[name] in err and "Traceback" not in err, (name, err)
    (tmp_path / "none.json").write_text("[]")
    assert main(["eval", str(tmp_path / "none.json"), str(tmp_path / "gt.json"), "--no-plots",
                 "-o", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "eval.json").read_text())["summary"]
    assert summary["dsb_score"] == 0.0  # one true object, nothing found
