"""Issue 13's whole table in one process: seglab against its anchor and floor, calls alternating.

Every row times our call and the anchor's (and, where one is defined, the
"floor": the OpenCV call followed by ``.astype(np.int32)``, the same output
type as ours) alternately, call after call, on the anchor harness's inputs
(``../shared/bench-anchors/inputs.py``), at 512² and 4096², each library's
default thread count; it reports medians and the ratios ours / anchor and
ours / floor. Peak RSS and start-up are measured in fresh processes. The
result is written as markdown (default ``docs/bench/classical_speed.md``).

    .venv/bin/python benchmarks/classical_speed.py [--rounds 7] [--sizes 512,4096] [--out FILE]
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = ROOT.parent / "shared" / "bench-anchors"
sys.path.insert(0, str(ANCHORS))

import cases_opencv  # noqa: E402
import inputs  # noqa: E402
from cases_python import region_grow_naive, seed_for  # noqa: E402

import seglab  # noqa: E402
from seglab.classical.texture import gabor_energy, gabor_sigma  # noqa: E402
from seglab.postprocess import connected_components  # noqa: E402

TOL = 10
GABOR_FREQUENCIES = (0.25, 0.125)
GABOR_BANDWIDTH = 1.1370  # sigma * f = 0.5: the anchors' bank (cases_edges_texture.py)
HSV_RANGE = [(0.0, 40.0, 48 / 255, 1.0, 80 / 255, 1.0)]
TUTORIAL = {"threshold_method": "otsu", "sigma": 0.0, "fg_fraction": 0.7, "fill_holes": False,
            "watershed_line": True}


def _time(fn) -> float:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    del out
    return dt


def alternate(fns: list, rounds: int) -> list[float]:
    """Medians of `fns` called in turn, the order reversed every round (one warm-up call each)."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    gc.disable()
    try:
        for r in range(rounds):
            order = list(range(len(fns)))
            for i in order if r % 2 == 0 else order[::-1]:
                times[i].append(_time(fns[i]))
    finally:
        gc.enable()
    return [statistics.median(t) for t in times]


def _fmt(s: float) -> str:
    return f"{s * 1e6:.0f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def bfs_running_mean(img: np.ndarray, seed: tuple[int, int], tol: float) -> np.ndarray:
    """The tutorial BFS of the anchors (``cases_python.region_grow_naive``) with a running-mean predicate."""
    h, w = img.shape
    mask = np.zeros((h, w), dtype=bool)
    mask[seed] = True
    total, count = float(img[seed]), 1
    q = deque([seed])
    while q:
        y, x = q.popleft()
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            ny, nx = y + dy, x + dx
            if 0 <= ny < h and 0 <= nx < w and not mask[ny, nx] \
                    and abs(int(img[ny, nx]) - total / count) <= tol:
                mask[ny, nx] = True
                total += int(img[ny, nx])
                count += 1
                q.append((ny, nx))
    return mask


def _gray(n: int) -> np.ndarray:
    return inputs.get(f"gray-{n}").data if n in (512, 2048, 4096) else np.ascontiguousarray(
        cv2.resize(inputs.get("gray-512").data, (n, n), interpolation=cv2.INTER_LINEAR))


def rows(sizes: list[int], rounds: int):
    """(row name, size, goal text, goal ratio or None, ratio kind, ours, anchor, floor, note) per measurement."""
    for n in sizes:
        t = str(n)
        gray, coins, rgb = _gray(n), inputs.get(f"coins-{t}").data, inputs.get(f"rgb-{t}").data
        coinsbin = inputs.get(f"coinsbin-{t}").data

        # Connected components: to_instance of an Otsu result, and the routine itself, vs cv2.connectedComponents.
        otsu = seglab.segment(coins, "otsu")
        labels = otsu.labels
        a = cases_opencv._ccl(inputs.get(f"coinsbin-{t}"))
        ours, anchor, direct = alternate([lambda: seglab.to_instance(otsu), a,
                                          lambda: connected_components(labels)], rounds)
        same = np.array_equal(seglab.to_instance(otsu).labels > 0, coinsbin > 0)
        yield ("connected components: `to_instance(otsu(coins))`", n, "<= 1.2x", 1.2, "anchor", ours, anchor, None,
               f"anchor `cv2.connectedComponents(coinsbin, 8)`; `connected_components(labels)` alone {_fmt(direct)} "
               f"({direct / anchor:.2f}x); same foreground: {same}")

        # Region growing, seed criterion, vs cv2.floodFill.
        seed = seed_for(gray)
        a = cases_opencv._floodfill(inputs.get(f"gray-{t}"))
        ours, anchor = alternate([lambda: seglab.segment(gray, "region_growing", seeds=[seed], tolerance=TOL,
                                                         criterion="seed"), a], rounds)
        yield ("region growing `criterion='seed'`, one seed", n, "<= 2x", 2.0, "anchor", ours, anchor, None,
               "anchor `cv2.floodFill(FIXED_RANGE, 10)`")

        # Region growing, running mean, one seed: vs the pure-Python BFS with the same predicate.
        reach = int((seglab.segment(gray, "region_growing", seeds=[seed], tolerance=TOL).labels > 0).sum())
        slow_rounds = 3 if n <= 1024 else 1
        ours, anchor = alternate([lambda: seglab.segment(gray, "region_growing", seeds=[seed], tolerance=TOL),
                                  lambda: bfs_running_mean(gray, seed, TOL)], slow_rounds)
        bfs_reach = int(bfs_running_mean(gray, seed, TOL).sum())
        yield ("region growing, running mean, one seed", n, ">= 50x faster", 1 / 50, "anchor", ours, anchor, None,
               f"anchor: pure-Python BFS, running mean; regions {reach:,} px (ours, priority order) and "
               f"{bfs_reach:,} px (BFS order); {slow_rounds} round(s)")

        # Region growing, running mean, thousands of seeds (grid every 8 px): no anchor.
        grid = seglab.segment(gray, "region_growing", auto_seeds="grid", spacing=8, tolerance=TOL)
        [ours] = alternate([lambda: seglab.segment(gray, "region_growing", auto_seeds="grid", spacing=8,
                                                   tolerance=TOL)], max(3, rounds // 2))
        yield ("region growing, running mean, grid seeds every 8 px", n, "-", None, "anchor", ours, None, None,
               f"{grid.meta['n_seeds']:,} seeds, {grid.meta['n_iter']:,} pixels added")

        # Canny regions vs the bare edge map.
        ours, anchor = alternate([lambda: seglab.segment(gray, "canny", sigma=0.0, low_threshold=100.0,
                                                         high_threshold=200.0),
                                  cases_opencv._canny(inputs.get(f"gray-{t}"))], rounds)
        l1 = int(np.count_nonzero(cv2.Canny(gray, 100, 200)))
        l2 = int(np.count_nonzero(cv2.Canny(gray, 100, 200, L2gradient=True)))
        yield ("Canny regions, σ=0, thresholds 100/200", n, "<= 2x", 2.0, "anchor", ours, anchor, None,
               f"anchor `cv2.Canny(g, 100, 200)` (L1 gradient): {l1:,} edge px; ours (L2, as scikit-image): {l2:,}")

        # Otsu and fixed threshold vs the floor.
        ours, anchor, floor = alternate([
            lambda: seglab.segment(gray, "otsu"),
            lambda: cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU),
            lambda: cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1].astype(np.int32)], rounds * 3)
        yield ("Otsu", n, "<= 1.1x floor at 512²", 1.1 if n == 512 else None, "floor", ours, anchor, floor, "")
        ours, anchor, floor = alternate([
            lambda: seglab.segment(gray, "threshold", value=127),
            lambda: cv2.threshold(gray, 127, 255, cv2.THRESH_BINARY),
            lambda: cv2.threshold(gray, 127, 1, cv2.THRESH_BINARY)[1].astype(np.int32)], rounds * 3)
        yield ("fixed threshold 127", n, "<= 1.1x floor at 512²", 1.1 if n == 512 else None, "floor", ours, anchor,
               floor, "")

        # Watershed vs the OpenCV tutorial pipeline.
        a = cases_opencv._watershed_pipeline(inputs.get(f"coins-{t}"))
        tut, anchor, default = alternate([lambda: seglab.segment(coins, "watershed", **TUTORIAL), a,
                                          lambda: seglab.segment(coins, "watershed")], rounds)
        yield ("watershed, tutorial settings", n, "<= 1.1x at 4096²", 1.1 if n == 4096 else None, "anchor", tut,
               anchor, None, "anchor: the OpenCV tutorial pipeline on coins")
        yield ("watershed, defaults", n, "<= 1.1x at 4096²", 1.1 if n == 4096 else None, "anchor", default, anchor,
               None, "more work than the tutorial: smoothing, local threshold, hole filling")

        # HSV range vs the floor.
        a = cases_opencv._hsv_inrange(inputs.get(f"rgb-{t}"))

        def floor_hsv():
            mask = cv2.inRange(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV), np.array([0, 48, 80], np.uint8),
                               np.array([20, 255, 255], np.uint8))
            return np.bitwise_and(mask, 1, out=mask).astype(np.int32)

        ours, anchor, floor = alternate([lambda: seglab.segment(rgb, "hsv_range", ranges=HSV_RANGE), a, floor_hsv],
                                        rounds)
        yield ("HSV range", n, "<= 1.1x floor", 1.1, "floor", ours, anchor, floor, "")

        # Gabor bank vs the cv2 bank.
        a = cases_opencv._gabor_bank(inputs.get(f"gray-{t}"))
        ours, anchor = alternate([lambda: gabor_energy(gray, frequencies=GABOR_FREQUENCIES, n_orientations=4,
                                                       bandwidth=GABOR_BANDWIDTH), a], max(3, rounds // 2))
        yield ("Gabor bank 4x2", n, "<= 1.0x at 4096²", 1.0 if n == 4096 else None, "anchor", ours, anchor, None,
               f"ours: 8 complex responses (σ = {gabor_sigma(0.25, GABOR_BANDWIDTH):.2f}, "
               f"{gabor_sigma(0.125, GABOR_BANDWIDTH):.2f}); anchor: 8 real `cv2.filter2D` responses")


def peak_rss(method: str, image: Path, out: Path) -> int:
    """Peak resident set (bytes) of ``seglab segment METHOD IMAGE -o OUT`` in a fresh process."""
    # VmHWM, not getrusage: ru_maxrss survives fork and exec, so it would report this (large) process's peak.
    code = ("import sys; from seglab.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print([line for line in open('/proc/self/status') if line.startswith('VmHWM')][0])")
    res = subprocess.run([sys.executable, "-c", code, "segment", method, str(image), "-o", str(out)],
                         capture_output=True, text=True, check=True)
    return int(re.search(r"VmHWM:\s+(\d+) kB", res.stdout).group(1)) * 1024


def first_call() -> float:
    """Seconds of the first ``seglab.segment`` in a fresh process (numpy and seglab imported before the clock)."""
    code = ("import time, numpy as np, seglab\nt = time.perf_counter()\n"
            "seglab.segment(np.zeros((8, 8), np.uint8), 'otsu')\nprint(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512,4096")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench" / "classical_speed.md"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load0 = os.getloadavg()
    lines = ["| task | size | ours | anchor | floor | ratio | goal | met | note |", "|---|---|---|---|---|---|---|---|---|"]
    for name, n, goal, limit, kind, ours, anchor, floor, note in rows(sizes, args.rounds):
        base = floor if kind == "floor" else anchor
        ratio = "–" if base is None else (f"{ours / base:.2f}x" if limit is None or limit >= 1 or kind == "floor"
                                          else f"{base / ours:.1f}x faster")
        ratio_a = "" if kind != "floor" or anchor is None else f" ({ours / anchor:.2f}x the anchor)"
        met = "–" if limit is None or base is None else ("yes" if ours / base <= limit else "**no**")
        row = (f"| {name} | {n}² | {_fmt(ours)} | {'–' if anchor is None else _fmt(anchor)} | "
               f"{'–' if floor is None else _fmt(floor)} | {ratio}{ratio_a} | {goal} | {met} | {note} |")
        print(row, flush=True)
        lines.append(row)
    load1 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "gray8192.png"
        cv2.imwrite(str(big), cv2.resize(inputs.get("gray-512").data, (8192, 8192), interpolation=cv2.INTER_LINEAR))
        size = 8192 * 8192
        rss = {m: peak_rss(m, big, Path(tmp) / m) for m in ("otsu", "watershed")}
    starts = sorted(first_call() for _ in range(5))
    rss_lines = [f"| `seglab segment {m} gray8192.png` | {v / 2**20:.0f} MiB | {v / size:.1f}x | "
                 f"{'<= 6x' if m == 'otsu' else '<= 10x'} | "
                 f"{'yes' if v / size <= (6 if m == 'otsu' else 10) else '**no**'} |" for m, v in rss.items()]
    text = f"""# Classical speed and memory (issue 13)

Generated by `benchmarks/classical_speed.py` (command below); every ratio is ours / anchor (or / floor),
medians of calls alternating in **one process** (the order reversed every round), each library's default
thread count, on the anchor harness's inputs (`../shared/bench-anchors/inputs.py`: camera, astronaut and
coins, and their `cv2.resize` upscales). The *floor* is the OpenCV call followed by `.astype(np.int32)`, the
output type of every seglab method. Absolute times move with the machine's load; the ratios are the result.

```bash
.venv/bin/python benchmarks/classical_speed.py --rounds {args.rounds} --sizes {args.sizes}
```

Machine: {platform.machine()}, {os.cpu_count()} vCPUs, Python {platform.python_version()}, numpy {np.__version__},
OpenCV {cv2.__version__}; run started {started}; load average {load0[0]:.1f} at the start and {load1[0]:.1f} at the
end (other jobs shared the two cores: see the notes in the write-up).

{chr(10).join(lines)}

## Memory and start-up

Peak RSS of the command line on an 8192² uint8 image (64 MiB; `VmHWM` of a fresh process, the
PNG written too):

| command | peak RSS | / image size | goal | met |
|---|---|---|---|---|
{chr(10).join(rss_lines)}

First `seglab.segment(image, "otsu")` in a fresh process (numpy and seglab imported before the clock, so the
time is the registry load): median of 5 processes {statistics.median(starts):.3f} s (min {starts[0]:.3f} s,
max {starts[-1]:.3f} s); goal <= 0.3 s.
"""
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
