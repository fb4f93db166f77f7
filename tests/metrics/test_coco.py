"""COCO mask AP: equal to pycocotools' COCOeval(iouType="segm") on random cases, plus bad input."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from seglab.core.errors import InvalidImageError, InvalidParameterError
from seglab.core.types import Segment, Segmentation
from seglab.metrics import coco_mask_ap

mask_utils = pytest.importorskip("pycocotools.mask")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


# ----------------------------------------------------------------------------- reference


def _rle(mask: np.ndarray) -> dict:
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))


def _instances(entry: dict) -> tuple[list[np.ndarray], dict]:
    """Masks (in seglab's instance order) of one image given in seglab's mapping form."""
    if "masks" in entry:
        return [m.astype(bool) for m in entry["masks"]], entry
    labels = entry["labels"]
    ids = np.unique(labels[labels > 0])
    return [labels == i for i in ids], entry


def pycocotools_eval(gts: list[dict], preds: list[dict], *, use_cats: bool = True, max_dets=None) -> COCOeval:
    """Run pycocotools on the same data (ground truth areas = mask pixel counts)."""
    images, anns, dets, cats = [], [], [], set()
    for img_id, (g, p) in enumerate(zip(gts, preds), start=1):
        g_masks, _ = _instances(g)
        h, w = g_masks[0].shape if g_masks else (g["labels"].shape if "labels" in g else g["masks"].shape[1:])
        images.append({"id": img_id, "height": int(h), "width": int(w)})
        g_cat = g.get("category_ids", [0] * len(g_masks))
        g_crowd = g.get("iscrowd", [0] * len(g_masks))
        for m, c, z in zip(g_masks, g_cat, g_crowd):
            rle = _rle(m)
            anns.append({
                "id": len(anns) + 1, "image_id": img_id, "category_id": int(c), "segmentation": rle,
                "area": float(mask_utils.area(rle)), "iscrowd": int(z), "bbox": list(mask_utils.toBbox(rle)),
            })
            cats.add(int(c))
        p_masks, _ = _instances(p)
        p_cat = p.get("category_ids", [0] * len(p_masks))
        for m, c, s in zip(p_masks, p_cat, p["scores"]):
            dets.append({"image_id": img_id, "category_id": int(c), "segmentation": _rle(m), "score": float(s)})
            cats.add(int(c))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": c} for c in sorted(cats)]}
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(dets)
        ev = COCOeval(coco_gt, coco_dt, iouType="segm")
        ev.params.useCats = int(use_cats)
        if max_dets is not None:
            ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


# ----------------------------------------------------------------------------- random cases


def _blob(rng: np.random.Generator, shape: tuple[int, int], max_r: int) -> np.ndarray:
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    cy, cx = rng.integers(0, shape[0]), rng.integers(0, shape[1])
    ry, rx = rng.integers(1, max_r + 1, size=2)
    return ((rr - cy) / ry) ** 2 + ((cc - cx) / rx) ** 2 <= 1


def _perturb(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    out = np.roll(mask, tuple(rng.integers(-3, 4, size=2)), axis=(0, 1))
    if rng.random() < 0.3:
        out = out & ~_blob(rng, mask.shape, 6)
    return out


def random_case(seed: int) -> tuple[list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for _ in range(int(rng.integers(1, 4))):
        side = (150, 220) if rng.random() < 0.3 else (20, 140)  # big images reach the "large" area range
        shape = (int(rng.integers(*side)), int(rng.integers(*side)))
        n_gt = int(rng.choice([0, 1, 3, 8, 15]))
        masks = [_blob(rng, shape, int(rng.choice([4, 12, 40, 80]))) for _ in range(n_gt)]
        masks = [m for m in masks if m.any()]
        cats = list(rng.integers(1, 4, size=len(masks)))
        crowd = list((rng.random(len(masks)) < 0.15).astype(int))
        if rng.random() < 0.5:  # non-overlapping label image
            labels = np.zeros(shape, np.int32)
            for i, m in enumerate(masks, start=1):
                labels[m] = i
            keep = [i for i in range(1, len(masks) + 1) if (labels == i).any()]
            relabeled = np.zeros_like(labels)
            for new, old in enumerate(keep, start=1):
                relabeled[labels == old] = new
            gts.append({"labels": relabeled, "category_ids": [cats[i - 1] for i in keep],
                        "iscrowd": [crowd[i - 1] for i in keep]})
            masks = [relabeled == i for i in range(1, len(keep) + 1)]
            cats = [cats[i - 1] for i in keep]
        else:  # overlapping masks
            gts.append({"masks": np.array(masks, bool).reshape(-1, *shape), "category_ids": cats, "iscrowd": crowd})
        p_masks, p_cats = [], []
        for m, c in zip(masks, cats):
            for _ in range(int(rng.integers(0, 3))):
                p_masks.append(_perturb(rng, m))
                p_cats.append(c if rng.random() < 0.85 else int(rng.integers(1, 4)))
        n_extra = int(rng.choice([0, 2, 5, 110 if rng.random() < 0.2 else 0]))
        for _ in range(n_extra):
            p_masks.append(_blob(rng, shape, int(rng.choice([3, 10, 30]))))
            p_cats.append(int(rng.integers(1, 4)))
        scores = np.round(rng.random(len(p_masks)), 1)  # rounded: many ties
        preds.append({"masks": np.array(p_masks, bool).reshape(-1, *shape), "category_ids": p_cats,
                      "scores": list(scores)})
    if not any(len(p["scores"]) for p in preds):  # pycocotools cannot load zero detections
        shape = preds[0]["masks"].shape[1:]
        preds[0] = {"masks": _blob(rng, shape, 5)[None], "category_ids": [1], "scores": [0.5]}
    return gts, preds


@pytest.mark.parametrize("seed", [*range(12), 19, 22])  # 19, 22: over 100 detections in an image
def test_equals_pycocotools_on_random_cases(seed):
    gts, preds = random_case(seed)
    ref = pycocotools_eval(gts, preds)
    ours = coco_mask_ap(gts, preds)
    np.testing.assert_allclose(ours.stats, ref.stats, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.precision, ref.eval["precision"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.recall, ref.eval["recall"], rtol=0, atol=1e-6)
    assert list(ours.category_ids) == list(ref.params.catIds)


@pytest.mark.parametrize("seed", [3, 7])
def test_class_agnostic_equals_use_cats_0(seed):
    gts, preds = random_case(seed)
    ref = pycocotools_eval(gts, preds, use_cats=False)
    ours = coco_mask_ap(gts, preds, class_agnostic=True)
    np.testing.assert_allclose(ours.stats, ref.stats, rtol=0, atol=1e-6)


def test_other_max_dets_equal_pycocotools_arrays():
    gts, preds = random_case(5)
    ref = pycocotools_eval(gts, preds, max_dets=[2, 5, 300])
    ours = coco_mask_ap(gts, preds, max_dets=(2, 5, 300))
    np.testing.assert_allclose(ours.precision, ref.eval["precision"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.recall, ref.eval["recall"], rtol=0, atol=1e-6)


def test_per_category_ap_matches_pycocotools_precision():
    gts, preds = random_case(1)
    ref = pycocotools_eval(gts, preds)
    ours = coco_mask_ap(gts, preds).per_category_ap()
    for k, cat in enumerate(ref.params.catIds):
        s = ref.eval["precision"][:, :, k, 0, -1]
        expected = s[s > -1].mean() if (s > -1).any() else -1
        assert ours[cat] == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------- hand-made cases


def test_label_image_and_segmentation_inputs_agree_with_masks():
    gt = np.zeros((12, 12), np.int32)
    gt[:6, :6], gt[7:, 7:] = 3, 8
    pred = np.zeros_like(gt)
    pred[:6, :5], pred[7:, 8:] = 1, 2
    masks = np.stack([pred == 1, pred == 2])
    by_masks = coco_mask_ap([gt], [{"masks": masks, "scores": [0.3, 0.8]}])
    by_labels = coco_mask_ap([gt], [{"labels": pred, "scores": {1: 0.3, 2: 0.8}}])
    seg = Segmentation(pred, "instance", segments={1: Segment(0, 0.3), 2: Segment(0, 0.8)})
    by_seg = coco_mask_ap([gt], [seg])
    np.testing.assert_array_equal(by_masks.stats, by_labels.stats)
    np.testing.assert_array_equal(by_masks.stats, by_seg.stats)
    ref = pycocotools_eval([{"labels": gt}], [{"masks": masks, "scores": [0.3, 0.8]}])
    np.testing.assert_allclose(by_masks.stats, ref.stats, atol=1e-6)


def test_detection_on_crowd_is_neither_tp_nor_fp():
    gt = np.zeros((10, 10), np.int32)
    gt[:, :5], gt[:, 5:] = 1, 2
    found = np.zeros((2, 10, 10), bool)
    found[0, :, :5] = True  # the real object
    found[1, 2:4, 6:8] = True  # inside the crowd region: IoU = inter / area(det) = 1
    r = coco_mask_ap([{"labels": gt, "iscrowd": [0, 1]}], [{"masks": found, "scores": [0.5, 0.9]}])
    assert r.ap == pytest.approx(1.0) and r.to_dict()["AR@100"] == 1.0


def test_image_without_ground_truth_adds_false_positives():
    empty, gt = np.zeros((6, 6), np.int32), np.zeros((6, 6), np.int32)
    gt[:3, :3] = 1
    fp = np.zeros((1, 6, 6), bool)
    fp[0, 4:, 4:] = True
    # the false positive scores higher than the true positive: precision 1/2 at recall 1
    r = coco_mask_ap([gt, empty], [{"labels": gt, "scores": [0.5]}, {"masks": fp, "scores": [0.9]}])
    assert r.ap50 == pytest.approx(0.5)


def test_no_ground_truth_anywhere_is_minus_one():
    fp = np.ones((1, 4, 4), bool)
    r = coco_mask_ap([np.zeros((4, 4), int)], [{"masks": fp, "scores": [0.9]}])
    assert (r.stats == -1).all()


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "gt, pred, err, match",
    [
        ([np.zeros((4, 4), int)], [], InvalidParameterError, "one per image"),
        ([], [], InvalidParameterError, "no image"),
        ([np.zeros((4, 4), int)], [np.zeros((4, 4), int)], InvalidParameterError, "need scores"),
        ([np.zeros((4, 4), int)], [{"labels": np.ones((4, 4), int)}], InvalidParameterError, "need 'scores'"),
        ([np.zeros((4, 4), int)], [{"labels": np.ones((4, 5), int), "scores": [1]}], InvalidImageError, "shape"),
        ([np.zeros((4, 4))], [{"labels": np.ones((4, 4), int), "scores": [1]}], InvalidImageError, "float"),
        ([np.zeros((4, 4), int)], [{"labels": np.ones((4, 4), int), "scores": [1, 2]}],
         InvalidParameterError, "2 values for 1 instances"),
        ([np.zeros((4, 4), int)], [{"labels": np.ones((4, 4), int), "scores": [np.nan]}],
         InvalidParameterError, "finite"),
        ([np.zeros((4, 4), int)], [{"labels": np.ones((4, 4), int), "score": [1]}], InvalidParameterError,
         "unknown key"),
        ([{"labels": np.ones((4, 4), int), "scores": [1]}], [{"labels": np.ones((4, 4), int), "scores": [1]}],
         InvalidParameterError, "belong to predictions"),
    ],
)
def test_bad_input(gt, pred, err, match):
    with pytest.raises(err, match=match):
        coco_mask_ap(gt, pred)


def test_bad_max_dets():
    with pytest.raises(InvalidParameterError, match="max_dets"):
        coco_mask_ap([np.zeros((2, 2), int)], [{"labels": np.zeros((2, 2), int), "scores": []}], max_dets=(10, 1, 100))


def test_panoptic_segmentation_contributes_things_only():
    lab = np.array([[1, 1, 2, 2], [1, 1, 2, 2]], np.int32)
    gt = Segmentation(lab, "panoptic", segments={1: Segment(5, None, False), 2: Segment(3, None, True)})
    pred = Segmentation(lab, "panoptic", segments={1: Segment(5, 0.9, False), 2: Segment(3, 0.8, True)})
    r = coco_mask_ap([gt], [pred])
    assert r.category_ids == (3,) and r.ap == pytest.approx(1.0)
    with pytest.raises(InvalidImageError, match="semantic"):
        coco_mask_ap([Segmentation(lab, "semantic")], [pred])
    with pytest.raises(InvalidParameterError, match="score"):
        coco_mask_ap([gt], [gt])
