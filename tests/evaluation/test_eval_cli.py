"""``seglab eval`` on small files written here, against the metrics computed directly or by hand."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image
from pycocotools import mask as coco_mask

from seglab import metrics
from seglab.cli import main

from .files import save_bsds, save_json, save_labels

T1, P1 = np.array([[0, 0, 1], [1, 2, 2]]), np.array([[0, 1, 1], [1, 2, 0]])
T2, P2 = np.array([[2, 2, 2], [0, 0, 1]]), np.array([[2, 2, 1], [0, 0, 1]])


def _semantic_folders(tmp_path):
    save_labels(tmp_path / "gt" / "a.png", T1)
    save_labels(tmp_path / "gt" / "b.png", T2)
    save_labels(tmp_path / "pred" / "a.labels.png", P1)  # as `seglab segment` names them
    save_labels(tmp_path / "pred" / "b.labels.png", P2)
    return tmp_path / "pred", tmp_path / "gt"


def test_semantic_folders_json_csv_and_plots(tmp_path, read_eval, capsys):
    pred, gt = _semantic_folders(tmp_path)
    out = tmp_path / "out"
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(out)]) == 0
    doc = read_eval(out)
    cm = metrics.confusion(T1, P1, num_classes=3) + metrics.confusion(T2, P2, num_classes=3)
    assert doc["task"] == "semantic"
    assert doc["summary"]["mean_iou"] == pytest.approx(metrics.mean_iou(cm))
    assert doc["summary"]["confusion"] == cm.tolist()
    rows = {r["image"]: r for r in doc["images"]}
    assert rows["a"]["pixel_accuracy"] == pytest.approx(4 / 6)  # by hand: 4 of 6 pixels right
    assert rows["b"]["pixel_accuracy"] == pytest.approx(5 / 6)
    assert doc["summary"]["pixel_accuracy"] == pytest.approx(9 / 12)
    with open(out / "eval.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["image"] for r in table] == ["a", "b", "(data set)"]
    assert float(table[0]["mean_iou"]) == pytest.approx(metrics.mean_iou(metrics.confusion(T1, P1, num_classes=3)))
    for name in ("confusion.png", "per_image.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert "mean_iou" in capsys.readouterr().out


def test_auto_task_asks_when_the_ground_truth_does_not_tell(tmp_path, capsys):
    pred, gt = _semantic_folders(tmp_path)  # 3 small class maps: neither clearly classes nor objects
    assert main(["eval", str(pred), str(gt), "-o", str(tmp_path / "o"), "--no-plots"]) == 2
    assert "pass --task semantic (with --num-classes) or --task instance" in capsys.readouterr().err


def test_a_binary_mask_ground_truth_is_scored_as_semantic_not_as_one_blob(tmp_path, read_eval, capsys):
    """Issue 14 #2: otsu against an ISBI-like 0/255 mask was scored as instances (F1 1.0 for pixel error 0.28)."""
    truth = np.full((32, 32), 255, np.uint8)
    truth[::8, :] = 0  # membranes
    truth[:, ::8] = 0
    pred = np.ones((32, 32), int)  # everything called "cell": one blob, as otsu gives on EM
    save_labels(tmp_path / "gt" / "00.png", truth)
    save_labels(tmp_path / "pred" / "00.labels.png", pred)
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "task: semantic (auto: the ground truth is a binary mask (values 0 and 255; 255 read as class 1)" in err
    summary = read_eval(tmp_path / "o")["summary"]
    assert summary["pixel_error"] == pytest.approx(np.mean(truth == 0))  # every membrane pixel is wrong


def test_instance_ground_truth_is_scored_as_instances(tmp_path, read_eval, capsys):
    truth = np.zeros((20, 20), int)
    for k, (r, c) in enumerate([(2, 2), (2, 12), (12, 2), (12, 12)], start=1):
        truth[r:r + 5, c:c + 5] = k
    save_labels(tmp_path / "gt" / "a.png", truth)
    save_labels(tmp_path / "pred" / "a.labels.png", truth)
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    assert "task: instance (auto: each ground-truth label is one connected object" in capsys.readouterr().err
    assert read_eval(tmp_path / "o")["summary"]["dsb_score"] == 1.0


def _rle(mask):
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


def _coco_case(tmp_path):
    """Two 12x12 images; ground truth as COCO JSON (RLE, polygon, crowd), predictions as a results list."""
    m = np.zeros((5, 12, 12), bool)
    m[0, 1:5, 1:5] = True        # image 1, object A
    m[1, 6:11, 6:11] = True      # image 1, object B
    m[2, 0:3, 8:12] = True       # image 1, crowd region
    m[3, 2:8, 3:9] = True        # image 2, the polygon below
    images = [{"id": 1, "file_name": "one.png", "height": 12, "width": 12},
              {"id": 2, "file_name": "two.png", "height": 12, "width": 12}]
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "segmentation": _rle(m[0]), "area": 16, "iscrowd": 0,
         "bbox": [1, 1, 4, 4]},
        {"id": 2, "image_id": 1, "category_id": 1, "segmentation": _rle(m[1]), "area": 25, "iscrowd": 0,
         "bbox": [6, 6, 5, 5]},
        {"id": 3, "image_id": 1, "category_id": 1, "segmentation": _rle(m[2]), "area": 12, "iscrowd": 1,
         "bbox": [8, 0, 4, 3]},
        {"id": 4, "image_id": 2, "category_id": 1, "segmentation": [[3, 2, 9, 2, 9, 8, 3, 8]], "area": 36,
         "iscrowd": 0, "bbox": [3, 2, 6, 6]},
    ]
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "thing"}]}
    p = np.zeros((4, 12, 12), bool)
    p[0, 1:5, 1:4] = True        # IoU 0.75 with A
    p[1, 6:11, 6:11] = True      # exact B
    p[2, 0:2, 9:12] = True       # inside the crowd region: ignored
    p[3, 2:8, 3:7] = True        # IoU 24/36 with the polygon
    results = [{"image_id": i, "category_id": 1, "segmentation": _rle(p[k]), "score": s}
               for k, (i, s) in enumerate([(1, 0.9), (1, 0.8), (1, 0.95), (2, 0.7)])]
    return gt, results, m, p


def test_coco_instance_json_and_results_list_match_pycocotools(tmp_path, read_eval):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt, results, m, p = _coco_case(tmp_path)
    gt_path = save_json(tmp_path / "gt" / "instances.json", gt)
    pred_path = save_json(tmp_path / "pred" / "results.json", results)
    out = tmp_path / "out"
    assert main(["eval", str(pred_path), str(gt_path), "-o", str(out), "--no-plots"]) == 0
    doc = read_eval(out)
    assert doc["task"] == "instance" and doc["summary"]["class_agnostic_ap"] is False

    coco = COCO(str(gt_path))
    ev = COCOeval(coco, coco.loadRes(str(pred_path)), iouType="segm")
    ev.evaluate(); ev.accumulate(); ev.summarize()
    assert doc["summary"]["ap"] == pytest.approx(ev.stats[0])
    assert doc["summary"]["ap50"] == pytest.approx(ev.stats[1])

    rows = {r["image"]: r for r in doc["images"]}
    # image "one": A matched at IoU 0.75, B exactly; the crowd region is void, so its prediction vanishes
    assert rows["one"]["tp"] == 2 and rows["one"]["n_pred"] == 2
    assert rows["one"]["mean_matched_iou"] == pytest.approx((0.75 + 1.0) / 2)
    assert rows["two"]["mean_matched_iou"] == pytest.approx(24 / 36)
    gt_two = m[3].astype(np.int32)
    assert rows["two"]["dsb_score"] == pytest.approx(metrics.dsb_score(gt_two, p[3].astype(np.int32)))


def test_coco_ground_truth_with_label_image_predictions(tmp_path, read_eval):
    gt, _, m, p = _coco_case(tmp_path)
    gt_path = save_json(tmp_path / "gt" / "instances.json", gt)
    one = np.zeros((12, 12), np.int32)
    one[p[0]], one[p[1]] = 1, 2
    save_labels(tmp_path / "pred" / "one.labels.png", one)
    save_labels(tmp_path / "pred" / "two.labels.png", p[3])
    assert main(["eval", str(tmp_path / "pred"), str(gt_path), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    doc = read_eval(tmp_path / "o")
    truth_one = np.where(m[2], -1, 0)
    truth_one[m[0]], truth_one[m[1]] = 1, 2
    assert doc["images"][0]["dsb_score"] == pytest.approx(metrics.dsb_score(truth_one, one))
    assert doc["summary"]["class_agnostic_ap"] is True


def _panoptic_png(path, ids):
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)


def test_panoptic_png_and_json_hand_computed(tmp_path, read_eval):
    truth = np.ones((6, 8), np.int32)           # segment 1: stuff (category 1)
    truth[0:2, 0:5] = 2                         # thing A, 10 px
    truth[3:5, 2:7] = 3                         # thing B, 10 px
    pred = truth.copy()
    pred[3:5, 5:7] = 0                          # B predicted on 6 of its 10 px: IoU 0.6; the rest unlabelled
    info = [{"id": 1, "category_id": 1, "iscrowd": 0}, {"id": 2, "category_id": 2, "iscrowd": 0},
            {"id": 3, "category_id": 2, "iscrowd": 0}]
    cats = [{"id": 1, "name": "sky", "isthing": 0}, {"id": 2, "name": "cell", "isthing": 1}]
    ann = [{"image_id": 1, "file_name": "scene.png", "segments_info": info}]
    save_json(tmp_path / "gt" / "panoptic.json", {"annotations": ann, "categories": cats})
    _panoptic_png(tmp_path / "gt" / "panoptic" / "scene.png", truth)
    save_json(tmp_path / "pred" / "panoptic.json", {"annotations": ann})   # no categories: the truth's are used
    _panoptic_png(tmp_path / "pred" / "panoptic" / "scene.png", pred)
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    s = read_eval(tmp_path / "o")["summary"]
    assert s["pq_stuff"] == pytest.approx(1.0)
    assert s["pq_things"] == pytest.approx((1.0 + 0.6) / 2) and s["rq_things"] == pytest.approx(1.0)
    assert s["pq"] == pytest.approx((1.0 + 0.8) / 2)


def test_seglab_panoptic_output_reads_back_and_scores_against_a_coco_panoptic_truth(tmp_path, read_eval):
    # seglab segment threshold --as panoptic --things foreground --outputs panoptic, then seglab eval against a
    # hand-made COCO panoptic truth: the background is unlabelled, blob A is right, blob B is half found.
    image = np.zeros((6, 8), np.uint8)
    image[0:2, 0:5] = 200                       # blob A, 10 px
    image[3:5, 2:7] = 200                       # blob B, 10 px
    image[3:5, 5:7] = 0                         # ... of which only 6 px are bright
    Image.fromarray(image).save(tmp_path / "scene.png")
    out = tmp_path / "pred"
    assert main(["segment", "threshold", str(tmp_path / "scene.png"), "-o", str(out), "--value", "100",
                 "--as", "panoptic", "--things", "foreground", "--outputs", "panoptic"]) == 0
    rgb = np.asarray(Image.open(out / "scene.panoptic.png")).astype(np.int64)
    ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    assert np.array_equal(ids > 0, image > 100) and len(np.unique(ids[ids > 0])) == 2
    doc = json.loads((out / "scene.panoptic.json").read_text())
    info = doc["annotations"][0]["segments_info"]
    assert sorted(s["area"] for s in info) == [6, 10] and all(s["isthing"] and s["category_id"] == 1 for s in info)
    truth = np.zeros((6, 8), np.int32)
    truth[0:2, 0:5] = 1
    truth[3:5, 2:7] = 2
    gt_info = [{"id": 1, "category_id": 1, "iscrowd": 0}, {"id": 2, "category_id": 1, "iscrowd": 0}]
    save_json(tmp_path / "gt" / "panoptic.json", {
        "annotations": [{"image_id": 1, "file_name": "scene.png", "segments_info": gt_info}],
        "categories": [{"id": 1, "name": "foreground", "isthing": 1}]})
    _panoptic_png(tmp_path / "gt" / "panoptic" / "scene.png", truth)
    assert main(["eval", str(out), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    s = read_eval(tmp_path / "o")["summary"]
    assert s["pq_things"] == pytest.approx((1.0 + 0.6) / 2) and s["rq_things"] == pytest.approx(1.0)


def test_bsds_mat_with_two_annotators_hand_computed(tmp_path, read_eval):
    halves = np.repeat([[1, 1, 2, 2]], 4, axis=0)
    save_bsds(tmp_path / "gt" / "100.mat", halves, np.ones((4, 4), int))
    save_labels(tmp_path / "pred" / "100.labels.png", halves)
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    doc = read_eval(tmp_path / "o")
    s = doc["summary"]
    assert doc["task"] == "partition" and doc["images"][0]["annotators"] == 2
    # PRI: mean of RI = 1 (same halves) and RI = 56/120 (one region vs two halves of 8 px)
    assert s["pri_ods"] == pytest.approx((1 + 56 / 120) / 2)
    # covering: (16 px x IoU 1 + 16 px x IoU 8/16) / 32 px;  VoI: (0 + 1 bit) / 2
    assert s["covering_ods"] == pytest.approx(0.75)
    assert s["voi_ods"] == pytest.approx(0.5)


# ----------------------------------------------------------------------------- bad input


def test_shape_mismatch_is_listed_and_the_batch_goes_on(tmp_path, read_eval, capsys):
    pred, gt = _semantic_folders(tmp_path)
    save_labels(pred / "b.labels.png", np.zeros((3, 3), int))
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(tmp_path / "o"), "--no-plots"]) == 1
    doc = read_eval(tmp_path / "o")
    assert [r["image"] for r in doc["images"]] == ["a"]
    assert doc["summary"]["mean_iou"] == pytest.approx(metrics.mean_iou(metrics.confusion(T1, P1, num_classes=3)))
    (failure,) = doc["failures"]
    assert failure["source"] == "b" and "shape mismatch" in failure["reason"] and "3x3" in failure["reason"]
    assert "1 failed" in capsys.readouterr().err


def test_float_labels_and_out_of_range_classes_are_clear_failures(tmp_path, read_eval):
    pred, gt = _semantic_folders(tmp_path)
    (pred / "a.labels.png").unlink()
    tifffile.imwrite(pred / "a.tif", np.full(T1.shape, 0.5, np.float32))
    save_labels(pred / "b.labels.png", np.full(T2.shape, 7))
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(tmp_path / "o"), "--no-plots"]) == 1
    reasons = {f["source"]: f["reason"] for f in read_eval(tmp_path / "o")["failures"]}
    assert "fractional" in reasons["a"]
    assert "outside [0, 3)" in reasons["b"]


def test_unmatched_stems_and_empty_file_are_reported(tmp_path, read_eval, capsys):
    pred, gt = _semantic_folders(tmp_path)
    save_labels(pred / "extra.labels.png", T1)
    save_labels(gt / "lonely.png", T1)
    (pred / "a.labels.png").write_bytes(b"")
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(tmp_path / "o"), "--no-plots"]) == 1
    doc = read_eval(tmp_path / "o")
    text = " ".join(f"{f['source']} {f['reason']}" for f in doc["failures"])
    assert "extra.labels.png prediction without ground truth" in text
    assert "empty" in text  # the 0-byte a.labels.png
    assert [Path(p).name for p in doc["not_predicted"]] == ["lonely.png"]  # a subset was predicted: not a failure
    err = capsys.readouterr().err
    assert "2 failed" in err and "1 ground-truth image(s) not predicted" in err


def test_a_subset_of_predictions_is_not_a_failure(tmp_path, read_eval, capsys):
    """Issue 14 #4: ground-truth images with no prediction are 'not predicted', not failures."""
    pred, gt = _semantic_folders(tmp_path)
    (pred / "b.labels.png").unlink()
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    doc = read_eval(tmp_path / "o")
    assert [r["image"] for r in doc["images"]] == ["a"] and doc["failures"] == []


def test_cluster_numbers_are_flagged_and_matched_to_classes(tmp_path, read_eval, capsys):
    """Issue 14 #4: k-means cluster ids compared with class ids gave mIoU near 0 with no warning."""
    truth = np.repeat(np.array([[0, 1, 2, 3]]), 8, axis=0).repeat(8, axis=1)
    clusters = np.array([2, 0, 3, 1])[truth]  # a perfect clustering under other numbers
    save_labels(tmp_path / "gt" / "a.png", truth)
    save_labels(tmp_path / "pred" / "a.labels.png", clusters)
    args = ["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "--num-classes", "4", "--no-plots"]
    assert main([*args, "-o", str(tmp_path / "raw")]) == 0
    assert read_eval(tmp_path / "raw")["summary"]["mean_iou"] == 0.0
    assert "look like cluster numbers" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "matched"), "--match-classes"]) == 0
    assert read_eval(tmp_path / "matched")["summary"]["mean_iou"] == 1.0
    assert "look like cluster numbers" not in capsys.readouterr().err


def test_ground_truth_without_objects_follows_the_dsb_convention(tmp_path, read_eval):
    save_labels(tmp_path / "gt" / "a.png", np.zeros((4, 4), int))
    save_labels(tmp_path / "gt" / "b.png", np.zeros((4, 4), int))
    save_labels(tmp_path / "pred" / "a.png", np.zeros((4, 4), int))
    save_labels(tmp_path / "pred" / "b.png", np.eye(4, dtype=int))
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots",
                 "--task", "instance"]) == 0
    rows = {r["image"]: r for r in read_eval(tmp_path / "o")["images"]}
    assert rows["a"]["dsb_score"] == 1.0 and rows["b"]["dsb_score"] == 0.0


def test_missing_matplotlib(tmp_path, monkeypatch, capsys):
    pred, gt = _semantic_folders(tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert main(["eval", str(pred), str(gt), "-o", str(tmp_path / "o"), "--plots", "--num-classes", "3"]) == 3
    assert 'pip install "seglab[eval]"' in capsys.readouterr().err
    assert not (tmp_path / "o" / "eval.json").exists()
    assert main(["eval", str(pred), str(gt), "-o", str(tmp_path / "o"), "--num-classes", "3"]) == 0  # skipped, noted
    assert "plots skipped" in capsys.readouterr().err
    assert not (tmp_path / "o" / "per_image.png").exists()


def test_existing_outputs_need_overwrite(tmp_path, capsys):
    pred, gt = _semantic_folders(tmp_path)
    out = tmp_path / "o"
    assert main(["eval", str(pred), str(gt), "-o", str(out), "--no-plots", "--task", "instance"]) == 0
    before = (out / "eval.json").read_bytes()
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(out), "--no-plots"]) == 2
    assert "already exists" in capsys.readouterr().err and (out / "eval.json").read_bytes() == before
    assert main(["eval", str(pred), str(gt), "--num-classes", "3", "-o", str(out), "--no-plots", "--overwrite"]) == 0
    assert (out / "eval.json").read_bytes() != before


@pytest.mark.parametrize("args, message", [
    (["no/such/pred", "{gt}"], "no such file or folder"),
    (["{pred}", "{gt}", "--task", "instance", "--label-map", "255=1"], "only applies to semantic"),
    (["{pred}", "{gt}", "--task", "kind"], "invalid choice"),
])
def test_usage_errors(tmp_path, capsys, args, message):
    pred, gt = _semantic_folders(tmp_path)
    assert main(["eval", *[a.format(pred=pred, gt=gt) for a in args]]) == 2
    assert message in capsys.readouterr().err


def test_results_list_without_coco_ground_truth_is_a_failed_file(tmp_path, capsys):
    _, gt = _semantic_folders(tmp_path)
    results = save_json(tmp_path / "r.json", [{"image_id": 1, "segmentation": [], "score": 1.0}])
    assert main(["eval", str(results), str(gt)]) == 1
    assert "give the ground truth as the COCO instance JSON" in capsys.readouterr().err


def test_command_line_in_a_subprocess(tmp_path):
    pred, gt = _semantic_folders(tmp_path)
    run = subprocess.run([sys.executable, "-m", "seglab.cli", "eval", str(pred), str(gt), "--num-classes", "3"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "data set" in run.stdout and "2 image(s) scored (semantic)" in run.stderr


def test_bsds_segs_mat_prediction_is_a_sweep(tmp_path, read_eval):
    import scipy.io

    halves = np.repeat([[1, 1, 2, 2, 2, 2]], 6, axis=0)
    rows = np.repeat([[1], [1], [1], [2], [2], [2]], 6, axis=1)
    save_bsds(tmp_path / "gt" / "7.mat", halves, rows)
    settings = [np.ones((6, 6), int), halves, halves + 2 * (rows - 1)]
    cell = np.empty((1, 3), object)
    for k, s in enumerate(settings):
        cell[0, k] = s.astype(np.uint16)
    (tmp_path / "pred").mkdir()
    scipy.io.savemat(tmp_path / "pred" / "7.mat", {"segs": cell})
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    doc = read_eval(tmp_path / "o")
    gt = [metrics.BsdsGroundTruth.from_labels(a) for a in (halves, rows)]
    expected = metrics.summarize_bsds([metrics.evaluate_bsds_image(gt, segs=settings)])
    assert doc["images"][0]["settings"] == 3
    assert doc["summary"]["covering_ods"] == pytest.approx(expected.covering.ods)
    assert doc["summary"]["boundary_ods"] == pytest.approx(expected.boundary.ods_f)
    assert doc["summary"]["voi_ois"] == pytest.approx(expected.voi.ois)


def test_empty_folders_are_a_usage_error(tmp_path, capsys):
    (tmp_path / "p").mkdir()
    (tmp_path / "g").mkdir()
    assert main(["eval", str(tmp_path / "p"), str(tmp_path / "g")]) == 2
    assert "found no label files" in capsys.readouterr().err


def test_ucm2_prediction_uses_nthresh(tmp_path, read_eval):
    import scipy.io

    halves = np.repeat([[1, 1, 2, 2]], 4, axis=0)
    save_bsds(tmp_path / "gt" / "9.mat", halves)
    ucm2 = np.zeros((9, 9))
    ucm2[:, 4] = 0.6            # the contour between the halves, on the doubled grid
    ucm2[[0, -1], :] = ucm2[:, [0, -1]] = 1.0
    (tmp_path / "pred").mkdir()
    scipy.io.savemat(tmp_path / "pred" / "9.mat", {"ucm2": ucm2})
    args = ["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "--nthresh", "3", "-o", str(tmp_path / "o"),
            "--no-plots"]
    assert main(args) == 0
    doc = read_eval(tmp_path / "o")
    expected = metrics.summarize_bsds([metrics.evaluate_bsds_image([metrics.BsdsGroundTruth.from_labels(halves)],
                                                                   ucm2=ucm2, nthresh=3)])
    assert doc["images"][0]["settings"] == 3
    assert doc["summary"]["covering_ods"] == pytest.approx(expected.covering.ods) == pytest.approx(1.0)
    assert doc["summary"]["pri_ods"] == pytest.approx(expected.pri.ods)


def test_eval_of_a_folder_that_segment_wrote_scores_its_labels_only(tmp_path, read_eval, capsys):
    """Issue 14 #1: overlays counted as predictions without ground truth (exit 1), COCO files added notes."""
    truth = np.zeros((24, 30), np.int32)
    truth[3:10, 3:10], truth[14:20, 15:26] = 1, 2
    for stem in ("p", "q"):
        Image.fromarray(np.where(truth > 0, 200, 20).astype(np.uint8)).save(tmp_path / f"{stem}.png")
        save_labels(tmp_path / "gt" / f"{stem}.png", truth)
    (tmp_path / "img").mkdir()
    for stem in ("p", "q"):
        (tmp_path / f"{stem}.png").rename(tmp_path / "img" / f"{stem}.png")
    assert main(["segment", "watershed", str(tmp_path / "img"), "-o", str(tmp_path / "ws"),
                 "--outputs", "labels,overlay,json,coco,csv,panoptic"]) == 0
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "ws"), str(tmp_path / "gt"), "-o", str(tmp_path / "o"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "note:" not in err and "error" not in err
    doc = read_eval(tmp_path / "o")
    assert doc["task"] == "instance" and [r["image"] for r in doc["images"]] == ["p", "q"] and not doc["failures"]


def test_a_mask_of_0_and_another_value_gets_the_label_map_that_reads_it_as_class_1(tmp_path, read_eval, capsys):
    truth = np.zeros((16, 16), np.uint8)
    truth[4:12, 4:12] = 200
    save_labels(tmp_path / "gt" / "00.png", truth)
    save_labels(tmp_path / "pred" / "00.labels.png", (truth > 0).astype(int))
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "--no-plots"]) == 0
    assert "if 200 marks the objects, pass --label-map 200=1" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "--no-plots", "--label-map", "200=1",
                 "-o", str(tmp_path / "o")]) == 0
    assert read_eval(tmp_path / "o")["summary"]["mean_iou"] == 1.0
