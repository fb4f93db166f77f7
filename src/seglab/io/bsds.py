"""BSDS500 files: human ground truth (``groundTruth`` .mat) and benchmark results (``ucm2``, ``segs``, soft PNG).

Readers only; the benchmark itself (:mod:`seglab.metrics.bsds`) takes arrays.

Examples
--------
>>> import tempfile, scipy.io
>>> with tempfile.TemporaryDirectory() as tmp:
...     scipy.io.savemat(tmp + "/u.mat", {"ucm2": np.zeros((3, 5))})
...     load_bsds_ucm2(tmp + "/u.mat").shape
(3, 5)
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError
from ..core.validate import as_labels
from ..metrics.bsds import BsdsGroundTruth

__all__ = ["load_bsds_groundtruth", "load_bsds_ucm2", "load_bsds_segs", "load_bsds_boundary_png"]

PathLike = str | os.PathLike


def _loadmat(path: PathLike, key: str, what: str) -> np.ndarray:
    from scipy.io import loadmat

    if not os.path.isfile(path):
        raise FileNotFoundError(f"BSDS {what} file not found: {path}")
    try:
        content = loadmat(os.fspath(path))
    except Exception as exc:  # scipy raises MatReadError, IndexError, ... on foreign or v7.3 files
        raise InvalidImageError(
            f"{path} is not a readable MATLAB v5 .mat file ({type(exc).__name__}: {exc})."
        ) from None
    if key not in content:
        keys = sorted(k for k in content if not k.startswith("__"))
        raise InvalidImageError(f"{path} is not a BSDS {what} file: it holds {keys}, expected {key!r}.")
    return content[key]


def load_bsds_groundtruth(path: PathLike) -> list[BsdsGroundTruth]:
    """Read a BSDS ``groundTruth/<id>.mat``: a 1xK cell of structs, one per annotator.

    Parameters
    ----------
    path : str or path-like
        The ``.mat`` file (MATLAB v5, as distributed with BSDS300/500).

    Returns
    -------
    list of BsdsGroundTruth
        K ``(segmentation int32 (H, W), boundaries bool (H, W))`` pairs.

    Raises
    ------
    InvalidImageError
        Not a MATLAB file, no ``groundTruth`` cell, or an annotation without
        ``Segmentation``/``Boundaries`` or with mismatched shapes.

    Examples
    --------
    >>> import tempfile, scipy.io
    >>> cell = np.empty((1, 1), object)
    >>> cell[0, 0] = {"Segmentation": np.array([[1, 2]], np.uint16),
    ...               "Boundaries": np.array([[1, 0]], np.uint8)}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     scipy.io.savemat(tmp + "/1.mat", {"groundTruth": cell})
    ...     gts = load_bsds_groundtruth(tmp + "/1.mat")
    >>> len(gts), gts[0].segmentation.tolist(), gts[0].boundaries.tolist()
    (1, [[1, 2]], [[True, False]])
    """
    cell = _loadmat(path, "groundTruth", "ground-truth")
    out = []
    for k, entry in enumerate(np.asarray(cell).ravel()):
        names = entry.dtype.names or ()
        if "Segmentation" not in names or "Boundaries" not in names:
            raise InvalidImageError(
                f"{path}: annotation {k} has fields {list(names)}; expected 'Segmentation' and 'Boundaries'."
            )
        seg = as_labels(np.asarray(entry["Segmentation"].item()).astype(np.int64, copy=False), name=f"{path}: Segmentation")
        bdry = np.asarray(entry["Boundaries"].item()) != 0
        if seg.ndim != 2 or seg.shape != bdry.shape:
            raise InvalidImageError(
                f"{path}: annotation {k} has Segmentation {seg.shape} and Boundaries {bdry.shape}; "
                "expected two (H, W) arrays of one shape."
            )
        out.append(BsdsGroundTruth(seg, bdry))
    if not out:
        raise InvalidImageError(f"{path}: the groundTruth cell is empty; there is nothing to evaluate against.")
    return out


def load_bsds_ucm2(path: PathLike) -> NDArray[np.float64]:
    """Read the ``ucm2`` variable of a BSDS result ``.mat`` (doubled grid, values in [0, 1]).

    Examples
    --------
    >>> import tempfile, scipy.io
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     scipy.io.savemat(tmp + "/u.mat", {"ucm2": np.zeros((5, 7))})
    ...     load_bsds_ucm2(tmp + "/u.mat").shape
    (5, 7)
    """
    return np.asarray(_loadmat(path, "ucm2", "ucm2 result"), dtype=np.float64)


def load_bsds_segs(path: PathLike) -> list[NDArray[np.int32]]:
    """Read the ``segs`` cell of a BSDS result ``.mat``: one label image per setting.

    MATLAB often stores them as doubles; integral float values are accepted.

    Examples
    --------
    >>> import tempfile, scipy.io
    >>> cell = np.empty((1, 2), object); cell[0, 0] = np.ones((2, 2)); cell[0, 1] = np.eye(2) + 1
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     scipy.io.savemat(tmp + "/s.mat", {"segs": cell})
    ...     [int(s.max()) for s in load_bsds_segs(tmp + "/s.mat")]
    [1, 2]
    """
    cell = _loadmat(path, "segs", "segmentation result")
    return [as_labels(np.asarray(s), name=f"{path}: segs") for s in np.asarray(cell).ravel()]


def load_bsds_boundary_png(path: PathLike) -> NDArray[np.float64]:
    """Read an 8-bit soft boundary PNG as the benchmark does: ``double(imread(f)) / 255``.

    Examples
    --------
    >>> import tempfile, imageio.v3 as iio
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     iio.imwrite(tmp + "/b.png", np.array([[0, 255]], np.uint8))
    ...     load_bsds_boundary_png(tmp + "/b.png").tolist()
    [[0.0, 1.0]]
    """
    import imageio.v3 as iio

    img = np.asarray(iio.imread(os.fspath(path)))
    if img.dtype != np.uint8 or img.ndim != 2:
        raise InvalidImageError(
            f"{path} must be an 8-bit single-channel PNG (BSDS soft boundary map); got {img.dtype} {img.shape}."
        )
    return img / 255.0
