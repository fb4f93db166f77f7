"""DICOM and NIfTI files read as 2-D images, one frame or slice a page (extra ``seglab[medical]``: pydicom, nibabel).

DICOM (Part 10 files: ``DICM`` at byte 128, whatever the name): the pixels of
one frame, decoded by pydicom (compressed transfer syntaxes other than JPEG
baseline need the decoder pydicom names, e.g. ``pip install pylibjpeg
pylibjpeg-libjpeg pylibjpeg-openjpeg``), in the modality's units: the rescale
slope and intercept (top level, or the frame's functional groups in enhanced
multi-frame files), the Modality LUT or an RT Dose's grid scaling are applied,
so CT reads in Hounsfield units and RT Dose in Gy (int32 when slope and
intercept are integers, float32 otherwise).
YBR colour is converted to RGB, PALETTE COLOR expanded to RGB; MONOCHROME1
stays as stored (there low values display bright: choose ``polarity``
accordingly). Each frame of a multi-frame file is a page.

NIfTI-1 and NIfTI-2 (``.nii``, ``.nii.gz``): one 2-D slice of the volume as
stored, rows along the first voxel axis and columns along the second, with
the header's scaling (scl_slope, scl_inter) applied. Nothing is reoriented,
so labels go back into the volume as ``volume[:, :, k] = labels`` (viewers
show such a slice turned by 90 degrees). Page k is slice k along the third
axis; in 4-D data the pages run through the third axis first, then the
fourth.

Examples
--------
>>> import tempfile, pathlib, numpy as np, nibabel
>>> path = pathlib.Path(tempfile.mkdtemp()) / "vol.nii.gz"
>>> volume = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)
>>> nibabel.save(nibabel.Nifti1Image(volume, np.eye(4)), path)
>>> from seglab.io import read_image
>>> read_image(path, page=1).tolist() == volume[:, :, 1].tolist()
True
>>> from seglab.io import pixel_spacing
>>> image = nibabel.Nifti1Image(volume, np.diag([0.5, 0.75, 2.0, 1.0]))
>>> image.header.set_xyzt_units("mm")
>>> nibabel.save(image, path)
>>> pixel_spacing(path)
(0.5, 0.75)
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError
from ..core.optional import require
from .guards import KeptOpen, check_fits_in_memory, check_pixels, choose_page, fail

__all__ = ["is_dicom", "is_dicom_file", "is_nifti", "read_dicom", "read_nifti", "dicom_frames", "nifti_slices",
           "dicom_spacing", "nifti_spacing", "nifti_label_volume", "frame_items", "dicom_header", "HEAD_BYTES"]

#: Bytes of a file's start that tell these formats (the NIfTI-1 magic sits at byte 344).
HEAD_BYTES = 352
_NIFTI1_MAGIC = (b"n+1\x00", b"ni1\x00")  # at byte 344: a single .nii file, or the .hdr of a pair
_NIFTI2_MAGIC = b"n+2\x00"  # at byte 4
_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def is_dicom(head: bytes) -> bool:
    """Whether a file starting with `head` is a DICOM Part 10 file (``DICM`` after the 128-byte preamble)."""
    return head[128:132] == b"DICM"


def is_dicom_file(p: Path) -> bool:
    """Whether the file `p` is a DICOM Part 10 file (its first 132 bytes read); False when it cannot be read."""
    try:
        with open(p, "rb") as fh:
            return is_dicom(fh.read(132))
    except OSError:
        return False


def is_nifti(p: Path, head: bytes) -> bool:
    """Whether `p` (starting with `head`) is a NIfTI-1/2 file, gzipped (``.nii.gz``) or not."""
    if head[:2] == b"\x1f\x8b":
        if not p.name.lower().endswith(".nii.gz"):
            return False
        try:
            with gzip.open(p, "rb") as fh:
                head = fh.read(HEAD_BYTES)
        except (OSError, EOFError):
            return True  # named .nii.gz and broken: the reader says what is wrong with it
    return head[344:348] in _NIFTI1_MAGIC or head[4:8] == _NIFTI2_MAGIC


class _DicomFile:
    """A DICOM file's header (pixel data deferred) and, while its frames are read in order, an iterator over them."""

    def __init__(self, p: Path) -> None:
        pydicom = require("pydicom")
        self.path = p
        try:
            self.ds = pydicom.dcmread(p, defer_size="1 KB")
        except Exception as exc:  # InvalidDicomError, EOFError, struct.error... on bad bytes
            raise fail(p, f"the DICOM data is truncated or corrupt ({type(exc).__name__}: {exc}); "
                          "re-export it.") from None
        self.frames: Any = None
        self.next = -1

    def frame(self, index: int, count: int) -> NDArray:
        """Frame `index` of `count`: the iterator's next one when reading in order, else decoded from `index` on."""
        from pydicom.pixels import iter_pixels

        if index != self.next or self.frames is None:
            self.close()
            self.frames = iter_pixels(str(self.path), indices=range(index, count))
        arr = next(self.frames)
        self.next = index + 1
        return arr

    def close(self) -> None:
        if self.frames is not None:
            self.frames.close()
        self.frames, self.next = None, -1


#: The DICOM file of the last frame read: its header, and its frames read on in order (a 200-frame file one page
#: at a time: 0.44 ms a frame reopening it, 0.19 ms reading on).
_KEPT_DICOM = KeptOpen(close=lambda kept: kept.close())


def dicom_header(p: Path) -> Any:
    """The kept header of the DICOM file `p` (parsed once for its pages, its page count and its spacing)."""
    with _KEPT_DICOM.lock:
        return _KEPT_DICOM.get(p, _DicomFile).ds


def frame_items(ds: Any, index: int, sequence: str) -> list[Any]:
    """Where frame `index`'s attributes of `sequence` may sit: the top level, then the first item of that sequence in
    the frame's own functional group, then in the shared one (enhanced multi-frame files)."""
    items = [ds]
    for groups, item in (("PerFrameFunctionalGroupsSequence", index), ("SharedFunctionalGroupsSequence", 0)):
        seq = ds.get(groups)
        if seq is not None and item < len(seq) and seq[item].get(sequence):
            items.append(seq[item].get(sequence)[0])
    return items


def read_dicom(p: Path, page: int | None, max_pixels: int | None) -> NDArray:
    """One frame of a DICOM file in the modality's units (see the module notes)."""
    require("pydicom")
    from pydicom.pixels import apply_color_lut

    with _KEPT_DICOM.lock:
        kept = _KEPT_DICOM.get(p, _DicomFile)
        ds = kept.ds
        meta = getattr(ds, "file_meta", None)
        if not any(tag in ds for tag in _PIXEL_TAGS):
            if "Rows" in ds and "Columns" in ds:  # an image's header whose pixels never came: cut short
                raise fail(p, "the DICOM header describes an image (Rows, Columns) but the file ends before its "
                              "pixel data: it is truncated; copy or re-export it.")
            uid = ds.get("SOPClassUID") or (meta.get("MediaStorageSOPClassUID") if meta is not None else None)
            kind = getattr(uid, "name", "unknown SOP class")
            raise fail(p, f"is a DICOM file without pixel data ({kind}); give the image files of the series.")
        rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        index = choose_page(p, page, frames, f" (a multi-frame DICOM of {frames} frames of {cols} x {rows})")
        check_pixels(p, rows, cols, max_pixels)
        check_fits_in_memory(p, (rows, cols, samples), 8.0 * rows * cols * samples)  # float64 rescaling at most
        try:
            arr = kept.frame(index, frames)  # from the file: that frame alone
        except Exception as exc:
            _KEPT_DICOM.drop()
            syntax = meta.get("TransferSyntaxUID") if meta is not None else None
            if syntax is not None and syntax.is_compressed and isinstance(exc, (RuntimeError, NotImplementedError)):
                raise fail(p, f"its pixels are compressed ({syntax.name}) and no installed decoder reads them; "
                              "install one, e.g. pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg (see "
                              "pydicom's pixel data handlers).") from None
            raise fail(p, f"the DICOM pixel data is truncated or corrupt ({type(exc).__name__}: {exc}); "
                          "re-export it.") from None
        if str(ds.get("PhotometricInterpretation", "")).upper() == "PALETTE COLOR":
            arr = apply_color_lut(arr, ds)
        elif samples == 1:
            arr = _modality_units(arr, ds, index)
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.ascontiguousarray(arr)


def dicom_frames(p: Path) -> int:
    """The number of frames of a DICOM file (its pages), from its header alone."""
    return int(dicom_header(p).get("NumberOfFrames", 1) or 1)


def _modality_units(arr: NDArray, ds: Any, index: int) -> NDArray:
    """Stored values to the modality's units: the Modality LUT, or the rescale slope and intercept of frame `index`."""
    if "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        return np.asarray(apply_modality_lut(arr, ds))
    found = _rescale(ds, index)
    if found is None and "DoseGridScaling" in ds:  # RT Dose: stored values times the scaling are Gy
        found = (float(ds.DoseGridScaling), 0.0)
    if found is None or found == (1.0, 0.0):
        return arr
    slope, intercept = found
    if slope.is_integer() and intercept.is_integer():
        exact = arr.astype(np.int64) * int(slope) + int(intercept)
        if exact.size == 0 or (exact.min() >= np.iinfo(np.int32).min and exact.max() <= np.iinfo(np.int32).max):
            return exact.astype(np.int32)
    return (arr.astype(np.float64) * slope + intercept).astype(np.float32)


def _rescale(ds: Any, index: int) -> tuple[float, float] | None:
    """(slope, intercept) of frame `index`: top level, else its per-frame functional group, else the shared one."""
    for holder in frame_items(ds, index, "PixelValueTransformationSequence"):
        if "RescaleSlope" in holder or "RescaleIntercept" in holder:
            return float(holder.get("RescaleSlope", 1) or 1), float(holder.get("RescaleIntercept", 0) or 0)
    return None


def _open_nifti(p: Path) -> Any:
    nibabel = require("nibabel")
    try:
        if p.name.lower().endswith((".nii", ".nii.gz")):
            return nibabel.load(p, keep_file_open=True)
        # told by its content (is_nifti) under another name, which nibabel.load refuses: an uncompressed
        # single-file NIfTI (a gzipped one is only recognised by its .nii.gz name)
        with open(p, "rb") as fh:
            head = fh.read(8)
        kind = nibabel.Nifti2Image if head[4:8] == _NIFTI2_MAGIC else nibabel.Nifti1Image
        holder = nibabel.FileHolder(filename=str(p))
        return kind.from_file_map({"image": holder, "header": holder}, keep_file_open=True)
    except Exception as exc:  # ImageFileError, OSError, EOFError... on bad bytes
        raise fail(p, f"the NIfTI header is truncated or corrupt ({type(exc).__name__}: {exc}); "
                      "re-export it.") from None


#: The volume of the last slice read, its file kept open: the slices of a gzipped volume read in order then
#: decompress it once (120 slices of 256 x 256: 7.0 s reopening it for each, 0.13 s kept open).
_KEPT = KeptOpen(close=lambda volume: None)


def read_nifti(p: Path, page: int | None, max_pixels: int | None) -> NDArray:
    """One 2-D slice of a NIfTI volume, as stored, with the header's scaling (see the module notes)."""
    with _KEPT.lock:
        img = _KEPT.get(p, _open_nifti)
        return _nifti_slice(p, img, page, max_pixels)


def _nifti_slice(p: Path, img: Any, page: int | None, max_pixels: int | None) -> NDArray:
    """Slice `page` of the loaded NIfTI image `img` of the file `p`."""
    shape = tuple(int(n) for n in img.shape)
    dtype = img.get_data_dtype()
    if len(shape) < 2:
        raise fail(p, f"holds a {len(shape)}-D array of shape {shape}; seglab reads 2-D slices of volumes.")
    trailing = shape[2:]
    index = choose_page(p, page, math.prod(trailing),
                        f" (a volume of shape {shape}; page k is slice k along the third axis)")
    check_pixels(p, shape[0], shape[1], max_pixels)
    check_fits_in_memory(p, shape[:2], 8.0 * shape[0] * shape[1] * max(1, len(dtype.names or ())))
    where = tuple(int(i) for i in np.unravel_index(index, trailing, order="F")) if trailing else ()
    try:
        arr = np.asanyarray(img.dataobj[(slice(None), slice(None), *where)])
    except Exception as exc:  # a gzip stream or data block that ends early
        raise fail(p, f"the NIfTI data is truncated or corrupt ({type(exc).__name__}: {exc}); re-export it.") from None
    if arr.dtype.names:  # RGB24 / RGBA32 voxels: colour channels last
        arr = np.stack([arr[name] for name in arr.dtype.names[:3]], axis=-1)
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.ascontiguousarray(arr)


def nifti_slices(p: Path) -> int:
    """The number of 2-D slices of a NIfTI file (its pages), from its header alone."""
    with _KEPT.lock:
        return math.prod(_KEPT.get(p, _open_nifti).shape[2:])


def dicom_spacing(p: Path, page: int | None) -> tuple[float, float] | None:
    """(row, column) spacing in mm of a DICOM frame: PixelSpacing (top level, or the frame's functional groups),
    else ImagerPixelSpacing; None when the header gives neither."""
    require("pydicom")
    try:
        ds = dicom_header(p)
    except InvalidImageError:  # reading the image reports a broken file; a sidecar goes without spacing
        return None
    for holder in frame_items(ds, page or 0, "PixelMeasuresSequence"):
        for tag in ("PixelSpacing", "ImagerPixelSpacing"):
            value = holder.get(tag)
            if value is not None and len(value) == 2:
                return float(value[0]), float(value[1])
    return None


#: NIfTI spatial units in millimetres.
_NIFTI_MM = {"mm": 1.0, "micron": 1e-3, "meter": 1e3}


def nifti_spacing(p: Path) -> tuple[float, float] | None:
    """(row, column) spacing in mm of a NIfTI slice (voxel sizes along the first two axes); None when the header
    gives no spatial unit."""
    require("nibabel")
    try:
        with _KEPT.lock:
            header = _KEPT.get(p, _open_nifti).header
    except InvalidImageError:  # reading the image reports a broken file; a sidecar goes without spacing
        return None
    unit = _NIFTI_MM.get(header.get_xyzt_units()[0])
    zooms = header.get_zooms()
    if unit is None or len(zooms) < 2:
        return None
    return float(zooms[0]) * unit, float(zooms[1]) * unit


def nifti_label_volume(stack: NDArray, *, like: Path | None = None, affine: NDArray | None = None) -> bytes:
    """A gzipped NIfTI file of label pages ``(N, H, W)``: on the grid of the NIfTI file `like`, or at `affine`.

    With `like`, page k goes back where :func:`read_nifti` took it from (slice
    k along the third axis, then the fourth), in a volume of `like`'s spatial
    shape, with `like`'s header (affine, qform and sform with their codes,
    voxel sizes, units). With `affine` (RAS, mm; a DICOM series'), page k is
    slice k of a ``(H, W, N)`` volume, qform and sform code 1 (scanner). Either
    way: the labels' integer type, no scaling, intent ``label`` and
    ``cal_min``/``cal_max`` spanning the labels, so viewers lay it on the scan.
    """
    nibabel = require("nibabel")
    volume = np.moveaxis(stack, 0, -1)  # (H, W, N): page k is slice k
    if like is not None:
        with _KEPT.lock:
            source = _KEPT.get(like, _open_nifti)
            shape = tuple(int(n) for n in source.shape)
            header = source.header.copy()
        if volume.shape != (shape[0], shape[1], math.prod(shape[2:])):
            raise ValueError(f"{stack.shape[0]} pages of {stack.shape[1]} x {stack.shape[2]} do not fill the volume "
                             f"of shape {shape} of {like}.")
        volume = volume.reshape(shape, order="F")  # the pages run through the third axis first, then the fourth
        cls = nibabel.Nifti2Image if isinstance(header, nibabel.Nifti2Header) else nibabel.Nifti1Image
        image = cls(volume, None, header)  # None: the header's qform and sform stay as they are
    else:
        image = nibabel.Nifti1Image(np.ascontiguousarray(volume), affine)
        image.header.set_xyzt_units("mm")
        image.header.set_qform(affine, code=1)
        image.header.set_sform(affine, code=1)
    image.set_data_dtype(volume.dtype)
    image.header.set_slope_inter(1.0, 0.0)
    image.header.set_intent("label")
    image.header["cal_min"], image.header["cal_max"] = (float(volume.min()), float(volume.max())) if volume.size else (0, 0)
    image.header["descrip"] = b"seglab labels"
    return gzip.compress(image.to_bytes(), compresslevel=1, mtime=0)
