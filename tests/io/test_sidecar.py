"""The JSON sidecar (:mod:`seglab.io.sidecar`)."""

from __future__ import annotations

import json

import numpy as np

import seglab
from seglab import Segment, Segmentation
from seglab.io import (
    write_json,
)


def _instances() -> Segmentation:
    labels = np.zeros((20, 30), np.int32)
    labels[2:8, 3:10] = 1
    labels[10:18, 12:14] = 2
    labels[12, 20:29] = 3
    labels[0, 0] = -1
    return Segmentation(
        labels=labels, task="instance", classes=("background", "cell", "debris"),
        segments={1: Segment(1, 0.9), 2: Segment(2, 0.5), 3: Segment(1, None)}, method="demo",
    )


def test_json_sidecar_round_trip_and_unjsonable_meta(tmp_path):
    seg = _instances()
    seg = Segmentation(
        labels=seg.labels, task=seg.task, classes=seg.classes, segments=seg.segments, method="demo",
        params={"sigma": 1.5},
        meta={"edges": np.ones((50, 50), np.float32), "t": np.float32(0.25), "bad": float("nan"),
              "where": tmp_path, "small": np.array([1, 2, 3]), "obj": object()},
    )
    path = write_json(tmp_path / "s.json", seg, input_file="in/a.png", page=2, notes=["alpha dropped"])

    def no_nan(token):
        raise AssertionError(f"non-standard JSON token {token}")

    doc = json.loads(path.read_text(), parse_constant=no_nan)
    assert doc["seglab_version"] == seglab.__version__
    assert (doc["input_file"], doc["page"], doc["method"], doc["task"]) == ("in/a.png", 2, "demo", "instance")
    assert doc["params"] == {"sigma": 1.5} and doc["classes"] == ["background", "cell", "debris"]
    assert doc["segments"]["2"] == {"class_id": 2, "score": 0.5, "is_thing": True}
    assert doc["meta"]["edges"] == {"shape": [50, 50], "dtype": "float32", "min": 1.0, "max": 1.0}
    assert doc["meta"]["t"] == 0.25 and doc["meta"]["bad"] is None and doc["meta"]["small"] == [1, 2, 3]
    assert doc["meta"]["where"] == str(tmp_path) and doc["meta"]["obj"].startswith("<object object")
    assert doc["shape"] == [20, 30] and doc["num_segments"] == 3 and doc["notes"] == ["alpha dropped"]
