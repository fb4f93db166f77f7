"""Interleaved A/B timing of seglab cases against their anchors, in one process.

On a shared machine the speed drifts between the anchor's and the candidate's
turn in ``run.py`` (each group runs in its own process, minutes apart). This
script times the two *alternately*, call after call, on the same input, so a
drift hits both alike; it prints each side's median and the ratio of medians.
Cases and inputs come from bench-anchors (the anchors' own makers) and from a
cases file of ours; thread mode is each library's default.

    .venv/bin/python benchmarks/interleaved.py benchmarks/cases_clustering_color.py \
        --tasks cluster.kmeans3_rgb,color.hsv_inrange --inputs rgb-512,rgb-2048 --rounds 15
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time


def _load(path: str):
    spec = importlib.util.spec_from_file_location("candidate_cases", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _time(fn) -> float:
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    del result
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", help="our cases file (CASES list of bench-anchors Case)")
    ap.add_argument("--anchors", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench-anchors"))
    ap.add_argument("--candidate", default="seglab", help="library name of our cases")
    ap.add_argument("--tasks", required=True, help="comma list of task keys")
    ap.add_argument("--inputs", default="rgb-512,rgb-2048", help="comma list of input ids")
    ap.add_argument("--rounds", type=int, default=11, help="timed calls per side (>= 5)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.anchors))
    import cases_opencv
    import cases_skimage
    import inputs

    ours = _load(args.cases).CASES
    every = cases_opencv.CASES + cases_skimage.CASES + ours
    print("| task | input | seglab median | anchor | anchor median | ratio (seglab/anchor) | rounds |")
    print("|---|---|---|---|---|---|---|")
    for task in args.tasks.split(","):
        cands = [c for c in every if c.task == task and c.library == args.candidate]
        anchors = [c for c in every if c.task == task and c.library != args.candidate]
        for iid in args.inputs.split(","):
            for cand in (c for c in cands if iid in c.inputs):
                inp = inputs.get(iid)
                mine = cand.make(inp)
                for anchor in (a for a in anchors if iid in a.inputs):
                    theirs = anchor.make(inp)
                    mine(), theirs()  # warm-up
                    gc.collect()
                    t_mine, t_theirs = [], []
                    for r in range(args.rounds):  # alternate which side goes first
                        pair = [(t_mine, mine), (t_theirs, theirs)]
                        for times, fn in pair if r % 2 == 0 else pair[::-1]:
                            times.append(_time(fn))
                    a, b = statistics.median(t_mine), statistics.median(t_theirs)
                    print(f"| {task} | {iid} | {a * 1e3:.2f} ms | `{anchor.id}` | {b * 1e3:.2f} ms | "
                          f"{a / b:.2f}x | {args.rounds} |", flush=True)


if __name__ == "__main__":
    main()
