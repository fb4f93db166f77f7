"""The docs/quality.md table of the networks on ISBI 2012 slices 25-29, from the JSON files of ``eval_isbi.py``.

Usage::

    .venv/bin/python benchmarks/deep/isbi_report.py benchmarks/deep/results/isbi2012_unet_membrane.json \\
        benchmarks/deep/results/isbi_models/*.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

COLUMNS = [("cell_iou", "cell IoU"), ("pixel_error", "pixel error"), ("rand_error_fg", "Rand error (fg)"),
           ("voi_fg", "VoI (fg)"), ("mean_iou", "mIoU")]


def row(doc: dict) -> str:
    chosen = doc["chosen_on_validation"]
    figures = doc["test_25_29"][chosen]
    prov = doc["provenance"]
    config = json.loads(prov["command"].split("--config ")[1].split(" --")[0].strip("'")) if "--config" in \
        prov["command"] else {}
    name = f"{doc['arch']} {' '.join(f'{k}={v}' for k, v in config.items())}".strip()
    if doc["arch"] == "unet" and not config:  # train_isbi.py's default: the shipped weights' recipe
        name = "unet base_width=16 (shipped `membrane`)"
    trained = f"{prov['steps']} steps, {prov['seconds'] / 60:.0f} min to the best epoch"
    cells = " | ".join(f"{figures[k]:.4f}" for k, _ in COLUMNS)
    return (f"| {name} | {doc['parameters'] / 1e6:.2f} M | {trained} | {'TTA' if chosen == 'tta' else 'plain'} | "
            f"{cells} | {figures['seconds_per_image']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    args = parser.parse_args()
    print("| network | parameters | training (batch 4, 256² crops) | inference | "
          + " | ".join(label for _, label in COLUMNS) + " | s/slice |")
    print("|---" * (len(COLUMNS) + 5) + "|")
    for path in args.results:
        print(row(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
