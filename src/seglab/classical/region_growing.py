"""Seeded region growing from points, a marker image or automatic seeds.

Growth follows the priority order of Adams and Bischof's seeded region
growing (SRG, 1994), with a tolerance. The distance of a pixel ``p`` to a
region ``r`` is ``d = |I(p) - ref_r|`` (Euclidean norm over the channels of a
colour image). Whenever a pixel joins region ``r`` (the seed pixels at the
start, in raster order), each of its unassigned 4- or 8-neighbours ``q`` with
``d(q, r) <= tolerance`` enters a priority queue keyed by that distance,
measured at that moment. The queue hands out the entry of smallest distance,
ordered in steps of ``tolerance / 4096`` (entries within one step, and
ties: the earliest entered first); its pixel joins that entry's region unless it
already belongs to one, and its own neighbours enter the queue in turn.
Growth stops when the queue is empty. So a pixel goes to whichever region
reaches it through the closest-matching pixels, and a pixel that was too far
when its neighbour joined is measured again when another neighbour joins.
The reference ``ref_r`` is

* ``criterion="running_mean"``: the mean of the region's pixels, updated as
  each pixel joins (Adams and Bischof's rule);
* ``criterion="seed"``: the mean of the region's seed pixels, fixed (for one
  seed point this is the flood fill of ``cv2.floodFill(FLOODFILL_FIXED_RANGE)``
  and ``skimage.segmentation.flood``).

The queue is a bucket queue in compiled code (:mod:`seglab.core.jit`), one
first-in first-out bucket per distance step: the work is O(n) in the number
n of pixels the regions reach, whatever the image size. (Before version 0.2,
growth went in synchronous steps, every candidate of a step measured against
the means at the start of the step; then, until the bucket queue, in a binary
heap of exact distances, O(n log n), whose order differs from the stepped one
only between entries less than a step apart.)

Examples
--------
>>> import numpy as np
>>> from seglab.classical.region_growing import region_growing
>>> img = np.zeros((6, 6), np.uint8); img[:, 3:] = 100
>>> region_growing(img, seeds=[(0, 0), (5, 5)], tolerance=10).labels[0].tolist()
[1, 1, 1, 2, 2, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidParameterError
from ..core.jit import jit
from ..core.params import Interval, Renamed
from ..core.registry import register
from ..core.types import Segmentation, instance_segmentation
from ..core.validate import as_labels, float_dtype_for, round_off
from .seeds import MarkerImage, Points, check_seeds_or_markers, h_maxima, noise_and_span, parse_points
from .smoothing import gaussian_blur

__all__ = ["region_growing"]

def _features(image: NDArray, color_space: str) -> NDArray:
    """(H, W, C) array the distances are measured in: the image itself, or CIE Lab for colour."""
    if image.ndim == 2:
        return image[..., None]
    if color_space == "rgb":
        return image
    from skimage.color import rgb2lab

    if image.dtype.kind in "ui":
        scaled = image / np.float32(np.iinfo(image.dtype).max)  # rgb2lab needs [0, 1]; never returned
    else:
        scaled = image
    return rgb2lab(scaled).astype(np.float32)


def _grid_seeds(shape: tuple[int, int], spacing: int, mask: NDArray | None) -> NDArray[np.intp]:
    h, w = shape
    rows = np.arange(min(spacing, h) // 2, h, spacing)
    cols = np.arange(min(spacing, w) // 2, w, spacing)
    pts = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).reshape(-1, 2)
    if mask is not None:
        pts = pts[mask[pts[:, 0], pts[:, 1]]]
    return pts


def _minima_markers(feat: NDArray, sigma: float, h: float, mask: NDArray | None) -> NDArray[np.int32]:
    """Regional minima of dynamic >= h of the gradient magnitude, one label per connected plateau."""
    import cv2

    ftype = float_dtype_for(feat.dtype)
    grad2 = np.zeros(feat.shape[:2], ftype)
    for c in range(feat.shape[2]):
        chan = feat[..., c].astype(ftype)
        if sigma > 0:
            chan = gaussian_blur(chan, sigma, border=cv2.BORDER_REPLICATE)
        # Sobel / 8: a ramp of slope s per pixel has gradient s; a step of height t peaks near t / 2.
        # Replicated borders: a mirrored one would zero the gradient along the edges (false minima).
        for dx, dy in ((1, 0), (0, 1)):
            grad2 += cv2.Sobel(chan, -1, dx, dy, scale=0.125, borderType=cv2.BORDER_REPLICATE) ** 2
    relief = -np.sqrt(grad2)
    if mask is not None:  # outside the mask sinks below everything: no minimum leaks out of it
        relief[~mask] = relief[mask].min() - 2 * h - 1
    minima = h_maxima(relief, h)
    if mask is not None:
        minima &= mask
    _, markers = cv2.connectedComponents(minima.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    return markers


def _flood_one(image: NDArray, seed: tuple[int, int], tolerance: float, connectivity: int,
               mask: NDArray | None) -> NDArray[np.int32]:
    """Fixed-range flood fill from one seed point of a uint8 gray image (``cv2.floodFill``): 0/1 labels."""
    import cv2

    h, w = image.shape
    if not (image.flags.c_contiguous and image.flags.writeable):  # OpenCV's binding insists; nothing is written
        image = image.copy()
    fill = np.zeros((h + 2, w + 2), np.uint8)
    value = 1
    if mask is not None:
        fill[1:-1, 1:-1] = ~mask  # non-zero mask pixels stop the fill
        value = 2
    flags = connectivity | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (value << 8)
    _, _, _, (x, y, rw, rh) = cv2.floodFill(image, fill, (int(seed[1]), int(seed[0])), 0, tolerance, tolerance, flags)
    labels = np.zeros((h, w), np.int32)  # only the filled bounding box is written
    filled = fill[1 + y : 1 + y + rh, 1 + x : 1 + x + rw]
    labels[y : y + rh, x : x + rw] = filled if value == 1 else filled == value
    return labels


def _grow_fixed_single(feat: NDArray, seed_mask: NDArray[np.bool_], tolerance: float, connectivity: int,
                       mask: NDArray | None) -> NDArray[np.bool_]:
    """One region, fixed reference: the connected component(s) of ``dist <= tolerance`` holding the seeds."""
    import cv2

    ref = feat[seed_mask].astype(np.float64).mean(axis=0)
    if feat.shape[2] == 1:
        within = np.abs(feat[..., 0] - ref[0]) <= tolerance
    else:
        diff = feat - ref
        within = np.einsum("ijc,ijc->ij", diff, diff) <= tolerance * tolerance
    within |= seed_mask
    if mask is not None:
        within &= mask | seed_mask
    _, comp = cv2.connectedComponents(within.view(np.uint8), connectivity=connectivity, ltype=cv2.CV_32S)
    keep = np.zeros(int(comp.max()) + 1, bool)
    keep[comp[seed_mask]] = True
    keep[0] = False
    return keep[comp]


def _grow(feat: NDArray, labels: NDArray[np.int32], starts: NDArray[np.intp], n_regions: int, tolerance: float,
          connectivity: int, running: bool, mask: NDArray | None, max_iter: int) -> tuple[int, bool]:
    """Priority-queue region growing (see the module docstring) of `labels` in place; pixels added, converged.

    `labels` holds the seed regions (1..`n_regions`) and 0 elsewhere; `starts` are the flat indices of the
    seed pixels in raster order.
    """
    h, w, nch = feat.shape
    if mask is not None:
        labels[(~mask) & (labels == 0)] = -1  # a barrier
    values = np.ascontiguousarray(feat).reshape(h * w, nch)
    first_step = np.zeros(h * w, np.uint16)  # steps 1.._BUCKETS; calloc: only the pages the regions reach are ever touched
    added, converged = _srg(values, labels.reshape(-1), starts, first_step, h, w, n_regions, float(tolerance),
                            connectivity == 8, running, max_iter, _BUCKETS)
    if mask is not None:
        labels[labels < 0] = 0
    return int(added), bool(converged)


#: Steps of the queue's priority: distances are ordered to ``tolerance / _BUCKETS``.
_BUCKETS = 4096
#: Entries the queue's pool starts with (doubled whenever the growth loop might run out).
_POOL = 1024


def _srg(values: NDArray, labels: NDArray[np.int32], starts: NDArray[np.intp], first_step: NDArray[np.uint16],
         h: int, w: int, n_regions: int, tol: float, eight: bool, running: bool, max_iter: int,
         nbuckets: int) -> tuple[int, bool]:
    """Seeded region growing with a bucket queue of (distance step, entry number, pixel, region), in place.

    `labels` (flat) holds the seeds (1..n_regions), 0 where free and -1 on
    barriers; `starts` lists the seed pixels in raster order. Each region's
    reference is the mean of its seed pixels, then, when `running`, of all
    its pixels. Returns (pixels added, queue emptied).

    An entry's priority is its distance step ``floor(distance * nbuckets /
    tol)`` (capped at ``nbuckets - 1``); each step is a first-in first-out
    bucket (a linked list through one pool of entries, whose freed entries
    are reused), and the lowest non-empty bucket is found through a bitmap,
    so entering and taking an entry are O(1). The growth itself runs in the
    compiled :func:`_srg_run`, which hands back when the pool might overflow;
    the pool is doubled here, outside the hot loop (arrays replaced inside a
    compiled loop cost reference counting on every pass: 1.5x the time).
    """
    owner_of_start = labels[starts]
    counts = np.bincount(owner_of_start, minlength=n_regions + 1).astype(np.float64)
    sums = np.stack([np.bincount(owner_of_start, weights=values[starts, ch], minlength=n_regions + 1)
                     for ch in range(values.shape[1])], axis=1)
    means = sums / np.maximum(counts, 1.0)[:, None]
    head = np.full(nbuckets, -1, np.int64)
    tail = np.full(nbuckets, -1, np.int64)
    bits = np.zeros((nbuckets + 63) // 64, np.uint64)
    pool = _POOL
    nxt = np.empty(pool, np.int64)
    pixels = np.empty(pool, np.int64)
    owners = np.empty(pool, np.int32)
    # used (entries of the pool ever used), free (a chain of taken entries, reused first), lowest (no non-empty
    # bucket lies below it), queued, added, s (seed pixels done), seeding
    state = np.array([0, -1, nbuckets, 0, 0, 0, 1], np.int64)
    while _srg_run(values, labels, starts, first_step, h, w, tol, eight, running, max_iter, nbuckets, sums,
                   counts, means, head, tail, bits, nxt, pixels, owners, state):
        used = int(state[0])
        pool *= 2
        nxt2, pixels2, owners2 = np.empty(pool, np.int64), np.empty(pool, np.int64), np.empty(pool, np.int32)
        nxt2[:used], pixels2[:used], owners2[:used] = nxt[:used], pixels[:used], owners[:used]
        nxt, pixels, owners = nxt2, pixels2, owners2
    return int(state[4]), bool(state[3] == 0 and state[6] == 0)


@jit
def _srg_run(values, labels, starts, first_step, h, w, tol, eight, running, max_iter, nbuckets, sums, counts,
             means, head, tail, bits, nxt, pixels, owners, state):  # pragma: no cover
    """The growth loop of :func:`_srg` from `state`; True when it stopped because the pool may be too small."""
    nch = values.shape[1]
    tol2 = tol * tol
    scale = nbuckets / tol if tol > 0 else 0.0
    # An entry can only matter if it is taken before every earlier entry of its pixel (which would take the
    # pixel first), i.e. if its step is lower: others are not entered. first_step[p] - 1 is p's lowest step
    # (0: none yet; zeros on entry).
    pool = nxt.size
    used, free, lowest, queued, added, s, seeding = state
    n_nb = 8 if eight else 4
    full = False
    while True:
        if free < 0 and used + n_nb > pool:  # the next pixel might not find room for its entries
            full = True
            break
        if seeding:  # the seed pixels, in raster order, put their neighbours in the queue
            if s == starts.size:
                seeding = 0
                continue
            q = starts[s]
            k = labels[q]
            s += 1
        else:
            if queued == 0 or added >= max_iter:
                break
            b = lowest
            if head[b] < 0:  # the lowest non-empty bucket, from the bitmap
                word = b >> 6
                left = bits[word] & (~np.uint64(0) << np.uint64(b & 63))
                while left == 0:
                    word += 1
                    left = bits[word]
                b = word * 64
                for half in (32, 16, 8, 4, 2, 1):  # the position of the lowest set bit
                    if left & ((np.uint64(1) << np.uint64(half)) - np.uint64(1)) == 0:
                        left >>= np.uint64(half)
                        b += half
                lowest = b
            e = head[b]
            head[b] = nxt[e]
            if head[b] < 0:
                tail[b] = -1
                bits[b >> 6] &= ~(np.uint64(1) << np.uint64(b & 63))
            q, k = pixels[e], owners[e]
            nxt[e] = free
            free = e
            queued -= 1
            if labels[q] != 0:
                continue
            labels[q] = k
            added += 1
            if running:
                counts[k] += 1.0
                for ch in range(nch):
                    sums[k, ch] += values[q, ch]
                    means[k, ch] = sums[k, ch] / counts[k]
        r = q // w
        c = q - r * w
        for j in range(n_nb):  # up, left, right, down, then the diagonals
            if j == 0:
                if r == 0:
                    continue
                nb = q - w
            elif j == 1:
                if c == 0:
                    continue
                nb = q - 1
            elif j == 2:
                if c == w - 1:
                    continue
                nb = q + 1
            elif j == 3:
                if r == h - 1:
                    continue
                nb = q + w
            elif j == 4:
                if r == 0 or c == 0:
                    continue
                nb = q - w - 1
            elif j == 5:
                if r == 0 or c == w - 1:
                    continue
                nb = q - w + 1
            elif j == 6:
                if r == h - 1 or c == 0:
                    continue
                nb = q + w - 1
            else:
                if r == h - 1 or c == w - 1:
                    continue
                nb = q + w + 1
            if labels[nb] != 0:
                continue
            if nch == 1:  # sqrt(x * x) == |x| in IEEE arithmetic: the distance without a square root
                diff = values[nb, 0] - means[k, 0]
                d2 = diff * diff
                dist = abs(diff)
            else:
                d2 = 0.0
                for ch in range(nch):
                    diff = values[nb, ch] - means[k, ch]
                    d2 += diff * diff
                dist = np.sqrt(d2)
            if d2 > tol2:
                continue
            b = min(int(dist * scale), nbuckets - 1)
            if first_step[nb] != 0 and b + 1 >= first_step[nb]:
                continue
            first_step[nb] = b + 1
            if free >= 0:
                e = free
                free = nxt[e]
            else:
                e = used
                used += 1
            nxt[e] = -1
            pixels[e] = nb
            owners[e] = k
            if tail[b] < 0:
                head[b] = e
                bits[b >> 6] |= np.uint64(1) << np.uint64(b & 63)
            else:
                nxt[tail[b]] = e
            tail[b] = e
            queued += 1
            if b < lowest:
                lowest = b
    state[0], state[1], state[2], state[3], state[4], state[5], state[6] = used, free, lowest, queued, added, s, seeding
    return full


@register(
    "region_growing", family="region", task="instance", input="any", tiling="instance",
    check=check_seeds_or_markers, renamed=(Renamed("tol", "tolerance"),),
)
def region_growing(
    image: ArrayLike,
    /,
    *,
    seeds: Points = None,
    markers: MarkerImage = None,
    tolerance: Annotated[float, Interval(0, None)] | None = None,
    criterion: Literal["running_mean", "seed"] = "running_mean",
    connectivity: Literal[4, 8] = 4,
    auto_seeds: Literal["minima", "grid"] = "minima",
    spacing: Annotated[int, Interval(1, None)] = 32,
    sigma: Annotated[float, Interval(0, None)] = 1.0,
    color_space: Literal["rgb", "lab"] = "rgb",
    max_iter: Annotated[int, Interval(1, None)] | None = None,
    mask: ArrayLike | None = None,
) -> Segmentation:
    """Grow regions from seeds while pixels stay within `tolerance` of the region's reference.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Gray or RGB image, any real dtype; values are used as-is (no rescaling).
    seeds : list of (row, col), optional
        Seed points; seed ``i`` grows region ``i + 1``. If two seeds fall on the
        same pixel the first one keeps it. Give `seeds` or `markers`, not both.
    markers : (H, W) ndarray of int, optional
        Marker image: every positive label is one region grown from all its
        pixels (labels are renumbered 1..N in increasing order); 0 = unseeded.
    tolerance : float, optional
        Largest accepted distance between a pixel and its region's reference,
        in image units (Euclidean RGB distance for colour, Delta E 1976 with
        ``color_space="lab"``). Default: ``max(3 * noise sigma, 10 % of the
        value range)``, the noise sigma from :func:`noise_sigma`; reported in
        ``meta["tolerance"]``.
    criterion : {"running_mean", "seed"}
        Reference of a region: its current mean, updated after every growth
        step, or the fixed mean of its seed pixels (flood-fill rule).
    connectivity : {4, 8}
        Pixel adjacency used for growing.
    auto_seeds : {"minima", "grid"}
        Seeds used when neither `seeds` nor `markers` is given: the flattest
        spots, i.e. the regional minima of the gradient magnitude (of the
        image smoothed by `sigma`) whose dynamic is at least ``tolerance / 2`` (a
        step edge of height ``tolerance`` peaks near ``tolerance / 2``), one seed region
        per connected minimum; or the centres of a square grid of step
        `spacing` (rows ``spacing // 2, spacing // 2 + spacing, ...``).
    spacing : int
        Grid step in pixels for ``auto_seeds="grid"``.
    sigma : float
        Gaussian smoothing in pixels before the gradient of ``auto_seeds="minima"``.
    color_space : {"rgb", "lab"}
        Space of the colour distance (ignored for gray images). ``"lab"``
        converts to CIE Lab internally (integer RGB is read as 0..dtype max).
    max_iter : int, optional
        Largest number of pixels added to the regions (one per entry taken
        from the queue); ``meta["converged"]`` is ``False`` if growth was
        still going on when it stopped. ``None``: no limit.
    mask : (H, W) ndarray of bool, optional
        Regions never grow outside `mask`; seeds must lie inside it.

    Returns
    -------
    Segmentation
        Instance labels 1..N (one per seed region that kept a pixel), 0 where
        no region reached; each id has a segment of class 1 in
        ``classes=("background", "region")``. ``meta``: ``tolerance``, ``n_seeds``, ``n_iter`` (pixels
        added; ``None`` where one flood fill did the work), ``converged``.

    Raises
    ------
    InvalidParameterError
        A seed outside the image or the mask, an empty seed list, both `seeds`
        and `markers`, or a marker image without positive labels.

    Notes
    -----
    A constant image is one region (with automatic seeds, one seed at its
    centre). A 1x1 image is one region. One seed point with
    ``criterion="seed"`` on a uint8 gray image runs ``cv2.floodFill``; one
    seed region with ``criterion="seed"`` is the connected component of
    ``distance <= tolerance`` holding it (the same region as the priority
    order gives, found by ``cv2.connectedComponents``); everything else runs
    the priority queue.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[10, 12, 50], [11, 13, 52], [60, 61, 55]], np.uint8)
    >>> region_growing(img, seeds=[(0, 0)], tolerance=5).labels.tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    >>> region_growing(img, seeds=[(0, 0), (2, 2)], tolerance=8, connectivity=8).labels.tolist()
    [[1, 1, 2], [1, 1, 2], [2, 2, 2]]
    """
    h, w = image.shape[:2]
    feat = _features(image, color_space)
    if tolerance is None:  # max(3 sigma, 10 % of the range)
        sigma_noise, span = noise_and_span(feat if image.ndim == 3 else image, mask)
        tolerance = max(3.0 * sigma_noise, 0.1 * span)
    meta: dict[str, object] = {"tolerance": float(tolerance)}
    # A region's mean carries the rounding of its sums: with a tolerance of 0 (the default on a constant image),
    # a pixel equal to the mean's true value would fall outside and a constant float image split. Distances
    # within a few ulps of the values count as 0. (Integer values: a mean of equal integers is exact, and a
    # pass over the image would cost as much as a flood fill.)
    if feat.dtype.kind == "f":
        tolerance = max(float(tolerance), round_off(feat, 64, np.float64))  # the means are float64
    pts, seed_labels = _seeds(image, feat, seeds, markers, auto_seeds, spacing, sigma, float(tolerance), mask)
    n_regions = len(pts) if pts is not None else int(seed_labels.max())
    meta["n_seeds"] = n_regions
    if n_regions == 0:  # nothing to grow: an empty mask, or a mask between grid points
        return instance_segmentation(np.zeros((h, w), np.int32), meta=dict(meta, n_iter=0, converged=True))
    if criterion == "seed" and n_regions == 1:
        if pts is not None and image.ndim == 2 and image.dtype == np.uint8:
            labels = _flood_one(image, tuple(pts[0]), tolerance, connectivity, mask)
        else:
            seed_mask = seed_labels == 1 if pts is None else _point_mask(pts, (h, w))
            labels = _grow_fixed_single(feat, seed_mask, tolerance, connectivity, mask).view(np.uint8).astype(np.int32)
        return instance_segmentation(labels, meta=dict(meta, n_iter=None, converged=True), num_segments=1)

    if pts is not None:
        labels = np.zeros((h, w), np.int32)
        labels[pts[::-1, 0], pts[::-1, 1]] = np.arange(len(pts), 0, -1, dtype=np.int32)  # first seed wins
        starts = np.unique(pts[:, 0] * w + pts[:, 1])
    else:
        labels = np.ascontiguousarray(seed_labels, dtype=np.int32)  # a fresh array of ours: grown in place
        starts = np.flatnonzero(labels > 0)
    added, converged = _grow(feat, labels, starts, n_regions, float(tolerance), connectivity,
                             criterion == "running_mean", mask, max_iter or h * w)
    present = np.ones(n_regions + 1, bool)
    if pts is not None:  # a seed keeps its pixel, so only duplicate points leave an id out
        present[1:] = False
        present[labels[pts[:, 0], pts[:, 1]]] = True
    if not present.all():  # duplicate seed points: renumber 1..N
        lut = np.zeros(n_regions + 1, np.int32)
        lut[present] = np.arange(int(present.sum()), dtype=np.int32)
        labels = lut[labels]
    return instance_segmentation(labels, meta=dict(meta, n_iter=added, converged=converged),
                                 num_segments=int(present.sum()) - 1)


def _point_mask(pts: NDArray[np.intp], shape: tuple[int, int]) -> NDArray[np.bool_]:
    out = np.zeros(shape, bool)
    out[pts[:, 0], pts[:, 1]] = True
    return out


def _seeds(image: NDArray, feat: NDArray, seeds: Sequence[tuple[int, int]] | None, markers: ArrayLike | None,
           auto_seeds: str, spacing: int, sigma: float, tolerance: float, mask: NDArray | None) -> tuple[NDArray[np.intp] | None, NDArray[np.int32] | None]:
    """Seed points ``(N, 2)`` or a seed label image numbered 1..N (exactly one of the two is not None)."""
    h, w = image.shape[:2]
    if seeds is not None:
        pts = parse_points(seeds, image.shape, "seeds")
        if mask is not None and not mask[pts[:, 0], pts[:, 1]].all():
            i = int(np.flatnonzero(~mask[pts[:, 0], pts[:, 1]])[0])
            raise InvalidParameterError(
                f"seeds: point {i}, ({pts[i, 0]}, {pts[i, 1]}), lies outside the mask; move it or widen the mask."
            )
        return pts, None
    if markers is not None:
        marks = as_labels(markers, name="markers", shape=(h, w))
        if mask is not None:
            marks = np.where(mask, marks, 0)
        ids = np.unique(marks)
        ids = ids[ids > 0]
        if ids.size == 0:
            raise InvalidParameterError(
                "markers has no positive label" + (" inside the mask" if mask is not None else "")
                + "; mark each region to grow with a label > 0 (0 = unseeded)."
            )
        return None, np.searchsorted(np.concatenate([[0], ids]), np.maximum(marks, 0)).astype(np.int32)
    values = (image if mask is None else image[mask]).reshape(-1, *image.shape[2:3])
    if values.size == 0:
        return np.empty((0, 2), np.intp), None
    if (values == values[0]).all():  # constant: one region, seeded at the centre (of the mask's pixels)
        inside = np.argwhere(mask) if mask is not None else np.array([[h // 2, w // 2]])
        return inside[len(inside) // 2 :][:1], None
    if auto_seeds == "grid":
        return _grid_seeds((h, w), spacing, mask), None
    return None, _minima_markers(feat, sigma, max(tolerance / 2, float(np.finfo(np.float32).eps)), mask)
