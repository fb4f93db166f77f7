"""Thresholding family against the performance anchors (group "seglab").

Run from the repository root, anchors and seglab in one invocation (see benchmarks/README.md):

    .venv/bin/python ../shared/bench-anchors/run.py --extra-cases benchmarks/cases_threshold.py \
        --groups opencv,skimage,seglab --cases 'threshold|astype' --tiers 512,2048 --out /tmp/thr.json
    .venv/bin/python benchmarks/median_table.py /tmp/thr.json --candidate seglab

Every case times the public entry point, ``seglab.segment(image, name, ...)``,
so the registry's validation and the int32 labels are inside the clock, as a
user sees them. Task keys and parameters are those of the anchors they face.
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


def _astype_int32(inp):
    image = inp.data
    return lambda: (image > 127).view(np.uint8).astype(np.int32)


def _threshold(seg):
    return {"threshold": seg.meta["threshold"]}


CASES = [
    Case("seglab.threshold_otsu", "threshold.otsu", "seglab", GROUP, GRAY, _segment("otsu"),
         {"call": "seglab.segment(image, 'otsu')"}, extra=_threshold, note="int32 labels"),
    Case("seglab.threshold_fixed", "threshold.fixed", "seglab", GROUP, GRAY, _segment("threshold", value=127),
         {"call": "seglab.segment(image, 'threshold', value=127)"}, note="int32 labels"),
    Case("seglab.adaptive_gaussian", "threshold.local_gaussian", "seglab", GROUP, GRAY,
         _segment("adaptive", method="gaussian", window_size=35, offset=2),
         {"call": "seglab.segment(image, 'adaptive', method='gaussian', window_size=35, offset=2)"},
         note="OpenCV's semantics (cv2.adaptiveThreshold inside), int32 labels"),
    Case("seglab.floor_astype_int32", "floor.binary_to_int32", "seglab", GROUP, GRAY, _astype_int32,
         {"call": "(image > 127).view(np.uint8).astype(np.int32)"},
         note="floor: the cheapest numpy way to a fresh int32 binary, no threshold search"),
]
