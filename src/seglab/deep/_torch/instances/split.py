"""Touching objects split by a seeded watershed on the probabilities of ``unet_instances``.

The network gives per pixel the probabilities of background, object
interior and object boundary. Objects are the pixels whose interior +
boundary probability exceeds `foreground_threshold`; each connected blob of
confident interior (probability above `seed_threshold`) seeds one object,
and a watershed on the interior probability grows the seeds over the
foreground, so two touching nuclei separated by a line of boundary pixels
become two objects. Foreground blobs with no seed (small or faint objects)
are kept as one object each. Each object's score is its mean interior
probability.

Examples
--------
>>> probs = np.zeros((3, 5, 9), np.float32); probs[0] = 1
>>> for c0 in (1, 5):                       # two 3x3 objects touching along a boundary column
...     probs[:, 1:4, c0:c0 + 3] = np.array([0.0, 0.9, 0.1])[:, None, None]
>>> probs[:, 1:4, 4] = np.array([0.0, 0.1, 0.9])[:, None]
>>> labels, scores = split_instances(probs, foreground_threshold=0.5, seed_threshold=0.5)
>>> labels[2].tolist(), [round(float(s), 2) for s in scores]
([0, 1, 1, 1, 2, 2, 2, 2, 0], [0.0, 0.9, 0.7])
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.segmentation import watershed

__all__ = ["split_instances"]


def _components(mask: NDArray[np.bool_], connectivity: int) -> tuple[int, NDArray[np.int32], NDArray[np.int32]]:
    n, ids, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=connectivity,
                                                        ltype=cv2.CV_32S)
    return n - 1, ids, stats[:, cv2.CC_STAT_AREA]


def split_instances(probs: NDArray[np.floating], *, foreground_threshold: float, seed_threshold: float,
                    min_size: int = 0, seed_min_size: int = 1) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
    """Instance labels from the (background, interior, boundary) probabilities ``(3, H, W)``.

    Parameters
    ----------
    probs : (3, H, W) ndarray of float
    foreground_threshold : float
        Interior + boundary probability above which a pixel belongs to an object.
    seed_threshold : float
        Interior probability above which a foreground pixel seeds an object.
    min_size : int
        Objects with fewer pixels are dropped.
    seed_min_size : int
        Seeds with fewer pixels are ignored (noise).

    Returns
    -------
    labels : (H, W) ndarray of int32
        0 background, objects 1..N in raster order of their first pixel.
    scores : (N + 1,) ndarray of float32
        ``scores[i]``: the mean interior probability of object i (``scores[0]`` is 0).
    """
    interior = np.ascontiguousarray(probs[1], np.float32)
    foreground = (probs[1] + probs[2]) > foreground_threshold
    n_seeds, seeds, areas = _components(foreground & (interior > seed_threshold), 4)
    if seed_min_size > 1 and n_seeds:
        small = np.flatnonzero(areas < seed_min_size)
        if small.size:
            seeds[np.isin(seeds, small)] = 0
    labels = watershed(-interior, seeds, mask=foreground) if n_seeds else np.zeros(interior.shape, np.int32)
    rest = foreground & (labels == 0)
    if rest.any():
        _, extra, _ = _components(rest, 8)
        labels = np.where(extra > 0, extra + n_seeds, labels)
    labels = labels.astype(np.int32, copy=False)
    ids = labels.ravel()
    counts = np.bincount(ids)
    if min_size > 1:
        counts[1:][counts[1:] < min_size] = 0
    kept = np.flatnonzero(counts[1:] > 0) + 1
    # raster order of first pixels, as seglab numbers instances
    first = np.full(counts.size, ids.size, np.int64)
    np.minimum.at(first, ids, np.arange(ids.size))
    order = kept[np.argsort(first[kept], kind="stable")]
    table = np.zeros(counts.size, np.int32)
    table[order] = np.arange(1, order.size + 1, dtype=np.int32)
    out = table[labels]
    sums = np.bincount(out.ravel(), weights=interior.ravel(), minlength=order.size + 1)
    sizes = np.bincount(out.ravel(), minlength=order.size + 1)
    scores = (sums / np.maximum(sizes, 1)).astype(np.float32)
    scores[0] = 0.0
    return out, scores
