"""Instance labels turned into what the networks learn, and the size of objects.

:func:`boundary_targets` gives the three classes of ``unet_instances``
(background, interior, boundary: the object pixels within `width` of
another label); :func:`object_diameters` gives each object's
equivalent-circle diameter, whose median sets the scale an image is seen at.

Examples
--------
>>> labels = np.zeros((9, 12), np.int32); labels[1:8, 1:6] = 1; labels[1:8, 6:11] = 2
>>> boundary_targets(labels, width=1)[4].tolist()
[0, 2, 1, 1, 1, 2, 2, 1, 1, 1, 2, 0]
>>> round(median_diameter(labels), 2), median_diameter(np.zeros((3, 3), np.int32))
(6.68, None)
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["BACKGROUND", "BOUNDARY", "INTERIOR", "boundary_targets", "median_diameter", "object_diameters"]

BACKGROUND, INTERIOR, BOUNDARY = 0, 1, 2


def boundary_targets(labels: NDArray[np.integer], *, width: int = 2, void: int = -100) -> NDArray[np.int64]:
    """Per pixel: 0 background, 1 object interior, 2 object boundary; void labels (< 0) become `void`.

    A boundary pixel is an object pixel with a pixel of another label
    (background or another object) within a disc of radius `width`; the
    image frame is not a boundary (objects cut by it go on outside).
    """
    lab = np.where(labels > 0, labels, 0).astype(np.float32)  # float32 holds ids up to 2**24 exactly
    if width > 0 and lab.any():
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
        edge = (cv2.dilate(lab, disc) != lab) | (cv2.erode(lab, disc) != lab)
    else:
        edge = np.zeros(lab.shape, bool)
    target = (labels > 0).astype(np.int64)
    target[(labels > 0) & edge] = BOUNDARY
    target[labels < 0] = void
    return target


def object_diameters(labels: NDArray[np.integer]) -> NDArray[np.float64]:
    """The equivalent-circle diameter ``sqrt(4 * area / pi)`` of every object (ids > 0 present), in pixels."""
    areas = np.bincount(np.where(labels > 0, labels, 0).ravel())[1:]
    return np.sqrt(4.0 * areas[areas > 0] / np.pi)


def median_diameter(labels: NDArray[np.integer]) -> float | None:
    """The median equivalent-circle diameter of the objects of `labels`, or None when there are none."""
    d = object_diameters(labels)
    return float(np.median(d)) if d.size else None
