"""Where the tiles of a tiled run lie: cores (what each tile writes) and windows (what it reads).

Pure Python, no dask. A plan cuts an ``(H, W)`` image into cores of
``tile_size`` pixels (the last row and column of tiles may be smaller); each
core is read with `margin` pixels of context on every side, clipped to the
image. The margin comes from the method's declaration (:func:`margin_for`):
its halo for ``local`` methods, at least ``overlap * tile_size / 2`` for
``instance`` and ``model`` methods.

Examples
--------
>>> plan = plan_tiles((40, 28), tile_size=16, margin=2)
>>> plan.grid, len(plan.tiles)
((3, 2), 6)
>>> t = plan.tiles[3]
>>> t.index, t.core, t.window, t.inner
((1, 1), (slice(16, 32, None), slice(16, 28, None)), (slice(14, 34, None), slice(14, 28, None)), (slice(2, 18, None), slice(2, 14, None)))
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import InvalidParameterError
from ..core.registry import MethodSpec

__all__ = ["Tile", "TilePlan", "plan_tiles", "margin_for", "DEFAULT_OVERLAP", "MIN_TILE_SIZE"]

#: Overlap (fraction of a tile shared with its neighbour) of each tiling kind when none is given.
DEFAULT_OVERLAP: Mapping[str, float] = {"pointwise": 0.0, "local": 0.0, "global": 0.0, "instance": 0.25,
                                        "model": 0.25}
#: Smallest tile side accepted: below it the per-tile overhead dominates every run.
MIN_TILE_SIZE = 16

Window = tuple[slice, slice]


@dataclass(frozen=True)
class Tile:
    """One tile: its grid position, the pixels it writes (`core`) and the pixels it reads (`window`)."""

    index: tuple[int, int]
    core: Window
    window: Window

    @property
    def inner(self) -> Window:
        """The core's position inside the window."""
        return tuple(slice(c.start - w.start, c.stop - w.start) for c, w in zip(self.core, self.window))  # type: ignore[return-value]

    @property
    def origin(self) -> tuple[int, int]:
        """(row, col) of the window's first pixel in the image (``offset`` of a tile's ``apply``)."""
        return self.window[0].start, self.window[1].start


@dataclass(frozen=True)
class TilePlan:
    """The tiles of an image, row-major, and the neighbours that share window pixels."""

    shape: tuple[int, int]
    tile_size: int
    margin: int

    @property
    def grid(self) -> tuple[int, int]:
        """Tiles along rows and columns."""
        return math.ceil(self.shape[0] / self.tile_size), math.ceil(self.shape[1] / self.tile_size)

    @property
    def tiles(self) -> list[Tile]:
        """Every tile, row-major."""
        return [self.tile(i, j) for i in range(self.grid[0]) for j in range(self.grid[1])]

    def tile(self, i: int, j: int) -> Tile:
        """The tile at grid position (i, j)."""
        t, m = self.tile_size, self.margin
        core = tuple(slice(k * t, min((k + 1) * t, n)) for k, n in zip((i, j), self.shape))
        window = tuple(slice(max(0, c.start - m), min(n, c.stop + m)) for c, n in zip(core, self.shape))
        return Tile((i, j), core, window)  # type: ignore[arg-type]

    def neighbours(self) -> Iterator[tuple[Tile, Tile]]:
        """Pairs of tiles that touch by a side or a corner, each pair once (the first one earlier)."""
        ny, nx = self.grid
        for i in range(ny):
            for j in range(nx):
                for di, dj in ((0, 1), (1, -1), (1, 0), (1, 1)):
                    if 0 <= i + di < ny and 0 <= j + dj < nx:
                        yield self.tile(i, j), self.tile(i + di, j + dj)


def plan_tiles(shape: tuple[int, int], *, tile_size: int, margin: int = 0) -> TilePlan:
    """Cut an ``(H, W)`` image into tiles of `tile_size` read with `margin` pixels of context.

    Raises
    ------
    InvalidParameterError
        A tile size below :data:`MIN_TILE_SIZE` or not an integer, a negative margin.
    """
    if isinstance(tile_size, bool) or not isinstance(tile_size, int) or tile_size < MIN_TILE_SIZE:
        raise InvalidParameterError(f"tile_size must be an integer >= {MIN_TILE_SIZE}; got {tile_size!r}.")
    if margin < 0:
        raise InvalidParameterError(f"margin must be >= 0; got {margin}.")
    return TilePlan((int(shape[0]), int(shape[1])), tile_size, int(margin))


def margin_for(spec: MethodSpec, params: Mapping[str, Any], *, tile_size: int, overlap: float | None) -> int:
    """Context pixels each tile of `spec` needs: its halo, and ``ceil(overlap * tile_size / 2)`` at least.

    `overlap` is the fraction of a tile shared with its neighbour (two windows
    of adjacent tiles share ``2 * margin`` pixels); None takes the kind's
    default (:data:`DEFAULT_OVERLAP`).

    Raises
    ------
    InvalidParameterError
        `tile_size` smaller than the margin (a tile would read more context
        than pixels of its own), or `overlap` outside [0, 1).

    Examples
    --------
    >>> from seglab import get_method
    >>> margin_for(get_method("sauvola"), {"window_size": 15}, tile_size=97, overlap=None)
    7
    >>> margin_for(get_method("sauvola"), {"window_size": 201}, tile_size=97, overlap=None)
    Traceback (most recent call last):
    ...
    seglab.core.errors.InvalidParameterError: tile_size 97 is smaller than the 100 pixels of context ...
    """
    if overlap is None:
        overlap = DEFAULT_OVERLAP[spec.tiling]
    if not 0 <= overlap < 1:
        raise InvalidParameterError(f"overlap must lie in [0, 1); got {overlap!r}.")
    halo = int(spec.halo(params) if callable(spec.halo) else spec.halo)
    margin = max(halo, math.ceil(overlap * tile_size / 2))
    if margin > tile_size:
        what = "its halo for these parameters" if margin == halo else f"overlap={overlap}"
        raise InvalidParameterError(
            f"tile_size {tile_size} is smaller than the {margin} pixels of context that {spec.name} needs around "
            f"each tile ({what}); use a tile size of at least {margin} (command line: --tile-size {margin})."
        )
    return margin
