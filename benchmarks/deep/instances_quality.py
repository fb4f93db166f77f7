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

    .venv/bin/python benchmarks/deep/instances_quality.py run --set test \\
        --method unet_instances weights=nuclei --method mask_rcnn weights=/work/runs/mask_rcnn/nuclei.pt \\
        --method watershed polarity=auto -o benchmarks/deep/results/instances_test.json
    .venv/bin/python benchmarks/deep/instances_quality.py report --test benchmarks/deep/results/instances_test.json \\
        --val benchmarks/deep/results/instances_val.json --notes benchmarks/deep/instances_notes.md \\
        -o benchmarks/deep/results/instances_quality.md

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
    with open(SPLITS / "dsb2018_modality.csv", newline="") as f:
        modality = {r["stem"]: r["modality"] for r in csv.DictReader(f)}
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


COLUMNS = [("dsb_score", "DSB score"), ("f1@0.5", "F1@0.5"), ("ap@0.5_stardist", "AP@0.5 (StarDist)"),
           ("coco_ap", "COCO mask AP"), ("pq", "PQ"), ("precision@0.5", "P@0.5"), ("recall@0.5", "R@0.5"),
           ("n_pred", "instances found")]


def _label(result: dict[str, Any]) -> str:
    params = " ".join(f"{k}={Path(str(v)).name if k == 'weights' else v}" for k, v in result["params"].items())
    return f"{result['method']} {params}".strip()


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def report(test: dict[str, Any], val: dict[str, Any] | None, notes: str) -> str:
    """The Markdown section of docs/quality.md: test figures overall and per modality, then validation."""
    lines = ["### Learned instance models (issue 10)", "", notes.strip(), "",
             f"All {test['images']} stage-1 test images:", "",
             "| method | s/image | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for r in test["results"]:
        lines.append(f"| {_label(r)} | {r['seconds_per_image']:.3g} | "
                     + " | ".join(_cell(r["overall"][k]) for k, _ in COLUMNS) + " |")
    groups = [g for g in GROUPS if any(g in r["groups"] for r in test["results"])]
    counts = {g: next(r["groups"][g]["images"] for r in test["results"] if g in r["groups"]) for g in groups}
    lines += ["", "Per modality (`benchmarks/deep/splits/dsb2018_modality.csv`; the test set holds no grey "
              "brightfield image), DSB score / F1@0.5 / COCO mask AP / PQ:", "",
              "| method | " + " | ".join(f"{g} ({counts[g]})" for g in groups) + " |", "|---|" + "---|" * len(groups)]
    for r in test["results"]:
        cells = [" / ".join(_cell(r["groups"][g][k]) for k in ("dsb_score", "f1@0.5", "coco_ap", "pq"))
                 for g in groups]
        lines.append(f"| {_label(r)} | " + " | ".join(cells) + " |")
    if val is not None:
        vgroups = [g for g in GROUPS if any(g in r["groups"] for r in val["results"])]
        vcounts = {g: next(r["groups"][g]["images"] for r in val["results"] if g in r["groups"]) for g in vgroups}
        lines += ["", f"Validation part of stage1_train ({val['images']} images; it chose the checkpoints and the "
                  "thresholds), DSB score overall and per modality:", "",
                  "| method | all | " + " | ".join(f"{g} ({vcounts[g]})" for g in vgroups) + " |",
                  "|---|---|" + "---|" * len(vgroups)]
        for r in val["results"]:
            lines.append(f"| {_label(r)} | {_cell(r['overall']['dsb_score'])} | "
                         + " | ".join(_cell(r["groups"][g]["dsb_score"]) for g in vgroups) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="segment and score")
    run_p.add_argument("--data", type=Path, default=Path("../shared/data"))
    run_p.add_argument("--set", choices=("val", "test"), required=True)
    run_p.add_argument("--method", nargs="+", action="append", required=True, metavar="NAME [KEY=VALUE ...]")
    run_p.add_argument("-o", "--output", type=Path, required=True)
    rep = sub.add_parser("report", help="write the docs/quality.md section from the JSON of runs")
    rep.add_argument("--test", type=Path, required=True)
    rep.add_argument("--val", type=Path)
    rep.add_argument("--notes", type=Path, required=True, help="Markdown paragraph(s) put before the tables")
    rep.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "report":
        val = json.loads(args.val.read_text()) if args.val else None
        args.output.write_text(report(json.loads(args.test.read_text()), val, args.notes.read_text()))
        return
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
