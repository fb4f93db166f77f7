"""Median table of a candidate against the anchors in one bench-anchors results file.

``compare.py`` in bench-anchors prints minima; the project quotes medians of
>= 5 runs measured in the same invocation. This prints, per (task, input,
thread mode), the candidate's median, each anchor's median and the ratio
candidate / anchor (< 1: the candidate is faster).

    python benchmarks/median_table.py results.json --candidate seglab [--tasks threshold]
"""
from __future__ import annotations

import argparse
import json


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--candidate", default="seglab", help="library name of the candidate rows")
    ap.add_argument("--tasks", default="", help="only task keys containing this text")
    args = ap.parse_args()
    with open(args.results) as f:
        rows = json.load(f)["results"]
    cands = [r for r in rows if r["library"] == args.candidate and args.tasks in r["task"]]
    print("| task | input | threads | candidate median | anchor | anchor median | ratio (cand./anchor) | n cand./anchor |")
    print("|---|---|---|---|---|---|---|---|")
    for c in sorted(cands, key=lambda r: (r["task"], int(r["input"].split("-")[-1]), r["mode"])):
        peers = [r for r in rows if r["library"] != args.candidate and (r["task"], r["input"], r["mode"])
                 == (c["task"], c["input"], c["mode"])]
        for p in peers or [None]:
            anchor = "–" if p is None else f"`{p['case']}`"
            med = "–" if p is None else _fmt(p["median_s"])
            ratio = "–" if p is None else f"{c['median_s'] / p['median_s']:.2f}x"
            n = f"{c['n']}" + ("" if p is None else f"/{p['n']}")
            print(f"| {c['task']} | {c['input']} | {c['mode']} | {_fmt(c['median_s'])} | {anchor} | {med} | {ratio} | {n} |")


if __name__ == "__main__":
    main()
