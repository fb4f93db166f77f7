"""Quality benchmarks of the classical methods on the real data sets in ``../shared/data``.

Runs ``seglab bench`` once per (data set, method) and leaves each run's
``bench.md`` and ``bench.json`` under ``benchmarks/quality/results/<data set>/<method>/``;
``make_tables.py`` then gathers them into ``docs/quality.md``.

- **ISBI 2012** (30 slices, semantic): the thresholding methods, foreground =
  class 1 = cell interior (label 255), every method set to call the bright
  pixels foreground (the family default, ``polarity="bright"``).
- **DSB2018 stage-1 test** (65 images, instance): every method that yields
  instances or a foreground mask, with its defaults (bright objects); semantic
  results become instances by connected components; k-means / fuzzy c-means
  with 2 clusters take the darker cluster (1) as background; gabor (2
  texture classes), hsv_range (the "black" preset) and color_distance (to
  black, delta-E 20) take, per image, the class with the lowest mean
  intensity as background (``--background-class darkest``), so what is not
  dark ground becomes the nuclei.
- **BSDS500 val** (partition): every method with a small sweep of its main
  parameter (ODS/OIS over the sweep); the first ``--bsds-limit`` images only
  (default 25 of 100; the published table uses ``--bsds-limit 100``), because
  the boundary benchmark costs about 0.5-1 s per image and setting on this
  shared 2-core machine. Canny, the published
  baseline, runs a second time on all 100 val images with 5 values of sigma, and
  a third time the way the BSDS500 paper scores it: its soft edge map (the
  non-maximum-suppressed gradient, ``--boundary-map scores``) over 99
  thresholds, at sigma 2 (about 40 s per image here: 99 thresholds, 5 annotators).

Colour methods need references that fit the images; they run on BSDS500 with
a generic palette / the colour-name presets, on DSB2018 against black ground
(see above), and are left out of ISBI 2012 (a thresholding benchmark of grey
EM slices). Registered methods missing from the tables below run
on BSDS500 with their defaults.

Usage (from the repository root; about 30 min)::

    nohup .venv/bin/python benchmarks/quality/run_all.py > /tmp/quality.log 2>&1 &
    .venv/bin/python benchmarks/quality/make_tables.py          # -> docs/quality.md

Options: ``--data DIR`` (default ``../shared/data`` next to the repository),
``--out DIR`` (default ``benchmarks/quality/results``), ``--only
isbi2012,dsb2018,bsds500``, ``--methods a,b`` (only these; the others' results
are kept), ``--bsds-limit N``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from seglab import list_methods
from seglab.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

HSV_PRESETS = '["red","orange","yellow","green","cyan","blue","purple","magenta","white","gray","black"]'
PALETTE = "[[0,0,0],[255,255,255],[128,128,128],[200,50,50],[50,150,50],[60,80,200],[200,180,60],[120,90,60]]"

#: data set -> (folder, arguments of every run, {method: its own arguments})
SUITES: dict[str, tuple[str, list[str], dict[str, list[str]]]] = {
    "isbi2012": ("isbi2012_em", ["--task", "semantic", "--num-classes", "2", "--label-map", "255=1"], {
        "otsu": [], "li": [], "yen": [], "triangle": [],
        "threshold": ["--sweep", "value=100,128,160"],
        "adaptive": ["--sweep", "window_size=15,35,75"],
        "sauvola": ["--sweep", "window_size=15,45"],
        "niblack": ["--sweep", "window_size=15,45"],
    }),
    "dsb2018": ("dsb2018_stage1_test", ["--task", "instance"], {
        "otsu": [], "li": [], "yen": [], "triangle": [], "multiotsu": [],
        "threshold": ["--sweep", "value=20,50,100"],
        "adaptive": [],
        "sauvola": [],
        "niblack": [],
        "canny": [], "sobel": [], "scharr": [], "log_zero_crossing": [],
        "region_growing": [], "split_merge": [], "watershed": [],
        "watershed:auto": ["--param", "polarity=auto"],
        "kmeans": ["--param", "num_classes=2", "--background-class", "1"],
        "fuzzy_cmeans": ["--param", "num_classes=2", "--background-class", "1"],
        "gabor": ["--param", "num_classes=2", "--background-class", "darkest"],
        "hsv_range": ["--param", 'ranges=["black"]', "--background-class", "darkest"],
        "color_distance": ["--param", "references=[[0,0,0]]", "--param", "tolerance=20",
                           "--background-class", "darkest"],
    }),
    "bsds500": ("bsds500", ["--split", "val"], {
        "otsu": [], "li": [], "yen": [], "triangle": [],
        "multiotsu": ["--sweep", "num_classes=2,3,4"],
        "threshold": ["--sweep", "value=64,128,192"],
        "adaptive": ["--sweep", "offset=0,5,15"],
        "sauvola": ["--sweep", "window_size=15,45,135"],
        "niblack": ["--sweep", "window_size=15,45,135"],
        "canny": ["--sweep", "sigma=1,2,4"],
        "canny:all-val": ["--sweep", "sigma=1,1.5,2,3,4", "--limit", "100"],
        "canny:soft": ["--boundary-map", "scores", "--param", "sigma=2", "--limit", "100"],
        "sobel": ["--sweep", "sigma=1,2,4"],
        "scharr": ["--sweep", "sigma=1,2,4"],
        "log_zero_crossing": ["--sweep", "sigma=1.5,2.5,4"],
        "region_growing": ["--sweep", "tolerance=10,20,40"],
        "split_merge": ["--sweep", "merge_tolerance=15,30,60"],
        "watershed": ["--sweep", "fg_fraction=0.2,0.4,0.6"],
        "kmeans": ["--sweep", "num_classes=2,3,4,6,8"],
        "fuzzy_cmeans": ["--sweep", "num_classes=2,3,4,6"],
        "gabor": ["--sweep", "num_classes=2,3,4,6"],
        "hsv_range": ["--param", f"ranges={HSV_PRESETS}"],
        "color_distance": ["--param", f"references={PALETTE}", "--sweep", "tolerance=10,20,40"],
    }),
}


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "quality" / "results")
    parser.add_argument("--only", default=",".join(SUITES))
    parser.add_argument("--bsds-limit", type=int, default=25)
    parser.add_argument("--methods", help="comma-separated: run only these methods (e.g. one added later)")
    ns = parser.parse_args(argv)
    # the classical methods; the networks have their own quality runs (benchmarks/deep/)
    registered = [m.name for m in list_methods(available_only=True) if m.family != "deep"]
    ran = 0
    for key in ns.only.split(","):
        folder, common, methods = SUITES[key]
        data = ns.data / folder
        if not data.is_dir():
            print(f"{key}: {data} not found; skipped (pass --data DIR holding {folder}/)", flush=True)
            continue
        extra = [m for m in registered if m not in methods] if key == "bsds500" else []
        limit = ["--limit", str(ns.bsds_limit)] if key == "bsds500" else []
        wall = ns.out / key / "wall_seconds.json"
        timing = json.loads(wall.read_text())["wall_seconds_per_method"] if wall.is_file() else {}
        chosen = [m for m in methods if m.split(":")[0] in registered] + extra
        if ns.methods:
            chosen = [m for m in chosen if m in ns.methods.split(",")]
        for method in chosen:  # "NAME:variant" runs NAME again with other arguments, into NAME_variant/
            folder = method.replace(":", "_")
            own = methods.get(method, [])
            args = [method.split(":")[0], "--data", os.path.relpath(data), *common,
                    *([] if "--limit" in own else limit), *own, "-o", os.path.relpath(ns.out / key / folder),
                    "--overwrite"]
            print(f"$ seglab bench {' '.join(args)}", flush=True)
            start = time.perf_counter()
            code = main(["bench", *args])
            timing[folder] = round(time.perf_counter() - start, 1)
            print(f"  exit {code}, {timing[folder]} s", flush=True)
            ran += 1
        missing = [m for m in methods if m.split(":")[0] not in registered]
        (ns.out / key).mkdir(parents=True, exist_ok=True)
        wall.write_text(
            json.dumps({"wall_seconds_per_method": timing, "not_registered": missing}, indent=2) + "\n")
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main_())
