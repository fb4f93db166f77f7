"""Post-processing shared by every method: clean, relabel and convert label images.

All functions take and return int32 label images (0 = background, -1 = void,
which is left untouched).

Examples
--------
>>> import numpy as np
>>> lab = np.array([[0, 5, 5], [0, 0, 9]], np.int32)
>>> relabel_sequential(lab).tolist()
[[0, 1, 1], [0, 0, 2]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from .core.errors import InvalidImageError
from .core.jit import jit
from .core.validate import as_labels, check_param

__all__ = [
    "Components",
    "connected_components",
    "relabel_sequential",
    "remove_small",
    "fill_holes",
    "semantic_to_instance",
    "instance_boundaries",
]




def _is_eight(connectivity: int) -> bool:
    """Whether `connectivity` (4 or 8, or scipy's 1 or 2) means 8-neighbours."""
    check_param(connectivity in (1, 2, 4, 8), "connectivity", f"must be 4 or 8 (or 1/2); got {connectivity}.")
    return connectivity in (2, 8)


def relabel_sequential(labels: ArrayLike) -> NDArray[np.int32]:
    """Renumber positive labels to 1..N in order of first value; 0 and -1 stay.

    Examples
    --------
    >>> relabel_sequential(np.array([[7, 7, -1, 3]])).tolist()
    [[2, 2, -1, 1]]
    """
    lab = as_labels(labels)
    ids = np.unique(lab)
    pos = ids[ids > 0]
    if pos.size == 0 or (pos[0] == 1 and pos[-1] == pos.size):
        return lab.copy()
    lut_keys = ids
    lut_vals = np.where(ids > 0, np.cumsum(ids > 0), ids).astype(np.int32)
    return lut_vals[np.searchsorted(lut_keys, lab)]


def remove_small(labels: ArrayLike, min_size: int, *, connectivity: int = 8) -> NDArray[np.int32]:
    """Set segments with fewer than `min_size` pixels to 0 (background).

    Segments are the pixels sharing one positive label; sizes count every pixel of a label.

    Examples
    --------
    >>> remove_small(np.array([[1, 1, 0, 2]]), 2).tolist()
    [[1, 1, 0, 0]]
    """
    lab = as_labels(labels)
    check_param(min_size >= 0, "min_size", f"must be >= 0; got {min_size}.")
    _is_eight(connectivity)
    if lab.size == 0 or min_size <= 1:
        return lab.copy()
    pos = np.where(lab > 0, lab, 0)
    sizes = np.bincount(pos.ravel())
    small = sizes < min_size
    small[0] = False
    out = lab.copy()
    out[small[pos]] = 0
    return out


def fill_holes(labels: ArrayLike) -> NDArray[np.int32]:
    """Fill background holes fully enclosed by a single segment with that segment's label.

    Examples
    --------
    >>> ring = np.ones((3, 3), np.int32); ring[1, 1] = 0
    >>> fill_holes(ring)[1, 1]
    np.int32(1)
    """
    from scipy import ndimage as ndi

    lab = as_labels(labels)
    out = lab.copy()
    holes, n = ndi.label(lab == 0)
    if n == 0:
        return out
    border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
    # The labels touching each hole: a hole is filled only if exactly one segment surrounds it.
    grown = ndi.grey_dilation(holes, size=(3, 3))
    ring = (holes == 0) & (grown > 0)
    pairs = np.unique(np.stack([grown[ring], lab[ring]], axis=1), axis=0)
    hole_ids, first, counts = np.unique(pairs[:, 0], return_index=True, return_counts=True)
    owners = pairs[first, 1]
    enclosed = (counts == 1) & (owners > 0) & ~np.isin(hole_ids, border)
    fill = np.zeros(n + 1, np.int32)
    fill[hole_ids[enclosed]] = owners[enclosed]
    target = fill[holes]
    out[target > 0] = target[target > 0]
    return out


class Components(NamedTuple):
    """Connected components of a label image: ``ids`` (1..N, 0 background, -1 void) and each id's source label."""

    ids: NDArray[np.int32]
    source: NDArray[np.int32]  # source[i] = the label value component i was made of (source[0] unused)


def connected_components(labels: ArrayLike, *, connectivity: int = 8, background: int | None = 0) -> Components:
    """Number every connected component of equal labels 1..N, in raster order of its first pixel.

    The one connected-component routine of seglab: instances from a class map
    (:func:`semantic_to_instance`, ``seglab.to_instance``), and the regions a
    label image forms for the partition benchmarks.

    Parameters
    ----------
    labels : (H, W) array of int
    connectivity : {4, 8} (or 1, 2)
        Pixel adjacency.
    background : int or None
        Pixels with this label stay 0 and void (-1) stays -1; ``None``: every
        value, 0 and -1 included, forms regions.

    Returns
    -------
    Components
        ``ids`` int32 and ``source`` (the label each id was made of).

    Notes
    -----
    Below 1 MP, when the foreground holds a single value (a binary mask, a
    two-class result), the components are OpenCV's SAUF algorithm (int32
    output) on a 0/1 mask, which numbers them in raster order of their first
    pixel. (OpenCV's default, the block-based Spaghetti, numbers in raster
    order of 2x2 blocks; even on its parallel stripes, it plus the
    renumbering pass it needs measured 1.3x SAUF's time at 4096² on this
    project's 2-core machine.) Any other input is labelled straight from the
    labels by a compiled run-length union-find (runs of equal labels united
    with the touching runs of the row above; the root of a component is its
    first run), whatever the number of classes: at 4096² 1.5x faster than
    the mask and SAUF for a binary image and 3x faster than the per-pixel
    union-find it replaced for four classes.

    Examples
    --------
    >>> c = connected_components(np.array([[1, 0, 1], [2, 2, -1]]), connectivity=4)
    >>> c.ids.tolist(), c.source.tolist()
    ([[1, 0, 2], [3, 3, -1]], [0, 1, 1, 2])
    >>> connected_components(np.array([[1, 0, 1], [1, 0, 2]]), background=None).ids.tolist()
    [[1, 2, 3], [1, 2, 4]]
    """
    lab = _int32_labels(labels)
    eight = _is_eight(connectivity)
    if lab.size == 0:
        return Components(lab.copy(), np.zeros(1, np.int32))
    if background is not None and lab.size < _RUNS_FROM:
        mask, fg_min, fg_max, lowest = _foreground(lab, int(background))
        _check_lowest(lowest)
        if fg_min >= fg_max:  # one foreground value, or none
            return _binary_components(mask, eight, int(fg_min), void=lab if lowest < 0 else None)
    ids, source, lowest = _label_runs(lab, eight, 0 if background is None else int(background), background is not None)
    _check_lowest(lowest)
    return Components(ids, source)


def _int32_labels(labels: ArrayLike) -> NDArray[np.int32]:
    """C-contiguous int32 labels; int32 input is taken as is (its range is checked by the scan that follows)."""
    arr = np.asarray(labels)
    if arr.dtype != np.int32 or arr.ndim != 2:
        arr = as_labels(arr)
    return np.ascontiguousarray(arr)


def _check_lowest(lowest: int) -> None:
    if lowest < -1:
        raise InvalidImageError(f"labels values must be >= -1 (-1 = void); got {lowest}.")


def _binary_components(mask: NDArray[np.uint8], eight: bool, value: int,
                       void: NDArray[np.int32] | None) -> Components:
    """OpenCV's components of a 0/1 mask, renumbered into raster order of first pixel (see Notes above)."""
    import cv2

    n, ids = cv2.connectedComponentsWithAlgorithm(mask, 8 if eight else 4, cv2.CV_32S, cv2.CCL_SAUF)
    if void is not None:
        ids[void < 0] = -1
    source = np.full(n, value, np.int32)
    source[0] = 0
    return Components(ids, source)


def _foreground(lab: NDArray[np.int32], background: int) -> tuple[NDArray[np.uint8], int, int, int]:
    """The 0/1 foreground mask (not `background`, not void), its smallest and largest value, the minimum.

    No foreground: smallest int32 max, largest int32 min. Background 0 (the
    common case) takes a pass that vectorises: 1.8x faster at 4096².
    """
    if background != 0:
        return _scan_foreground(lab, background)
    mask, lowest, top, below = _scan_positive(lab)
    none = top <= 0  # then `below` (the smallest value - 1, as uint32) met only 0 and -1
    info = np.iinfo(np.int32)
    return mask, info.max if none else int(below) + 1, info.min if none else int(top), int(lowest)


@jit
def _scan_positive(lab):  # pragma: no cover - compiled
    """One pass: the mask of values > 0, the minimum, the maximum, and min(uint32(v) - 1).

    The last is the smallest positive value - 1 (0 and -1 wrap to the top of
    uint32), a minimum without a select, which lets the loop vectorise.
    """
    flat = lab.ravel()
    mask = np.empty(lab.shape, np.uint8)
    out = mask.ravel()
    lowest = np.int32(0)
    top = np.int32(0)
    below = np.uint32(0xFFFFFFFF)
    one = np.uint32(1)
    for i in range(flat.size):
        v = flat[i]
        out[i] = np.uint8(v > 0)
        lowest = min(lowest, v)
        top = max(top, v)
        below = min(below, np.uint32(v) - one)
    return mask, lowest, top, below


@jit
def _scan_foreground(lab, background):  # pragma: no cover - compiled
    """One branch-free pass: the 0/1 foreground mask, the smallest and largest foreground value, the minimum."""
    flat = lab.ravel()
    mask = np.empty(lab.shape, np.uint8)
    out = mask.ravel()
    top = np.iinfo(np.int32).max
    bottom = np.iinfo(np.int32).min
    fg_min, fg_max, lowest = top, bottom, 0
    for i in range(flat.size):
        v = flat[i]
        f = (v != background) & (v >= 0)
        out[i] = f
        lowest = min(lowest, v)
        fg_min = min(fg_min, v if f else top)
        fg_max = max(fg_max, v if f else bottom)
    return mask, fg_min, fg_max, lowest


#: Pixels from which a binary image is labelled by the run-length kernels rather than OpenCV's SAUF on a 0/1 mask
#: (coins upscales, 8-connected, alternating: 512² 0.33 against 0.38 ms, 1024² 1.20 against 1.05, 4096² 43 against 31).
_RUNS_FROM = 1 << 20


def _label_runs(lab: NDArray[np.int32], eight: bool, background: int, has_background: bool
                ) -> tuple[NDArray[np.int32], NDArray[np.int32], int]:
    """Components of equal labels by run-length union-find: ids, source, the smallest value.

    One raster scan finds the runs of equal labels of each row (eight pixels
    at a time while they last) and unites each run with the runs of the row
    above that touch it and hold the same label; unions keep the earlier run
    as the root, so roots in order are components in raster order of their
    first pixel. A second pass writes the ids run by run. The run arrays
    grow outside the compiled loop (arrays replaced inside it would cost
    reference counting on every pixel); ``ids`` is allocated by numpy, whose
    large arrays get transparent huge pages (4 KiB page faults took half of
    the time of a 4096² fill in a numba-allocated array).
    """
    h, w = lab.shape
    cap = max(4 * w, lab.size // 32)
    runs = [np.empty(cap, np.int32) for _ in range(4)]  # start, end, value, parent
    row_first = np.empty(h + 1, np.int64)
    row, n, lowest = 0, 0, 0
    while True:
        row, n, lowest = _scan_runs(lab, eight, background, has_background, *runs, row_first, row, n, lowest)
        if row == h:
            break
        cap *= 2
        grown = [np.empty(cap, np.int32) for _ in range(4)]
        for new, old in zip(grown, runs, strict=True):
            new[:n] = old[:n]
        runs = grown
    row_first[h] = n
    ids = np.empty((h, w), np.int32)
    source = _write_runs(lab, has_background and lowest < 0, *runs, row_first, n, ids)
    return ids, source, int(lowest)


@jit
def _scan_runs(lab, eight, background, has_background, start, end, value, parent, row_first, row, n,
               lowest):  # pragma: no cover - compiled
    """Runs and unions of rows `row`.. while a whole row fits the arrays; (next row, runs, smallest value)."""
    h, w = lab.shape
    cap = start.size
    while row < h and n + w <= cap:
        row_first[row] = n
        above_end = n
        p = row_first[row - 1] if row > 0 else n  # the first run above that may touch the next run here
        c = 0
        while c < w:  # one run of equal labels per pass (background and void ones are not kept)
            v = lab[row, c]
            first = c
            c += 1
            while c + 8 <= w and ((lab[row, c] ^ v) | (lab[row, c + 1] ^ v) | (lab[row, c + 2] ^ v)
                                  | (lab[row, c + 3] ^ v) | (lab[row, c + 4] ^ v) | (lab[row, c + 5] ^ v)
                                  | (lab[row, c + 6] ^ v) | (lab[row, c + 7] ^ v)) == 0:
                c += 8
            while c < w and lab[row, c] == v:
                c += 1
            lowest = min(lowest, v)
            if has_background and (v == background or v < 0):
                continue
            start[n], end[n], value[n], parent[n] = first, c, v, n
            root = n
            lo, hi = (first - 1, c + 1) if eight else (first, c)  # columns above that touch the run
            while p < above_end and end[p] <= lo:
                p += 1
            q = p
            while q < above_end and start[q] < hi:
                if value[q] == v:
                    other = q
                    while parent[other] != other:  # its root, halving the path
                        parent[other] = parent[parent[other]]
                        other = parent[other]
                    if other < root:
                        parent[root] = other
                        root = other
                    elif other > root:
                        parent[other] = root
                q += 1
            n += 1
        row += 1
    return row, n, lowest


@jit
def _write_runs(lab, has_void, start, end, value, parent, row_first, n, ids):  # pragma: no cover - compiled
    """Number the roots 1..N in order, write every run's id into `ids` (0 between runs, -1 on void); the sources."""
    h, w = ids.shape
    final = np.empty(n, np.int32)
    count = 0
    for i in range(n):
        if parent[i] == i:
            count += 1
            final[i] = count
        else:
            root = parent[i]
            while parent[root] != root:
                root = parent[root]
            final[i] = final[root]
    source = np.zeros(count + 1, np.int32)
    for i in range(n):
        if parent[i] == i:
            source[final[i]] = value[i]
    for r in range(h):
        c = 0
        for i in range(row_first[r], row_first[r + 1]):
            ids[r, c:start[i]] = 0
            ids[r, start[i]:end[i]] = final[i]
            c = end[i]
        ids[r, c:] = 0
    if has_void:
        for r in range(h):
            for c in range(w):
                if lab[r, c] < 0:
                    ids[r, c] = -1
    return source


def semantic_to_instance(labels: ArrayLike, *, connectivity: int = 8, background: int = 0) -> NDArray[np.int32]:
    """Split each class into connected components and number them 1..N.

    Pixels equal to `background` (and void, -1) stay 0 / -1.

    Examples
    --------
    >>> semantic_to_instance(np.array([[1, 0, 1], [2, 2, 0]]), connectivity=4).tolist()
    [[1, 0, 2], [3, 3, 0]]
    """
    return connected_components(labels, connectivity=connectivity, background=background).ids


def instance_boundaries(labels: ArrayLike, *, mode: str = "inner") -> NDArray[np.bool_]:
    """Boolean map of pixels where the label changes (``skimage.segmentation.find_boundaries``).

    Parameters
    ----------
    labels : (H, W) ndarray of int
    mode : {"inner", "outer", "thick", "subpixel"}
        As in scikit-image: "inner" marks pixels inside the segments.

    Examples
    --------
    >>> instance_boundaries(np.array([[1, 1, 2, 2]])).astype(int).tolist()
    [[0, 1, 1, 0]]
    """
    lab = as_labels(labels)
    from skimage.segmentation import find_boundaries

    return find_boundaries(lab, mode=mode)
