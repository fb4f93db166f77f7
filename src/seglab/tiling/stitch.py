"""One global id per object across tiles: per-tile ids, links across seams, connected components, one relabel.

Each tile numbers its own objects 1..n (0 background, -1 void). Links say
that object ``a`` of one tile and object ``b`` of a neighbour are the same:

- :func:`touch_links` (connected components of a class map, exact): pixels of
  the same class that touch across a tile side or corner, under 4- or
  8-connectivity; the same rule as dask-image's ``ndmeasure.label``.
- :func:`overlap_links` (methods run on overlapping windows): the two labels
  cover mostly the same pixels where both tiles saw the image
  (intersection over union > 0.5 inside the shared region, the IoU rule of
  dask-image#409).

:func:`resolve` joins the links into connected components of the
equivalence graph (scipy.sparse.csgraph) and numbers the objects 1..N in
raster order of their first pixel, as :func:`seglab.postprocess.connected_components`
numbers them in one piece; it returns one lookup table per tile for the
relabel pass.

Examples
--------
>>> import numpy as np
>>> left = TileIds(count=1, first=np.array([-1, 0]), classes=np.array([0, 1]))
>>> right = TileIds(count=1, first=np.array([-1, 2]), classes=np.array([0, 1]))
>>> links = touch_links(np.array([[1], [1]]), np.array([[1], [1]]), np.array([[1], [1]]), np.array([[1], [1]]), 8)
>>> tables, classes = resolve([left, right], [(0, 1, links)])
>>> [t.tolist() for t in tables], classes.tolist()
([[0, 1, -1], [0, 1, -1]], [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..core.errors import InvalidImageError

__all__ = ["TileIds", "tile_ids", "touch_links", "overlap_links", "resolve"]

_INT32_MAX = np.iinfo(np.int32).max
_NO_PIXEL = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TileIds:
    """A tile's objects: ids 1..count; for each id (index 0 unused) its first core pixel and class.

    Attributes
    ----------
    count : int
    first : (count + 1,) ndarray of int64
        ``row * W + col`` of the id's first pixel in the tile's core (raster
        order of the whole image), or -1 when the id has no core pixel.
    classes : (count + 1,) ndarray of int
        Class id of each object.
    """

    count: int
    first: NDArray[np.int64]
    classes: NDArray[np.int64]


def tile_ids(core: NDArray[np.int32], origin: tuple[int, int], width: int, classes: NDArray) -> TileIds:
    """The :class:`TileIds` of a tile's core labels; `origin` is the core's first pixel, `width` the image's.

    Examples
    --------
    >>> t = tile_ids(np.array([[0, 2], [2, 1]], np.int32), (10, 4), 100, np.array([0, 1, 1]))
    >>> t.count, t.first.tolist()
    (2, [-1, 1105, 1005])
    """
    count = int(classes.size - 1)
    first = np.full(count + 1, -1, np.int64)
    flat = core.ravel()
    ids, where = np.unique(flat, return_index=True)
    keep = ids > 0
    rows, cols = np.divmod(where[keep], core.shape[1])
    first[ids[keep]] = (rows + origin[0]).astype(np.int64) * width + cols + origin[1]
    return TileIds(count, first, np.asarray(classes, np.int64))


def touch_links(a_cls: NDArray, a_ids: NDArray, b_cls: NDArray, b_ids: NDArray, connectivity: int) -> NDArray:
    """Pairs (a, b) of ids whose pixels touch across a seam: same class, 4- or 8-adjacent.

    The inputs are the two rows of pixels facing each other (a side: the last
    line of one tile and the first of the next, position k facing k; a corner:
    one pixel each, which touch only under 8-connectivity).

    Returns
    -------
    (2, K) ndarray of int64
    """
    a_cls, a_ids, b_cls, b_ids = (np.ravel(x) for x in (a_cls, a_ids, b_cls, b_ids))
    n = a_cls.size
    if n == 1:  # a corner: diagonal neighbours
        if connectivity == 4:
            return np.zeros((2, 0), np.int64)
        shifts: tuple[int, ...] = (0,)
    else:
        shifts = (0,) if connectivity == 4 else (-1, 0, 1)
    pairs = []
    for s in shifts:
        ia = np.arange(max(0, -s), min(n, n - s))
        ib = ia + s
        same = (a_ids[ia] > 0) & (b_ids[ib] > 0) & (a_cls[ia] == b_cls[ib])
        pairs.append(np.stack([a_ids[ia][same], b_ids[ib][same]]).astype(np.int64))
    return np.unique(np.concatenate(pairs, axis=1), axis=1)


def overlap_links(a: NDArray[np.int32], b: NDArray[np.int32], *, threshold: float = 0.5) -> NDArray:
    """Pairs (a, b) of labels of two tiles over the same pixels whose intersection over union exceeds `threshold`.

    With a threshold of at least 0.5 each label is linked to at most one label of the other tile.

    Examples
    --------
    >>> a = np.array([[1, 1, 1, 0], [2, 2, 0, 0]], np.int32)
    >>> b = np.array([[5, 5, 5, 5], [0, 7, 7, 7]], np.int32)
    >>> overlap_links(a, b).tolist()
    [[1], [5]]
    """
    both = (a > 0) & (b > 0)
    if not both.any():
        return np.zeros((2, 0), np.int64)
    pairs, inter = np.unique(np.stack([a[both], b[both]]).astype(np.int64), axis=1, return_counts=True)
    area_a = np.bincount(a[a > 0].ravel())
    area_b = np.bincount(b[b > 0].ravel())
    iou = inter / (area_a[pairs[0]] + area_b[pairs[1]] - inter)
    return pairs[:, iou > threshold]


def resolve(tiles: Sequence[TileIds], links: Sequence[tuple[int, int, NDArray]]
            ) -> tuple[list[NDArray[np.int32]], NDArray[np.int64]]:
    """Global ids from per-tile ids and the links between tiles.

    Parameters
    ----------
    tiles : sequence of TileIds
        Every tile, in any fixed order.
    links : sequence of (i, j, pairs)
        ``pairs`` (2, K): id ``pairs[0, k]`` of tile ``i`` is the object ``pairs[1, k]`` of tile ``j``.

    Returns
    -------
    tables : list of ndarray of int32
        Per tile, ``table[local]`` is the global id (1..N in raster order of
        the object's first pixel, 0 for background and for ids with no core
        pixel anywhere); the last entry maps void (-1) to -1.
    classes : ndarray of int64
        ``classes[g]`` is the class of global id g (the class of the piece
        holding its first pixel; index 0 unused).

    Raises
    ------
    InvalidImageError
        More than 2**31 - 1 objects (int32 labels cannot number them).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    offsets = np.concatenate([[0], np.cumsum([t.count + 1 for t in tiles])]).astype(np.int64)
    total = int(offsets[-1])
    u = [offsets[i] + p[0] for i, _, p in links]
    v = [offsets[j] + p[1] for _, j, p in links]
    u_all = np.concatenate(u) if u else np.zeros(0, np.int64)
    v_all = np.concatenate(v) if v else np.zeros(0, np.int64)
    graph = coo_matrix((np.ones(u_all.size, np.int8), (u_all, v_all)), shape=(total, total))
    n_comp, comp = connected_components(graph, directed=False)
    keys = np.concatenate([t.first for t in tiles])
    keys = np.where(keys < 0, _NO_PIXEL, keys)
    comp_first = np.full(n_comp, _NO_PIXEL, np.int64)
    np.minimum.at(comp_first, comp, keys)
    present = np.flatnonzero(comp_first < _NO_PIXEL)
    if present.size > _INT32_MAX:
        raise InvalidImageError(f"{present.size} objects: more than int32 labels can number.")
    final = np.zeros(n_comp, np.int64)
    final[present[np.argsort(comp_first[present], kind="stable")]] = np.arange(1, present.size + 1)
    node_final = final[comp]
    classes = np.zeros(present.size + 1, np.int64)
    holders = np.flatnonzero((keys < _NO_PIXEL) & (keys == comp_first[comp]))  # the node holding each first pixel
    classes[node_final[holders]] = np.concatenate([t.classes for t in tiles])[holders]
    tables = []
    for k, t in enumerate(tiles):
        table = np.empty(t.count + 2, np.int32)
        table[: t.count + 1] = node_final[offsets[k] : offsets[k + 1]]
        table[0] = 0
        table[-1] = -1
        tables.append(table)
    return tables, classes
