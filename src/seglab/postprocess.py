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
from scipy import ndimage as ndi

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


def _structure(connectivity: int) -> NDArray[np.bool_]:
    check_param(connectivity in (1, 2, 4, 8), "connectivity", f"must be 4 or 8 (or 1/2); got {connectivity}.")
    return ndi.generate_binary_structure(2, 2 if connectivity in (2, 8) else 1)


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
    _structure(connectivity)
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

    Examples
    --------
    >>> c = connected_components(np.array([[1, 0, 1], [2, 2, -1]]), connectivity=4)
    >>> c.ids.tolist(), c.source.tolist()
    ([[1, 0, 2], [3, 3, -1]], [0, 1, 1, 2])
    >>> connected_components(np.array([[1, 0, 1], [1, 0, 2]]), background=None).ids.tolist()
    [[1, 2, 3], [1, 2, 4]]
    """
    lab = as_labels(labels)
    from skimage.measure import label

    conn = 2 if _structure(connectivity).all() else 1
    wide = lab.astype(np.int64)
    if background is None:
        shifted = wide - int(lab.min(initial=0)) + 1
    else:
        shifted = np.where((lab == background) | (lab < 0), 0, wide + 1 - min(background, 0))
    ids = label(shifted, background=0, connectivity=conn).astype(np.int32)
    if background is not None:
        ids[lab < 0] = -1
    source = np.zeros(int(ids.max(initial=0)) + 1, np.int32)
    inside = ids > 0
    source[ids[inside]] = lab[inside]
    return Components(ids, source)


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
