"""Detections of overlapping windows merged into one instance map (Mask R-CNN's tiled inference).

Each window is answerable for its *core*: the part of the image closer to
it than to the neighbouring windows (the overlaps are cut at their middle).
A detection is kept by the window whose core holds the centre of its box, so
an object smaller than the overlap is taken whole from one window and never
twice. Kept masks are then painted in descending score: a pixel goes to the
best-scoring object that claims it, and a detection left with less than
half of its mask (the rare duplicate across a seam) is dropped.

Examples
--------
>>> windows(100, 40, 0.25)
[(0, 0.0, 35.0), (30, 35.0, 65.0), (60, 65.0, inf)]
>>> masks = [np.ones((2, 2), bool), np.ones((2, 3), bool)]
>>> dets = [Detection((0, 0), masks[0], 0.9, 1), Detection((1, 1), masks[1], 0.8, 1)]
>>> labels, kept = paint(dets, (4, 5), min_size=0)
>>> labels.tolist(), [d.score for d in kept]
([[1, 1, 0, 0, 0], [1, 1, 2, 2, 0], [0, 2, 2, 2, 0], [0, 0, 0, 0, 0]], [0.9, 0.8])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..predict import tile_starts

__all__ = ["Detection", "paint", "windows"]


@dataclass(frozen=True)
class Detection:
    """One object: its mask inside its box (placed at `origin`, (row, col)), score and class id."""

    origin: tuple[int, int]
    mask: NDArray[np.bool_]
    score: float
    class_id: int


def windows(size: int, tile: int, overlap: float) -> list[tuple[int, float, float]]:
    """Along one axis: each window's start and its core ``[low, high)`` (overlaps cut at their middle)."""
    if tile >= size:
        return [(0, -math.inf, math.inf)]
    starts = tile_starts(size, tile, overlap)
    cuts = [(b + a + tile) / 2 for a, b in itertools.pairwise(starts)]
    lows = [-math.inf, *cuts]
    highs = [*cuts, math.inf]
    return [(s, lo if i else 0.0, hi) for i, (s, lo, hi) in enumerate(zip(starts, lows, highs))]


def paint(detections: Sequence[Detection], shape: tuple[int, int], *, min_size: int,
          max_detections: int | None = None) -> tuple[NDArray[np.int32], list[Detection]]:
    """Paint `detections` in descending score into an ``(H, W)`` label map; ids 1..N follow the score order.

    A detection keeps the pixels of its mask that no better one took; it is
    dropped when fewer than `min_size` pixels or less than half of its mask
    remain, and after `max_detections` kept ones.

    Returns
    -------
    labels : (H, W) ndarray of int32
    kept : list of Detection
        ``kept[i - 1]`` is object i.
    """
    labels = np.zeros(shape, np.int32)
    kept: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        if max_detections is not None and len(kept) >= max_detections:
            break
        r, c = det.origin
        h, w = det.mask.shape
        r0, c0, r1, c1 = max(r, 0), max(c, 0), min(r + h, shape[0]), min(c + w, shape[1])
        if r0 >= r1 or c0 >= c1:
            continue
        mask = det.mask[r0 - r : r1 - r, c0 - c : c1 - c]
        region = labels[r0:r1, c0:c1]
        free = mask & (region == 0)
        area = int(free.sum())
        if area == 0 or area < min_size or 2 * area < int(det.mask.sum()):
            continue
        kept.append(det)
        region[free] = len(kept)
    return labels, kept
