"""Writing label images: PNG while the labels fit 8 or 16 bits, int32 TIFF beyond.

A label image is never cast into a format that cannot hold it: PNG stores
0..65535, so void (-1) pixels or labels above 65535 need a ``.tif``, which
stores int32 exactly.

Examples
--------
>>> import numpy as np
>>> label_suffix(np.array([[0, 1], [2, 3]])), label_suffix(np.array([[-1, 1]]))
('.png', '.tif')
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.types import Segmentation
from ..core.validate import as_labels
from .atomic import write_atomic
from .png import encode_png_striped

__all__ = ["write_labels", "encode_labels", "encode_label_file", "label_suffix", "encode_png", "encode_jpeg"]

_PNG_MAX = 65535


def _checked(labels: ArrayLike | Segmentation) -> NDArray[np.int32]:
    """int32 labels: a Segmentation's are trusted (already checked), anything else is validated."""
    return labels.labels if isinstance(labels, Segmentation) else as_labels(labels)


def _suffix_for(lo: int, hi: int) -> str:
    return ".tif" if lo < 0 or hi > _PNG_MAX else ".png"


def label_suffix(labels: ArrayLike | Segmentation) -> str:
    """The smallest lossless format for `labels`: ``".png"`` for 0..65535, else ``".tif"``.

    Examples
    --------
    >>> label_suffix(np.array([[70000]]))
    '.tif'
    """
    lab = _checked(labels)
    return _suffix_for(int(lab.min()), int(lab.max())) if lab.size else ".png"


def encode_label_file(seg: Segmentation) -> tuple[str, bytes]:
    """The smallest lossless format for a result's labels and the file content, from one pass over them.

    Examples
    --------
    >>> from seglab import Segmentation
    >>> suffix, data = encode_label_file(Segmentation(np.array([[0, 3]], np.int32), "semantic"))
    >>> suffix, data[:4]
    ('.png', b'\x89PNG')
    """
    lab = seg.labels
    lo, hi = (int(lab.min()), int(lab.max())) if lab.size else (0, 0)
    suffix = _suffix_for(lo, hi)
    return suffix, _encode(lab, suffix, lo, hi)


def encode_png(pixels: NDArray, *, fast: bool = False, reuse: bool = False) -> bytes:
    """PNG bytes of a uint8/uint16 gray ``(H, W)`` or RGB ``(H, W, 3)`` array.

    `fast` trades size for time (pictures such as overlays: the sub filter and
    Huffman-only deflate in parallel stripes, :func:`.png.encode_png_striped`);
    without it, `reuse` lets OpenCV's encoder reorder an RGB array's channels
    in place instead of copying it (the array is garbage afterwards).

    Examples
    --------
    >>> encode_png(np.zeros((2, 2), np.uint8))[:4]
    b'\\x89PNG'
    """
    import cv2

    if fast:  # the sub filter and Huffman coding alone, in stripes on threads (seglab.io.png)
        return encode_png_striped(pixels)
    return _encode_cv(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 3], reuse=reuse)


def encode_jpeg(pixels: NDArray, *, quality: int = 92, reuse: bool = False) -> bytes:
    """JPEG bytes of a uint8 gray ``(H, W)`` or RGB ``(H, W, 3)`` array (pictures only, never labels).

    `reuse` as in :func:`encode_png`.

    Examples
    --------
    >>> encode_jpeg(np.zeros((8, 8, 3), np.uint8))[:2]
    b'\xff\xd8'
    """
    import cv2

    return _encode_cv(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality], reuse=reuse)


def _encode_cv(suffix: str, pixels: NDArray, params: list[int], *, reuse: bool = False) -> bytes:
    import cv2

    if pixels.ndim == 3:  # OpenCV writes BGR
        inplace = reuse and pixels.flags.c_contiguous and pixels.flags.writeable
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR, dst=pixels if inplace else None)
    ok, buf = cv2.imencode(suffix, np.ascontiguousarray(pixels), params)
    if not ok:  # cv2 reports failure only through the flag
        raise ValueError(f"OpenCV could not encode a {suffix} of shape {pixels.shape}, dtype {pixels.dtype}.")
    return buf.tobytes()


def encode_labels(labels: ArrayLike | Segmentation, suffix: str) -> bytes:
    """File content of a label image in the format named by `suffix`.

    Parameters
    ----------
    labels : (H, W) array_like of int
        Values in ``[-1, 2**31 - 1]`` (0 = background, -1 = void).
    suffix : {".png", ".tif", ".tiff"}
        ``.png`` is 8-bit when the labels are below 256, else 16-bit; it
        refuses negative labels and labels above 65535. ``.tif`` is int32 with
        zlib compression and holds every label.

    Returns
    -------
    bytes

    Raises
    ------
    InvalidParameterError
        The format cannot hold the labels, or the suffix is unknown.

    Examples
    --------
    >>> encode_labels(np.array([[0, 70000]]), ".png")
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: labels go up to 70000, beyond what a 16-bit PNG holds (65535); write a .tif (int32) instead.
    """
    lab = _checked(labels)
    lo, hi = (int(lab.min()), int(lab.max())) if lab.size else (0, 0)
    return _encode(lab, suffix, lo, hi)


def _encode(lab: NDArray[np.int32], suffix: str, lo: int, hi: int) -> bytes:
    """`lab` (values in [lo, hi]) as a PNG or TIFF file."""
    if lab.size == 0:
        raise InvalidImageError(f"labels are empty (shape {lab.shape}); a label image needs at least one pixel.")
    suffix = suffix.lower()
    if suffix == ".png":
        if lo < 0:
            raise InvalidParameterError(
                "labels contain void (-1) pixels, which PNG cannot store; write a .tif (int32) instead."
            )
        top = hi
        if top > _PNG_MAX:
            raise InvalidParameterError(
                f"labels go up to {top}, beyond what a 16-bit PNG holds ({_PNG_MAX}); write a .tif (int32) instead."
            )
        # in stripes straight from the int32 labels: no whole uint8/uint16 copy, several times OpenCV's speed
        return encode_png_striped(lab, dtype=np.uint8 if top < 256 else np.uint16, level=1)
    if suffix in (".tif", ".tiff"):
        import tifffile

        buf = io.BytesIO()
        tifffile.imwrite(buf, lab, photometric="minisblack", compression="zlib")
        return buf.getvalue()
    raise InvalidParameterError(f"cannot write labels as {suffix!r}; use .png (up to 65535) or .tif (int32).")


def write_labels(path: str | os.PathLike[str], labels: ArrayLike, *, overwrite: bool = False) -> Path:
    """Write a label image, atomically; the format follows the suffix of `path`.

    Parameters
    ----------
    path : str or path-like
        ``.png`` (8-bit when labels < 256, else 16-bit) or ``.tif``/``.tiff``
        (int32). Use :func:`label_suffix` to pick the smallest that fits.
    labels : (H, W) array_like of int
        0 = background, -1 = void.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InvalidParameterError
        A PNG was asked for labels it cannot hold (-1, or above 65535): never a silent overflow.
    FileExistsError
        `path` exists and `overwrite` is false.

    Examples
    --------
    >>> import tempfile, pathlib, tifffile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> lab = np.array([[-1, 0], [1, 100000]])
    >>> path = write_labels(folder / ("seg" + label_suffix(lab)), lab)
    >>> path.name, tifffile.imread(path).tolist()
    ('seg.tif', [[-1, 0], [1, 100000]])
    """
    return write_atomic(path, encode_labels(labels, Path(path).suffix), overwrite=overwrite)
