"""BSDS500 files (:mod:`seglab.io.bsds`)."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import scipy.io

from seglab.core.errors import InvalidImageError
from seglab.io.bsds import (
    load_bsds_boundary_png,
    load_bsds_groundtruth,
    load_bsds_segs,
    load_bsds_ucm2,
)

HALVES = np.repeat([[1, 1, 2, 2]], 4, axis=0)  # a 4x4 image cut into two 8-pixel regions


def write_groundtruth(path, annotations):
    """A groundTruth .mat shaped like BSDS500's: a 1xK cell of structs."""
    cell = np.empty((1, len(annotations)), dtype=object)
    for k, (seg, bdry) in enumerate(annotations):
        cell[0, k] = {"Segmentation": seg.astype(np.uint16), "Boundaries": bdry.astype(np.uint8)}
    scipy.io.savemat(path, {"groundTruth": cell})


def test_load_groundtruth_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    anns = [(rng.integers(1, 5, (6, 7)), rng.integers(0, 2, (6, 7))) for _ in range(3)]
    write_groundtruth(tmp_path / "1.mat", anns)
    gts = load_bsds_groundtruth(tmp_path / "1.mat")
    assert len(gts) == 3
    for gt, (seg, bdry) in zip(gts, anns):
        assert gt.segmentation.dtype == np.int32 and gt.boundaries.dtype == bool
        assert np.array_equal(gt.segmentation, seg) and np.array_equal(gt.boundaries, bdry == 1)


def test_load_groundtruth_rejects_other_files(tmp_path):
    scipy.io.savemat(tmp_path / "x.mat", {"ucm2": np.zeros((3, 3))})
    with pytest.raises(InvalidImageError, match="groundTruth"):
        load_bsds_groundtruth(tmp_path / "x.mat")
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = {"Segmentation": np.ones((2, 2), np.uint16)}
    scipy.io.savemat(tmp_path / "y.mat", {"groundTruth": cell})
    with pytest.raises(InvalidImageError, match="Boundaries"):
        load_bsds_groundtruth(tmp_path / "y.mat")
    (tmp_path / "z.mat").write_bytes(b"not a mat file at all")
    with pytest.raises(InvalidImageError, match="MATLAB"):
        load_bsds_groundtruth(tmp_path / "z.mat")


def test_load_results(tmp_path):
    scipy.io.savemat(tmp_path / "u.mat", {"ucm2": np.full((9, 9), 0.5)})
    assert load_bsds_ucm2(tmp_path / "u.mat").shape == (9, 9)
    cell = np.empty((1, 2), dtype=object)
    cell[0, 0], cell[0, 1] = HALVES.astype(float), np.ones((4, 4))  # MATLAB doubles
    scipy.io.savemat(tmp_path / "s.mat", {"segs": cell})
    segs = load_bsds_segs(tmp_path / "s.mat")
    assert [s.dtype for s in segs] == [np.int32, np.int32] and np.array_equal(segs[0], HALVES)
    iio.imwrite(tmp_path / "b.png", np.array([[0, 51, 255]], np.uint8))
    assert load_bsds_boundary_png(tmp_path / "b.png").tolist() == [[0.0, 0.2, 1.0]]
