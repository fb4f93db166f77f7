"""Lazy image sources for tiled runs: read any window of a huge image without reading the rest.

:func:`open_image` takes a numpy or dask array, a zarr or OME-Zarr store, or
a TIFF / OME-TIFF (tiled or striped, through tifffile's zarr store) and
returns a :class:`Source`: its shape, dtype and channels are known from the
header, and :meth:`Source.read` decodes one window. Sources hold only paths
and open files lazily once per process, so they travel to dask workers.

Examples
--------
>>> import numpy as np
>>> src = open_image(np.arange(12, dtype=np.uint8).reshape(3, 4))
>>> src.shape, src.channels, src.read((slice(1, 3), slice(0, 2))).tolist()
((3, 4), 0, [[4, 5], [8, 9]])
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError, InvalidParameterError

__all__ = ["Source", "open_image", "open_mask", "is_zarr_store"]

Window = tuple[slice, slice]


@dataclass(frozen=True)
class Source:
    """A 2-D image, gray ``(H, W)`` or RGB ``(H, W, 3)``, read window by window.

    Attributes
    ----------
    name : str
        What the user gave (a path, or ``"<array>"``), for messages and the sidecar.
    shape : (int, int)
        Height and width.
    channels : int
        0 for gray, 3 for RGB.
    dtype : numpy.dtype
    """

    name: str
    shape: tuple[int, int]
    channels: int
    dtype: np.dtype
    _reader: Any

    def read(self, window: Window) -> NDArray:
        """The pixels of `window` (rows, cols), channels last."""
        return self._reader(window)


def is_zarr_store(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a zarr (v2 or v3) array or group folder.

    Examples
    --------
    >>> is_zarr_store("no/such/store.zarr")
    False
    """
    p = Path(path)
    return p.is_dir() and any((p / name).is_file() for name in ("zarr.json", ".zarray", ".zgroup"))


def open_image(image: Any, *, page: int | None = None) -> Source:
    """A lazy :class:`Source` for `image`.

    Parameters
    ----------
    image : ndarray, dask array, zarr array, str or path-like
        An array, a zarr / OME-Zarr store (a folder), or a TIFF / OME-TIFF file.
    page : int, optional
        The page of a multi-page TIFF (required when its pages differ or form a stack).

    Raises
    ------
    InvalidImageError
        A file that is missing, not TIFF or zarr, holds pages of different
        sizes (without `page`), a stack, or not a 2-D gray or RGB image.
    """
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if is_zarr_store(path):
            return _zarr_source(path)
        if path.is_file():
            with open(path, "rb") as fh:
                head = fh.read(4)
            if head in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
                return _tiff_source(path, page)
            raise InvalidImageError(
                f"{path}: a tiled run reads TIFF / OME-TIFF files and zarr / OME-Zarr stores; this file is neither. "
                "Segment it without --tile-size, or convert it to a tiled TIFF."
            )
        raise InvalidImageError(f"{path}: no such file or zarr store; check the path.")
    if page is not None:
        raise InvalidParameterError("page= only applies to TIFF files.")
    if hasattr(image, "dask") and hasattr(image, "chunks"):  # a dask array: read each window synchronously
        return _layout("<dask array>", image, lambda w, a=image: np.asarray(a[w].compute(scheduler="sync")))
    if type(image).__module__.startswith("zarr"):
        return _layout("<zarr array>", image, lambda w, a=image: np.asarray(a[w]))
    arr = np.asarray(image)
    return _layout("<array>", arr, lambda w, a=arr: a[w])


def open_mask(mask: Any, shape: tuple[int, int]) -> Source:
    """A lazy mask of the image's `shape`: non-zero pixels (in any channel) are inside.

    Raises
    ------
    InvalidImageError
        The mask's shape differs from the image's.
    """
    src = open_image(mask)
    if src.shape != shape:
        raise InvalidImageError(f"mask has shape {src.shape}, the image {shape}; they must be equal.")

    def read(window: Window, inner: Source = src) -> NDArray[np.bool_]:
        values = inner.read(window)
        return values.any(axis=2) if values.ndim == 3 else values != 0

    return Source(src.name, shape, 0, np.dtype(bool), read)


def _layout(name: str, array: Any, read: Any, *, channel_axis: int | None = -1) -> Source:
    """Check a (H, W), (H, W, C) or (C, H, W) array's shape and dtype; wrap its reader channels-last."""
    shape, dtype = tuple(int(n) for n in array.shape), np.dtype(array.dtype)
    if dtype.kind not in "uif" and dtype != bool:
        raise InvalidImageError(f"{name}: dtype {dtype} is not an image type (uint8, uint16, float32, ...).")
    if len(shape) == 2:
        return Source(name, shape, 0, dtype, read)  # type: ignore[arg-type]
    if len(shape) == 3 and channel_axis == 0 and shape[0] in (1, 3):
        def planar(w: Window, r: Any = read, c: int = shape[0]) -> NDArray:
            out = np.moveaxis(r((slice(None), *w)), 0, -1)
            return out[..., 0] if c == 1 else out

        return Source(name, shape[1:], 0 if shape[0] == 1 else 3, dtype, planar)  # type: ignore[arg-type]
    if len(shape) == 3 and channel_axis == -1 and shape[2] in (1, 3):
        if shape[2] == 1:
            return Source(name, shape[:2], 0, dtype, lambda w, r=read: r(w)[..., 0])  # type: ignore[arg-type]
        return Source(name, shape[:2], 3, dtype, read)  # type: ignore[arg-type]
    raise InvalidImageError(
        f"{name}: holds an array of shape {shape}; a tiled run reads one 2-D gray (H, W) or RGB (H, W, 3) "
        "image (choose a page, plane or level first)."
    )


@functools.lru_cache(maxsize=32)
def _open_zarr(path: str, component: str) -> Any:
    import zarr

    return zarr.open_array(path, path=component, mode="r")


def _zarr_source(path: Path) -> Source:
    """A plain zarr array, or level 0 of an OME-Zarr image (axes t, z of size 1 dropped; c of 1 or 3)."""
    component, axes = "", None
    attrs = _zarr_attributes(path)
    multiscales = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
    if multiscales:
        component = multiscales[0]["datasets"][0]["path"]
        axes = [a["name"] if isinstance(a, dict) else a for a in multiscales[0].get("axes", [])]
    try:
        array = _open_zarr(str(path), component)
    except Exception as exc:  # zarr raises several types for a group without an array
        raise InvalidImageError(f"{path}: cannot open a zarr array here ({type(exc).__name__}: {exc}).") from None
    index: list[Any] = [slice(None)] * array.ndim
    channel_axis: int | None = -1
    if axes:
        if len(axes) != array.ndim:
            raise InvalidImageError(f"{path}: OME-Zarr axes {axes} do not match the array's {array.ndim} dimensions.")
        for k, name in enumerate(axes):
            if name in ("t", "z"):
                if array.shape[k] != 1:
                    raise InvalidImageError(
                        f"{path}: axis {name!r} has {array.shape[k]} planes; a tiled run reads one 2-D image."
                    )
                index[k] = 0
        kept = [a for a in axes if a not in ("t", "z")]
        channel_axis = 0 if kept and kept[0] == "c" else -1

    def read(window: tuple[slice, ...], p: str = str(path), comp: str = component,
             idx: tuple = tuple(index)) -> NDArray:
        full = list(idx)
        kept = [k for k, s in enumerate(idx) if isinstance(s, slice)]  # the window names these axes, in order
        for k, w in zip(kept, window):
            full[k] = w
        return np.asarray(_open_zarr(p, comp)[tuple(full)])

    shape = tuple(n for n, s in zip(array.shape, index) if isinstance(s, slice))
    return _layout(str(path), _Shaped(shape, array.dtype), read, channel_axis=channel_axis)


def _zarr_attributes(path: Path) -> dict[str, Any]:
    for name, key in (("zarr.json", "attributes"), (".zattrs", None)):
        if (path / name).is_file():
            doc = json.loads((path / name).read_text())
            return doc.get(key, {}) if key else doc
    return {}


@dataclass(frozen=True)
class _Shaped:
    shape: tuple[int, ...]
    dtype: Any


@functools.lru_cache(maxsize=32)
def _open_tiff(path: str, key: int | None) -> Any:
    import tifffile
    import zarr

    store = tifffile.imread(path, aszarr=True, key=key, level=None if key is not None else 0)
    return zarr.open_array(store, mode="r")


def _tiff_source(path: Path, page: int | None) -> Source:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            n_pages = len(tif.pages)
            if page is not None:
                if not 0 <= page < n_pages:
                    raise InvalidImageError(f"{path}: page {page} does not exist; the file has {n_pages} page(s).")
                p = tif.pages[page]
                shape, dtype, axes = tuple(p.shape), p.dtype, p.axes
            else:
                if len(tif.series) > 1:
                    sizes = ", ".join("x".join(map(str, s.shape)) for s in tif.series[:4])
                    raise InvalidImageError(
                        f"{path}: the TIFF's pages differ in size ({sizes}{', ...' if len(tif.series) > 4 else ''}); "
                        "a tiled run reads one image: choose a page with page=N (command line: --page N)."
                    )
                series = tif.series[0]
                shape, dtype, axes = tuple(series.levels[0].shape), series.dtype, series.axes
        _open_tiff(str(path), page)  # fail here, with the file named, rather than in a worker
    except InvalidImageError:
        raise
    except Exception as exc:  # tifffile raises ValueError, struct.error, KeyError... on bad bytes
        raise InvalidImageError(f"{path}: the TIFF cannot be read ({type(exc).__name__}: {exc}).") from None
    planar = len(shape) == 3 and axes[0] in "SC"
    if len(shape) > 2 and not planar and not (len(shape) == 3 and axes[-1] == "S"):
        raise InvalidImageError(
            f"{path}: the TIFF holds a {axes} stack of shape {shape}; a tiled run reads one image: choose a page "
            "with page=N (command line: --page N)."
        )

    def read(window: Window, p: str = str(path), key: int | None = page) -> NDArray:
        try:
            return np.asarray(_open_tiff(p, key)[window])
        except Exception as exc:  # a strip or tile cut short: tifffile raises ValueError, struct.error, zlib.error...
            raise InvalidImageError(f"{p}: the TIFF is truncated or corrupt ({type(exc).__name__}: {exc}); "
                                    "re-export it.") from None

    return _layout(str(path), _Shaped(shape, dtype), read, channel_axis=0 if planar else -1)
