"""Score CamVid checkpoints on the val split with ``seglab bench`` and write the docs/quality.md section.

Each ``ARCH=CHECKPOINT`` runs through ``seglab bench ARCH --param weights=CHECKPOINT`` on the 101 val
images at full size (11 classes, void 11 ignored), as any other method would; the run's ``bench.json``
goes to ``benchmarks/quality/results/camvid/ARCH/``. The section (mean IoU, pixel accuracy and per-class
IoU from the pooled confusion matrix, next to the published SegNet figures, and each run's training from
its checkpoint's provenance) goes to ``benchmarks/deep/results/camvid_quality.md``, which
``benchmarks/quality/make_tables.py`` puts into docs/quality.md. The val split chose each checkpoint's
epoch, and CamVid's test split (where published figures are measured) is not in ``../shared/data``, so
the figures are val figures and slightly optimistic. Usage::

    .venv/bin/python benchmarks/deep/camvid_report.py deeplab=/work/runs/camvid/deeplab.pt \\
        segnet=/work/runs/camvid/segnet.pt --data ../shared/data/camvid
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from seglab.cli import main as seglab_main
from seglab.deep._torch.checkpoint import read_checkpoint

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["sky", "building", "pole", "road", "pavement", "tree", "sign_symbol", "fence", "car", "pedestrian",
           "bicyclist"]
#: Published CamVid 11-class mean IoU on the 233 test images (not available here), from the issue.
PUBLISHED = [("SegNet (Badrinarayanan et al., TPAMI 2017), test", 46.3),
             ("SegNet, chainercv reproduction, test", 49.4)]


def bench(arch: str, checkpoint: Path, data: Path, out: Path) -> dict[str, Any]:
    """Run ``seglab bench`` for one checkpoint; its first run's record from bench.json."""
    code = seglab_main(["bench", arch, "--data", str(data), "--split", "val", "--task", "semantic",
                        "--num-classes", "11", "--ignore-index", "11", "--param", f"weights={checkpoint}",
                        "-o", str(out), "--overwrite"])
    if code:
        raise SystemExit(f"seglab bench {arch} failed (exit {code})")
    return json.loads((out / "bench.json").read_text())["runs"][0]


def section(results: list[tuple[str, Path, dict[str, Any]]]) -> str:
    lines = [
        "## CamVid: road scenes (issue 9)",
        "",
        "Semantic task, 11 classes, void (11) ignored; the 101 val images at full size (480x360) through "
        "`seglab bench ARCH --param weights=CKPT` (`benchmarks/deep/camvid_report.py`). Trained by seglab's own "
        "`benchmarks/deep/train_camvid.py` from random weights (no ImageNet backbone: nothing is downloaded) on "
        "the 367 train images; the val images chose the epoch, so these figures are slightly optimistic. "
        "CamVid's test split, where the published figures are measured, is not in `../shared/data`. "
        "Data licence: CC BY-NC 4.0 (non-commercial), and so are weights trained on it.",
        "",
        "| network | parameters | training | s/image | mean IoU | pixel accuracy | "
        + " | ".join(CLASSES) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(CLASSES),
    ]
    for arch, ckpt, run in results:
        raw = read_checkpoint(ckpt)
        prov, config = raw["provenance"], dict(raw["config"])
        config.pop("arch", None)
        name = f"{arch} " + " ".join(f"{k}={v}" for k, v in config.items() if k not in ("in_channels", "num_classes"))
        params = sum(v.numel() for v in raw["state_dict"].values() if v.is_floating_point()) / 1e6
        hw = prov["hardware"]
        trained = (f"{prov['steps']} steps of {prov['batch_size']} {prov['crop_size']}² crops, "
                   f"{prov['seconds'] / 60:.0f} min to epoch {prov['best_epoch']} of {prov['epochs']} "
                   f"({hw.get('torch_threads')} thread of a {hw.get('cpu_count')}-core CPU)")
        s = run["summary"]
        cells = " | ".join(f"{100 * v:.1f}" for v in s["iou_per_class"])
        lines.append(f"| {name.strip()} | {params:.2f} M | {trained} | {run['seconds_per_image']:.2f} | "
                     f"{100 * s['mean_iou']:.1f} | {100 * s['pixel_accuracy']:.1f} | {cells} |")
    lines += ["", "Published figures as the issue cites them (the 233 test images), mean IoU:", "", "| method | mean IoU |",
              "|---|---|", *(f"| {name} | {value} |" for name, value in PUBLISHED), ""]
    lines += ["Commands:", "", "```bash",
              *("python " + read_checkpoint(ckpt)["provenance"]["command"] for _, ckpt, _ in results),
              "python benchmarks/deep/camvid_report.py "
              + " ".join(f"{arch}={ckpt}" for arch, ckpt, _ in results) + " --data ../shared/data/camvid",
              "```"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="ARCH=CHECKPOINT")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "camvid")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "quality" / "results" / "camvid")
    parser.add_argument("-o", "--output", type=Path,
                        default=ROOT / "benchmarks" / "deep" / "results" / "camvid_quality.md")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: no CamVid data (see ../shared/data/camvid/SOURCE.md); pass --data DIR")
    results = []
    for item in args.runs:
        arch, _, path = item.partition("=")
        if not path:
            parser.error(f"{item!r}: expected ARCH=CHECKPOINT")
        results.append((arch, Path(path), bench(arch, Path(path), args.data, args.results / arch)))
    args.output.write_text(section(results))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
