"""Previews for screens: an image and its labels downscaled to one size, as PNG files a browser decodes exactly.

A front end that shows results (the web page) draws the overlay itself, so
that opacity and outlines change without asking the server again. It gets
two PNGs of the same size, at most `max_side` pixels on their longer side:

- :func:`image_preview`: the image as 8-bit RGB, stretched for display as
  :func:`seglab.io.overlay` does (:func:`seglab.io.overlay.display_rgb`);
- :func:`labels_preview`: the labels sampled at the nearest pixel and stored
  as ids in RGB, ``id = R + 256 G + 256**2 B`` (the COCO panoptic encoding,
  :func:`seglab.io.panoptic_png`; void, -1, is stored as 0).

Both are for display only: downloads are the full-resolution outputs.

Examples
--------
>>> import numpy as np, cv2
>>> labels = np.zeros((300, 600), np.int32); labels[:, 300:] = 258
>>> preview_size(labels.shape, 100)
(50, 100)
>>> ids = cv2.imdecode(np.frombuffer(labels_preview(labels, 100), np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
>>> ids.shape, ids[0, 0].tolist(), ids[0, 99].tolist()
((50, 100, 3), [0, 0, 0], [2, 1, 0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..core.errors import InvalidParameterError

__all__ = ["preview_size", "image_preview", "labels_preview"]


def preview_size(shape: tuple[int, ...], max_side: int) -> tuple[int, int]:
    """(height, width) of a preview of an image of `shape`: the longer side at most `max_side`, never enlarged.

    Examples
    --------
    >>> preview_size((3000, 4000, 3), 1024), preview_size((20, 10), 1024)
    ((768, 1024), (20, 10))
    """
    if max_side < 1:
        raise InvalidParameterError(f"max_side must be a positive number of pixels; got {max_side}.")
    height, width = int(shape[0]), int(shape[1])
    scale = min(1.0, max_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _nearest(array: NDArray[Any], size: tuple[int, int]) -> NDArray[Any]:
    """`array` sampled at the pixel nearest to each preview pixel's centre."""
    rows = ((np.arange(size[0]) + 0.5) * array.shape[0] / size[0]).astype(np.intp)
    cols = ((np.arange(size[1]) + 0.5) * array.shape[1] / size[1]).astype(np.intp)
    return array[rows[:, None], cols[None, :]]


def image_preview(image: ArrayLike, max_side: int) -> bytes:
    """PNG of `image` as 8-bit RGB for display, at most `max_side` pixels on its longer side.

    The image is first sampled down to at most twice the preview size, then
    stretched for display and averaged over each preview pixel.

    Examples
    --------
    >>> png = image_preview(np.zeros((40, 80), np.uint16), 20)
    >>> png[:4]
    b'\\x89PNG'
    """
    import cv2

    from ..io import encode_png
    from ..io.overlay import display_rgb

    arr = np.asarray(image)
    size = preview_size(arr.shape, max_side)
    step = max(1, min(arr.shape[0] // (2 * size[0]), arr.shape[1] // (2 * size[1])))
    rgb = display_rgb(arr[::step, ::step])
    return encode_png(cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_AREA))


def labels_preview(labels: ArrayLike, max_side: int) -> bytes:
    """PNG of `labels` as RGB ids (``R + 256 G + 256**2 B``), nearest-sampled to at most `max_side` pixels a side.

    Examples
    --------
    >>> labels_preview(np.array([[1, 2], [3, -1]], np.int32), 8)[:4]
    b'\\x89PNG'
    """
    from ..core.validate import as_labels
    from ..io import encode_png, panoptic_png

    lab = as_labels(labels)
    return encode_png(panoptic_png(_nearest(lab, preview_size(lab.shape, max_side))))
