"""Check seglab's BSDS port against the official benchmark's own self-test.

The BSDS500 release ships ``bench/data``: 5 images with a ucm2, a soft boundary
PNG and 5 segmentations each, and the outputs of the official MATLAB benchmark
on them (``test_1`` .. ``test_5``). This script runs :mod:`seglab.metrics.bsds`
on the same inputs and prints, per test and figure, the official value, ours
and the absolute difference, plus the largest difference over the
per-threshold and per-image tables.

Usage::

    python benchmarks/bsds_selftest.py [--data ../shared/data] [--output docs/bench/bsds_selftest.md]

``--data`` is the folder holding ``bsds500/bench_check`` (default: ``../shared/data``
next to the repository). Nothing is copied from it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from seglab.io.bsds import load_bsds_boundary_png, load_bsds_groundtruth, load_bsds_segs, load_bsds_ucm2
from seglab.metrics.bsds import BsdsSummary, evaluate_bsds_image, summarize_bsds

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IMAGES = ("2018", "3063", "5096", "6046", "8068")

# test -> (input kind, benchmarks run), as in the official bench/test_benchs.m
TESTS = {
    "test_1": ("ucm2", ("boundary", "regions")),
    "test_2": ("png", ("boundary",)),
    "test_3": ("segs", ("boundary",)),
    "test_4": ("segs", ("boundary", "regions")),
    "test_5": ("segs", ("regions",)),
}
NTHRESH = 5


def _read(path: Path) -> np.ndarray:
    return np.atleast_2d(np.loadtxt(path))


def _run(bench: Path, kind: str, benchmarks: tuple[str, ...]) -> BsdsSummary:
    results = []
    for iid in IMAGES:
        gt = load_bsds_groundtruth(bench / "groundTruth" / f"{iid}.mat")
        if kind == "ucm2":
            pred = {"ucm2": load_bsds_ucm2(bench / "ucm2" / f"{iid}.mat")}
        elif kind == "png":
            pred = {"boundary_map": load_bsds_boundary_png(bench / "png" / f"{iid}.png")}
        else:
            pred = {"segs": load_bsds_segs(bench / "segs" / f"{iid}.mat")}
        results.append(
            evaluate_bsds_image(
                gt, **pred, nthresh=NTHRESH, boundary="boundary" in benchmarks, regions="regions" in benchmarks
            )
        )
    return summarize_bsds(results)


def _compare(test_dir: Path, s: BsdsSummary) -> tuple[list[tuple[str, float, float]], list[tuple[str, float]]]:
    """(figure, official, ours) rows and (table, max abs diff) rows."""
    rows: list[tuple[str, float, float]] = []
    tables: list[tuple[str, float]] = []
    if s.boundary is not None:
        b = s.boundary
        off = _read(test_dir / "eval_bdry.txt")[0]  # bestT R P F R_max P_max F_max AP
        ours = [b.ods_recall, b.ods_precision, b.ods_f, b.ois_recall, b.ois_precision, b.ois_f, b.ap]
        names = ["ODS R", "ODS P", "ODS F", "OIS R", "OIS P", "OIS F", "AP"]
        rows += [(f"boundary {n}", o, u) for n, o, u in zip(names, off[1:], ours)]
        thr = _read(test_dir / "eval_bdry_thr.txt")  # thresh R P F
        tables.append(("boundary per threshold (R, P, F)", float(np.abs(thr[:, 1:] - b.per_threshold[:, 1:]).max())))
        img = _read(test_dir / "eval_bdry_img.txt")  # i bestT R P F
        tables.append(("boundary per image (R, P, F)", float(np.abs(img[:, 2:] - b.per_image[:, 1:]).max())))
    if s.covering is not None:
        c = s.covering
        off = _read(test_dir / "eval_cover.txt")[0]  # bestT ODS OIS Best
        rows += [("covering ODS", off[1], c.ods), ("covering OIS", off[2], c.ois), ("covering Best", off[3], c.best)]
        thr = _read(test_dir / "eval_cover_th.txt")
        tables.append(("covering per threshold", float(np.abs(thr[:, 1] - c.per_threshold[:, 1]).max())))
        img = _read(test_dir / "eval_cover_img.txt")  # i bestT R P
        tables.append(("covering per image (GT->seg, seg->GT)", float(np.abs(img[:, 2:] - c.per_image[:, 1:]).max())))
    if s.pri is not None and s.voi is not None:
        off = _read(test_dir / "eval_RI_VOI.txt")[0]  # T_RI PRI_ODS PRI_OIS T_VOI VOI_ODS VOI_OIS
        rows += [("PRI ODS", off[1], s.pri.ods), ("PRI OIS", off[2], s.pri.ois)]
        rows += [("VoI ODS", off[4], s.voi.ods), ("VoI OIS", off[5], s.voi.ois)]
        thr = _read(test_dir / "eval_RI_VOI_thr.txt")  # thresh RI VOI
        both = np.column_stack([s.pri.per_threshold[:, 1], s.voi.per_threshold[:, 1]])
        tables.append(("PRI, VoI per threshold", float(np.abs(thr[:, 1:] - both).max())))
    return rows, tables


def _shown(path: Path) -> str:
    """`path` relative to the repository when it lies next to it (as the default does)."""
    root = Path(__file__).resolve().parents[1]
    try:
        return str(Path("..") / path.resolve().relative_to(root.parent))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding bsds500/ (default: %(default)s)")
    parser.add_argument("--output", type=Path, help="also write the Markdown report to this file")
    args = parser.parse_args(argv)
    bench = args.data / "bsds500" / "bench_check"
    if not bench.is_dir():
        print(f"BSDS self-test data not found at {bench}; pass --data DIR (the folder holding bsds500/).",
              file=sys.stderr)
        return 2

    lines = [
        "# BSDS benchmark self-test: seglab vs the official MATLAB benchmark",
        "",
        "Generated by `python benchmarks/bsds_selftest.py --output docs/bench/bsds_selftest.md`.",
        "Inputs and expected outputs: the official self-test (`bench/data` of the BSDS500 release,",
        f"5 images, nthresh = {NTHRESH}, maxDist = 0.0075, thinning on), read from `{_shown(bench)}`.",
        "",
    ]
    worst = 0.0
    official_boundary = []
    recall_pairs = []  # (official, ours) ODS and OIS recall
    precision_rows = []  # (figure, official, ours) ODS and OIS precision
    for test, (kind, benchmarks) in TESTS.items():
        start = time.perf_counter()
        summary = _run(bench, kind, benchmarks)
        seconds = time.perf_counter() - start
        rows, tables = _compare(bench / test, summary)
        lines += [f"## {test}: {kind}, {' + '.join(benchmarks)} ({seconds:.1f} s)", ""]
        lines += ["| figure | official | seglab | abs diff |", "|---|---:|---:|---:|"]
        for name, official, ours in rows:
            worst = max(worst, abs(official - ours))
            lines.append(f"| {name} | {official:.6f} | {ours:.6f} | {abs(official - ours):.2e} |")
        lines += ["", "| table | max abs diff |", "|---|---:|"]
        for name, diff in tables:
            worst = max(worst, diff)
            lines.append(f"| {name} | {diff:.2e} |")
        lines.append("")
        if "boundary" in benchmarks:
            official_boundary.append(_read(bench / test / "eval_bdry.txt")[0][1:])
            recall_pairs += [(o, u) for name, o, u in rows if name in ("boundary ODS R", "boundary OIS R")]
            precision_rows += [r for r in rows if r[0] in ("boundary ODS P", "boundary OIS P")]
    lines.append(f"Largest absolute difference over every figure and table: **{worst:.2e}**.")
    spread = np.ptp(np.array(official_boundary), axis=0)
    lines += [
        "",
        "Tests 1-4 encode the same boundary maps in four ways (ucm2, PNG, segs twice): seglab's counts",
        "are identical for all four, while the official outputs differ among themselves, because",
        "correspondPixels wires unmatched pixels through a randomly drawn sparse outlier graph on",
        "every call. The official spread (max - min over tests 1-4) is the noise floor of the comparison:",
        "",
        "| figure | official spread over tests 1-4 |",
        "|---|---:|",
    ]
    names = ["ODS R", "ODS P", "ODS F", "OIS R", "OIS P", "OIS F", "AP"]
    lines += [f"| boundary {n} | {d:.2e} |" for n, d in zip(names, spread)]
    above = all(u >= o for o, u in recall_pairs)
    within = all(
        min(o for n, o, _ in precision_rows if n == name) <= ours <= max(o for n, o, _ in precision_rows if n == name)
        for name, _, ours in precision_rows
    )
    lines += [
        "",
        "Where the figures differ and why:",
        "",
        "- Region figures (covering, PRI, VoI) are computed exactly as the official code does; the",
        "  differences are the 6 significant digits the official files hold (`%10g`).",
        "- Boundary figures: seglab's matching has maximum cardinality (checked against Hopcroft-Karp",
        "  in the tests), an upper bound on what any matching of the same maps can match. Our recall is",
        f"  {'above' if above else 'NOT always above'} every official run's ({'consistent with' if above else 'so not only'}"
        " the random outlier graph",
        f"  occasionally missing a match); our ODS and OIS precision lie {'within' if within else 'OUTSIDE'}"
        " the official runs' own range.",
        "- Thinning uses `skimage.morphology.thin` (the Guo-Hall two-subiteration algorithm of Lam, Lee",
        "  & Suen 1992, the reference MATLAB gives for `bwmorph(..., 'thin', inf)`); it could not be",
        "  compared with MATLAB itself here.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
