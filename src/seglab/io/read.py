"""Reading images and label images from files, in the file's own units.

TIFF goes through tifffile; PNG, JPEG, BMP, GIF and WebP through Pillow
(OpenCV decodes 16-bit colour PNGs, which Pillow would cut to 8 bits); DICOM
and NIfTI through pydicom and nibabel (extra ``seglab[medical]``,
:mod:`seglab.io.medical`); video frames through OpenCV
(:mod:`seglab.io.video`). The format is recognised from the file's first
bytes, not its name, so a text file named ``.png`` gets a clear error rather
than a decoder traceback.

Nothing is rescaled: a 16-bit file gives uint16, a float TIFF gives float32
(DICOM and NIfTI come in the units their headers define: Hounsfield units for
CT, the NIfTI scaling applied).

Examples
--------
>>> import tempfile, pathlib, numpy as np, tifffile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
>>> tifffile.imwrite(path, np.arange(60, dtype=np.uint16).reshape(3, 4, 5), photometric="minisblack")
>>> read_image(path, page=1).dtype, int(read_image(path, page=1)[0, 0])
(dtype('uint16'), 20)
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.validate import as_labels
from .guards import check_fits_in_memory, check_pixels, choose_page, fail
from .medical import (HEAD_BYTES, dicom_frames, dicom_spacing, is_dicom, is_nifti, nifti_slices, nifti_spacing,
                      read_dicom, read_nifti)
from .video import VIDEO_SUFFIXES, is_video, read_video_frame, video_frames

__all__ = ["read_image", "read_labels", "count_pages", "pixel_spacing", "ImageConversionWarning", "IMAGE_SUFFIXES"]

#: File name suffixes that the command line picks up when it expands a folder.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".dcm", ".nii", ".nii.gz",
                  *VIDEO_SUFFIXES)

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_READABLE = "PNG, JPEG, BMP, TIFF, GIF, WebP, DICOM, NIfTI or a video"


class ImageConversionWarning(UserWarning):
    """The file's pixels were converted on reading (alpha dropped, CMYK to RGB, ...)."""


def _check_file(path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    """Return the path and its first bytes, or raise naming what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise fail(p, "no such file; check the path.")
    if p.is_dir():
        raise fail(p, "is a folder; give an image file (the command line expands folders itself).")
    try:
        with open(p, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise fail(p, f"cannot be opened ({exc.strerror or exc}); check its permissions.") from None
    if not head:
        raise fail(p, "the file is empty (0 bytes); re-export or re-download it.")
    return p, head


def _describe_head(head: bytes) -> str:
    text = head[:16]
    if all(32 <= b < 127 or b in (9, 10, 13) for b in text):
        return f"it looks like text (starts with {text.decode('ascii')!r})"
    return f"it starts with bytes {text[:8].hex(' ')}"


def _read_tiff(p: Path, page: int | None, max_pixels: int | None) -> NDArray:
    import tifffile

    try:
        with tifffile.TiffFile(p) as tif:
            n_pages = len(tif.pages)
            if n_pages == 0:
                raise fail(p, "the TIFF holds no image; re-export it.")
            series = tif.series[0] if tif.series else None
            stack = f" (a {series.axes} stack of shape {series.shape})" if series is not None and series.ndim > 2 else ""
            index = choose_page(p, page, n_pages, stack)
            tiff_page = tif.pages[index]
            photometric = getattr(tiff_page, "photometric", None)
            axes = getattr(tiff_page, "axes", "")
            shape = tuple(tiff_page.shape)
            check_pixels(p, tiff_page.imagelength * tiff_page.imagedepth, tiff_page.imagewidth, max_pixels)
            check_fits_in_memory(p, shape, np.prod(shape, dtype=np.float64) * np.dtype(tiff_page.dtype).itemsize)
            arr = tiff_page.asarray()
    except InvalidImageError:
        raise
    except Exception as exc:  # tifffile raises ValueError, struct.error, KeyError... on bad bytes
        raise fail(p, f"the TIFF is truncated or corrupt ({type(exc).__name__}: {exc}); re-export it.") from None
    if "S" in axes and axes.index("S") != len(axes) - 1 and arr.ndim == len(axes):
        arr = np.moveaxis(arr, axes.index("S"), -1)  # planar (S, H, W) -> (H, W, S)
    if photometric is not None and int(photometric) == 5:  # SEPARATED (CMYK)
        raise fail(p, "is a CMYK TIFF; convert it to RGB first.")
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _png_depth_and_colour(head: bytes) -> tuple[int, int]:
    """(bit depth, colour type) from a PNG header (the IHDR chunk comes first)."""
    return head[24], head[25]


def _read_pillow(p: Path, page: int | None, head: bytes, *, labels: bool, max_pixels: int | None) -> NDArray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(p) as im:
            index = choose_page(p, page, getattr(im, "n_frames", 1))
            if index:
                im.seek(index)
            width, height = im.size
            bands = len(im.getbands())
            check_pixels(p, height, width, max_pixels)
            # Pillow's own buffer plus the array copy; 8-bit modes take 1 byte a sample, "I;16" 2, "I" and "F" 4
            sample = 2 if im.mode.startswith("I;16") else 4 if im.mode in ("I", "F") else 1
            check_fits_in_memory(p, (height, width, bands), 2.0 * width * height * bands * sample)
            im.load()  # decodes everything: truncation shows up here
            arr = _from_pil(im, p, labels=labels)
    except UnidentifiedImageError:
        if _format_name(head) != "image":  # the signature is right, the rest is not
            raise fail(p, f"the {_format_name(head)} data is truncated or corrupt; re-export or re-download it.") from None
        raise fail(
            p, f"is not an image seglab can read ({_READABLE}); {_describe_head(head)}. Check the file or re-export it."
        ) from None
    except InvalidImageError:
        raise
    except Image.DecompressionBombError as exc:
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f" ({int(pixels[1]):.3g} pixels)" if pixels else ""
        raise fail(
            p,
            f"is larger{size} than Pillow's limit of {2 * (Image.MAX_IMAGE_PIXELS or 0):.3g} pixels, a guard "
            "against decompression bombs. If you trust the file, convert it to TIFF (read without this limit) or, "
            "in Python, set PIL.Image.MAX_IMAGE_PIXELS = None before reading.",
        ) from None
    except Exception as exc:  # OSError "truncated", SyntaxError...
        raise fail(p, f"the {_format_name(head)} data is truncated or corrupt ({exc}); re-export or re-download it.") from None
    if head.startswith(_PNG_MAGIC):
        depth, colour = _png_depth_and_colour(head)
        if depth == 16 and colour in (2, 4, 6):  # Pillow reduces these to 8 bits: decode with OpenCV
            arr = _read_png16(p, colour)
    return arr


def _format_name(head: bytes) -> str:
    """The format named by a file's signature, or ``"image"`` when none matches."""
    signatures = {_PNG_MAGIC: "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP"}
    for magic, name in signatures.items():
        if head.startswith(magic):
            return name
    return "WebP" if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else "image"


def _read_png16(p: Path, colour: int) -> NDArray:
    import cv2

    arr = cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:  # Pillow decoded the file already, so this is unexpected
        raise fail(p, "OpenCV could not decode this 16-bit PNG; re-export it.")
    arr = arr[..., [2, 1, 0, 3]] if arr.shape[2] == 4 else arr[..., ::-1]  # BGR(A) -> RGB(A)
    if colour == 4:  # gray + alpha: OpenCV expands gray to three equal channels
        arr = arr[..., [0, 3]]
    return np.ascontiguousarray(arr)


def _from_pil(im: Any, p: Path, *, labels: bool) -> NDArray:
    """Pixels of a decoded Pillow image as an array, without rescaling."""
    mode = im.mode
    if mode == "1":
        return np.asarray(im).astype(np.uint8)  # 0/1, the stored bit values
    if mode == "P" and labels:
        return np.asarray(im)  # palette indices are the labels (e.g. PASCAL VOC)
    if mode in ("P", "PA") or im.format == "GIF":  # Pillow turns GIF frames after the first into RGB
        rgba = "transparency" in im.info or mode in ("PA", "RGBA")
        arr = np.asarray(im.convert("RGBA" if rgba else "RGB"))
        if (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all():
            arr = arr[..., [0, 3]] if rgba else arr[..., 0]  # a gray palette gives a gray image
        return arr
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        warnings.warn(
            f"{p}: converted from {mode} to RGB on reading.", ImageConversionWarning, stacklevel=5
        )
        return np.asarray(im.convert("RGB"))
    if mode == "RGBX":  # padding, not alpha
        return np.asarray(im)[..., :3]
    arr = np.asarray(im)
    if arr.dtype.byteorder not in ("=", "|"):  # "I;16B"
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _finish(p: Path, arr: NDArray) -> NDArray:
    """Check the decoded array and drop an alpha channel, with a warning."""
    if arr.size == 0:
        raise fail(p, f"the image is empty (shape {arr.shape}); it needs at least one pixel.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] in (2, 4):
        kind = "gray + alpha" if arr.shape[2] == 2 else "RGBA"
        warnings.warn(
            f"{p}: {kind} image; the alpha channel was dropped (not composited), "
            "the other channels are kept as stored.",
            ImageConversionWarning,
            stacklevel=3,
        )
        arr = arr[..., 0] if arr.shape[2] == 2 else arr[..., :3]
    if arr.ndim > 3 or arr.ndim < 2 or (arr.ndim == 3 and arr.shape[2] != 3):
        raise fail(
            p,
            f"holds an array of shape {arr.shape}; seglab reads 2-D gray (H, W) or colour (H, W, 3) "
            "images. Save one 2-D plane or frame per file, or one per TIFF page.",
        )
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    return arr


def _read_array(path: str | os.PathLike[str], page: int | None, *, labels: bool,
                max_pixels: int | None = None) -> tuple[Path, NDArray]:
    if page is not None and (isinstance(page, bool) or not isinstance(page, (int, np.integer)) or page < 0):
        raise InvalidParameterError(f"page must be a non-negative integer (0 is the first page); got {page!r}.")
    p, head = _check_file(path)
    index = None if page is None else int(page)
    kind = _kind(p, head)
    if kind == "pillow":
        return p, _read_pillow(p, index, head, labels=labels, max_pixels=max_pixels)
    return p, _READERS[kind](p, index, max_pixels)


def _kind(p: Path, head: bytes) -> str:
    """Which decoder reads the file `p` starting with `head`: dicom, tiff, nifti, video or pillow."""
    if is_dicom(head):  # first: a DICOM preamble may start like a TIFF (dual-personality files)
        return "dicom"
    if head[:4] in _TIFF_MAGIC:
        return "tiff"
    if is_nifti(p, head):
        return "nifti"
    return "video" if is_video(head) else "pillow"


def count_pages(path: str | os.PathLike[str]) -> int:
    """How many pages :func:`read_image` can read from `path` (``page=0`` to ``page=n - 1``), from its header.

    Pages are a TIFF's pages, an animated image's frames, a DICOM's frames, a
    NIfTI volume's slices along its third axis (times its fourth), a video's
    frames (as the video announces them); a plain image has one.

    Raises
    ------
    InvalidImageError
        As :func:`read_image`, for a file that cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, tifffile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), photometric="minisblack")
    >>> count_pages(path)
    3
    """
    p, head = _check_file(path)
    kind = _kind(p, head)
    if kind in _PAGE_COUNTS:
        return _PAGE_COUNTS[kind](p)
    try:
        if kind == "tiff":
            import tifffile

            with tifffile.TiffFile(p) as tif:
                return len(tif.pages)
        from PIL import Image

        with Image.open(p) as im:
            return int(getattr(im, "n_frames", 1))
    except Exception as exc:  # tifffile's and Pillow's errors on bad bytes
        raise fail(p, f"is not an image seglab can read ({_READABLE}) or is corrupt ({type(exc).__name__}: {exc}); "
                      "check the file or re-export it.") from None


def pixel_spacing(path: str | os.PathLike[str], *, page: int | None = None) -> tuple[float, float] | None:
    """The (row, column) pixel spacing in millimetres that a DICOM or NIfTI header gives for `page`; else None.

    Other formats carry no reliable physical size (a TIFF's resolution tags
    are often a printer's dots per inch), and neither does a file that cannot
    be read: both give None.

    Examples
    --------
    >>> from importlib.resources import files
    >>> pixel_spacing(files("seglab") / "samples" / "coins.png") is None  # a PNG claims no physical size
    True

    A NIfTI example is in :mod:`seglab.io.medical`.
    """
    try:
        p, head = _check_file(path)
    except InvalidImageError:
        return None
    kind = _kind(p, head)
    return dicom_spacing(p, page) if kind == "dicom" else nifti_spacing(p) if kind == "nifti" else None


def read_image(path: str | os.PathLike[str], *, page: int | None = None, max_pixels: int | None = None) -> NDArray:
    """Read an image file into an ``(H, W)`` or ``(H, W, 3)`` array in the file's own units.

    Parameters
    ----------
    path : str or path-like
        A PNG, JPEG, BMP, TIFF, GIF, WebP, DICOM or NIfTI file, or a video
        (AVI, MP4, MOV, MKV, WebM); the format is recognised from its content,
        not its name.
    page : int, optional
        Page to read, 0 first: of a multi-page TIFF, an animated image, a
        multi-frame DICOM, a video (its frame) or a NIfTI volume (slice k
        along the third axis). Required when the file has more than one.
    max_pixels : int, optional
        Refuse images of more pixels (height x width) than this, from the
        header, before decoding (servers set it against decompression bombs).

    Returns
    -------
    ndarray
        The stored values and dtype: uint8, uint16, float32, ... Gray files give
        ``(H, W)``, colour files ``(H, W, 3)`` RGB. 1-bit images give uint8 0/1.
        Palette images are expanded to RGB (to gray when the palette is gray).

    Warns
    -----
    ImageConversionWarning
        When an alpha channel is dropped (RGBA -> RGB, gray + alpha -> gray;
        the colour channels are kept as stored, not composited) or a CMYK /
        YCbCr JPEG is converted to RGB.

    Raises
    ------
    InvalidImageError
        Naming the file: missing, empty, not an image, truncated or corrupt, a
        missing or out-of-range `page`, an empty image, a shape that is not
        2-D gray or RGB (e.g. a 4-D stack), or more pixels than `max_pixels`;
        a DICOM without pixel data or compressed beyond the installed decoders.
    MissingDependencyError
        A DICOM or NIfTI file without pydicom or nibabel installed:
        ``pip install "seglab[medical]"``.

    Examples
    --------
    >>> import seglab
    >>> from importlib.resources import files
    >>> coins = seglab.read_image(files("seglab") / "samples" / "coins.png")
    >>> coins.shape, coins.dtype
    ((303, 384), dtype('uint8'))
    """
    p, arr = _read_array(path, page, labels=False, max_pixels=max_pixels)
    return _finish(p, arr)


def read_labels(path: str | os.PathLike[str], *, page: int | None = None,
                max_pixels: int | None = None) -> NDArray[np.int32]:
    """Read a label image (PNG, TIFF, ...) as an int32 array.

    Parameters
    ----------
    path : str or path-like
        A single-channel integer image, e.g. one written by
        :func:`seglab.io.write_labels`. Palette PNGs give their palette
        indices (as PASCAL VOC label files expect).
    page : int, optional
        Page of a multi-page file, as in :func:`read_image`.
    max_pixels : int, optional
        Refuse a larger image from its header, before decoding, as :func:`read_image` does.

    Returns
    -------
    (H, W) ndarray of int32

    Raises
    ------
    InvalidImageError
        As :func:`read_image`; also for colour images, float images with
        fractional values and values outside ``[-1, 2**31 - 1]``.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from seglab.io import write_labels
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lab.png"
    >>> _ = write_labels(path, np.array([[0, 1], [300, 2]]))
    >>> read_labels(path).tolist()
    [[0, 1], [300, 2]]
    """
    p, arr = _read_array(path, page, labels=True, max_pixels=max_pixels)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise fail(
            p,
            f"a label image must have one channel; got shape {arr.shape}. Colour-coded label images "
            "must be mapped to integer ids first.",
        )
    try:
        return as_labels(arr, name=str(p))
    except InvalidImageError as exc:
        raise fail(p, str(exc).removeprefix(f"{p} ")) from None


#: The readers of a page (path, page, max_pixels) and the page counters of the formats that are not Pillow's.
_READERS = {"dicom": read_dicom, "tiff": _read_tiff, "nifti": read_nifti, "video": read_video_frame}
_PAGE_COUNTS = {"dicom": dicom_frames, "nifti": nifti_slices, "video": video_frames}
