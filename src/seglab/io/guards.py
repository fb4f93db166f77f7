"""Checks shared by the decoders of :mod:`seglab.io`: one-line errors naming the file, pages, size limits.

Examples
--------
>>> from pathlib import Path
>>> choose_page(Path("stack.tif"), None, 1)
0
>>> choose_page(Path("stack.tif"), 3, 2)
Traceback (most recent call last):
...
seglab.core.errors.InvalidImageError: stack.tif: page 3 does not exist; the file has 2 pages (0 to 1).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InvalidImageError
from ..core.memory import available_memory

__all__ = ["fail", "choose_page", "check_pixels", "check_fits_in_memory", "KeptOpen"]


def fail(path: Path, message: str) -> InvalidImageError:
    """The error for a file that cannot be read: ``"<path>: <message>"`` (the message names the fix)."""
    return InvalidImageError(f"{path}: {message}")


def check_fits_in_memory(p: Path, shape: tuple[int, ...], need: float) -> None:
    """Refuse to decode an image of `shape` that needs `need` bytes when less memory than that is available."""
    free = available_memory()
    if free is not None and need > free:
        size = " x ".join(str(n) for n in shape)
        raise fail(
            p,
            f"decoding this {size} image needs {need / 2**30:.1f} GiB but only {free / 2**30:.1f} GiB of memory "
            "is available; crop or tile it first (e.g. with tifffile's aszarr or pyvips) or use a machine with "
            "more memory.",
        )


def check_pixels(p: Path, height: int, width: int, max_pixels: int | None) -> None:
    """Refuse an image of more than `max_pixels` pixels before decoding it (a guard against decompression bombs)."""
    if max_pixels is not None and height * width > max_pixels:
        raise fail(
            p,
            f"is {width} x {height} = {height * width:.3g} pixels, more than the limit of {max_pixels:.3g} "
            "pixels; downscale or crop it first.",
        )


def choose_page(p: Path, page: int | None, n_pages: int, stack: str = "") -> int:
    """The page to read of a file of `n_pages` pages (frames, slices): `page`, or 0 when there is one.

    `stack` describes the pages in the error asking for one (e.g. the shape of a volume).
    """
    if page is None:
        if n_pages > 1:
            raise fail(
                p,
                f"the file has {n_pages} pages{stack}; seglab reads one 2-D image at a time: choose a page "
                f"with page=N (command line: --page N), N from 0 to {n_pages - 1}.",
            )
        return 0
    if not 0 <= page < n_pages:
        pages = "1 page (page=0)" if n_pages == 1 else f"{n_pages} pages (0 to {n_pages - 1})"
        raise fail(p, f"page {page} does not exist; the file has {pages}.")
    return page


#: Every kept handle of this process (one per format), for :func:`release_kept_files`.
_ALL_KEPT: list[KeptOpen] = []


def release_kept_files() -> None:
    """Release every file the readers keep open for the next page (video captures, NIfTI volumes, DICOM files).

    A server calls it after each request, so that an uploaded file it deletes is not held open.
    """
    for kept in _ALL_KEPT:
        with kept.lock:
            kept.drop()


class KeptOpen:
    """One opened file kept for the next read of the same file, as it was (path, size, modification time).

    Reading the pages of a video or a gzipped volume in order is linear only
    if the decoder goes on from where it stopped: reopening for every page
    decodes everything before that page again. `lock` serialises the use of
    the kept handle between threads; `close` releases it (also at exit).
    """

    def __init__(self, close: Callable[[Any], None]) -> None:
        self.lock = threading.Lock()
        self._close = close
        self._key: tuple[str, int, int] | None = None
        self._handle: Any = None
        atexit.register(self.drop)
        _ALL_KEPT.append(self)

    def get(self, p: Path, open_: Callable[[Path], Any]) -> Any:
        """The handle of `p` (call with `lock` held): the kept one, or a new one from `open_`, kept in its place."""
        stat = p.stat()
        key = (str(p.resolve()), stat.st_size, stat.st_mtime_ns)
        if key != self._key or self._handle is None:
            self.drop()
            self._handle = open_(p)
            self._key = key
        return self._handle

    def drop(self) -> None:
        """Release the kept handle, if any."""
        if self._handle is not None:
            self._close(self._handle)
        self._key, self._handle = None, None
