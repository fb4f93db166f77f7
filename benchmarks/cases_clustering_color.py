"""Clustering and colour methods against the performance anchors (group "seglab").

Run from the repository root, anchors and seglab in one invocation:

    .venv/bin/python ../shared/bench-anchors/run.py --extra-cases benchmarks/cases_clustering_color.py \
        --groups opencv,skimage,skfuzzy,seglab \
        --cases 'kmeans|cmeans|hsv_inrange|hsv_range|lab_distance|color_distance' \
        --tiers 512,2048 --out /tmp/cc.json
    .venv/bin/python benchmarks/median_table.py /tmp/cc.json --candidate seglab

Every seglab case times the public entry point ``seglab.segment(image, name, ...)``
(validation, int32 labels and by-products inside the clock) with the anchor's
exact settings:

* ``cluster.kmeans3_rgb``: k=3, 3 attempts, random centres, at most 10
  iterations, eps 1.0, OpenCV seed 0, float32 features: the very call of
  ``opencv.kmeans_rgb``, so both return the same clustering.
* ``cluster.cmeans3_rgb``: c=3, m=2, the initial memberships scikit-fuzzy draws
  with ``seed=0``, and the number of iterations scikit-fuzzy needs to reach
  ``error=0.005`` (its Frobenius stopping rule, measured in the maker); the
  extras give both objectives and the time per iteration.
* ``cluster.cmeans3_rgb_5iter``: the same at 2048 and 4096, where scikit-fuzzy
  has no built-in anchor: both run exactly 5 iterations (``error=0``) from the
  same initial memberships (scikit-fuzzy's at 4096 is capped: ~25 s a call).
* ``color.hsv_inrange``: OpenCV's H 0-20 (of 180), S >= 48, V >= 80 written as
  hue 0-40 degrees, s >= 48/255, v >= 80/255.
  A ``floor`` row adds to that anchor the cheapest conversion of its uint8
  mask to the int32 labels every seglab method returns.
* ``color.lab_distance``: a task with no built-in anchor, so two are defined
  here: scikit-image (``rgb2lab`` + ``deltaE_cie76``, exact, float64) and
  OpenCV (float32 ``cvtColor`` to Lab, whose LUT path is off by up to 0.5
  delta E, + NumPy distance); each returns the distance map and the mask
  ``distance <= 20`` to one reference colour.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from harness import Case  # provided by bench-anchors/run.py (its folder is on sys.path)
from inputs import sized

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness loads this file by path
from seglab_case import segment_case as _segment  # noqa: E402

GROUP = "seglab"
RGB = sized("rgb")
REFERENCE = (200, 150, 120)  # an RGB skin tone, in uint8 units
TOLERANCE = 20.0

_SKFUZZY: dict = {}


def _skfuzzy_run(image):
    """scikit-fuzzy's run on the anchor's data (cached): initial memberships, iterations, objective, time."""
    if "p" not in _SKFUZZY:
        import skfuzzy

        x = image.reshape(-1, 3).astype(np.float64).T
        t0 = time.perf_counter()
        _, _, u0, _, jm, p, _ = skfuzzy.cluster.cmeans(x, 3, 2.0, error=0.005, maxiter=100, init=None, seed=0)
        _SKFUZZY.update(u0=u0, p=int(p), jm=float(jm[-1]), s=time.perf_counter() - t0)
    return _SKFUZZY


def _fcm(inp):
    import seglab

    image = inp.data
    ref = _skfuzzy_run(image)
    init = ref["u0"].reshape(3, *image.shape[:2])
    seglab.get_method("fuzzy_cmeans")
    return lambda: seglab.segment(image, "fuzzy_cmeans", num_classes=3, m=2.0, init=init, tol=0.0,
                                  max_iter=ref["p"])


def _u0(image):
    """scikit-fuzzy's own random initial memberships for ``seed=0`` (what ``cmeans(init=None, seed=0)`` draws)."""
    np.random.seed(0)
    u0 = np.random.rand(3, image.shape[0] * image.shape[1])
    return u0 / u0.sum(axis=0)


def _fcm_fixed(inp):
    import seglab

    image = inp.data
    init = _u0(image).reshape(3, *image.shape[:2])
    seglab.get_method("fuzzy_cmeans")
    return lambda: seglab.segment(image, "fuzzy_cmeans", num_classes=3, m=2.0, init=init, tol=0.0,
                                  max_iter=FIXED_ITER)


def _skfuzzy_fixed(inp):
    import skfuzzy

    image = inp.data
    u0 = _u0(image)

    def run():
        x = image.reshape(-1, 3).astype(np.float64).T
        return skfuzzy.cluster.cmeans(x, 3, 2.0, error=0.0, maxiter=FIXED_ITER, init=u0)

    return run


def _fcm_extra(seg):
    ref = _SKFUZZY
    return {"iterations": seg.meta["n_iter"], "objective": seg.meta["objective"],
            "skfuzzy_objective": ref["jm"], "skfuzzy_iterations": ref["p"],
            "objective_rel_diff": (seg.meta["objective"] - ref["jm"]) / ref["jm"],
            "skfuzzy_untimed_run_s": ref["s"], "centers": np.round(seg.meta["centres"], 1).tolist()}


def _kmeans_extra(seg):
    return {"compactness": seg.meta["inertia"], "centers": np.round(seg.meta["centres"], 1).tolist()}


def _lab_skimage(inp):
    from skimage.color import deltaE_cie76, rgb2lab

    image = inp.data
    ref = rgb2lab(np.array([[REFERENCE]], np.uint8))

    def run():
        d = deltaE_cie76(rgb2lab(image), ref)
        return d, d <= TOLERANCE

    return run


def _lab_opencv(inp):
    import cv2

    image = inp.data
    ref = cv2.cvtColor(np.array([[REFERENCE]], np.float32) / 255, cv2.COLOR_RGB2Lab)[0, 0]

    def run():
        lab = cv2.cvtColor(image.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
        lab -= ref
        d = np.sqrt(np.einsum("...c,...c->...", lab, lab))
        return d, d <= TOLERANCE

    return run


def _hsv_inrange_int32(inp):
    import cv2

    rgb = inp.data
    lo, hi = np.array([0, 48, 80], np.uint8), np.array([20, 255, 255], np.uint8)

    def run():
        mask = cv2.inRange(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV), lo, hi)
        return np.bitwise_and(mask, 1, out=mask).astype(np.int32)

    return run


HSV_RANGE = [(0.0, 40.0, 48 / 255, 1.0, 80 / 255, 1.0)]
FIXED_ITER = 5

CASES = [
    Case("seglab.kmeans_rgb", "cluster.kmeans3_rgb", "seglab", GROUP, RGB,
         _segment("kmeans", num_classes=3, n_init=3, init="random", max_iter=10, tol=1.0, rng=0),
         {"call": "seglab.segment(image, 'kmeans', num_classes=3, n_init=3, init='random', max_iter=10, "
                  "tol=1.0, rng=0)"},
         extra=_kmeans_extra, note="cv2.kmeans inside, same seed: same clustering as the anchor"),
    Case("seglab.fuzzy_cmeans_rgb", "cluster.cmeans3_rgb", "seglab", GROUP, ["rgb-512"], _fcm,
         {"call": "seglab.segment(image, 'fuzzy_cmeans', num_classes=3, m=2.0, init=<skfuzzy seed-0 u0>, "
                  "tol=0, max_iter=<skfuzzy's iteration count>)"},
         extra=_fcm_extra, note="same data, c, m, initial memberships and iteration count as skfuzzy.cmeans_rgb"),
    Case("seglab.fuzzy_cmeans_rgb_5iter", "cluster.cmeans3_rgb_5iter", "seglab", GROUP, RGB, _fcm_fixed,
         {"call": "seglab.segment(image, 'fuzzy_cmeans', num_classes=3, m=2.0, init=<seed-0 u0>, tol=0, "
                  "max_iter=5)"},
         extra=lambda seg: {"iterations": seg.meta["n_iter"], "objective": seg.meta["objective"]},
         note="exactly 5 iterations at every size: the per-iteration cost"),
    Case("skfuzzy.cmeans_rgb_5iter", "cluster.cmeans3_rgb_5iter", "skfuzzy", "skfuzzy", RGB, _skfuzzy_fixed,
         {"c": 3, "m": 2.0, "error": 0.0, "maxiter": 5, "init": "seed-0 u0", "dtype": "float64"},
         extra=lambda r: {"iterations": int(r[5]), "objective": float(r[4][-1])}, thread_agnostic=True,
         caps={"rgb-4096": "about 25 s per call"},
         note="defined in benchmarks/cases_clustering_color.py; timed from uint8 like skfuzzy.cmeans_rgb"),
    Case("seglab.hsv_range", "color.hsv_inrange", "seglab", GROUP, RGB,
         _segment("hsv_range", ranges=HSV_RANGE),
         {"call": f"seglab.segment(image, 'hsv_range', ranges={HSV_RANGE})"},
         note="int32 labels; OpenCV 8-bit full-range hue inside"),
    Case("floor.hsv_inrange_int32", "color.hsv_inrange", "floor", "opencv", RGB, _hsv_inrange_int32,
         {"steps": "opencv.hsv_inrange, then & 1 and astype(int32)"},
         note="floor for an int32 result: the OpenCV anchor plus the cheapest conversion to 0/1 int32 labels"),
    Case("seglab.color_distance", "color.lab_distance", "seglab", GROUP, RGB,
         _segment("color_distance", references=[list(REFERENCE)], tolerance=TOLERANCE),
         {"call": f"seglab.segment(image, 'color_distance', references=[{list(REFERENCE)}], "
                  f"tolerance={TOLERANCE})"},
         note="exact Lab (float32), int32 labels + float32 distance map"),
    Case("skimage.lab_distance", "color.lab_distance", "skimage", "skimage", RGB, _lab_skimage,
         {"steps": "rgb2lab, deltaE_cie76 to one reference, <= 20"}, thread_agnostic=True,
         note="defined in benchmarks/cases_clustering_color.py; float64"),
    Case("opencv.lab_distance", "color.lab_distance", "opencv", "opencv", RGB, _lab_opencv,
         {"steps": "astype float32 / 255, cvtColor RGB2Lab, numpy distance, <= 20"},
         note="defined in benchmarks/cases_clustering_color.py; OpenCV's float Lab is approximate (<= 0.5 dE)"),
]
