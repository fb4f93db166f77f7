"""Benchmarks of seglab.metrics (run by hand; never part of the test suite).

    python benchmarks/bench_metrics.py            # both benchmarks, 5 repeats
    python benchmarks/bench_metrics.py --repeats 7 --only coco

1. mIoU over 100 pairs of 1024x1024 label images with 20 classes: the summed
   :func:`seglab.metrics.confusion` of every pair, reduced by ``mean_iou``.
2. COCO mask AP on images with 200 instances, side by side with pycocotools:
   ours from label images and from (N, H, W) masks, against pycocotools'
   ``evaluate() + accumulate()`` on RLEs encoded beforehand (its encoding and
   ``loadRes`` are timed separately and reported too). Results are checked equal.

Every figure is the median of ``--repeats`` runs; the two sides of a ratio run
interleaved in the same process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import numpy as np

from seglab.metrics import coco_mask_ap, confusion, mean_iou


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------- mIoU


def _semantic_pair(rng: np.random.Generator, size: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Blocky truth (32 px cells) and a prediction that flips ~20 % of the pixels."""
    cells = rng.integers(0, k, size=(size // 32, size // 32), dtype=np.uint8)
    truth = np.kron(cells, np.ones((32, 32), np.uint8))
    flip = rng.random((size, size)) < 0.2
    pred = truth.copy()
    pred[flip] = rng.integers(0, k, size=int(flip.sum()), dtype=np.uint8)
    return truth, pred


def bench_miou(repeats: int) -> None:
    rng = np.random.default_rng(0)
    k, size, n_pairs = 20, 1024, 100
    pairs8 = [_semantic_pair(rng, size, k) for _ in range(n_pairs)]
    pairs32 = [(t.astype(np.int32), p.astype(np.int32)) for t, p in pairs8[:10]]  # 10 distinct, reused 10x

    def run(pairs, times):
        def once():
            total = np.zeros((k, k), np.int64)
            for _ in range(times):
                for t, p in pairs:
                    total += confusion(t, p, num_classes=k)
            return mean_iou(total)
        return once

    # check once against a plain per-class count
    t, p = pairs8[0]
    cm = confusion(t, p, num_classes=k)
    assert all(cm[i, j] == np.count_nonzero((t == i) & (p == j)) for i in range(k) for j in range(0, k, 7))
    u8 = _median_time(run(pairs8, 1), repeats)
    i32 = _median_time(run(pairs32, 10), repeats)
    print(f"mIoU, 100 pairs of {size}x{size}, {k} classes (median of {repeats}):")
    print(f"  uint8 inputs (100 distinct pairs): {u8:.3f} s total, {u8 / n_pairs * 1e3:.2f} ms/pair")
    print(f"  int32 inputs (10 distinct pairs x 10): {i32:.3f} s total, {i32 / n_pairs * 1e3:.2f} ms/pair")


# ----------------------------------------------------------------------------- COCO AP


def _instance_image(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    labels = np.zeros((size, size), np.int32)
    rr, cc = np.mgrid[:size, :size]
    placed = 0
    while placed < n:
        r = int(rng.integers(5, 18))
        cy, cx = rng.integers(r, size - r, size=2)
        window = (slice(cy - r, cy + r + 1), slice(cx - r, cx + r + 1))
        disk = (rr[window] - cy) ** 2 + (cc[window] - cx) ** 2 <= r * r
        if (labels[window][disk] != 0).any():
            continue
        placed += 1
        labels[window][disk] = placed
    return labels


def _coco_case(rng: np.random.Generator, n_images: int, size: int, n: int, n_cats: int):
    gts, preds_masks, preds_labels = [], [], []
    for _ in range(n_images):
        labels = _instance_image(rng, size, n)
        cats = rng.integers(1, n_cats + 1, size=n)
        gts.append({"labels": labels, "category_ids": cats})
        # predictions: each object found with a small shift (10 % missed), plus 10 % false positives
        masks, p_cats = [], []
        for i in range(1, n + 1):
            if rng.random() < 0.1:
                continue
            masks.append(np.roll(labels == i, tuple(rng.integers(-2, 3, size=2)), axis=(0, 1)))
            p_cats.append(cats[i - 1] if rng.random() < 0.9 else int(rng.integers(1, n_cats + 1)))
        fp = _instance_image(rng, size, n // 10)
        masks += [fp == j for j in range(1, n // 10 + 1)]
        p_cats += list(rng.integers(1, n_cats + 1, size=n // 10))
        scores = rng.random(len(masks))
        masks = np.array(masks)
        preds_masks.append({"masks": masks, "category_ids": p_cats, "scores": scores})
        painted = np.zeros((size, size), np.int32)
        for j in np.argsort(scores):  # higher scores painted last, as Segmentation does
            painted[masks[j]] = j + 1
        present = np.unique(painted[painted > 0])
        preds_labels.append({"labels": painted, "category_ids": {int(j): p_cats[j - 1] for j in present},
                             "scores": {int(j): float(scores[j - 1]) for j in present}})
    return gts, preds_masks, preds_labels


def _pycocotools_gt(gts, n_cats: int):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    images, anns = [], []
    for img_id, g in enumerate(gts, start=1):
        labels = g["labels"]
        images.append({"id": img_id, "height": labels.shape[0], "width": labels.shape[1]})
        for i, c in enumerate(g["category_ids"], start=1):
            rle = mask_utils.encode(np.asfortranarray((labels == i).astype(np.uint8)))
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": int(c), "segmentation": rle,
                         "area": float(mask_utils.area(rle)), "iscrowd": 0, "bbox": list(mask_utils.toBbox(rle))})
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        categories = [{"id": c} for c in range(1, n_cats + 1)]
        coco_gt.dataset = {"images": images, "annotations": anns, "categories": categories}
        coco_gt.createIndex()
    return coco_gt


def _pycocotools_dets(coco_gt, preds):
    """Encode the detection masks to RLE and load them (loadRes modifies its input: build it fresh)."""
    from pycocotools import mask as mask_utils

    dets = []
    for img_id, p in enumerate(preds, start=1):
        rles = mask_utils.encode(np.asfortranarray(p["masks"].transpose(1, 2, 0).astype(np.uint8)))
        for rle, c, s in zip(rles, p["category_ids"], p["scores"]):
            dets.append({"image_id": img_id, "category_id": int(c), "segmentation": rle, "score": float(s)})
    with contextlib.redirect_stdout(io.StringIO()):
        return coco_gt.loadRes(dets)


def bench_coco(repeats: int, n_images: int, size: int, n: int, n_cats: int) -> None:
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(1)
    gts, preds_masks, preds_labels = _coco_case(rng, n_images, size, n, n_cats)
    coco_gt = _pycocotools_gt(gts, n_cats)

    def pycoco_eval(coco_dt):
        with contextlib.redirect_stdout(io.StringIO()):
            ev = COCOeval(coco_gt, coco_dt, iouType="segm")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return ev

    def pycoco_encode_and_load():
        return _pycocotools_dets(coco_gt, preds_masks)

    coco_dt = pycoco_encode_and_load()
    ref = pycoco_eval(coco_dt)
    ours_m = coco_mask_ap(gts, preds_masks)
    assert np.allclose(ours_m.stats, ref.stats, atol=1e-6), (ours_m.stats, ref.stats)
    ours_l = coco_mask_ap(gts, preds_labels)  # a different (painted) prediction: not compared to ref

    t_ref, t_enc, t_masks, t_labels = [], [], [], []
    for _ in range(repeats):  # interleaved, side by side
        t0 = time.perf_counter()
        dt = pycoco_encode_and_load()
        t1 = time.perf_counter()
        pycoco_eval(dt)
        t2 = time.perf_counter()
        coco_mask_ap(gts, preds_masks)
        t3 = time.perf_counter()
        coco_mask_ap(gts, preds_labels)
        t4 = time.perf_counter()
        t_enc.append(t1 - t0)
        t_ref.append(t2 - t1)
        t_masks.append(t3 - t2)
        t_labels.append(t4 - t3)
    med = statistics.median
    n_det = sum(len(p["scores"]) for p in preds_masks)
    print(f"COCO mask AP: {n_images} images {size}x{size}, {n} GT instances each, {n_det} detections, "
          f"{n_cats} categories (median of {repeats}); AP = {ours_m.ap:.4f} (equal to pycocotools to 1e-6)")
    print(f"  pycocotools evaluate()+accumulate()+summarize(): {med(t_ref):.3f} s")
    print(f"  pycocotools RLE encode of the det masks + loadRes: {med(t_enc):.3f} s (not in the ratio)")
    print(f"  seglab coco_mask_ap from (N, H, W) masks:       {med(t_masks):.3f} s  "
          f"ratio ours/pycocotools = {med(t_masks) / med(t_ref):.2f}")
    print(f"  seglab coco_mask_ap from label images:          {med(t_labels):.3f} s  "
          f"ratio ours/pycocotools = {med(t_labels) / med(t_ref):.2f} (AP {ours_l.ap:.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["miou", "coco"])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--categories", type=int, default=3)
    args = parser.parse_args()
    if args.only in (None, "miou"):
        bench_miou(args.repeats)
    if args.only in (None, "coco"):
        bench_coco(args.repeats, args.images, args.size, args.instances, args.categories)


if __name__ == "__main__":
    main()
