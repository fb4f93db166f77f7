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
from unittest import mock

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = ROOT.parent / "shared" / "bench-anchors"
sys.path.insert(0, str(ANCHORS))

import cases_opencv  # noqa: E402
import inputs  # noqa: E402
from cases_python import region_grow_naive, seed_for  # noqa: E402

import seglab  # noqa: E402
from seglab.classical import color  # noqa: E402
from seglab.classical.edges import canny_edges  # noqa: E402
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


def alternate(fns: list, rounds: int, budget: float = 0.5) -> list[float]:
    """Medians of `fns` called in turn, the order reversed every round (one warm-up call each).

    At least `rounds` rounds, more for fast calls: as many as fit in about
    `budget` seconds (at most 2000), since a median of 7 sub-millisecond calls
    mostly measures cold caches and the allocator's mood.
    """
    warm = sum(_time(fn) for fn in fns)
    rounds = max(rounds, min(2000, int(budget / max(warm, 1e-9))))
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


def running_mean_row(n: int, rounds: int):
    """The region-growing row at size `n`: one seed, running mean, against the pure-Python BFS."""
    gray = _gray(n)
    seed = seed_for(gray)
    reach = int((seglab.segment(gray, "region_growing", seeds=[seed], tolerance=TOL).labels > 0).sum())
    slow_rounds = 3 if n <= 1024 else 1
    ours, anchor = alternate([lambda: seglab.segment(gray, "region_growing", seeds=[seed], tolerance=TOL),
                              lambda: bfs_running_mean(gray, seed, TOL)], slow_rounds, budget=0)
    bfs_reach = int(bfs_running_mean(gray, seed, TOL).sum())
    return ("region growing, running mean, one seed", n, ">= 50x faster at 1024²", 1 / 50 if n == 1024 else None,
            "anchor", ours, anchor, None,
            f"anchor: pure-Python BFS, running mean; regions {reach:,} px (ours, priority order) and "
            f"{bfs_reach:,} px (BFS order); {ours / reach * 1e9:.0f} ns per pixel reached; {slow_rounds} round(s)")


def canny_scaling() -> list[str]:
    """Canny with automatic thresholds on camera and its upscales: seglab 0.1's rule against today's."""
    out = ["| size | median rule (0.1): low / high | edge px | Otsu of the gradient (now): low / high | edge px | "
           "regions |", "|---|---|---|---|---|---|"]
    for n in (512, 1024, 2048, 4096):
        gray = _gray(n)
        m = float(np.median(gray))
        blurred = cv2.GaussianBlur(gray, (0, 0), 1.0)
        old = int(np.count_nonzero(cv2.Canny(blurred, 0.66 * m, 1.33 * m, L2gradient=True)))
        seg = seglab.segment(gray, "canny")
        out.append(f"| {n}² | {0.66 * m:.1f} / {1.33 * m:.1f} | {old:,} | {seg.meta['low_threshold']:.1f} / "
                   f"{seg.meta['high_threshold']:.1f} | {seg.meta['n_edge_pixels']:,} | {seg.num_segments} |")
    return out


def machine_state() -> str:
    """Load average and the busiest other processes, as `uptime` and `ps` show them."""
    load = os.getloadavg()
    ps = subprocess.run(["ps", "-eo", "pcpu,args", "--sort=-pcpu"], capture_output=True, text=True).stdout.splitlines()
    busy = [line.strip()[:90] for line in ps[1:] if line.strip() and float(line.split()[0]) >= 20
            and "classical_speed" not in line][:5]
    return f"load {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; busy: " + ("; ".join(f"`{b}`" for b in busy) or "none")


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

        # Region growing, running mean, one seed: vs the pure-Python BFS with the same predicate (the goal is
        # set on a 1024² image growing to about 300k pixels; 512² and 4096² are shown too).
        for m in (n, 1024) if n == 512 else (n,):
            yield running_mean_row(m, rounds)

        # Region growing, running mean, thousands of seeds (grid every 8 px): no anchor.
        grid = seglab.segment(gray, "region_growing", auto_seeds="grid", spacing=8, tolerance=TOL)
        [ours] = alternate([lambda: seglab.segment(gray, "region_growing", auto_seeds="grid", spacing=8,
                                                   tolerance=TOL)], max(3, rounds // 2))
        yield ("region growing, running mean, grid seeds every 8 px", n, "-", None, "anchor", ours, None, None,
               f"{grid.meta['n_seeds']:,} seeds, {grid.meta['n_iter']:,} pixels added")

        # Canny regions vs the bare edge map (the anchor's L1 norm, and the L2 norm seglab uses).
        ours, anchor, bare_l2 = alternate([
            lambda: seglab.segment(gray, "canny", sigma=0.0, low_threshold=100.0, high_threshold=200.0),
            cases_opencv._canny(inputs.get(f"gray-{t}")), lambda: cv2.Canny(gray, 100, 200, L2gradient=True)], rounds)
        l1 = int(np.count_nonzero(cv2.Canny(gray, 100, 200)))
        l2 = cv2.Canny(gray, 100, 200, L2gradient=True) > 0
        same = np.array_equal(canny_edges(gray, sigma=0.0, low_threshold=100.0, high_threshold=200.0)[0], l2)
        yield ("Canny regions, σ=0, thresholds 100/200", n, "<= 2x", 2.0, "anchor", ours, anchor, None,
               f"anchor `cv2.Canny(g, 100, 200)` (L1 gradient): {l1:,} edge px; ours (L2, as scikit-image): "
               f"{int(l2.sum()):,} px, equal to `cv2.Canny(..., L2gradient=True)`: {same}; "
               f"{ours / bare_l2:.2f}x that bare L2 call")
        if n > 512:  # the upscale has slopes n / 512 times smaller: the anchor's thresholds find no edge there
            lo, hi = 100.0 * 512 / n, 200.0 * 512 / n
            ours, bare_l2 = alternate([
                lambda: seglab.segment(gray, "canny", sigma=0.0, low_threshold=lo, high_threshold=hi),
                lambda: cv2.Canny(gray, lo, hi, L2gradient=True)], rounds)
            seg = seglab.segment(gray, "canny", sigma=0.0, low_threshold=lo, high_threshold=hi)
            yield (f"Canny regions, σ=0, thresholds {lo:g}/{hi:g} (100/200 over the upscale)", n, "<= 2x", 2.0,
                   "anchor", ours, bare_l2, None,
                   f"anchor `cv2.Canny(g, {lo:g}, {hi:g}, L2gradient=True)`: {seg.meta['n_edge_pixels']:,} edge px, "
                   f"{seg.num_segments:,} regions")

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

        def hsv_opencv_path():  # what a process's first calls take (see hsv_range's Notes)
            with mock.patch.object(color, "_compiled_pass_pays", lambda: False):
                return seglab.segment(rgb, "hsv_range", ranges=HSV_RANGE)

        ours, anchor, floor, first = alternate([lambda: seglab.segment(rgb, "hsv_range", ranges=HSV_RANGE), a,
                                                floor_hsv, hsv_opencv_path], rounds)
        yield ("HSV range", n, "<= 1.1x floor", 1.1, "floor", ours, anchor, floor,
               f"the compiled pass; a process's first 16 calls (cv2.inRange, no numba start-up) {_fmt(first)} "
               f"({first / floor:.2f}x the floor)")

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


def first_call(size: int = 8) -> float:
    """Seconds of the first ``seglab.segment`` in a fresh process (numpy and seglab imported before the clock)."""
    code = ("import time, numpy as np, seglab\nimg = np.zeros((%d, %d), np.uint8); img[::2] = 9\n"
            "t = time.perf_counter()\nseglab.segment(img, 'otsu')\nprint(time.perf_counter() - t)") % (size, size)
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def import_time() -> float:
    """Seconds of ``import seglab`` in a fresh process (numpy imported before the clock)."""
    code = "import time, numpy\nt = time.perf_counter()\nimport seglab\nprint(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512,4096")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench" / "classical_speed.md"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    state0 = machine_state()
    lines = ["| task | size | ours | anchor | floor | ratio | goal | met | note |", "|---|---|---|---|---|---|---|---|---|"]
    for name, n, goal, limit, kind, ours, anchor, floor, note in rows(sizes, args.rounds):
        base = floor if kind == "floor" else anchor
        ratio = "–" if base is None else (f"{base / ours:.1f}x faster" if "faster" in goal else f"{ours / base:.2f}x")
        ratio_a = "" if kind != "floor" or anchor is None else f" ({ours / anchor:.2f}x the anchor)"
        met = "–" if limit is None or base is None else ("yes" if ours / base <= limit else "**no**")
        row = (f"| {name} | {n}² | {_fmt(ours)} | {'–' if anchor is None else _fmt(anchor)} | "
               f"{'–' if floor is None else _fmt(floor)} | {ratio}{ratio_a} | {goal} | {met} | {note} |")
        print(row, flush=True)
        lines.append(row)
    state1 = machine_state()
    scaling = canny_scaling()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "gray8192.png"
        cv2.imwrite(str(big), cv2.resize(inputs.get("gray-512").data, (8192, 8192), interpolation=cv2.INTER_LINEAR))
        size = 8192 * 8192
        rss = {m: peak_rss(m, big, Path(tmp) / m) for m in ("otsu", "watershed")}
    starts = sorted(first_call() for _ in range(5))
    starts512 = sorted(first_call(512) for _ in range(5))
    imports = sorted(import_time() for _ in range(5))
    rss_lines = [f"| `seglab segment {m} gray8192.png` | {v / 2**20:.0f} MiB | {v / size:.1f}x | "
                 f"{'<= 6x' if m == 'otsu' else '<= 10x'} | "
                 f"{'yes' if v / size <= (6 if m == 'otsu' else 10) else '**no**'} |" for m, v in rss.items()]
    text = f"""# Classical speed and memory (issue 13)

Generated by `benchmarks/classical_speed.py` (command below); every ratio is ours / anchor (or / floor),
medians of calls alternating in **one process** (the order reversed every round; at least `--rounds` rounds, and
for fast calls as many as fit in about half a second, up to 2000), each library's default
thread count, on the anchor harness's inputs (`../shared/bench-anchors/inputs.py`: camera, astronaut and
coins, and their `cv2.resize` upscales). The *floor* is the OpenCV call followed by `.astype(np.int32)`, the
output type of every seglab method. Absolute times move with the machine's load; the ratios are the result.

```bash
.venv/bin/python benchmarks/classical_speed.py --rounds {args.rounds} --sizes {args.sizes}
```

Machine: {platform.machine()}, {os.cpu_count()} vCPUs, Python {platform.python_version()}, numpy {np.__version__},
OpenCV {cv2.__version__}; run started {started}. The two cores were shared with other jobs:
at the start {state0}; at the end {state1}.

{chr(10).join(lines)}

## Memory and start-up

Peak RSS of the command line on an 8192² uint8 image (64 MiB; `VmHWM` of a fresh process, the
PNG written too):

| command | peak RSS | / image size | goal | met |
|---|---|---|---|---|
{chr(10).join(rss_lines)}

First `seglab.segment(image, "otsu")` in a fresh process (numpy and seglab imported before the clock, so the
time is the registry load), median of 5 processes: {statistics.median(starts):.3f} s on an 8x8 image (min
{starts[0]:.3f} s, max {starts[-1]:.3f} s), {statistics.median(starts512):.3f} s on a 512² image; goal <= 0.3 s.
`import seglab` (numpy already imported): median {statistics.median(imports):.3f} s (min {imports[0]:.3f} s).

## Canny's automatic thresholds and the size of the image

`seglab.segment(camera, "canny")` with its defaults (σ = 1) on camera and its `cv2.resize` upscales: seglab 0.1's
rule (0.66 / 1.33 x the median intensity, edges counted with the same smoothing and `cv2.Canny(L2gradient=True)`)
against the current one (Otsu's threshold of the gradient magnitude, and half of it). Upscaling by k divides every
slope by k; a rule on intensities keeps its thresholds and loses the edges.

{chr(10).join(scaling)}
"""
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
