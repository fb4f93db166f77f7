"""Snapshot every output of every method on the bundled samples, and compare two snapshots.

A refactoring must not change what ``seglab segment`` writes. Take a snapshot
with the code before the change (e.g. a ``git worktree`` of the old commit,
run with ``PYTHONPATH=OLD/src``) and one after, then compare:

    PYTHONPATH=/tmp/base/src python scripts/snapshot_outputs.py take /tmp/before
    python scripts/snapshot_outputs.py take /tmp/after
    python scripts/snapshot_outputs.py compare /tmp/before /tmp/after

``take`` runs ``seglab segment METHOD samples/ --outputs <all kinds>`` (plus
``--as instance`` with COCO output) for every registered method, with
``--rng 0`` for stochastic ones and example values for required parameters.
``compare`` reports files that differ byte for byte; sidecar JSON files are
compared after mapping renamed parameters (``MethodSpec.renamed``) to their
new names, and the input path is ignored.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REQUIRED = {"threshold": ["--value", "100"], "hsv_range": ["--ranges", "red,skin"],
            "color_distance": ["--references", "[[0,0,0],[255,255,255]]"]}


def take(out: Path) -> None:
    import seglab

    samples = Path(seglab.__file__).parent / "samples"
    cli = [sys.executable, "-m", "seglab.cli", "segment"]
    for spec in seglab.list_methods():
        outputs = "labels,overlay,json,csv" + ("" if spec.task == "semantic" else ",coco,panoptic")
        extra = REQUIRED.get(spec.name, []) + (["--rng", "0"] if spec.stochastic else [])
        for folder, more in ((spec.name, ["--outputs", outputs]),
                             (spec.name + "_inst", ["--as", "instance", "--outputs", "labels,coco,json"])):
            subprocess.run([*cli, spec.name, str(samples), "-o", str(out / folder), *more, *extra],
                           capture_output=True, text=True, check=False)


def _renames(method: str) -> dict[str, object]:
    import seglab

    try:
        return dict(seglab.get_method(method).renamed)
    except LookupError:
        return {}


def _normalised(doc: dict) -> dict:
    doc = dict(doc, input_file=Path(doc["input_file"]).name if doc.get("input_file") else None)
    renames = _renames(doc.get("method", ""))
    params = {}
    for key, value in doc.get("params", {}).items():
        rename = renames.get(key)
        params[rename.new if rename else key] = rename.value(value) if rename else value
    return dict(doc, params=params)


def compare(before: Path, after: Path) -> int:
    differ = 0
    files = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
    for rel in files:
        a, b = before / rel, after / rel
        if not b.is_file():
            print(f"missing after: {rel}")
            differ += 1
        elif a.read_bytes() != b.read_bytes():
            if rel.suffix == ".json" and ".coco" not in rel.name and ".panoptic" not in rel.name:
                if _normalised(json.loads(a.read_text())) == _normalised(json.loads(b.read_text())):
                    continue
            print(f"differs: {rel}")
            differ += 1
    extra = sorted(p.relative_to(after) for p in after.rglob("*") if p.is_file() and not (before / p.relative_to(after)).exists())
    for rel in extra:
        print(f"new after: {rel}")
    print(f"{len(files)} files compared, {differ} differ, {len(extra)} new")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("take").add_argument("folder", type=Path)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    ns = parser.parse_args()
    if ns.command == "take":
        take(ns.folder)
        return 0
    return compare(ns.before, ns.after)


if __name__ == "__main__":
    sys.exit(main())
