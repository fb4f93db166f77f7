"""Writers of small evaluation inputs (label images, COCO files, BSDS .mat) for the tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.io

from seglab.io import write_labels


def save_labels(path: Path, labels) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_labels(path, np.asarray(labels), overwrite=True)


def save_json(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def save_bsds(path: Path, *segmentations) -> Path:
    """A BSDS groundTruth .mat with one annotator per label image (boundaries as seg2bdry draws them)."""
    from seglab.metrics.bsds import BsdsGroundTruth

    cell = np.empty((1, len(segmentations)), object)
    for k, seg in enumerate(segmentations):
        gt = BsdsGroundTruth.from_labels(seg)
        cell[0, k] = {"Segmentation": np.asarray(seg, np.uint16), "Boundaries": gt.boundaries.astype(np.uint8)}
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"groundTruth": cell})
    return path
