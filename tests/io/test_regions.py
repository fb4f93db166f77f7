"""The regions CSV (:mod:`seglab.io.regions`), against numpy."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import seglab
from seglab import InvalidImageError, Segment, Segmentation
from seglab.io import (
    write_regions_csv,
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


@pytest.mark.parametrize("colour", [False, True])
def test_regions_csv_matches_numpy(tmp_path, colour):
    seg = _instances()
    rng = np.random.default_rng(3)
    image = rng.integers(0, 4000, seg.labels.shape + ((3,) if colour else ())).astype(np.uint16)
    path = write_regions_csv(tmp_path / "r.csv", seg, image)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["label"]) for r in rows] == [1, 2, 3]  # no row for background or void
    names = {1: "cell", 2: "debris", 3: "cell"}
    for row in rows:
        label = int(row["label"])
        inside = seg.labels == label
        rr, cc = np.nonzero(inside)
        assert row["class"] == names[label]
        assert int(row["area"]) == inside.sum()
        assert [int(row[k]) for k in ("bbox_min_row", "bbox_min_col", "bbox_max_row", "bbox_max_col")] == [
            rr.min(), cc.min(), rr.max() + 1, cc.max() + 1]
        assert float(row["centroid_row"]) == pytest.approx(rr.mean())
        assert float(row["centroid_col"]) == pytest.approx(cc.mean())
        if colour:
            means = [float(row[k]) for k in ("mean_r", "mean_g", "mean_b")]
            assert means == pytest.approx(image[inside].mean(axis=0))
        else:
            assert float(row["mean_intensity"]) == pytest.approx(image[inside].mean())  # image units, no rescale


def test_regions_csv_semantic_rows_are_classes(tmp_path):
    image = np.zeros((6, 6), np.uint8)
    image[1:3, 1:3] = 200
    image[4:, 4:] = 200
    seg = seglab.segment(image, "threshold", value=100)
    rows = list(csv.DictReader(open(write_regions_csv(tmp_path / "r.csv", seg, image))))
    assert [(r["label"], r["class"], r["area"], r["mean_intensity"]) for r in rows] == [("1", "foreground", "8", "200.0")]


def test_regions_csv_shape_mismatch(tmp_path):
    with pytest.raises(InvalidImageError, match="does not match the labels"):
        write_regions_csv(tmp_path / "r.csv", _instances(), np.zeros((5, 5)))
