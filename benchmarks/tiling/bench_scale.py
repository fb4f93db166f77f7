"""Scale benchmarks of seglab.tiling: one huge image tiled against untiled, and a folder on 1 and 2 workers.

Every case runs ``seglab segment`` in its own process under ``/usr/bin/time``
(peak RSS, wall time); the cases of one comparison alternate within each
round, so the ratios are measured in one run under the same load. Medians
over the rounds are reported. A batch on workers is run a second time on its
complete outputs (every input skipped) to measure its fixed cost (starting
the cluster, listing and checking the inputs).

Usage::

    python benchmarks/tiling/bench_scale.py big --size 20000 --rounds 2 --work /tmp/scale
    python benchmarks/tiling/bench_scale.py batch --images 1000 --rounds 2 --work /tmp/scale

The generated image: uint8, noise around 60 with 0.2% of its pixels' worth of
bright disks (radius 4-24) and bars, written as a tiled TIFF (512 x 512
tiles, uncompressed) so that tiled runs read it lazily.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SEGLAB = [sys.executable, "-m", "seglab.cli"]
WATERSHED = ["--threshold-method", "local", "--window-size", "51", "--offset", "15", "--sigma", "0",
             "--auto-markers", "distance", "--fg-fraction", "0.5"]


def make_image(path: Path, size: int, seed: int = 0) -> None:
    """Write the test image band by band (never more than one band of 1024 rows in memory)."""
    import cv2
    import tifffile

    rng = np.random.default_rng(seed)
    band = 1024

    def tiles():
        for r0 in range(0, size, band):
            h = min(band, size - r0)
            img = rng.normal(60, 12, (h + 48, size)).clip(0, 255).astype(np.uint8)
            n = int(size * (h + 48) / 2500)
            for r, c, rad in zip(rng.integers(0, h + 48, n), rng.integers(0, size, n), rng.integers(4, 25, n)):
                cv2.circle(img, (int(c), int(r)), int(rad), int(rng.integers(170, 250)), -1)
            yield img[24 : 24 + h]

    tmp = path.with_suffix(".npy")  # assembled on disk, so the image is never held in memory
    mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(size, size))
    r = 0
    for b in tiles():
        mm[r : r + b.shape[0]] = b
        r += b.shape[0]
    mm.flush()
    tifffile.imwrite(path, mm, tile=(512, 512), photometric="minisblack", bigtiff=True)
    del mm
    tmp.unlink()


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of `cmd` in its own process."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({out.returncode}): {out.stderr[-2000:]}")
    wall, rss_kb = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) / 1024


def big(args: argparse.Namespace) -> dict:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    image = work / f"big{args.size}.tif"
    if not image.exists():
        t = time.perf_counter()
        make_image(image, args.size)
        print(f"made {image} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    cases = {
        "otsu+cc untiled": ["otsu", str(image), "--as", "instance"],
        "otsu+cc tiled": ["otsu", str(image), "--as", "instance", "--tile-size", str(args.tile)],
        "watershed untiled": ["watershed", str(image), *WATERSHED],
        "watershed tiled": ["watershed", str(image), *WATERSHED, "--tile-size", str(args.tile)],
    }
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for name, argv in cases.items():
            if args.only and not any(o in name for o in args.only):
                continue
            out = work / "out" / name.replace(" ", "_").replace("+", "_")
            shutil.rmtree(out, ignore_errors=True)
            results[name].append(timed([*SEGLAB, "segment", *argv, "-o", str(out)]))
            print(name, results[name][-1], file=sys.stderr)
    return {k: {"wall_s": statistics.median(w for w, _ in v), "peak_rss_mib": statistics.median(m for _, m in v),
                "runs": v} for k, v in results.items() if v}


def batch(args: argparse.Namespace) -> dict:
    import cv2

    work = Path(args.work)
    folder = work / f"batch{args.images}"
    if not folder.exists():
        folder.mkdir(parents=True)
        rng = np.random.default_rng(1)
        for i in range(args.images):
            img = rng.normal(60, 12, (256, 256)).clip(0, 255).astype(np.uint8)
            for r, c, rad in rng.integers(10, 246, (12, 3)):
                cv2.circle(img, (int(c), int(r)), int(rad % 20 + 4), 210, -1)
            cv2.imwrite(str(folder / f"im{i:05d}.png"), img)
    cases = {
        "plain loop": [],
        "1 worker": ["--workers", "1"],
        "2 workers": ["--workers", "2"],
    }
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
    overhead: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for name, extra in cases.items():
            out = work / "out" / f"batch_{name.replace(' ', '_')}"
            shutil.rmtree(out, ignore_errors=True)
            argv = [*SEGLAB, "segment", "watershed", str(folder), *WATERSHED[:6], "-o", str(out), *extra]
            results[name].append(timed(argv))
            if extra:  # rerun on the complete outputs: every input skipped, what is left is the fixed cost
                overhead[name].append(timed(argv)[0])
            print(name, results[name][-1], overhead[name][-1:], file=sys.stderr)
    report = {}
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        fixed = statistics.median(overhead[name]) if overhead[name] else 0.0
        report[name] = {"wall_s": wall, "images_per_s": args.images / wall, "fixed_s": fixed,
                        "images_per_s_after_start": args.images / (wall - fixed), "runs": runs}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("big", "batch"))
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--tile", type=int, default=1024)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--work", default="/tmp/seglab-scale")
    args = parser.parse_args()
    report = big(args) if args.what == "big" else batch(args)
    report["load"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
