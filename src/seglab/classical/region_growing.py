"""Seeded region growing from points, a marker image or automatic seeds.

Growth is decided in *steps*, all pixels of a step at once (vectorised, no
per-pixel Python loop). At step ``k`` every unassigned pixel 4- or
8-adjacent to at least one region is a candidate; for each adjacent region
``r`` its distance is ``d_r = |I(p) - ref_r|`` (Euclidean norm over the
channels of a colour image). The candidate joins the region with the
smallest ``d_r`` (ties: the smallest label) if that distance is ``<= tolerance``.
The reference ``ref_r`` is

* ``criterion="running_mean"``: the mean of the region's pixels at the start
  of the step (updated after every step; a rejected candidate is tested again
  at every later step, since the mean moves);
* ``criterion="seed"``: the mean of the region's seed pixels, fixed (for one
  seed point this is the flood fill of ``cv2.floodFill(FLOODFILL_FIXED_RANGE)``
  and ``skimage.segmentation.flood``).

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
    """Simultaneous-step region growing (see the module docstring); returns labels, steps, converged."""
    h, w, nch = feat.shape
    wp = w + 2
    lab = np.full((h + 2, wp), -1, np.int32)  # -1: barrier (frame, outside the mask)
    inner = lab[1:-1, 1:-1]
    inner[...] = seed_labels
    if mask is not None:
        inner[(~mask) & (seed_labels == 0)] = -1
    flat_lab = lab.ravel()
    flat_feat = feat.reshape(-1, nch)
    if connectivity == 4:
        offsets = np.array([-wp, -1, 1, wp], np.intp)
    else:
        offsets = np.array([-wp - 1, -wp, -wp + 1, -1, 1, wp - 1, wp, wp + 1], np.intp)

    def values(padded_idx: NDArray[np.intp]) -> NDArray[np.float64]:
        rows, cols = np.divmod(padded_idx, wp)
        return flat_feat[(rows - 1) * w + (cols - 1)].astype(np.float64)

    new = np.flatnonzero(flat_lab > 0)
    seed_vals = values(new)
    counts = np.bincount(flat_lab[new], minlength=n_regions + 1).astype(np.float64)
    sums = np.stack([np.bincount(flat_lab[new], weights=c, minlength=n_regions + 1) for c in seed_vals.T], axis=1)
    ref = sums / np.maximum(counts, 1)[:, None]
    queued = np.zeros(flat_lab.size, bool)  # running mean: rejected candidates wait in `pending`
    pending = np.empty(0, np.intp)
    pending_vals = np.empty((0, nch))
    # Regions that won pixels in the last step (index -1: the barrier, never). A pending candidate whose
    # neighbours all belong to other regions sees the same labels and means as when it was rejected,
    # so it is rejected again without being tested.
    changed = np.zeros(n_regions + 2, bool)
    tol2 = tolerance * tolerance
    steps, converged = 0, False
    while steps < max_iter:
        nb = (new[:, None] + offsets).ravel()
        nb = nb[flat_lab[nb] == 0]
        if running:
            nb = nb[~queued[nb]]
        nb = np.unique(nb)
        retest = changed[flat_lab[pending[:, None] + offsets]].any(axis=1)
        idle, idle_vals = pending[~retest], pending_vals[~retest]
        cand = np.concatenate([pending[retest], nb])
        if cand.size == 0:
            converged = True
            break
        steps += 1
        vals = np.concatenate([pending_vals[retest], values(nb)])
        if n_regions == 1:  # every candidate touches region 1 only
            diff = vals - ref[1]
            best = np.einsum("mc,mc->m", diff, diff)
            label = np.ones(cand.size, np.int32)
        else:
            near = flat_lab[cand[:, None] + offsets]  # labels of the neighbours, (m, k)
            valid = near > 0
            diff = vals[:, None, :] - ref[np.where(valid, near, 0)]
            dist2 = np.einsum("mkc,mkc->mk", diff, diff)
            dist2[~valid] = np.inf
            best = dist2.min(axis=1)
            label = np.where(dist2 == best[:, None], near, np.iinfo(np.int32).max).min(axis=1)
        accept = best <= tol2
        new = cand[accept]
        flat_lab[new] = label[accept]
        if new.size == 0:
            converged = True
            break
        if running:
            reject = ~accept
            pending = np.concatenate([idle, cand[reject]])
            pending_vals = np.concatenate([idle_vals, vals[reject]])
            queued[nb] = True
            won = label[accept]
            changed[:] = False
            changed[won] = True
            counts += np.bincount(won, minlength=n_regions + 1)
            for c in range(nch):
                sums[:, c] += np.bincount(won, weights=vals[accept, c], minlength=n_regions + 1)
            ref = sums / np.maximum(counts, 1)[:, None]
    out = np.ascontiguousarray(inner)
    out[out < 0] = 0
    return out, steps, converged


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
    max_iter: Annotated[int, Interval(1, None)] = 1_000_000,
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
    max_iter : int
        Largest number of growth steps; ``meta["converged"]`` is ``False`` if
        growth was still going on when it stopped.
    mask : (H, W) ndarray of bool, optional
        Regions never grow outside `mask`; seeds must lie inside it.

    Returns
    -------
    Segmentation
        Instance labels 1..N (one per seed region that kept a pixel), 0 where
        no region reached; each id has a segment of class 1 in
        ``classes=("background", "region")``. ``meta``: ``tolerance``, ``n_seeds``, ``n_iter`` (growth
        steps; ``None`` where one flood fill did the work), ``converged``.

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
    ``distance <= tolerance`` holding it; everything else runs the step algorithm.

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
        return instance_segmentation(labels, meta=dict(meta, n_iter=None, converged=True))

    if pts is not None:
        seed_labels = np.zeros((h, w), np.int32)
        seed_labels[pts[::-1, 0], pts[::-1, 1]] = np.arange(len(pts), 0, -1, dtype=np.int32)  # first seed wins
    labels, steps, converged = _grow(feat, seed_labels, n_regions, float(tolerance), connectivity,
                                     criterion == "running_mean", mask, max_iter)
    present = np.zeros(n_regions + 1, bool)
    present[labels.ravel()] = True
    present[0] = True
    if not present.all():  # duplicate seed points: renumber 1..N
        lut = np.zeros(n_regions + 1, np.int32)
        lut[present] = np.arange(int(present.sum()), dtype=np.int32)
        labels = lut[labels]
    return instance_segmentation(labels, meta=dict(meta, n_iter=steps, converged=converged))


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
