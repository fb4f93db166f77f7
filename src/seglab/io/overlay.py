"""Colour overlays: segments tinted over the image, boundaries drawn in yellow.

The overlay is a picture for people, so it is the one place where intensities
are stretched: 16-bit, signed or float gray images are mapped to 0..255 between
their 0.5th and 99.5th percentiles for display. The data and the labels are
never changed.

Examples
--------
>>> import numpy as np
>>> img = np.zeros((6, 6), np.uint8); lab = np.zeros((6, 6), np.int32); lab[1:5, 1:5] = 1
>>> rgb = overlay(img, lab)
>>> rgb.shape, rgb.dtype, rgb[1, 1].tolist(), rgb[0, 0].tolist()
((6, 6, 3), dtype('uint8'), [255, 255, 0], [0, 0, 0])
"""

from __future__ import annotations

import colorsys
import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.types import Segmentation
from ..core.validate import as_image, as_labels
from .atomic import write_atomic
from .labels import encode_png

__all__ = ["overlay", "write_overlay", "display_rgb", "BOUNDARY_COLOR"]

#: RGB colour of segment boundaries.
BOUNDARY_COLOR = (255, 255, 0)
_GOLDEN = 0.618033988749895


def display_rgb(image: ArrayLike) -> NDArray[np.float64]:
    """The image as RGB floats in [0, 1] for display only.

    uint8 is divided by 255 and float RGB (already in [0, 1]) is kept; any
    other image is stretched linearly between its 0.5th and 99.5th
    percentiles and clipped.

    Examples
    --------
    >>> display_rgb(np.array([[0, 1000]], np.uint16))[0, :, 0].round(3).tolist()
    [0.0, 1.0]
    """
    img = as_image(image, name="image")
    if img.dtype == np.uint8:
        out = img / 255.0
    elif img.dtype.kind == "f" and img.ndim == 3:
        out = img.astype(np.float64)
    else:
        lo, hi = np.percentile(img, (0.5, 99.5))
        out = np.clip((img - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros(img.shape)
    return out if out.ndim == 3 else np.repeat(out[..., None], 3, axis=2)


def _palette(ids: NDArray) -> NDArray[np.float64]:
    """Distinct, stable colours: hue steps by the golden ratio with the label id."""
    return np.array([colorsys.hsv_to_rgb((int(i) * _GOLDEN) % 1.0, 0.85, 1.0) for i in ids]).reshape(-1, 3)


def overlay(image: ArrayLike, labels: ArrayLike | Segmentation, *, alpha: float = 0.4) -> NDArray[np.uint8]:
    """Tint each positive label with its own colour over `image` and draw boundaries.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
        The segmented image (see :func:`display_rgb` for how it is shown).
    labels : (H, W) array_like of int, or Segmentation
        0 (background) and -1 (void) are not tinted.
    alpha : float
        Opacity of the tint, in [0, 1].

    Returns
    -------
    (H, W, 3) ndarray of uint8
        RGB; label boundaries (the outermost pixels of each segment) in
        :data:`BOUNDARY_COLOR`.

    Raises
    ------
    InvalidImageError
        `image` is invalid or its (H, W) differs from the labels'.

    Examples
    --------
    >>> lab = np.array([[1, 1, 2, 2]] * 4)
    >>> overlay(np.full((4, 4), 255, np.uint8), lab, alpha=0.0)[:, 1].tolist()
    [[255, 255, 0], [255, 255, 0], [255, 255, 0], [255, 255, 0]]
    """
    from skimage.segmentation import find_boundaries

    lab = labels.labels if isinstance(labels, Segmentation) else as_labels(labels)
    rgb = display_rgb(image)
    if rgb.shape[:2] != lab.shape:
        raise InvalidImageError(
            f"image (H, W) = {rgb.shape[:2]} does not match the labels' {lab.shape}; "
            "pass the image that was segmented."
        )
    if not 0.0 <= alpha <= 1.0:
        raise InvalidParameterError(f"alpha must lie in [0, 1]; got {alpha}.")
    inside = lab > 0
    if inside.any():
        ids, inverse = np.unique(lab[inside], return_inverse=True)
        rgb[inside] = (1 - alpha) * rgb[inside] + alpha * _palette(ids)[inverse]
    out = np.round(rgb * 255).astype(np.uint8)
    out[find_boundaries(lab, mode="inner") & inside] = BOUNDARY_COLOR
    return out


def write_overlay(
    path: str | os.PathLike[str],
    image: ArrayLike,
    labels: ArrayLike | Segmentation,
    *,
    overwrite: bool = False,
) -> Path:
    """Write :func:`overlay` of `image` and `labels` as an 8-bit RGB PNG, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination ``.png`` file.
    image : array_like
        The segmented image.
    labels : array_like or Segmentation
        Its labels.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, imageio.v3 as iio
    >>> lab = np.zeros((5, 5), np.int32); lab[1:4, 1:4] = 1
    >>> path = write_overlay(pathlib.Path(tempfile.mkdtemp()) / "o.png", np.zeros((5, 5)), lab)
    >>> iio.imread(path).shape
    (5, 5, 3)
    """
    if Path(path).suffix.lower() != ".png":
        raise InvalidParameterError(f"overlays are written as PNG; give a path ending in .png, not {Path(path).name!r}.")
    return write_atomic(path, encode_png(overlay(image, labels)), overwrite=overwrite)
