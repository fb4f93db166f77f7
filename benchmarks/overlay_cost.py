"""Issue 14 #7: the cost of the overlay output next to the labels output on a 6000x4000 photo.

Runs ``seglab segment otsu PHOTO --outputs labels`` and ``--outputs labels,overlay`` in fresh processes,
alternating, and reports the median wall time and peak RSS of each and their ratios (the goal is 1.5x at
most for both). The photo is made here: scikit-image's astronaut scaled to 6000x4000 with a little noise,
saved as JPEG (quality 90) and as PNG.

    python benchmarks/overlay_cost.py --rounds 7
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _photo(folder: Path) -> list[Path]:
    import cv2
    import numpy as np
    from skimage import data

    img = cv2.resize(data.astronaut(), (6000, 4000), interpolation=cv2.INTER_CUBIC)
    noisy = np.clip(img.astype(np.int16) + np.random.default_rng(0).integers(-8, 9, img.shape), 0, 255)
    bgr = noisy.astype(np.uint8)[..., ::-1]
    cv2.imwrite(str(folder / "photo.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    cv2.imwrite(str(folder / "photo.png"), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return [folder / "photo.jpg", folder / "photo.png"]


def _command(photo: Path, outputs: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "seglab.cli", "segment", "otsu", str(photo), "-o", str(out),
            "--outputs", outputs, "--quiet", "--overwrite"]


def _seconds(photo: Path, outputs: str, out: Path) -> float:
    """Wall seconds of one ``seglab segment`` process."""
    start = time.perf_counter()
    subprocess.run(_command(photo, outputs, out), check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photos = _photo(folder)
        times: dict[tuple[str, str], list[float]] = {}
        peaks: dict[tuple[str, str], float] = {}
        for outputs in ("labels,overlay", "labels"):  # the larger first, so peak RSS reads are per kind
            for photo in photos:
                peaks[(photo.suffix, outputs)] = _peak(photo, outputs, folder / "out")
        for _ in range(ns.rounds):
            for photo in photos:
                for outputs in ("labels", "labels,overlay"):
                    times.setdefault((photo.suffix, outputs), []).append(_seconds(photo, outputs, folder / "out"))
    print("| input | labels s | labels+overlay s | ratio | labels MiB | labels+overlay MiB | ratio |")
    print("|---|---|---|---|---|---|---|")
    for suffix in (".jpg", ".png"):
        a, b = (statistics.median(times[(suffix, o)]) for o in ("labels", "labels,overlay"))
        m, n = peaks[(suffix, "labels")], peaks[(suffix, "labels,overlay")]
        print(f"| 6000x4000 {suffix} | {a:.2f} | {b:.2f} | {b / a:.2f}x | {m:.0f} | {n:.0f} | {n / m:.2f}x |")
    return 0


def _peak(photo: Path, outputs: str, out: Path) -> float:
    """Peak RSS (MiB) of one run: a fresh interpreter runs it and reports its child's ru_maxrss."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code, *_command(photo, outputs, out)], check=True,
                          capture_output=True, text=True)
    return int(done.stdout.strip()) / 1024


if __name__ == "__main__":
    sys.exit(main())
