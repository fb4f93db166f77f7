"""DSB2018 figures of the instance methods, overall and per modality, through seglab.segment and seglab.evaluation.

Every image is segmented once per method with :func:`seglab.segment` (the
path ``seglab segment`` and ``seglab bench`` take) and scored with
:mod:`seglab.evaluation`'s instance evaluator, over all images and per
modality group (``splits/dsb2018_modality.csv``, made by
``instances_split.py``). Figures: DSB score (Kaggle: mean over IoU
0.50:0.95 of TP/(TP+FP+FN), averaged over images); F1@0.5, and AP@0.5 in
StarDist's sense (TP/(TP+FP+FN) at IoU 0.5), both pooled over the images;
COCO mask AP (scored by each instance's score); PQ (one thing class:
summed IoU of the matches / (TP + FP/2 + FN/2), pooled). Usage::

    .venv/bin/python benchmarks/deep/instances_quality.py --set test \\
        --method unet_instances weights=nuclei --method mask_rcnn weights=/work/runs/mask_rcnn/nuclei.pt \\
        --method watershed polarity=auto -o benchmarks/deep/results/instances_test.json

``--set val`` scores the validation part of stage1_train (the images that
chose the checkpoints and thresholds); ``--set test`` the 65 stage-1 test
images, which nothing here chooses with.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import warnings
from pathlib import Path
from typing import Any

import seglab
from seglab.evaluation import LabelData, make_evaluator
from seglab.io import read_image, read_labels

HERE = Path(__file__).parent
SPLITS = HERE / "splits"
GROUPS = ("fluorescence", "brightfield", "stained")


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _images(data: Path, which: str) -> list[tuple[str, Path, Path, str]]:
    modality = {r["stem"]: r["modality"] for r in csv.DictReader(open(SPLITS / "dsb2018_modality.csv"))}
    if which == "test":
        root = data / "dsb2018_stage1_test"
        stems = sorted(p.stem for p in (root / "images").glob("*.png"))
    else:
        root = data / "dsb2018_stage1_train"
        stems = (SPLITS / "dsb2018_val.txt").read_text().split()
    return [(s, root / "images" / f"{s}.png", root / "labels" / f"{s}.png", modality[s]) for s in stems]


def figures(evaluator: Any) -> dict[str, float]:
    """The summary figures of an instance evaluator, with StarDist's AP@0.5 and PQ from its pooled counts."""
    s = evaluator.summary()
    tp = sum(r["tp"] for r in evaluator.rows)
    fp, fn = s["n_pred"] - tp, s["n_true"] - tp
    return {"images": len(evaluator.rows), "dsb_score": s["dsb_score"], "f1@0.5": s["f1@0.5"],
            "ap@0.5_stardist": tp / (tp + fp + fn) if tp + fp + fn else 1.0, "coco_ap": s["ap"],
            "coco_ap50": s["ap50"], "pq": evaluator.iou_sum / (tp + fp / 2 + fn / 2) if tp + fp + fn else 1.0,
            "precision@0.5": s["precision@0.5"], "recall@0.5": s["recall@0.5"],
            "matched_iou": s["mean_matched_iou"], "n_true": s["n_true"], "n_pred": s["n_pred"]}


def run(method: str, params: dict[str, Any], images: list[tuple[str, Path, Path, str]]) -> dict[str, Any]:
    overall = make_evaluator("instance")
    groups = {g: make_evaluator("instance") for g in GROUPS}
    seconds = []
    for stem, image_path, labels_path, group in images:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # RGBA files: alpha dropped
            image = read_image(image_path)
        truth = LabelData.from_labels(read_labels(labels_path), source=str(labels_path))
        start = time.perf_counter()
        seg = seglab.segment(image, method, **params)
        seconds.append(time.perf_counter() - start)
        scores = {i: float(s.score) for i, s in seg.segments.items() if s.score is not None}
        pred = LabelData.from_labels(seg.labels, source=f"{method}:{stem}", scores=scores or None)
        overall.add(truth, pred)
        groups[group].add(truth, pred)
    return {"method": method, "params": params, "seconds_per_image": sum(seconds) / len(seconds),
            "overall": figures(overall),
            "groups": {g: figures(ev) for g, ev in groups.items() if ev.rows}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--set", choices=("val", "test"), required=True)
    parser.add_argument("--method", nargs="+", action="append", required=True, metavar="NAME [KEY=VALUE ...]")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    images = _images(args.data, args.set)
    results = []
    for name, *pairs in args.method:
        params = {k: _value(v) for k, v in (p.split("=", 1) for p in pairs)}
        results.append(run(name, params, images))
        o = results[-1]["overall"]
        print(f"{name} {params}: DSB {o['dsb_score']:.4f}, F1@0.5 {o['f1@0.5']:.4f}, AP@0.5 "
              f"{o['ap@0.5_stardist']:.4f}, COCO AP {o['coco_ap']:.4f}, PQ {o['pq']:.4f}, "
              f"{results[-1]['seconds_per_image']:.2f} s/image", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    doc = {"set": args.set, "seglab_version": seglab.__version__, "images": len(images), "results": results,
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.output.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
