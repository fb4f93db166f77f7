"""Otsu / fixed threshold: seglab and OpenCV timed alternately in ONE process.

The anchor harness (see README.md) runs each library group in its own
process, one after the other; on a shared, drifting machine the two groups
can see different machine states. This script alternates the two calls
(A B, B A, A B, ...) so both see the same state, and reports medians.
Inputs are the anchors' ``gray-N`` images (scikit-image's camera, resized
with ``cv2.INTER_LINEAR``; the SHA-1 prefix printed matches the harness's).

    .venv/bin/python benchmarks/interleaved_threshold.py --sizes 512,2048 --rounds 31
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import statistics
import time

import cv2
import numpy as np
from skimage import data

import seglab


def gray(n: int) -> np.ndarray:
    img = data.camera()
    return img if n == 512 else cv2.resize(img, (n, n), interpolation=cv2.INTER_LINEAR)


def _time(fn) -> float:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    del out  # released outside the clock, as the harness does
    return dt


def interleave(a, b, rounds: int) -> tuple[list[float], list[float]]:
    a(), b()  # warm-up
    ta, tb = [], []
    gc.disable()
    try:
        for r in range(rounds):
            if r % 2:
                tb.append(_time(b)), ta.append(_time(a))
            else:
                ta.append(_time(a)), tb.append(_time(b))
    finally:
        gc.enable()
    return ta, tb


def _fmt(s: float) -> str:
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512,2048,4096")
    ap.add_argument("--rounds", type=int, default=31, help="timed calls of each (>= 5)")
    ap.add_argument("--modes", default="1,default", help="1: cv2.setNumThreads(1); default: OpenCV's default")
    args = ap.parse_args()
    default_threads = cv2.getNumThreads()
    pairs = {
        "otsu": (lambda g: (lambda: seglab.segment(g, "otsu")),
                 lambda g: (lambda: cv2.threshold(g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU))),
        "fixed 127": (lambda g: (lambda: seglab.segment(g, "threshold", value=127)),
                      lambda g: (lambda: cv2.threshold(g, 127, 255, cv2.THRESH_BINARY))),
        # Not seglab: the least any int32-returning Otsu built on OpenCV can cost (issue 2's 1.2x target).
        "floor: OpenCV Otsu + int32 cast": (
            lambda g: (lambda: cv2.threshold(g, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1].astype(np.int32)),
            lambda g: (lambda: cv2.threshold(g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU))),
    }
    print("| task | input | threads | seglab (or floor) median | OpenCV median | ratio | rounds |")
    print("|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        g = gray(n)
        sha = hashlib.sha1(g.tobytes()).hexdigest()[:16]
        for mode in args.modes.split(","):
            cv2.setNumThreads(1 if mode == "1" else default_threads)
            for task, (ours, theirs) in pairs.items():
                ta, tb = interleave(ours(g), theirs(g), args.rounds)
                ma, mb = statistics.median(ta), statistics.median(tb)
                print(f"| {task} | gray-{n} ({sha}) | {mode} | {_fmt(ma)} | {_fmt(mb)} | {ma / mb:.2f}x | {args.rounds} |",
                      flush=True)
    cv2.setNumThreads(default_threads)


if __name__ == "__main__":
    main()
