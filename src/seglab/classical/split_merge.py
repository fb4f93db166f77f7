"""Split-and-merge: quadtree split on a homogeneity predicate, then region-adjacency merging.

**Split.** The image is padded (padding pixels take no part in any statistic)
to a grid of square top blocks of side ``B``, the largest power of two not
above the shorter image side (at most 256). A block is split into four while
it is not homogeneous and its children would still be at least `min_block`
wide. Homogeneous means: the population standard deviation of every channel
is ``<= tolerance`` (``predicate="std"``), or the range ``max - min`` of every
channel is ``<= tolerance`` (``predicate="range"``). Block statistics come from a
sum / sum-of-squares / min / max pyramid built bottom-up with reshapes (no
per-pixel loop).

**Merge.** The leaves form a region adjacency graph (4- or 8-connectivity).
Merging runs in rounds. In each round every region finds its most similar
neighbour among those whose mean colour is closer than `merge_tolerance`
(Euclidean distance; ties: the smaller id). Two regions that are each
other's most similar neighbour merge, and every other region whose most
similar neighbour belongs to such a pair joins it in the same round; then
the means are recomputed. Rounds repeat until no adjacent pair differs by
less than `merge_tolerance`. The globally closest pair always merges in its round:
this is a parallel form of the classic smallest-difference-first merge with
mean update (it can differ from the strictly sequential order where several
merges compete), and a region never chains through a neighbour that is
itself joining another region in the same round.

Examples
--------
>>> import numpy as np
>>> from seglab.classical.split_merge import split_merge
>>> img = np.zeros((16, 16), np.uint8); img[:, 6:] = 100
>>> split_merge(img, tolerance=1, merge_tolerance=10).num_segments
2
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation, instance_segmentation
from .seeds import noise_and_span

__all__ = ["split_merge"]

_MAX_TOP_BLOCK = 256


_POOL = {"n": np.add, "sum": np.add, "sq": np.add, "lo": np.minimum, "hi": np.maximum}


def _pool2(arr: NDArray, op: np.ufunc) -> NDArray:
    """Combine each 2x2 block of the first two axes with `op` (strided views: no slow small-axis reduce)."""
    out = op(arr[0::2, 0::2], arr[1::2, 0::2])
    op(out, arr[0::2, 1::2], out=out)
    return op(out, arr[1::2, 1::2], out=out)


def _pyramid(feat: NDArray, valid: NDArray[np.bool_] | None, base: int, top: int,
             shape_p: tuple[int, int], predicate: str) -> list[dict[str, NDArray]]:
    """Block statistics for block sides `base`, 2 * `base`, ..., `top` (finest first).

    Each level holds ``n`` (valid pixels), ``sum`` and, for the predicate,
    ``sq`` (sum of squares) or ``lo``/``hi`` (min/max), per channel, of values
    centred on the image mean (so the variance from sums stays accurate).
    """
    hp, wp = shape_p
    h, w, nch = feat.shape
    x = np.zeros((hp, wp, nch), np.float64)
    x[:h, :w] = feat
    partial = valid is not None or (hp, wp) != (h, w)  # padding or mask: count the valid pixels
    if partial:
        v = np.zeros((hp, wp), np.float64)
        v[:h, :w] = 1.0 if valid is None else valid
        inside = v > 0
    center = x[:h, :w].reshape(-1, nch).mean(axis=0) if valid is None else (
        x[:h, :w][valid].mean(axis=0) if valid.any() else np.zeros(nch))
    x -= center
    if partial:
        x[~inside] = 0.0
    stats = {"n": v, "sum": x} if partial else {"sum": x}
    if predicate == "std":
        stats["sq"] = np.square(x)
    else:
        stats["lo"] = np.where(inside[..., None], x, np.inf) if partial else x
        stats["hi"] = np.where(inside[..., None], x, -np.inf) if partial else x
    side = 1
    levels = []
    while True:
        if side >= base:
            levels.append(stats if partial else dict(stats, n=np.full(stats["sum"].shape[:2], float(side * side))))
        if side >= top:
            return levels
        stats = {key: _pool2(arr, _POOL[key]) for key, arr in stats.items()}
        side *= 2


def _homogeneous(stats: dict[str, NDArray], tolerance: float) -> NDArray[np.bool_]:
    n = stats["n"]
    with np.errstate(invalid="ignore"):
        if "sq" in stats:
            m = np.maximum(n, 1)[..., None]
            var = np.maximum(stats["sq"] / m - (stats["sum"] / m) ** 2, 0.0)
            ok = (np.sqrt(var) <= tolerance).all(axis=-1)
        else:
            ok = ((stats["hi"] - stats["lo"]) <= tolerance).all(axis=-1)
    return ok | (n == 0)


def _leaves(levels: list[dict[str, NDArray]], tolerance: float) -> tuple[NDArray[np.int32], NDArray, NDArray]:
    """Quadtree leaves on the finest block grid: ids 1..L (0 = empty), per-leaf pixel count and sum."""
    top = len(levels) - 1
    ids = np.zeros(levels[top]["n"].shape, np.int32)
    split = np.ones(ids.shape, bool)  # every top block is entered
    n_leaves = 0
    counts, sums = [], []
    for lvl in range(top, -1, -1):
        stats = levels[lvl]
        if lvl < top:
            ids = np.repeat(np.repeat(ids, 2, axis=0), 2, axis=1)
            split = np.repeat(np.repeat(split, 2, axis=0), 2, axis=1)
        occupied = stats["n"] > 0
        leaf = split & occupied
        if lvl > 0:
            leaf &= _homogeneous(stats, tolerance)
        k = int(np.count_nonzero(leaf))
        ids[leaf] = np.arange(n_leaves + 1, n_leaves + k + 1, dtype=np.int32)
        counts.append(stats["n"][leaf])
        sums.append(stats["sum"][leaf])
        n_leaves += k
        split &= ~leaf & occupied
    return ids, np.concatenate(counts), np.concatenate(sums)


def _upsample(blocks: NDArray, base: int, h: int, w: int) -> NDArray:
    """Pixel image of a block grid (block side `base`), cropped to (h, w)."""
    if base == 1:
        return np.ascontiguousarray(blocks[:h, :w])
    rows = np.repeat(blocks[: -(-h // base), : -(-w // base)], base, axis=0)[:h]
    return np.ascontiguousarray(np.repeat(rows, base, axis=1)[:, :w])


def _adjacency(grid: NDArray[np.int64], connectivity: int) -> NDArray[np.int64]:
    """Unique pairs (a, b), a < b, of positive labels touching in `grid`."""
    pairs = [(grid[:, :-1], grid[:, 1:]), (grid[:-1, :], grid[1:, :])]
    if connectivity == 8:
        pairs += [(grid[:-1, :-1], grid[1:, 1:]), (grid[:-1, 1:], grid[1:, :-1])]
    found = []
    for a, b in pairs:
        touch = (a != b) & (a > 0) & (b > 0)
        found.append(np.stack([a[touch], b[touch]], axis=1))
    edges = np.concatenate(found).astype(np.int64)
    edges.sort(axis=1)
    if not edges.size:
        return edges.reshape(0, 2)
    n = int(grid.max()) + 1
    return np.stack(np.divmod(np.unique(edges[:, 0] * n + edges[:, 1]), n), axis=1)


def _merge(edges: NDArray[np.int64], counts: NDArray, sums: NDArray, merge_tolerance: float) -> tuple[NDArray[np.int64], int]:
    """Merging rounds (see the module docstring); returns each region's final representative and the rounds."""
    n = counts.size
    rep = np.arange(n, dtype=np.int64)
    counts, sums = counts.astype(np.float64), sums.astype(np.float64)
    rounds = 0
    while edges.size:
        means = sums / np.maximum(counts, 1)[:, None]
        u, v = edges[:, 0], edges[:, 1]
        d = np.sqrt(np.square(means[u] - means[v]).sum(axis=1))
        close = d < merge_tolerance
        if not close.any():
            break
        rounds += 1
        # directed candidate edges grouped by source; per source: smallest distance, then smallest target
        src = np.concatenate([u[close], v[close]])
        dst = np.concatenate([v[close], u[close]])
        dd = np.concatenate([d[close], d[close]])
        order = np.argsort(src, kind="stable")
        src, dst, dd = src[order], dst[order], dd[order]
        starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
        best = np.minimum.reduceat(dd, starts)
        ties = np.where(dd == np.repeat(best, np.diff(np.r_[starts, src.size])), dst, n)
        nearest = np.full(n, -1, np.int64)
        nearest[src[starts]] = np.minimum.reduceat(ties, starts)
        has = nearest >= 0
        paired = np.zeros(n, bool)
        a = np.flatnonzero(has)
        mutual = nearest[nearest[a]] == a
        paired[a[mutual]] = True
        target = np.arange(n, dtype=np.int64)
        pa = a[mutual]
        target[pa] = np.minimum(pa, nearest[pa])  # a pair keeps its smaller id
        joins = has & ~paired
        joins[joins] = paired[nearest[joins]]  # a region joins a pair it prefers
        target[joins] = target[nearest[joins]]
        counts = np.bincount(target, weights=counts, minlength=n)
        sums = np.stack([np.bincount(target, weights=sums[:, c], minlength=n) for c in range(sums.shape[1])], axis=1)
        rep = target[rep]
        edges = target[edges]
        edges = edges[edges[:, 0] != edges[:, 1]]
        edges.sort(axis=1)
        edges = np.unique(edges[:, 0] * n + edges[:, 1])
        edges = np.stack(np.divmod(edges, n), axis=1)
    return rep, rounds


@register(
    "split_merge", family="region", task="instance", input="any", tiling="instance",
    renamed=(Renamed("tol", "tolerance"), Renamed("merge_tol", "merge_tolerance")),
)
def split_merge(
    image: ArrayLike,
    /,
    *,
    tolerance: Annotated[float, Interval(0, None)] | None = None,
    predicate: Literal["std", "range"] = "std",
    min_block: Annotated[int, Interval(1, None)] = 2,
    merge_tolerance: Annotated[float, Interval(0, None)] | None = None,
    connectivity: Literal[4, 8] = 4,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Quadtree split until blocks are homogeneous, then merge similar adjacent regions.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Gray or RGB image, any real dtype; values are used as-is (no rescaling).
    tolerance : float, optional
        Homogeneity bound in image units: largest standard deviation
        (``predicate="std"``) or range (``"range"``) of every channel inside a
        block. Default: ``max(2 * noise sigma, 5 % of the value range)`` for
        "std" and ``max(6 * noise sigma, 15 % of the value range)`` for
        "range" (noise sigma from :func:`seglab.classical.region_growing.noise_sigma`).
    predicate : {"std", "range"}
        Homogeneity predicate of a block.
    min_block : int
        Smallest block side in pixels: a block is not split if its children
        would be narrower (sides are powers of two, so the smallest leaf side
        is the smallest power of two >= `min_block`).
    merge_tolerance : float, optional
        Adjacent regions merge while their mean colours differ (Euclidean
        distance, image units) by less than this. Default ``max(3 * noise
        sigma, 15 % of the value range)`` (on a constant image: merge equal
        means); 0 disables merging.
    connectivity : {4, 8}
        Adjacency of regions in the merge graph.
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` take no part in statistics or adjacency; a
        quadtree leaf cut by the mask counts as one region per connected part.

    Returns
    -------
    Segmentation
        Instance labels 1..N, each with a segment of class 1 in
        ``classes=("background", "region")``; ``meta``: ``tolerance``, ``merge_tolerance``, ``n_blocks``
        (regions before merging: quadtree leaves), ``n_rounds`` (merge rounds).

    Notes
    -----
    A constant image is one region; a 1x1 image is one region.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8)); img[4:, 4:] = 1.0
    >>> seg = split_merge(img, tolerance=0.1, merge_tolerance=0.5)
    >>> seg.num_segments, seg.meta["n_blocks"]
    (2, 4)
    """
    h, w = image.shape[:2]
    feat = image[..., None] if image.ndim == 2 else image
    if tolerance is None or merge_tolerance is None:
        sigma, span = noise_and_span(image, mask)
    if tolerance is None:
        tolerance = max(2.0 * sigma, 0.05 * span) if predicate == "std" else max(6.0 * sigma, 0.15 * span)
    if merge_tolerance is None:  # never 0 (which merges nothing): on a constant image, equal means merge
        merge_tolerance = max(3.0 * sigma, 0.15 * span) or float(np.finfo(np.float64).tiny)
    base = 1 << int(np.ceil(np.log2(min(min_block, max(h, w)))))  # a block as big as the image never splits
    top = max(base, min(_MAX_TOP_BLOCK, 1 << int(np.floor(np.log2(min(h, w))))))
    shape_p = (-(-h // top) * top, -(-w // top) * top)
    levels = _pyramid(feat, mask, base, top, shape_p, predicate)
    ids, counts, sums = _leaves(levels, float(tolerance))
    if mask is None:
        grid = ids  # leaves are unions of whole blocks: block adjacency is pixel adjacency
    else:  # a leaf cut by the mask becomes one region per connected part
        from skimage.measure import label

        grid = _upsample(ids, base, h, w)
        grid[~mask] = 0
        grid = label(grid, background=0, connectivity=1 if connectivity == 4 else 2).astype(np.int32)
        counts = np.bincount(grid.ravel())[1:].astype(np.float64)
        sums = np.stack([np.bincount(grid.ravel(), weights=feat[..., c].ravel())[1:]
                         for c in range(feat.shape[2])], axis=1)
    edges = _adjacency(grid, connectivity) - 1
    rep, rounds = _merge(edges, counts, sums, float(merge_tolerance))
    _, final = np.unique(rep, return_inverse=True)
    lut = np.concatenate([[0], final + 1]).astype(np.int32)
    labels = lut[grid] if mask is not None else _upsample(lut[ids], base, h, w)
    meta = {"tolerance": float(tolerance), "merge_tolerance": float(merge_tolerance), "n_blocks": int(counts.size), "n_rounds": rounds}
    return instance_segmentation(labels, meta=meta)
