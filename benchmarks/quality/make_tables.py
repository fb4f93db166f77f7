"""Gather the quality runs of ``run_all.py`` into ``docs/quality.md``.

Reads ``benchmarks/quality/results/<data set>/<method>/bench.json`` and writes the
result tables next to the published reference figures. The DSB2018 table is
also split by imaging modality, which needs the images (``--data``); without
them that split is left out with a note.

Usage (from the repository root)::

    .venv/bin/python benchmarks/quality/make_tables.py [--results DIR] [--data ../shared/data] [--output docs/quality.md]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from seglab.evaluation.report import fmt
from seglab.io import write_atomic

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "quality" / "results"
DEFAULT_DATA = ROOT.parent / "shared" / "data"
#: The learned instance models' DSB2018 section (benchmarks/deep/instances_quality.py), shown when present.
LEARNED_DSB = ROOT / "benchmarks" / "deep" / "results" / "instances_quality.md"
#: The networks' ISBI 2012 section (benchmarks/deep/isbi_report.py's table with its notes), shown when present.
LEARNED_ISBI = ROOT / "benchmarks" / "deep" / "results" / "isbi_networks.md"
#: The networks' CamVid section (benchmarks/deep/camvid_report.py), shown when present.
LEARNED_CAMVID = ROOT / "benchmarks" / "deep" / "results" / "camvid_quality.md"

BSDS_COLUMNS = [("boundary_ods", "bdry ODS"), ("boundary_ois", "bdry OIS"), ("boundary_ap", "bdry AP"),
                ("covering_ods", "cov ODS"), ("covering_ois", "cov OIS"), ("covering_best", "cov best"),
                ("pri_ods", "PRI ODS"), ("pri_ois", "PRI OIS"), ("voi_ods", "VoI ODS"), ("voi_ois", "VoI OIS")]
DSB_COLUMNS = [("dsb_score", "DSB score"), ("f1@0.5", "F1@0.5"), ("precision@0.5", "P@0.5"),
               ("recall@0.5", "R@0.5"), ("mean_matched_iou", "matched IoU"), ("ap", "AP"), ("ap50", "AP50"),
               ("n_pred", "instances found")]
ISBI_COLUMNS = [("pixel_error", "pixel error"), ("rand_error_fg", "Rand error (fg)"), ("voi_fg", "VoI (fg)"),
                ("mean_iou", "mIoU"), ("mean_dice", "mean Dice")]

# Arbelaez, Maire, Fowlkes, Malik, "Contour Detection and Hierarchical Image Segmentation",
# IEEE TPAMI 33(5), 2011, Tables 1-3, BSDS500 *test* split.
BSDS_PUBLISHED = [
    {"method": "gPb-owt-ucm (paper)", "boundary_ods": "0.73", "boundary_ois": "0.76", "boundary_ap": "0.73",
     "covering_ods": "0.59", "covering_ois": "0.65", "covering_best": "0.74", "pri_ods": "0.83", "pri_ois": "0.86",
     "voi_ods": "1.69", "voi_ois": "1.48"},
    {"method": "Canny (paper)", "boundary_ods": "0.60", "boundary_ois": "0.63", "boundary_ap": "0.58"},
]
# Ronneberger et al., MICCAI 2015, Table 1 (ISBI 2012 challenge test set, evaluated by the organisers),
# as listed in ../shared/data/isbi2012_em/SOURCE.md. Values are strings: printed as published.
ISBI_PUBLISHED = [
    {"method": "U-Net (paper)", "pixel_error": "0.0611", "rand_error_fg": "0.0382"},
    {"method": "IDSIA sliding-window CNN (paper)", "pixel_error": "0.0613", "rand_error_fg": "0.0504"},
]


def _load(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.glob("*/bench.json")):
        docs.append({**json.loads(path.read_text()), "folder": path.parent.name})
    return docs


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], first: list[tuple[str, str]]) -> list[str]:
    cols = first + columns
    lines = ["| " + " | ".join(title for _, title in cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join(fmt(row.get(key)) if key in row else "" for key, _ in cols) + " |")
    return lines


def _rows(docs: list[dict[str, Any]], key: str, *, lower_is_better: bool = False) -> list[dict[str, Any]]:
    """One row per run, best `key` first (runs without a summary last)."""
    rows = []
    for doc in docs:
        for run in doc["runs"]:
            if run["summary"] is None:
                rows.append({"method": run["name"], "note": run["error"] or "every image failed"})
                continue
            soft = doc.get("options", {}).get("boundary_map") == "scores"
            name = run["name"] + (" (soft edge map, 99 thresholds)" if soft else "")
            rows.append({"method": name, "images": run["n_images"], "s/image": run["seconds_per_image"],
                         "failed": len(run["failures"]), **run["summary"]})
    sign = 1 if lower_is_better else -1
    return sorted(rows, key=lambda r: sign * r[key] if isinstance(r.get(key), float) else math.inf)


def _commands(docs: list[dict[str, Any]]) -> list[str]:
    return ["```bash", *(doc["command"] for doc in docs), "```"]


def _wall(folder: Path) -> str:
    path = folder / "wall_seconds.json"
    if not path.is_file():
        return ""
    info = json.loads(path.read_text())
    total = sum(info["wall_seconds_per_method"].values())
    text = f"Wall time of the whole suite: {total / 60:.1f} min (reading, segmenting and scoring)."
    if info["not_registered"]:
        text += f" Not registered when run, so not benchmarked: {', '.join(info['not_registered'])}."
    return text


def _modality(data: Path) -> dict[str, str] | None:
    """Image stem -> "fluorescence" (grey, dark background) or "brightfield / stained" (colour, light)."""
    import seglab

    folder = data / "dsb2018_stage1_test" / "images"
    if not folder.is_dir():
        return None
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RGBA -> RGB notes
        for path in sorted(folder.glob("*.png")):
            image = seglab.read_image(path)
            grey = image.ndim == 2 or int(np.ptp(image.astype(np.int16), axis=2).max()) == 0
            dark = float(np.median(image)) < 100
            out[path.stem] = "fluorescence" if grey and dark else "brightfield / stained" if not grey and not dark \
                else "other"
    return out


def _cost_per_setting(folder: Path, docs: list[dict[str, Any]]) -> str:
    """Measured wall seconds per image and setting (read + segment + score), min-max over methods."""
    path = folder / "wall_seconds.json"
    if not path.is_file():
        return "about 1 s"
    wall = json.loads(path.read_text())["wall_seconds_per_method"]
    costs = []
    for doc in docs:
        run = doc["runs"][0]
        settings = len(next(iter(run["sweep"].values()))) if run["sweep"] else 1
        if doc["folder"] in wall and run["n_images"]:
            costs.append(wall[doc["folder"]] / (run["n_images"] * settings))
    return f"{min(costs):.2g}-{max(costs):.2g} s (measured)" if costs else "about 1 s"


def _bsds(folder: Path) -> list[str]:
    docs = _load(folder)
    if not docs:
        return ["BSDS500: no results found (run `benchmarks/quality/run_all.py --only bsds500`)."]
    total = docs[0]["data"]["images"]
    n = min(doc["data"]["limit"] or total for doc in docs)
    rows = _rows(docs, "boundary_ods")
    cost = _cost_per_setting(folder, docs)
    if n < total:
        title = f"## BSDS500 val: boundaries and regions ({n} of {total} images; Canny also on all {total})"
        scope = (f"Every method runs on the first {n} val images (in file-name order: reading, segmenting and "
                 f"scoring one image at one setting took {cost} on the shared 2-core machine, so the whole val "
                 "split was out of the time budget)")
    else:
        title = f"## BSDS500 val: boundaries and regions (all {total} images)"
        scope = (f"Every method runs on all {total} val images (reading, segmenting and scoring one image at one "
                 f"setting took {cost} on the shared 2-core machine)")
    return [
        title,
        "",
        "Partition task, the BSDS protocol of `seglab.metrics.bsds` (its port is checked against the official "
        f"benchmark's self-test in `docs/bench/bsds_selftest.md`). {scope}, with a sweep of 3-5 values "
        "of its "
        "main parameter as the ODS/OIS axis (otsu, li, yen, triangle, hsv_range: one setting, so ODS = OIS). "
        f"Canny, the published baseline, runs once more on all {total} val images with 5 values of sigma, and "
        "a third time as the paper scores it: its soft edge map (the non-maximum-suppressed gradient magnitude, "
        "`return_scores=True`, divided by its maximum in each image) thresholded at the benchmark's 99 levels "
        "(`seglab bench --boundary-map scores`; boundary figures only, one row per sigma). "
        "Every other row counts a result as the regions it forms (connected components of equal labels, the "
        "edge family's regions included), and scores their boundaries. Boundary AP needs a PR curve: with one "
        "setting it is 0 by the benchmark's formula, and "
        "3-5 settings sample the curve too coarsely to compare with the paper's 99 thresholds. Boundary ODS "
        "interpolates the PR curve between neighbouring settings, as the official code does between "
        "thresholds, while OIS takes each image's best sampled setting, so with a coarse sweep ODS can exceed OIS.",
        "",
        *_table(rows, BSDS_COLUMNS, [("method", "method"), ("images", "images"), ("s/image", "s/image")]),
        "",
        "Edge detectors lead on boundary F; clustering, texture and split-and-merge lead on covering and PRI, "
        "since their regions follow colour and texture. Every classical method stays well below gPb-owt-ucm. "
        "The region rows of Canny sweep sigma with automatic thresholds (3-5 settings); its soft-map rows "
        "sweep the threshold of the edge map over 99 levels, as the paper's Canny curve does.",
        "",
        "Published figures, **quoted from the paper** (Arbeláez, Maire, Fowlkes, Malik, \"Contour Detection and "
        "Hierarchical Image Segmentation\", IEEE TPAMI 33(5), 2011, Tables 1-3) and measured on the BSDS500 "
        "**test** split (200 images; not in `../shared/data`), not on val: `SOURCE.md` only cites the paper "
        "and lists the benchmark self-test values. They are a yardstick, not a like-for-like comparison.",
        "",
        *_table(BSDS_PUBLISHED, BSDS_COLUMNS, [("method", "method")]),
        "",
        *_footer(folder, docs),
    ]


def _footer(folder: Path, docs: list[dict[str, Any]]) -> list[str]:
    """Wall time of a data set's runs, then the commands that made them (folded)."""
    return [_wall(folder), "", "<details><summary>Commands</summary>", "", *_commands(docs), "", "</details>"]


def _split_by(rows_per_image: list[dict[str, Any]], modality: dict[str, str]) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for row in rows_per_image:
        groups.setdefault(modality.get(row["image"], "other"), []).append(row["dsb_score"])
    return {k: float(np.mean(v)) for k, v in groups.items()}


def _dsb(folder: Path, data: Path) -> list[str]:
    docs = _load(folder)
    if not docs:
        return ["DSB2018: no results found (run `benchmarks/quality/run_all.py --only dsb2018`)."]
    rows = _rows(docs, "dsb_score")
    out = [
        f"## DSB2018 stage-1 test: nuclei instances ({docs[0]['data']['images']} images)",
        "",
        "Instance task. DSB score: the Kaggle metric (mean over IoU 0.50:0.95 of TP/(TP+FP+FN)), averaged over "
        "images; F1, precision, recall and matched IoU pool the matches at IoU > 0.5 over all images; AP is "
        "COCO mask AP (class-agnostic, maxDets 1000, every instance scored 1.0 because the methods give no "
        "confidence). Semantic methods become instances by connected components of their foreground; "
        "k-means / fuzzy c-means use 2 clusters with the darker one as background; gabor (2 texture classes), "
        "hsv_range (the `black` preset) and color_distance (to black, delta-E 20) take per image the class of "
        "lowest mean intensity as background (`--background-class darkest`). Every method looks for "
        "**bright** objects (the family default, `polarity=bright`), except "
        "`watershed polarity=auto`, which takes the minority side of Otsu's threshold as the objects in each image.",
        "",
        *_table(rows, DSB_COLUMNS, [("method", "method"), ("s/image", "s/image")]),
        "",
    ]
    modality = _modality(data)
    if modality is None:
        out += ["(The split by modality needs the images: pass `--data`.)", ""]
    else:
        counts = {m: list(modality.values()).count(m) for m in sorted(set(modality.values()))}
        groups = list(counts)
        out += [
            "Polarity matters. Classified from the images: " + ", ".join(f"{n} are {m}" for m, n in counts.items())
            + " (fluorescence: grey with a dark background, bright nuclei; brightfield / stained: colour with a "
            "light background, dark nuclei). Looking for bright objects suits fluorescence and fails on "
            "brightfield / stained images, where the 'objects' found are background. Mean DSB score per group:",
            "",
            "| method | " + " | ".join(f"{g} ({counts[g]})" for g in groups) + " |",
            "|" + "---|" * (len(groups) + 1),
        ]
        for doc in docs:
            for run in doc["runs"]:
                if run["per_image"]:
                    split = _split_by(run["per_image"], modality)
                    out.append(f"| {run['name']} | " + " | ".join(fmt(split.get(g)) for g in groups) + " |")
        out.append("")
    out += [
        "Per-image means (DSB score) and pooled counts (F1, precision, AP) rank methods differently: li, "
        "triangle and the local thresholds pick up background noise as thousands of small fragments in some "
        "fluorescence images (see 'instances found'), which sinks their pooled precision more than their mean "
        "DSB score. "
        "The watershed, which splits touching nuclei, has the best pooled F1 and AP. No published figure fits "
        "this table: `SOURCE.md` notes that StarDist, Cellpose and most papers report on stage1_train subsets, "
        "not on this stage-1 test set.",
        "",
        *_learned(LEARNED_DSB),
        *_footer(folder, docs),
    ]
    return out


def _learned(path: Path) -> list[str]:
    """The lines of a learned models' section written by a script under benchmarks/deep/, if it exists."""
    return [path.read_text(encoding="utf-8").rstrip("\n"), ""] if path.is_file() else []


def _isbi(folder: Path) -> list[str]:
    docs = _load(folder)
    if not docs:
        return ["ISBI 2012: no results found (run `benchmarks/quality/run_all.py --only isbi2012`)."]
    rows = _rows(docs, "pixel_error", lower_is_better=True)
    return [
        f"## ISBI 2012 EM: thresholding vs membranes ({docs[0]['data']['images']} training slices)",
        "",
        "Semantic task, class 1 = cell interior (label 255, `--label-map 255=1`), class 0 = membrane; every "
        "method calls the bright pixels class 1. Pixel error = 1 - pixel accuracy over all slices. Rand error "
        "(fg) and VoI (fg): adapted Rand error and variation of information (bits) between the connected "
        "components of true and predicted cells, leaving out true membrane pixels (as "
        "`skimage.metrics.adapted_rand_error(..., ignore_labels=(0,))`), averaged over slices.",
        "",
        *_table(rows, ISBI_COLUMNS, [("method", "method"), ("s/image", "s/image")]),
        "",
        "Reference values listed in `SOURCE.md` (U-Net paper, Table 1): they were computed by the challenge "
        "organisers on the 30 **hidden test** slices, with their own evaluation code, so they cannot be "
        "reproduced here and the numbers above (30 training slices, our computation) compare only roughly. "
        "What they show is the distance: no global or local threshold separates membranes from cell interiors "
        "the way a trained network does, because membranes, organelles and cytoplasm share grey levels.",
        "",
        *_table(ISBI_PUBLISHED, ISBI_COLUMNS[:2], [("method", "method")]),
        "",
        *_learned(LEARNED_ISBI),
        *_footer(folder, docs),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "quality.md")
    ns = parser.parse_args(argv)
    if not ns.results.is_dir():
        print(f"{ns.results}: no results; run benchmarks/quality/run_all.py first", file=sys.stderr)
        return 1
    docs = [d for sub in ("bsds500", "dsb2018", "isbi2012") for d in _load(ns.results / sub)]
    created = sorted({d["created"] for d in docs})
    lines = [
        "# Quality of the classical methods on real data",
        "",
        "Generated by `benchmarks/quality/make_tables.py` from the `seglab bench` runs of "
        "`benchmarks/quality/run_all.py` (their `bench.md` / `bench.json` are in `benchmarks/quality/results/`). "
        "Data: `../shared/data` (BSDS500, DSB2018, ISBI 2012; see each `SOURCE.md`), never copied into the "
        "repository. s/image is the mean time of one `seglab.segment` call on the shared 2-core machine under "
        f"load from other jobs, so timings are rough. Runs: {created[0] if created else '-'}"
        f"{' to ' + created[-1] if len(created) > 1 else ''}, seglab {docs[0]['seglab_version'] if docs else '-'}.",
        "",
        *_bsds(ns.results / "bsds500"),
        "",
        *_dsb(ns.results / "dsb2018", ns.data),
        "",
        *_isbi(ns.results / "isbi2012"),
        "",
        *_learned(LEARNED_CAMVID),
    ]
    text = "\n".join(line for line in lines) + "\n"
    write_atomic(ns.output, text.replace("\n\n\n", "\n\n").encode("utf-8"), overwrite=True)
    print(f"wrote {ns.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
