"""Seeded region growing from points, a marker image or automatic seeds.

Growth follows the priority order of Adams and Bischof's seeded region
growing (SRG, 1994), with a tolerance. The distance of a pixel ``p`` to a
region ``r`` is ``d = |I(p) - ref_r|`` (Euclidean norm over the channels of a
colour image). Whenever a pixel joins region ``r`` (the seed pixels at the
start, in raster order), each of its unassigned 4- or 8-neighbours ``q`` with
``d(q, r) <= tolerance`` enters a priority queue keyed by that distance,
measured at that moment. The queue hands out the entry of smallest distance
(ties: the earliest entered); its pixel joins that entry's region unless it
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

The queue is a binary heap in compiled code (:mod:`seglab.core.jit`): the
work is O(n log n) in the number n of pixels the regions reach, whatever the
image size. (Before version 0.2, growth went in synchronous steps, every
candidate of a step measured against the means at the start of the step;
the regions differ slightly where the means drift.)

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
from ..core.validate import as_labels
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

    ftype = np.float64 if feat.dtype == np.float64 else np.float32
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


def _grow(feat: NDArray, seed_labels: NDArray[np.int32], n_regions: int, tolerance: float, connectivity: int,
          running: bool, mask: NDArray | None, max_iter: int) -> tuple[NDArray[np.int32], int, bool]:
    """Priority-queue region growing (see the module docstring); returns labels, pixels added, converged."""
    h, w, nch = feat.shape
    labels = np.ascontiguousarray(seed_labels, dtype=np.int32).copy()
    if mask is not None:
        labels[(~mask) & (labels == 0)] = -1  # a barrier
    values = np.ascontiguousarray(feat).reshape(h * w, nch)
    added, converged = _srg(values, labels.reshape(-1), h, w, n_regions, float(tolerance) ** 2,
                            connectivity == 8, running, max_iter)
    if mask is not None:
        labels[labels < 0] = 0
    return labels, int(added), bool(converged)


@jit
def _srg(values, labels, h, w, n_regions, tol2, eight, running, max_iter):  # pragma: no cover - compiled
    """Seeded region growing with a binary heap of (squared distance, entry number, pixel, region), in place.

    `labels` (flat) holds the seeds (1..n_regions), 0 where free and -1 on
    barriers; each region's reference is the mean of its seed pixels, then,
    when `running`, of all its pixels. Returns (pixels added, queue emptied).
    """
    nch = values.shape[1]
    sums = np.zeros((n_regions + 1, nch))
    counts = np.zeros(n_regions + 1)
    for p in range(h * w):
        k = labels[p]
        if k > 0:
            counts[k] += 1.0
            for ch in range(nch):
                sums[k, ch] += values[p, ch]
    means = np.zeros((n_regions + 1, nch))
    for k in range(1, n_regions + 1):
        for ch in range(nch):
            means[k, ch] = sums[k, ch] / max(counts[k], 1.0)
    # An entry can only matter if its key is below every earlier entry of its pixel (the smaller pops first
    # and takes the pixel), so others are not entered: best[p] is the smallest key entered for p so far.
    entered_at = np.zeros(h * w, np.bool_)
    best = np.empty(h * w)
    cap = 1024
    keys = np.empty(cap)
    order = np.empty(cap, np.int64)
    pixels = np.empty(cap, np.int64)
    owners = np.empty(cap, np.int32)
    size = 0
    entered = 0
    dr = np.array([-1, 0, 0, 1, -1, -1, 1, 1])
    dc = np.array([0, -1, 1, 0, -1, 1, -1, 1])
    n_nb = 8 if eight else 4
    added = 0
    p = 0
    seeding = True
    while True:
        if seeding:  # the seed pixels, in raster order, put their neighbours in the queue
            while p < h * w and labels[p] <= 0:
                p += 1
            if p == h * w:
                seeding = False
                continue
            q, k = p, labels[p]
            p += 1
        else:
            if size == 0 or added >= max_iter:
                break
            q, k = pixels[0], owners[0]
            size -= 1  # pop the heap's root: sift the last entry down from the top
            key, num, pix, own = keys[size], order[size], pixels[size], owners[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and (keys[child + 1] < keys[child]
                                         or (keys[child + 1] == keys[child] and order[child + 1] < order[child])):
                    child += 1
                if keys[child] < key or (keys[child] == key and order[child] < num):
                    keys[i], order[i], pixels[i], owners[i] = keys[child], order[child], pixels[child], owners[child]
                    i = child
                else:
                    break
            keys[i], order[i], pixels[i], owners[i] = key, num, pix, own
            if labels[q] != 0:
                continue
            labels[q] = k
            added += 1
            if running:
                counts[k] += 1.0
                for ch in range(nch):
                    sums[k, ch] += values[q, ch]
                    means[k, ch] = sums[k, ch] / counts[k]
        r, c = q // w, q % w
        for j in range(n_nb):
            rr, cc = r + dr[j], c + dc[j]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            nb = rr * w + cc
            if labels[nb] != 0:
                continue
            d2 = 0.0
            for ch in range(nch):
                diff = values[nb, ch] - means[k, ch]
                d2 += diff * diff
            if d2 > tol2 or (entered_at[nb] and d2 >= best[nb]):
                continue
            entered_at[nb] = True
            best[nb] = d2
            if size == cap:
                cap *= 2
                keys2, order2, pixels2, owners2 = np.empty(cap), np.empty(cap, np.int64), np.empty(cap, np.int64), \
                    np.empty(cap, np.int32)
                keys2[:size], order2[:size], pixels2[:size], owners2[:size] = keys, order, pixels, owners
                keys, order, pixels, owners = keys2, order2, pixels2, owners2
            i = size  # push: sift up from the end
            size += 1
            while i > 0:
                parent = (i - 1) // 2
                if keys[parent] < d2 or (keys[parent] == d2 and order[parent] < entered):
                    break
                keys[i], order[i], pixels[i], owners[i] = keys[parent], order[parent], pixels[parent], owners[parent]
                i = parent
            keys[i], order[i], pixels[i], owners[i] = d2, entered, nb, k
            entered += 1
    return added, size == 0 and not seeding


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
        seed_labels = np.zeros((h, w), np.int32)
        seed_labels[pts[::-1, 0], pts[::-1, 1]] = np.arange(len(pts), 0, -1, dtype=np.int32)  # first seed wins
    labels, added, converged = _grow(feat, seed_labels, n_regions, float(tolerance), connectivity,
                                     criterion == "running_mean", mask, max_iter or h * w)
    present = np.ones(n_regions + 1, bool)
    if pts is not None:  # a seed keeps its pixel, so only duplicate points leave an id out
        present[1:] = False
        present[seed_labels[pts[:, 0], pts[:, 1]]] = True
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
