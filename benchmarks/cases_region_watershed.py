"""Region growing, split-and-merge and watershed against the performance anchors (group "seglab").

Run from the repository root, anchors and seglab in one invocation (see benchmarks/README.md):

    .venv/bin/python ../shared/bench-anchors/run.py --extra-cases benchmarks/cases_region_watershed.py \
        --groups python,opencv,skimage,seglab --cases 'region|flood|floodfill|watershed|split_merge' \
        --tiers 512,2048 --out /tmp/rw.json
    .venv/bin/python benchmarks/median_table.py /tmp/rw.json --candidate seglab

Every seglab case times the public entry point ``seglab.segment(image, name, ...)``
(validation, int32 labels and by-products inside the clock). Tasks and parameters:

* ``region.flood_tol10``: ``region_growing`` with the anchors' rule (one seed at
  (20, 20) * N / 512, ``|I(p) - I(seed)| <= 10``, 4-connectivity) via
  ``criterion="seed"``. The maker checks, outside the clock, that the region is
  the very mask of ``cv2.floodFill(FLOODFILL_FIXED_RANGE)``, which the anchors'
  own checks prove equal to the pure-Python BFS and ``skimage.segmentation.flood``.
* ``region.running_mean_tol10``: the default running-mean rule from the same
  seed and tolerance (no anchor implements it; timed for the record).
* ``region.split_merge``: ``split_merge`` with its defaults (no anchor).
* ``watershed.coins_pipeline``: ``watershed`` with the OpenCV tutorial's settings
  (``threshold="otsu", sigma=0, fg_fraction=0.7, fill_holes=False``; gradient
  relief, so ``cv2.watershed`` floods the unknown band: the anchor's algorithm),
  then with seglab's defaults (local threshold, sigma 1, holes filled,
  ``fg_fraction=0.4``: the setting that separates the 24 coins), then with the
  distance relief (scikit-image flood) and the h-maxima markers.
* ``watershed.core``: ``watershed`` with user markers, the tutorial's markers
  (``opencv.watershed_only`` floods the same markers with ``cv2.watershed``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from harness import Case  # provided by bench-anchors/run.py (its folder is on sys.path)
from inputs import sized

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness loads this file by path
from seglab_case import segment_case as _segment  # noqa: E402

GROUP = "seglab"
GRAY = sized("gray")
COINS = sized("coins")
TOL = 10
TUTORIAL = {"threshold": "otsu", "sigma": 0.0, "fg_fraction": 0.7, "relief": "gradient", "fill_holes": False,
            "watershed_line": True}


def _seed(image):
    """The anchors' seed: (20, 20) on the 512 camera, scaled with the image (cases_python.seed_for)."""
    h, w = image.shape[:2]
    return (20 * h // 512, 20 * w // 512)


def _flood(criterion):
    def make(inp):
        import cv2
        import seglab

        image = inp.data
        seed = _seed(image)
        run = lambda: seglab.segment(image, "region_growing", seeds=[seed], tol=TOL, criterion=criterion,  # noqa: E731
                                     connectivity=4)
        if criterion == "seed":  # same output as the anchors, checked outside the clock
            fill = np.zeros((image.shape[0] + 2, image.shape[1] + 2), np.uint8)
            flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
            cv2.floodFill(image, fill, seed[::-1], 0, TOL, TOL, flags)
            if not np.array_equal(run().labels, fill[1:-1, 1:-1].astype(np.int32)):
                raise AssertionError("region_growing(criterion='seed') differs from cv2.floodFill")
        return run

    return make


def _tutorial_markers(inp):
    """``watershed.core``: the markers of the OpenCV tutorial (built outside the clock, as the anchor does)."""
    import cv2
    import seglab

    g = inp.data
    _, thresh = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = np.ones((3, 3), np.uint8)
    opening = cv2.morphologyEx(thresh, cv2.MORPH_OPEN, kernel, iterations=2)
    sure_bg = cv2.dilate(opening, kernel, iterations=3)
    dist = cv2.distanceTransform(opening, cv2.DIST_L2, 5)
    _, sure_fg = cv2.threshold(dist, 0.7 * dist.max(), 255, 0)
    sure_fg = np.uint8(sure_fg)
    unknown = cv2.subtract(sure_bg, sure_fg)
    _, markers = cv2.connectedComponents(sure_fg)
    markers = markers + 1
    markers[unknown == 255] = 0
    seglab.get_method("watershed")
    return lambda: seglab.segment(g, "watershed", markers=markers, sigma=0.0, watershed_line=True)


def _fraction(seg):
    return {"region_fraction": float((seg.labels == 1).mean()), **{k: seg.meta[k] for k in ("n_iter",)}}


def _regions(seg):
    return {"n_regions": seg.num_segments, **{k: v for k, v in seg.meta.items() if k in ("n_blocks", "engine")}}


CASES = [
    Case("seglab.region_growing_seed", "region.flood_tol10", "seglab", GROUP, GRAY, _flood("seed"),
         {"call": "segment(image, 'region_growing', seeds=[seed], tol=10, criterion='seed', connectivity=4)"},
         extra=_fraction, note="cv2.floodFill inside; int32 labels; output checked equal to the anchors' mask"),
    Case("seglab.region_growing_running_mean", "region.running_mean_tol10", "seglab", GROUP, GRAY,
         _flood("running_mean"),
         {"call": "segment(image, 'region_growing', seeds=[seed], tol=10, connectivity=4)"},
         extra=_fraction, note="no anchor: step-wise running-mean rule",
         caps={"gray-4096": "several seconds per call (one numpy step per ring of growth)"}),
    Case("seglab.split_merge", "region.split_merge", "seglab", GROUP, GRAY, _segment("split_merge"),
         {"call": "segment(image, 'split_merge')"}, extra=_regions, note="no anchor; defaults"),
    Case("seglab.watershed_tutorial", "watershed.coins_pipeline", "seglab", GROUP, COINS,
         _segment("watershed", **TUTORIAL), {"call": f"segment(coins, 'watershed', **{TUTORIAL})"},
         extra=_regions, note="the anchor's algorithm (cv2.watershed on the unknown band)"),
    Case("seglab.watershed_default", "watershed.coins_pipeline", "seglab", GROUP, COINS, _segment("watershed"),
         {"call": "segment(coins, 'watershed')"}, extra=_regions,
         note="defaults: local threshold, sigma 1, holes filled, fg_fraction 0.4"),
    Case("seglab.watershed_distance", "watershed.coins_pipeline", "seglab", GROUP, COINS,
         _segment("watershed", relief="distance"), {"call": "segment(coins, 'watershed', relief='distance')"},
         extra=_regions, note="negated distance flooded by skimage.segmentation.watershed"),
    Case("seglab.watershed_hmaxima", "watershed.coins_pipeline", "seglab", GROUP, COINS,
         _segment("watershed", auto_markers="hmaxima", h=3.0),
         {"call": "segment(coins, 'watershed', auto_markers='hmaxima', h=3)"}, extra=_regions,
         note="h-maxima of the distance (iterated geodesic dilation)",
         caps={"coins-4096": "several seconds per call (geodesic reconstruction iterations)"}),
    Case("seglab.watershed_markers", "watershed.core", "seglab", GROUP, COINS, _tutorial_markers,
         {"call": "segment(coins, 'watershed', markers=tutorial_markers, sigma=0, watershed_line=True)"},
         extra=_regions, note="user markers; cv2.watershed inside"),
]
