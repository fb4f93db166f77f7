"""Label volumes: the label images of every page of a multi-page input, in one file.

``seglab segment --page all --volume`` writes one label file per input
instead of one per page (:func:`volume_suffix` names it):

* a NIfTI input gets ``<stem>.labels.nii.gz`` on the input's own grid (its
  affine, qform and sform, voxel sizes and units; page k back at slice k
  along the third axis), intent ``label``, so that ITK-SNAP, 3D Slicer or
  FSLeyes lay it on the scan (:func:`seglab.io.medical.nifti_label_volume`);
* every other input (a TIFF stack, a multi-frame DICOM, a video) gets a
  multi-page TIFF ``<stem>.labels.tif``, page k holding the labels of page k.

Both hold the smallest integer type that keeps every label exactly (uint8,
uint16, int16 with void -1, int32), and ``seglab eval`` reads both page by
page (entries ``<stem>.p0000``, ...). Labels are those of each page's own
result: instance ids are numbered per page (2-D objects; the same id on two
pages is not one object).

Examples
--------
>>> import tempfile, pathlib, numpy as np, tifffile
>>> pages = [np.array([[0, 1], [1, 1]], np.int32), np.array([[0, 0], [2, 300]], np.int32)]
>>> suffix, data = encode_label_volume(pages, "clip.mp4")
>>> path = pathlib.Path(tempfile.mkdtemp()) / ("clip" + suffix)
>>> _ = path.write_bytes(data)
>>> suffix, tifffile.imread(path).dtype.name, tifffile.imread(path)[1].tolist()
('.labels.tif', 'uint16', [[0, 0], [2, 300]])
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .naming import file_suffix

__all__ = ["compact_labels", "encode_label_volume", "volume_suffix"]


def volume_suffix(source: str | os.PathLike[str]) -> str:
    """The suffix of the label volume of the input `source`: ``.labels.nii.gz`` for NIfTI, else ``.labels.tif``.

    Examples
    --------
    >>> volume_suffix("scan.nii.gz"), volume_suffix("scan.nii"), volume_suffix("stack.tif")
    ('.labels.nii.gz', '.labels.nii.gz', '.labels.tif')
    """
    return ".labels.nii.gz" if file_suffix(source).lower() in (".nii", ".nii.gz") else ".labels.tif"


def compact_labels(labels: NDArray[np.integer]) -> NDArray[np.integer]:
    """`labels` in the smallest integer type that holds them exactly (uint8, uint16, int16, int32).

    Examples
    --------
    >>> [compact_labels(np.array(v, np.int32)).dtype.name for v in ([0, 255], [0, 256], [-1, 5], [-1, 40000])]
    ['uint8', 'uint16', 'int16', 'int32']
    """
    lo, hi = (int(labels.min()), int(labels.max())) if labels.size else (0, 0)
    for dtype in (np.uint8, np.uint16, np.int16):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return labels.astype(dtype, copy=False)
    return labels.astype(np.int32, copy=False)


def encode_label_volume(pages: Sequence[NDArray[np.integer]], source: str | os.PathLike[str]) -> tuple[str, bytes]:
    """The label volume of the input `source` from its pages' labels, in order: (suffix, file content).

    Parameters
    ----------
    pages : sequence of (H, W) integer arrays
        The labels of page 0, 1, ... of `source`, all of one size; stored in
        the smallest integer type that holds them all (:func:`compact_labels`).
    source : path
        The input they come from; a NIfTI input lends its grid (its header is read).

    Raises
    ------
    ValueError
        Pages of different sizes, none at all, or (NIfTI) not as many as the volume has slices.
    """
    if not pages:
        raise ValueError("a label volume needs at least one page.")
    first = pages[0].shape
    for k, page in enumerate(pages):
        if page.shape != first:
            raise ValueError(f"page {k} is {page.shape[0]} x {page.shape[1]} but page 0 is {first[0]} x {first[1]}; "
                             "a volume needs pages of one size (segment the pages without --volume).")
    pages = [compact_labels(page) for page in pages]  # no copy where a page is compact already
    stack = np.stack(pages).astype(np.result_type(*(page.dtype for page in pages)), copy=False)
    suffix = volume_suffix(source)
    if suffix == ".labels.nii.gz":
        from .medical import nifti_label_volume

        return suffix, nifti_label_volume(Path(source), stack)
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, stack, photometric="minisblack", compression="zlib", metadata={"axes": "ZYX"})
    return suffix, buf.getvalue()
