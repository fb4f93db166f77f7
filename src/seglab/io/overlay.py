"""Colour overlays: segments tinted over the image (or only outlined), boundaries in yellow, a legend for classes.

The overlay is a picture for people, so it is the one place where intensities
are stretched: 16-bit, signed or float gray images are mapped to 0..255
between their 0.5th and 99.5th percentiles for display. The data and the
labels are never changed. Everything is computed in uint8 with OpenCV, so an
overlay of a 24-megapixel photo costs about as much as its label image.

Examples
--------
>>> import numpy as np
>>> img = np.zeros((6, 6), np.uint8); lab = np.zeros((6, 6), np.int32); lab[1:5, 1:5] = 1
>>> rgb = overlay(img, lab)
>>> rgb.shape, rgb.dtype, rgb[1, 1].tolist(), rgb[0, 0].tolist()
((6, 6, 3), dtype('uint8'), [255, 255, 0], [0, 0, 0])
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidImageError, InvalidParameterError
from ..core.types import Segmentation
from ..core.validate import as_image, as_labels
from .atomic import write_atomic
from .labels import encode_png

__all__ = ["overlay", "write_overlay", "display_rgb", "label_colors", "BOUNDARY_COLOR", "OverlayStyle"]

#: RGB colour of segment boundaries.
BOUNDARY_COLOR = (255, 255, 0)
#: ``"fill"``: segments tinted with `alpha`, boundaries drawn; ``"contour"``: boundaries only.
OverlayStyle = Literal["fill", "contour"]
_GOLDEN = 0.618033988749895
_STRETCH_SAMPLE = 1_000_000  # pixels the display percentiles are computed from
_LUT_IDS = 1 << 22  # ids up to this get a direct colour table; larger ones are renumbered first


def display_rgb(image: ArrayLike) -> NDArray[np.uint8]:
    """The image as 8-bit RGB for display only.

    uint8 is kept, float RGB (already in [0, 1]) is scaled by 255; any other
    image is stretched linearly between its 0.5th and 99.5th percentiles
    (of at most a million sampled pixels) and clipped.

    Examples
    --------
    >>> display_rgb(np.array([[0, 1000]], np.uint16))[0, :, 0].tolist()
    [0, 255]
    """
    import cv2

    img = as_image(image, name="image")
    if img.dtype == np.uint8:
        out = img
    elif img.dtype.kind == "f" and img.ndim == 3:
        out = cv2.convertScaleAbs(np.ascontiguousarray(img, np.float32), alpha=255.0)
    else:
        step = max(1, int(np.sqrt(img.size / _STRETCH_SAMPLE)))
        lo, hi = (float(v) for v in np.percentile(img[::step, ::step], (0.5, 99.5)))
        if hi > lo:
            scaled = (np.asarray(img, np.float32) - np.float32(lo)) * np.float32(255.0 / (hi - lo))
            out = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
        else:
            out = np.zeros(img.shape, np.uint8)
    return np.ascontiguousarray(out) if out.ndim == 3 else cv2.cvtColor(np.ascontiguousarray(out), cv2.COLOR_GRAY2RGB)


def label_colors(ids: ArrayLike) -> NDArray[np.uint8]:
    """Distinct, stable RGB colours per label id: the hue steps by the golden ratio with the id.

    Examples
    --------
    >>> label_colors([1, 2]).tolist()
    [[38, 101, 255], [165, 255, 38]]
    """
    hue = (np.asarray(ids, np.float64).ravel() * _GOLDEN) % 1.0
    sector = np.floor(hue * 6.0)
    f = hue * 6.0 - sector
    v, s = 1.0, 0.85
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    sector = sector.astype(int) % 6
    r = np.choose(sector, [v, q, p, p, t, v])
    g = np.choose(sector, [t, v, v, q, p, p])
    b = np.choose(sector, [p, p, t, v, v, q])
    return np.round(np.stack([r, g, b], axis=-1) * 255).astype(np.uint8)


def _small(lab: NDArray[np.int32], lo: int, hi: int) -> NDArray | None:
    """`lab` as uint8/uint16 (void -1 becomes the top value) when its ids fit, for OpenCV; else None."""
    if lo < -1 or hi >= 65535:
        return None
    dtype = np.uint8 if hi < 255 else np.uint16
    return lab.astype(dtype)  # -1 wraps to 255 / 65535, above every id


_STRIPE_ROWS = 256  # rows an overlay is drawn at a time, so that its temporaries stay small


def _inner_boundaries(part: NDArray[np.int32], small: NDArray | None, rows: slice) -> NDArray[np.bool_]:
    """Rows `rows` of `part` (which holds a row of context above and below them where the image has one):
    the positive-label pixels with a 4-neighbour of another label, as
    ``skimage.segmentation.find_boundaries(lab, mode="inner") & (lab > 0)``.

    `small` is `part` as uint8/uint16 (:func:`_small`) for OpenCV's morphology, or None.
    """
    import cv2

    if small is not None:
        cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
        border = cv2.BORDER_REPLICATE  # the image edge is no boundary
        edge = (cv2.dilate(small, cross, borderType=border) != cv2.erode(small, cross, borderType=border))[rows]
    else:
        found = np.zeros(part.shape, bool)
        across = part[:, :-1] != part[:, 1:]
        found[:, :-1] |= across
        found[:, 1:] |= across
        down = part[:-1] != part[1:]
        found[:-1] |= down
        found[1:] |= down
        edge = found[rows]
    edge &= part[rows] > 0
    return edge


def _colour_image(lab: NDArray[np.int32], small: NDArray | None, top: int) -> NDArray[np.uint8]:
    """Each pixel's label colour (RGB); background and void get black."""
    import cv2

    if small is not None and small.dtype == np.uint8:  # up to 254 ids: an OpenCV table lookup per channel
        table = label_colors(np.arange(256))
        table[0] = table[255] = 0
        ids = cv2.merge([small, small, small])  # one 3-channel lookup, in place: no per-channel planes
        return cv2.LUT(ids, np.ascontiguousarray(table.reshape(256, 1, 3)), dst=ids)
    if top < _LUT_IDS:
        table = label_colors(np.arange(top + 2))
        table[0] = table[-1] = 0  # id 0, and -1 read as the last entry
        return table[lab]
    ids, inverse = np.unique(lab, return_inverse=True)
    table = label_colors(ids)
    table[ids <= 0] = 0
    return table[inverse.reshape(lab.shape)]


def _legend(rgb: NDArray[np.uint8], seg: Segmentation, counts: NDArray[np.int64]) -> None:
    """Draw the semantic classes present (`counts` of pixels per id; colour swatch and name) top left, in place."""
    import cv2

    present = [int(c) for c in np.flatnonzero(counts) if c > 0][:32]
    if not present or not seg.classes:
        return
    scale = max(0.4, min(rgb.shape[:2]) / 800)
    thick = max(1, round(scale * 1.5))
    line = int(22 * scale)
    names = [seg.classes[c] if c < len(seg.classes) else f"class {c}" for c in present]
    width = int(max(cv2.getTextSize(n, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] for n in names) + 2.2 * line)
    height = line * len(present) + line // 2
    if 3 * width > rgb.shape[1] or 3 * height > rgb.shape[0]:  # too small a picture: the legend would hide it
        return
    box = rgb[:height, :width]
    box[:] = box // 3  # a dark panel behind the text
    for k, (cls, name) in enumerate(zip(present, names)):
        y = line // 4 + k * line
        colour = tuple(int(v) for v in label_colors([cls])[0])
        cv2.rectangle(rgb, (line // 4, y + line // 8), (line, y + line - line // 8), colour, -1)
        cv2.putText(rgb, name, (int(1.3 * line), y + int(0.75 * line)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), thick, cv2.LINE_AA)


def overlay(image: ArrayLike, labels: ArrayLike | Segmentation, *, alpha: float = 0.4,
            style: OverlayStyle = "fill", legend: bool = True) -> NDArray[np.uint8]:
    """Tint each positive label with its own colour over `image` and draw its boundary.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
        The segmented image (see :func:`display_rgb` for how it is shown).
    labels : (H, W) array_like of int, or Segmentation
        0 (background) and -1 (void) are not tinted.
    alpha : float
        Opacity of the tint, in [0, 1] (``style="fill"``).
    style : {"fill", "contour"}
        Tinted segments with their boundaries, or the boundaries alone.
    legend : bool
        For a semantic result with class names, a legend of the classes present
        (top left, only when it takes at most a third of the width and height).

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
    >>> overlay(np.full((4, 4), 255, np.uint8), lab, style="contour")[0, 0].tolist()
    [255, 255, 255]
    """
    import cv2

    seg = labels if isinstance(labels, Segmentation) else None
    lab = seg.labels if seg is not None else as_labels(labels)
    if not 0.0 <= alpha <= 1.0:
        raise InvalidParameterError(f"alpha must lie in [0, 1]; got {alpha}.")
    if style not in ("fill", "contour"):
        raise InvalidParameterError(f"style must be 'fill' or 'contour'; got {style!r}.")
    rgb = display_rgb(image)
    if rgb.shape[:2] != lab.shape:
        raise InvalidImageError(
            f"image (H, W) = {rgb.shape[:2]} does not match the labels' {lab.shape}; "
            "pass the image that was segmented."
        )
    lo, hi = (int(lab.min()), int(lab.max())) if lab.size else (0, 0)
    tint = style == "fill" and alpha > 0 and hi > 0
    if tint:  # the picture: the tint where labelled, the image elsewhere
        out = np.empty_like(rgb)
    else:  # never drawn on the caller's array
        out = rgb.copy() if isinstance(image, np.ndarray) and np.shares_memory(rgb, image) else rgb
    wants_legend = legend and seg is not None and seg.task == "semantic"
    counts = np.zeros(max(hi, 0) + 1 if wants_legend else 0, np.int64)  # pixels per class, for the legend
    for top in range(0, lab.shape[0], _STRIPE_ROWS):  # stripe by stripe: temporaries of a few rows only
        bottom = min(lab.shape[0], top + _STRIPE_ROWS)
        above = max(0, top - 1)
        part = lab[above : bottom + 1]
        rows = slice(top - above, bottom - above)
        small = _small(part, lo, hi)
        band = out[top:bottom]
        if tint:
            colour = _colour_image(part[rows], None if small is None else small[rows], hi)
            cv2.addWeighted(rgb[top:bottom], 1.0 - alpha, colour, alpha, 0.0, dst=band)
            cv2.copyTo(rgb[top:bottom], (part[rows] <= 0).view(np.uint8), band)
        band[_inner_boundaries(part, small, rows)] = BOUNDARY_COLOR
        if wants_legend:
            counts += np.bincount(np.maximum(part[rows], 0).ravel(), minlength=counts.size)
    if wants_legend:
        counts[0] = 0
        _legend(out, seg, counts)
    return out


def write_overlay(
    path: str | os.PathLike[str],
    image: ArrayLike,
    labels: ArrayLike | Segmentation,
    *,
    alpha: float = 0.4,
    style: OverlayStyle = "fill",
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
    alpha, style
        As in :func:`overlay`.
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
    return write_atomic(path, encode_png(overlay(image, labels, alpha=alpha, style=style)), overwrite=overwrite)
