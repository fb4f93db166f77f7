"""Label volumes: the label images of every page of a multi-page input, or of a DICOM series, in one file.

``seglab segment --volume`` writes one label file per volume instead of one
per page (:func:`volume_layout` and :func:`series_layout` decide how):

* a NIfTI input gets ``<stem>.labels.nii.gz`` on the input's own grid (its
  affine, qform and sform, voxel sizes and units; page k back at slice k
  along the third axis), intent ``label``, so that ITK-SNAP, 3D Slicer or
  FSLeyes lay it on the scan (:func:`seglab.io.medical.nifti_label_volume`);
* a DICOM series (single-frame files, sorted along the slice normal) and a
  multi-frame DICOM whose frames carry their planes get a NIfTI too, at the
  affine of the slices' ImagePositionPatient, ImageOrientationPatient and
  PixelSpacing (:mod:`seglab.io.dicom_geometry`; RAS, as dcm2niix writes);
* every other input (a TIFF stack, a video, DICOM frames without a plane or
  not evenly spaced along one line) gets a multi-page TIFF
  ``<stem>.labels.tif``, page k holding the labels of page k.

Both hold the smallest integer type that keeps every label exactly (uint8,
uint16, int16 with void -1, int32), and ``seglab eval`` reads both page by
page (entries ``<stem>.p0000``, ...). Labels are those of each page's own
result: instance ids are numbered per page (2-D objects; the same id on two
pages is not one object).

Examples
--------
>>> import tempfile, pathlib, numpy as np, tifffile
>>> pages = [np.array([[0, 1], [1, 1]], np.int32), np.array([[0, 0], [2, 300]], np.int32)]
>>> layout = volume_layout(pathlib.Path("clip.mp4"))
>>> path = pathlib.Path(tempfile.mkdtemp()) / ("clip" + layout.suffix)
>>> _ = path.write_bytes(encode_label_volume(pages, layout))
>>> layout.suffix, tifffile.imread(path).dtype.name, tifffile.imread(path)[1].tolist()
('.labels.tif', 'uint16', [[0, 0], [2, 300]])
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .naming import file_suffix

if TYPE_CHECKING:
    from .dicom_geometry import Series

__all__ = ["VolumeLayout", "compact_labels", "encode_label_volume", "series_layout", "volume_layout"]

_NIFTI = ".labels.nii.gz"
_TIFF = ".labels.tif"


@dataclass(frozen=True, eq=False)
class VolumeLayout:
    """How the label volume of some input is written.

    Attributes
    ----------
    suffix : str
        ``".labels.nii.gz"`` or ``".labels.tif"``.
    like : Path or None
        A NIfTI input that lends its header.
    affine : (4, 4) ndarray or None
        The RAS affine of a DICOM volume.
    note : str
        Why a DICOM input gets a TIFF (no plane, uneven slices), for the user.
    """

    suffix: str
    like: Path | None = None
    affine: NDArray[np.float64] | None = None
    note: str = ""


def volume_layout(source: Path) -> VolumeLayout:
    """The layout of the label volume of the pages of the input `source` (its header is read for NIfTI and DICOM).

    Examples
    --------
    >>> volume_layout(Path("scan.nii.gz")).suffix, volume_layout(Path("stack.tif")).suffix
    ('.labels.nii.gz', '.labels.tif')
    """
    if file_suffix(source).lower() in (".nii", ".nii.gz"):
        return VolumeLayout(_NIFTI, like=source)
    from .medical import is_dicom_file

    if not is_dicom_file(source):
        return VolumeLayout(_TIFF)
    from .dicom_geometry import frame_planes, slice_thickness, volume_affine
    from .medical import dicom_header

    ds = dicom_header(source)
    planes = frame_planes(ds)
    if planes is None:
        return VolumeLayout(_TIFF, note="its frames do not all give their plane (ImagePositionPatient, "
                                        "ImageOrientationPatient, PixelSpacing); labels written as a TIFF stack")
    try:
        return VolumeLayout(_NIFTI, affine=volume_affine(planes, thickness=slice_thickness(ds)))
    except ValueError as exc:
        return VolumeLayout(_TIFF, note=f"{exc} Labels written as a TIFF stack")


def series_layout(series: Series) -> VolumeLayout:
    """The layout of the label volume of a DICOM series (its slices in order)."""
    from .dicom_geometry import volume_affine

    try:
        return VolumeLayout(_NIFTI, affine=volume_affine(series.planes, thickness=series.thickness))
    except ValueError as exc:
        return VolumeLayout(_TIFF, note=f"{exc} Labels written as a TIFF stack in slice order")


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


def encode_label_volume(pages: Sequence[NDArray[np.integer]], layout: VolumeLayout) -> bytes:
    """The label volume file from the labels of page 0, 1, ... (slices of a series in order), as `layout` says.

    Parameters
    ----------
    pages : sequence of (H, W) integer arrays
        All of one size; stored in the smallest integer type that holds them
        all (:func:`compact_labels`).
    layout : VolumeLayout

    Raises
    ------
    ValueError
        Pages of different sizes, none at all, or (NIfTI input) not as many as the volume has slices.
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
    if layout.suffix == _NIFTI:
        from .medical import nifti_label_volume

        return nifti_label_volume(stack, like=layout.like, affine=layout.affine)
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, stack, photometric="minisblack", compression="zlib", metadata={"axes": "ZYX"})
    return buf.getvalue()
