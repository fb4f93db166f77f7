"""Where a tiled run writes its labels: zarr, OME-Zarr, a tiled BigTIFF, or memory.

Every run writes its tiles into a zarr array (:class:`Target`, picklable so
that dask workers can write their own tiles); a TIFF output is a zarr work
array next to it, streamed into a tiled, compressed BigTIFF at the end, then
removed. Each store records the run (method, parameters, input, shape) in its
attributes (TIFF: the image description): an existing store that holds the
same complete run is reused, one that holds anything else is refused unless
``overwrite=True``.

=============  =========================================================================
``None``       zarr in memory (single-process runs)
``*.zarr``     zarr v3 array, int32, chunks of the tile size
``*.ome.zarr`` OME-Zarr (NGFF 0.4, zarr v2): a group with one resolution level ``0``
``*.tif(f)``   BigTIFF, int32, zlib-compressed tiles (sides a multiple of 16)
=============  =========================================================================

Examples
--------
>>> import numpy as np
>>> store = create_store(None, shape=(5, 6), tile_size=4, record={"method": "demo"})
>>> store.target.write((slice(0, 4), slice(0, 4)), np.ones((4, 4), np.int32))
>>> store.finish()
>>> int(np.asarray(store.labels()).sum())
16
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidParameterError, SeglabError
from .sources import is_zarr_store, open_image

__all__ = ["Target", "LabelStore", "create_store", "store_format", "OutputStoreError"]

Window = tuple[slice, slice]
_RECORD_KEY = "seglab"
_COMPARED = ("method", "params", "input", "page", "shape", "task", "as_task", "things", "mask")


class OutputStoreError(SeglabError, OSError):
    """The label store cannot be written: no permission, or it already holds other data."""


def store_format(out: str | os.PathLike[str] | None) -> str:
    """``"memory"``, ``"zarr"``, ``"ome-zarr"`` or ``"tif"``, from the output path's suffix.

    Examples
    --------
    >>> store_format("a/b.ome.zarr"), store_format("b.labels.tif"), store_format(None)
    ('ome-zarr', 'tif', 'memory')
    """
    if out is None:
        return "memory"
    name = Path(out).name.lower()
    if name.endswith(".ome.zarr"):
        return "ome-zarr"
    if name.endswith(".zarr"):
        return "zarr"
    if name.endswith((".tif", ".tiff")):
        return "tif"
    raise InvalidParameterError(
        f"labels go to a .zarr, .ome.zarr or .tif store; cannot tell the format of {os.fspath(out)!r}."
    )


@functools.lru_cache(maxsize=16)
def _open_rw(path: str, component: str) -> Any:
    import zarr

    return zarr.open_array(path, path=component, mode="r+")


@dataclass(frozen=True)
class Target:
    """A zarr array that tiles are written into and read back from (picklable unless in memory)."""

    path: str | None
    component: str = ""
    array: Any = field(default=None, repr=False, compare=False)

    def open(self) -> Any:
        """The zarr array (opened once per process)."""
        return self.array if self.array is not None else _open_rw(self.path, self.component)

    def write(self, window: Window, values: NDArray) -> None:
        """Write `values` at `window` (a whole chunk, so tiles never share one)."""
        self.open()[window] = values

    def read(self, window: Window) -> NDArray:
        """The values at `window`."""
        return np.asarray(self.open()[window])


@dataclass
class LabelStore:
    """A label store being written: tiles go to `target`; :meth:`finish` makes the output final.

    Attributes
    ----------
    out : Path or None
        The output the user asked for (None: memory).
    format : str
        See :func:`store_format`.
    target : Target
        The zarr array tiles are written to (for TIFF, a work array removed by :meth:`finish`).
    record : dict
        What made the labels, stored with them.
    reused : bool
        The store already held this run, complete: nothing needs computing.
    """

    out: Path | None
    format: str
    target: Target
    record: dict[str, Any]
    tile_size: int
    reused: bool = False

    def finish(self, extra: Mapping[str, Any] | None = None) -> None:
        """Record the run (with `extra`, e.g. classes and meta) as complete; write the TIFF for TIFF outputs."""
        record = {**self.record, **(extra or {}), "complete": True}
        if self.format == "tif":
            assert self.out is not None
            _write_tiff(self.out, self.target, record, self.tile_size)
            shutil.rmtree(self.target.path, ignore_errors=True)  # type: ignore[arg-type]
        else:
            _set_record(self.target.open(), record, self.format)
        self.record = record

    def abort(self) -> None:
        """Remove what this run wrote after a failure: a TIFF output's work array, a zarr store (no half store)."""
        if self.target.path:  # the zarr store itself, or the OME-Zarr group, or a TIFF output's work array
            shutil.rmtree(self.target.path, ignore_errors=True)

    def labels(self) -> Any:
        """The final labels as a dask array read lazily from the store."""
        import dask.array as da

        if self.format != "tif":
            array = self.target.open()
            return da.from_zarr(array, chunks=array.chunks)
        # a picklable reader (tifffile's zarr store is not), so that any scheduler can compute the labels
        return da.from_array(_Readable(open_image(self.out)), chunks=(self.tile_size, self.tile_size),
                             asarray=True, lock=False)


@dataclass(frozen=True)
class _Readable:
    """A :class:`~seglab.tiling.sources.Source` seen as an array, for ``dask.array.from_array``."""

    source: Any

    @property
    def shape(self) -> tuple[int, int]:
        return self.source.shape

    @property
    def dtype(self) -> np.dtype:
        return self.source.dtype

    @property
    def ndim(self) -> int:
        return 2

    def __getitem__(self, window: Window) -> NDArray:
        return self.source.read(window)


def chunk_shape(shape: tuple[int, int], tile_size: int) -> tuple[int, int]:
    """The zarr chunk of a run: a tile, cut to the image (zarr allocates whole chunks: a tile side of 100,000
    on a 64 x 64 image asked for 37 GiB).

    >>> chunk_shape((64, 5000), 1024)
    (64, 1024)
    """
    return min(tile_size, shape[0]), min(tile_size, shape[1])


def create_store(out: str | os.PathLike[str] | None, *, shape: tuple[int, int], tile_size: int,
                 record: Mapping[str, Any], overwrite: bool = False) -> LabelStore:
    """Create the int32 label store of a run of `shape` (or reuse one holding this very run).

    Parameters
    ----------
    out : str, path-like or None
        ``*.zarr``, ``*.ome.zarr``, ``*.tif``/``*.tiff``, or None for memory.
    shape : (int, int)
    tile_size : int
        Chunk side of the zarr array (tiles write whole chunks).
    record : mapping
        JSON-able description of the run; an existing store with the same
        method, params, input, page, shape and task that was completed is reused.
    overwrite : bool
        Replace an existing store (otherwise one that holds this very run is reused, any other refused).

    Raises
    ------
    OutputStoreError
        The store exists with other data (and not `overwrite`), or cannot be written (permissions).
    """
    fmt = store_format(out)
    record = dict(record)
    if out is None:
        import zarr

        array = zarr.create_array(zarr.storage.MemoryStore(), shape=shape, chunks=chunk_shape(shape, tile_size),
                                  dtype="int32", fill_value=0)
        return LabelStore(None, fmt, Target(None, array=array), record, tile_size)
    path = Path(out)
    if path.exists() or path.is_symlink():
        held = _existing_record(path, fmt)
        this_run = held is not None and all(held.get(k) == record.get(k) for k in _COMPARED)
        same = this_run and held.get("complete")
        if this_run and not held.get("complete"):  # this very run, interrupted before its end: done again
            overwrite = True
        if same and not overwrite:
            target = Target(str(path), "0" if fmt == "ome-zarr" else "") if fmt != "tif" else Target(None)
            return LabelStore(path, fmt, target, held, tile_size, reused=True)
        if not overwrite:
            raise OutputStoreError(f"{path} already holds {_describe(held, record)}; pass overwrite=True "
                                   "(command line: --overwrite) to replace it, or choose another output.")
        if path.is_dir() and not is_zarr_store(path):
            raise OutputStoreError(f"{path} is a folder but not a zarr store; seglab does not delete it, even with "
                                   "overwrite: choose another output.")
        _remove(path)
    work = path.with_name(f".{path.name}.seglab-work.zarr") if fmt == "tif" else path
    if work.exists():
        _remove(work)
    try:
        target = _create_zarr(work, shape, tile_size, fmt)
        if fmt != "tif":  # marked unfinished until finish(): an interrupted run is recognised, and redone
            _set_record(target.open(), {**record, "complete": False}, fmt)
    except PermissionError as exc:
        raise OutputStoreError(
            f"cannot write the labels to {path}: permission denied ({exc.strerror or exc}); choose a folder you "
            "can write to."
        ) from None
    if fmt == "tif":  # the TIFF itself is written at the end: check now that it can be
        _check_writable(path)
    return LabelStore(path, fmt, target, record, tile_size)


def _create_zarr(path: Path, shape: tuple[int, int], tile_size: int, fmt: str) -> Target:
    import zarr

    if fmt == "ome-zarr":
        group = zarr.open_group(str(path), mode="w", zarr_format=2)
        group.create_array("0", shape=shape, chunks=chunk_shape(shape, tile_size), dtype="int32", fill_value=0,
                           chunk_key_encoding={"name": "v2", "separator": "/"})
        group.attrs["multiscales"] = [{
            "version": "0.4", "name": path.name.removesuffix(".ome.zarr"),
            "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
            "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}],
        }]
        return Target(str(path), "0")
    zarr.create_array(str(path), shape=shape, chunks=chunk_shape(shape, tile_size), dtype="int32", fill_value=0,
                      zarr_format=3)
    return Target(str(path), "")


def _check_writable(path: Path) -> None:
    probe = path.with_name(f".{path.name}.seglab-probe")
    try:
        probe.touch()
        probe.unlink()
    except PermissionError as exc:
        raise OutputStoreError(f"cannot write the labels to {path}: permission denied ({exc.strerror}).") from None


def _set_record(array: Any, record: Mapping[str, Any], fmt: str) -> None:
    if fmt == "ome-zarr":
        import zarr

        zarr.open_group(array.store, mode="r+").attrs[_RECORD_KEY] = dict(record)
    elif fmt == "zarr":
        array.attrs[_RECORD_KEY] = dict(record)


def _existing_record(path: Path, fmt: str) -> dict[str, Any] | None:
    """The seglab record of an existing store, or None (not ours, unreadable, a plain folder or file)."""
    try:
        if fmt == "tif":
            import tifffile

            with tifffile.TiffFile(path) as tif:
                doc = json.loads(tif.pages[0].description or "{}")
                return doc.get(_RECORD_KEY)
        import zarr

        node = zarr.open(str(path), mode="r")
        return dict(node.attrs).get(_RECORD_KEY)
    except Exception:  # anything we cannot read as ours is "other data"
        return None


def _describe(held: Mapping[str, Any] | None, record: Mapping[str, Any]) -> str:
    if held is None:
        return "data that seglab did not write (or cannot read)"
    if not held.get("complete"):
        return "labels of a run that did not finish"
    diff = [k for k in _COMPARED if held.get(k) != record.get(k)]
    return f"labels of another run (different {', '.join(diff)}: {held.get('method')} {held.get('params')})"


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except PermissionError as exc:
        raise OutputStoreError(f"cannot replace {path}: permission denied ({exc.strerror}).") from None


def _tiff_tile(tile_size: int) -> int:
    """TIFF tiles have sides that are multiples of 16: the tile size rounded up, at most 1024."""
    return min(1024, 16 * math.ceil(tile_size / 16))


def _write_tiff(path: Path, source: Target, record: Mapping[str, Any], tile_size: int) -> None:
    """Stream the work array into a tiled int32 BigTIFF, written to a temporary file and renamed into place."""
    import tifffile

    shape = tuple(source.open().shape)
    side = _tiff_tile(tile_size)

    def tiles() -> Iterator[NDArray]:
        for r in range(0, shape[0], side):
            for c in range(0, shape[1], side):
                yield source.read((slice(r, r + side), slice(c, c + side)))

    tmp = path.with_name(f".{path.name}.seglab-tmp")
    try:
        tifffile.imwrite(tmp, tiles(), shape=shape, dtype=np.int32, tile=(side, side), bigtiff=True,
                         photometric="minisblack", compression="zlib",
                         description=json.dumps({"shape": list(shape), _RECORD_KEY: record}),
                         metadata=None)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
