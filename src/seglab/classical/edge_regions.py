"""Instances enclosed by an edge map (:func:`regions_from_edges`), the last step of every edge method.

The edges are closed with a disk (dilated, so gaps up to ``2 * close_radius``
pixels are bridged), every region they enclose becomes one instance, edge
pixels join the nearest enclosed region (splitting edge bands along their
middle, which undoes the dilation), and instances under `min_size` pixels are
dropped. Ids run 1..N in raster order of their first pixel; 0 is background.

Everything after the dilation is a 3x3 erosion, which tells the band's rim
from its inside, and one compiled pass over the image plus the band: the free
(non-band) pixels are labelled as runs along the rows joined by union-find
(the work follows the number of runs, not of pixels), the band is filled
breadth-first from its rim, and the runs are written out with their final
ids.

Examples
--------
>>> import numpy as np
>>> ring = np.zeros((7, 7), bool); ring[1:6, 1:6] = True; ring[2:5, 2:5] = False
>>> regions_from_edges(ring, close_radius=0, min_size=1).sum()  # the contour and its inside
np.int64(25)
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.jit import jit
from ..core.validate import check_param

__all__ = ["regions_from_edges", "enclosed_regions"]


_SQUARE = np.ones((3, 3), np.uint8)


@lru_cache(maxsize=16)
def _disk(radius: int) -> NDArray[np.uint8]:
    """``skimage.morphology.disk(radius)`` as a uint8 OpenCV kernel."""
    r = np.arange(-radius, radius + 1)
    return ((r[:, None] ** 2 + r[None, :] ** 2) <= radius * radius).astype(np.uint8)


def regions_from_edges(
    edges: ArrayLike,
    *,
    close_radius: int = 2,
    min_size: int = 16,
    mask: ArrayLike | None = None,
) -> NDArray[np.int32]:
    """Instances enclosed by an edge map: close, fill, label, drop small ones.

    Parameters
    ----------
    edges : (H, W) ndarray of bool
        Edge map; nonzero = edge.
    close_radius : int, optional
        Radius ``r`` of the disk that closes the edges (``0``: none): the edges
        are dilated by the disk, which bridges gaps of up to ``2 r`` pixels,
        and the regions they enclose grow back into the band (see Notes).
    min_size : int, optional
        Instances with fewer pixels (edge share included) are dropped (set to 0).
    mask : (H, W) ndarray of bool, optional
        Pixels outside `mask` are background, like the space beyond the image
        border: a region that reaches them is not enclosed.

    Returns
    -------
    (H, W) ndarray of int32
        Instance ids 1..N in raster order of their first pixel, 0 = background.

    Notes
    -----
    The closing is done in two halves: the edge map is dilated by the disk,
    and the erosion that would undo the dilation is replaced by growing the
    enclosed regions back into the dilated band, so boundaries return to the
    middle of the band while the bridged gaps stay closed.

    After the dilation, every 4-connected area of non-band pixels that does
    not touch the image border is enclosed and becomes an instance (edges
    are 8-connected curves, so the outside cannot leak through them:
    ``scipy.ndimage.binary_fill_holes`` semantics). With `mask`, an area that
    reaches a pixel outside `mask` is background too. The enclosed areas and
    the outside (the border areas, and the space beyond the border) then grow
    into the edge band together, one 8-neighbour step at a time, so a band
    pixel is reached at its chessboard distance from the nearest non-band
    pixel or from beyond the border, and it joins the largest of its
    neighbours reached one step earlier: an area beats the outside, and the
    area first in raster order loses to a later one. A one-pixel contour
    belongs to the object it encloses, a thick band is split along its
    middle, and two objects sharing one edge stay apart. An open curve
    encloses nothing and yields no instance.

    Examples
    --------
    >>> line = np.zeros((7, 7), bool); line[3, :] = True
    >>> int(regions_from_edges(line, close_radius=0, min_size=1).max())  # encloses nothing
    0
    """
    return enclosed_regions(edges, close_radius, min_size, mask)[0]


def enclosed_regions(edges: ArrayLike, close_radius: int, min_size: int,
                     mask: ArrayLike | None) -> tuple[NDArray[np.int32], int]:
    """:func:`regions_from_edges` and the number N of its regions (nonzero `edges` are edges)."""
    check_param(close_radius >= 0, "close_radius", f"must be >= 0; got {close_radius}.")
    check_param(min_size >= 0, "min_size", f"must be >= 0; got {min_size}.")
    band = np.asarray(edges)
    band = np.ascontiguousarray(band.view(np.uint8) if band.dtype == bool else (band != 0).view(np.uint8))
    n_band = cv2.countNonZero(band) if band.size else 0
    if n_band == 0:  # no edge encloses anything: all background, no pass
        return np.zeros(band.shape, np.int32), 0
    if close_radius > 0:
        band = cv2.dilate(band, _disk(int(close_radius)))
        n_band = cv2.countNonZero(band)
    # Band pixels whose 3x3 neighbourhood is all band (beyond the border counts as free): the rest is the rim.
    inner = cv2.erode(band, _SQUARE, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    outside = np.zeros((0, 0), np.bool_) if mask is None else ~np.asarray(mask, bool)
    labels, kept = _enclosed(band, inner, outside, int(min_size), n_band)
    return labels, int(kept)


@jit
def _enclosed(band, inner, outside_mask, min_size, n_band_pixels):  # pragma: no cover - compiled
    """The labels of :func:`regions_from_edges` from the closed band (nonzero = band, `n_band_pixels` of them) and N.

    `inner` is nonzero on band pixels with no free 8-neighbour and off the
    border; the other band pixels are the rim, the first layer of the fill.
    Runs of free pixels are joined (4-connectivity, union by the smaller
    run, so a component's root is its first run and components come out in
    raster order of their first pixel), and the rim is queued on the way;
    then each free pixel is written
    with its component's rank (see the values below), so that filling the
    band layer by layer reads the ranks of its neighbours straight from the
    labels, component 0 being the space beyond the border. Last, every pixel is
    written with its final id. The arrays are sized once, from the band's
    pixel count (a row has at most one run more than band pixels): arrays
    replaced inside a compiled loop cost reference counting on every pass.
    """
    h, w = band.shape
    labels = np.empty((h, w), np.int32)
    cap = n_band_pixels + h
    run_row = np.empty(cap, np.int64)
    run_lo = np.empty(cap, np.int64)
    run_hi = np.empty(cap, np.int64)  # inclusive
    parent = np.empty(cap, np.int64)
    n_runs = 0
    queue = np.empty(max(n_band_pixels, 1), np.int64)  # the flat index of each queued band pixel, layer by layer
    tail = 0
    inner_bytes = inner.ravel()
    bytes_ = band.ravel()
    words = bytes_[: bytes_.size // 8 * 8].view(np.uint64)  # free stretches are skipped 8 pixels at a time
    prev_first = 0  # runs of the previous row: prev_first .. row_first - 1
    for r in range(h):
        row_first = n_runs
        k = prev_first
        base = r * w
        c = 0
        while c < w:
            if bytes_[base + c] != 0:
                if inner_bytes[base + c] != 0:
                    labels[r, c] = 0
                else:  # the rim: queued (-1)
                    labels[r, c] = -1
                    queue[tail] = base + c
                    tail += 1
                c += 1
                continue
            lo = c
            i = base + c
            end = base + w
            while i < end and i & 7 != 0 and bytes_[i] == 0:
                i += 1
            if i < end and bytes_[i] == 0:
                while i + 8 <= end and words[i >> 3] == 0:
                    i += 8
                while i < end and bytes_[i] == 0:
                    i += 1
            c = i - base
            hi = c - 1
            me = n_runs
            n_runs += 1
            run_row[me], run_lo[me], run_hi[me], parent[me] = r, lo, hi, me
            while k < row_first and run_hi[k] < lo:  # previous-row runs that end before this one
                k += 1
            j = k
            while j < row_first and run_lo[j] <= hi:  # overlapping runs: 4-connected to this one
                a = j
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                b = me
                while parent[b] != b:
                    b = parent[b]
                if a < b:
                    parent[b] = a
                elif b < a:
                    parent[a] = b
                j += 1
            if j > k:
                k = j - 1  # the last overlapping run may overlap the next run too
        prev_first = row_first
    # Components 1..n in order of their first run; component 0 is beyond the border.
    comp_of_run = np.empty(n_runs + 1, np.int64)
    n_comp = 0
    for i in range(n_runs):
        if parent[i] == i:
            n_comp += 1
            comp_of_run[i] = n_comp
        else:
            a = parent[i]
            while parent[a] != a:
                a = parent[a]
            comp_of_run[i] = comp_of_run[a]
    outer = np.zeros(n_comp + 1, np.bool_)
    outer[0] = True
    counts = np.zeros(n_comp + 1, np.int64)
    for i in range(n_runs):
        comp = comp_of_run[i]
        counts[comp] += run_hi[i] - run_lo[i] + 1
        if run_row[i] == 0 or run_row[i] == h - 1 or run_lo[i] == 0 or run_hi[i] == w - 1:
            outer[comp] = True
    # Values from here on, so that a band pixel's winner is a plain maximum: a free pixel and a filled band
    # pixel hold their area's rank (1 the outside and the areas touching the border, an enclosed area its
    # number + 1), an unreached band pixel 0, a band pixel of the current or the next layer -1.
    rank = np.empty(n_comp + 1, np.int32)
    for comp in range(n_comp + 1):
        rank[comp] = 1 if outer[comp] else comp + 1
    for i in range(n_runs):
        labels[run_row[i], run_lo[i] : run_hi[i] + 1] = rank[comp_of_run[i]]
    flat = labels.ravel()
    value = np.empty(max(n_band_pixels, 1), np.int32)
    head = 0
    rim_end = tail  # only the rim can lie on the border: deeper layers need no bounds checks
    while head < tail:  # one layer: each pixel reads the layers before it and queues the next; then all are written
        end = tail
        for i in range(head, end):
            p = queue[i]
            if i >= rim_end or (w <= p < (h - 1) * w and 0 < p % w < w - 1):
                best = 0
                for q in (p - w, p, p + w):
                    for n in (q - 1, q, q + 1):
                        v = flat[n]
                        if v == 0:  # unreached band: the next layer
                            flat[n] = -1
                            queue[tail] = n
                            tail += 1
                        elif v > best:
                            best = v
            else:  # beyond the border lies the outside
                best = 1
                r = p // w
                c = p - r * w
                for rr in range(max(r - 1, 0), min(r + 2, h)):
                    for cc in range(max(c - 1, 0), min(c + 2, w)):
                        n = rr * w + cc
                        v = flat[n]
                        if v == 0:
                            flat[n] = -1
                            queue[tail] = n
                            tail += 1
                        elif v > best:
                            best = v
            value[i] = best
        for i in range(head, end):
            best = value[i]
            flat[queue[i]] = best  # the winner's rank (1: the outside or an outer area)
            counts[0 if best == 1 else best - 1] += 1
        head = end
    drop = outer.copy()
    if outside_mask.shape[0] > 0:
        for r in range(h):
            for c in range(w):
                if outside_mask[r, c]:
                    drop[labels[r, c] - 1] = True  # rank 1: the outside or an outer area, dropped already
    final = np.zeros(n_comp + 1, np.int32)
    kept = 0
    for comp in range(1, n_comp + 1):
        if not drop[comp] and counts[comp] >= min_size:
            kept += 1
            final[comp] = kept
    for i in range(n_runs):
        labels[run_row[i], run_lo[i] : run_hi[i] + 1] = final[comp_of_run[i]]
    for i in range(tail):
        q = queue[i]
        flat[q] = final[flat[q] - 1]
    if outside_mask.shape[0] > 0:
        for r in range(h):
            for c in range(w):
                if outside_mask[r, c]:
                    labels[r, c] = 0
    return labels, kept
