"""Ship a trained instance checkpoint: copy it into ``seglab/deep/weights/``, write its model card and JSON record.

The card is made from the checkpoint's own provenance (data, split, command,
steps, time, hardware, thresholds chosen on the validation images) and from
the figures of ``instances_quality.py`` on the validation images and on the
65 stage-1 test images (overall and per modality). Usage::

    .venv/bin/python benchmarks/deep/ship_instances.py unet_instances /work/runs/unet_instances/nuclei.pt \\
        --name nuclei --val benchmarks/deep/results/instances_val.json \\
        --test benchmarks/deep/results/instances_test.json

Run it once with ``--val`` only (so that ``weights=nuclei`` resolves), then
measure the test figures with the shipped file and run it again with both.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from seglab.deep._torch.checkpoint import read_checkpoint
from seglab.deep.weights import FOLDER, write_record

DESCRIPTIONS = {
    "unet_instances": "Nuclei of DSB2018 (fluorescence, brightfield, stained tissue); U-Net + seeded watershed",
    "mask_rcnn": "Nuclei of DSB2018 (fluorescence, brightfield, stained tissue); Mask R-CNN from scratch",
}
COLUMNS = [("images", "images"), ("dsb_score", "DSB score"), ("f1@0.5", "F1@0.5"),
           ("ap@0.5_stardist", "AP@0.5 (StarDist)"), ("coco_ap", "COCO mask AP"), ("pq", "PQ")]


def _result(path: Path | None, method: str, weights_hint: str) -> dict[str, Any] | None:
    if path is None:
        return None
    for r in json.loads(path.read_text())["results"]:
        if r["method"] == method and weights_hint in str(r["params"].get("weights", "")):
            return r
    raise SystemExit(f"{path} has no {method} run with weights {weights_hint!r}")


def _table(result: dict[str, Any]) -> list[str]:
    rows = ["| images | " + " | ".join(label for _, label in COLUMNS[1:]) + " |", "|---" * len(COLUMNS) + "|"]
    for group, figures in [("all", result["overall"]), *result["groups"].items()]:
        cells = [f"{figures[k]:.3f}" for k, _ in COLUMNS[1:]]
        rows.append(f"| {group} ({figures['images']}) | " + " | ".join(cells) + " |")
    return rows


def card(method: str, name: str, raw: dict[str, Any], val: dict[str, Any], test: dict[str, Any] | None,
         args_note: str = "") -> str:
    p = raw["provenance"]
    c = raw["config"]
    hw = p["hardware"]
    arch = (f"U-Net, base width {c['base_width']}, depth {c['depth']}, one gray input channel, outputs background / "
            f"interior / boundary (boundary {c['boundary_width']} px wide)" if method == "unet_instances" else
            f"Mask R-CNN (torchvision), {c['backbone']} with {c['stages']} stages + FPN ({c['fpn_channels']} channels), "
            "GroupNorm, from scratch")
    tuned = ", ".join(f"`{k}={v}`" for k, v in p.get("tuned", {}).items())
    lines = [
        f"# `{method}` weights `{name}`",
        "",
        f"{DESCRIPTIONS[method]}. {arch}; objects are zoomed to a median diameter of {c['diameter']:g} px "
        "(measured by a first pass unless `diameter` is given). Trained from random initialisation: no "
        "pretrained weights were used or downloaded.",
        "",
        "## Data and licence",
        "",
        "2018 Data Science Bowl stage-1 training set (BBBC038v1; Caicedo et al., Nature Methods 16:1247, 2019), "
        "the community-fixed copy of 663 images in `../shared/data/dsb2018_stage1_train` (see its SOURCE.md). "
        "**Licence: CC0 1.0** (images and annotations), so these weights carry no restriction from their data.",
        "",
        f"Split: {len(p['train_stems'])} training and {len(p['val_stems'])} validation images, the validation part "
        "drawn per modality (12 %, seed 0; fluorescence 65, stained 13, brightfield 2): "
        "`benchmarks/deep/splits/dsb2018_{train,val}.txt`, made by `benchmarks/deep/instances_split.py`. The "
        "validation images chose the checkpoint (best DSB score after each epoch) and the default thresholds "
        f"({tuned}). The 65 stage-1 test images chose nothing.",
        "",
        "## Training",
        "",
        f"{p['steps']} steps of {p['batch_size']} random {p['crop_size']}x{p['crop_size']} crops (zoom, flips, "
        f"turns, contrast, blur, noise, inversion), AdamW lr {p['lr']:g}, {p['schedule']} schedule, "
        f"{'bfloat16 autocast' if p.get('amp') else 'float32'}: {p['seconds'] / 3600:.1f} h of training on {hw['cpu']} ({hw['cpu_count']} cores, "
        f"{hw['torch_threads']} PyTorch thread{'s' if hw['torch_threads'] != 1 else ''}, shared with other jobs; "
        "validation included), "
        f"torch {p['torch_version']}, {p['date'][:10]}. Best epoch {p['best_epoch']} of {p['epochs']}.",
        "",
        "Reproduce" + (f" ({args_note})" if args_note else "") + ":",
        "",
        "```bash",
        p["command"].replace(" --resume", ""),
        "```",
        "",
        "## Figures on held-out data",
        "",
        "DSB score: mean over IoU 0.50:0.95 of TP/(TP+FP+FN), averaged over images; F1 and AP@0.5 "
        "(TP/(TP+FP+FN), StarDist's 'AP') pool the matches at IoU 0.5; COCO mask AP ranks objects by their "
        "score; PQ = summed IoU of the matches / (TP + FP/2 + FN/2). Made by `benchmarks/deep/instances_quality.py`.",
        "",
        f"Validation ({val['overall']['images']} images of stage1_train; they chose the checkpoint and thresholds, "
        f"so slightly optimistic), {val['seconds_per_image']:.2f} s/image:",
        "",
        *_table(val),
        "",
    ]
    if test is not None:
        lines += [f"DSB2018 stage-1 test (65 images, evaluation only), {test['seconds_per_image']:.2f} s/image:", "",
                  *_table(test), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=sorted(DESCRIPTIONS))
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--val", type=Path, required=True)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--run-note", default="", help="how the run differed from its command (stops, resumes)")
    args = parser.parse_args()
    target = FOLDER / f"{args.method}-{args.name}.pt"
    if not target.is_file() or target.read_bytes() != args.checkpoint.read_bytes():
        shutil.copyfile(args.checkpoint, target)
    raw = read_checkpoint(target)
    val = _result(args.val, args.method, "")
    test = _result(args.test, args.method, args.name) if args.test else None
    card_path = FOLDER / f"{args.method}-{args.name}.md"
    card_path.write_text(card(args.method, args.name, raw, val, test, args.run_note))
    figures: dict[str, Any] = {"val_dsb_score": round(val["overall"]["dsb_score"], 4),
                               "val_data": "DSB2018 stage1_train, 80 validation images"}
    if test is not None:
        figures.update({f"test_{k}": round(test["overall"][k], 4) for k, _ in COLUMNS[1:]},
                       test_data="DSB2018 stage-1 test, 65 images")
    record = write_record(target, method=args.method, name=args.name, licence="CC0 1.0 (DSB2018 / BBBC038v1 data)",
                          figures=figures, description=DESCRIPTIONS[args.method], card=card_path.name)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB), {card_path}, {record}")


if __name__ == "__main__":
    main()
