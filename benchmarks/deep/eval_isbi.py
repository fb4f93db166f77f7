"""Score a membrane checkpoint on ISBI 2012: test-time augmentation is chosen on slices 22-24, then 25-29 are scored once.

Slices 25-29 take no part in any choice (training used 00-21, checkpoint and TTA selection 22-24).
A model trained on 00-24 (``train_isbi.py --all-slices``) has no slices left to choose on:
``--trained-on-all`` scores 25-29 with the test-time augmentation the 00-21 run chose.
Usage::

    python benchmarks/deep/eval_isbi.py --data ../shared/data/isbi2012_em \\
        --weights src/seglab/deep/weights/unet-membrane.pt -o benchmarks/deep/results/isbi2012_unet_membrane.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from seglab.deep._torch.checkpoint import load_checkpoint
from seglab.deep._torch.data import load_samples, read_stems
from seglab.deep._torch.scoring import evaluate

SPLITS = Path(__file__).parent / "splits"


def figures(summary: dict) -> dict:
    return {"cell_iou": summary["iou_per_class"][1], "pixel_error": summary["pixel_error"],
            "rand_error_fg": summary["rand_error_fg"], "voi_fg": summary["voi_fg"], "mean_iou": summary["mean_iou"]}


def score(ckpt, samples, tta: bool) -> dict:
    t0 = time.perf_counter()
    out = figures(evaluate(ckpt.model, samples, normalization=ckpt.normalization, tta=tta))
    out["seconds_per_image"] = round((time.perf_counter() - t0) / len(samples), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--no-tta", action="store_true", help="score without test-time augmentation only")
    parser.add_argument("--trained-on-all", action="store_true",
                        help="the model trained on 00-24: no choosing, test-time augmentation as the 00-21 run chose")
    parser.add_argument("--validation-only", action="store_true",
                        help="score 22-24 only (to apply a rule set before the run), never reading 25-29")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    if args.validation_only and args.trained_on_all:
        parser.error("--validation-only needs the validation slices: not with --trained-on-all")
    ckpt = load_checkpoint(args.weights)
    if args.trained_on_all:
        on_val, use_tta = None, not args.no_tta
    else:
        val = load_samples(args.data, stems=read_stems(SPLITS / "isbi2012_val.txt"), label_map={255: 1})
        on_val = {"plain": score(ckpt, val, False)}
        if not args.no_tta:
            on_val["tta"] = score(ckpt, val, True)
        use_tta = "tta" in on_val and on_val["tta"]["cell_iou"] > on_val["plain"]["cell_iou"]
    chosen = "tta" if use_tta else "plain"
    report = {
        "weights": args.weights,
        "arch": ckpt.model.arch,
        "parameters": sum(p.numel() for p in ckpt.model.parameters()),
        "validation_22_24": on_val,
        "chosen_on_validation": chosen,
        "provenance": {k: ckpt.provenance.get(k) for k in ("seconds", "steps", "best_epoch", "command", "hardware")},
    }
    if not args.validation_only:
        test = load_samples(args.data, stems=read_stems(SPLITS / "isbi2012_test.txt"), label_map={255: 1})
        report["test_25_29"] = {chosen: score(ckpt, test, use_tta)}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
